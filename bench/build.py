"""Site build timing: a full build from the committed state (cold caches) and an unchanged rebuild.

Goals (issue 5): full build <= 90 s, unchanged rebuild <= 10 s on the project machine (2 CPU cores).
Measures HEAD, not uncommitted work: it clones the repository into a temporary folder (so no cache,
docs/ or build/ of the working tree helps or is touched), links .venv and node_modules into the clone,
and runs `python -m gen build` there twice without the dataset, as a fresh machine would.

    .venv/bin/python bench/build.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"full build": 90.0, "unchanged rebuild": 10.0}


def timed_build(clone: Path) -> tuple[float, str]:
    """Seconds for one `python -m gen build` in `clone`, and its output (raises if the build fails)."""
    env = {key: value for key, value in os.environ.items() if key != "UTKFACE_DIR"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "gen", "build"], cwd=clone, env=env, capture_output=True,
                            text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed in {clone}:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout + result.stderr


def main() -> int:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        clone = Path(scratch) / "repo"
        subprocess.run(["git", "clone", "-q", "--local", str(ROOT), str(clone)], check=True)
        for shared in (".venv", "node_modules"):
            (clone / shared).symlink_to(ROOT / shared)
        results = {}
        for label in GOALS:
            results[label], output = timed_build(clone)
            steps = [line for line in output.splitlines() if line.startswith(("[build]", "[site]"))]
            print(f"--- {label}\n" + "\n".join(steps), flush=True)
    print(f"\nsite build, commit {commit}, {os.cpu_count()} CPU cores, no dataset:")
    met = True
    for label, seconds in results.items():
        ok = seconds <= GOALS[label]
        met &= ok
        print(f"  {label:<18} {seconds:6.1f} s  (goal <= {GOALS[label]:.0f} s: {'met' if ok else 'NOT met'})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
