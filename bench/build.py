"""Site build timing: a full build from the repository's files (cold caches) and an unchanged rebuild.

Goals (issue 5): full build <= 90 s, unchanged rebuild <= 10 s on the project machine (2 CPU cores).
It copies every file git would commit (tracked and untracked-but-not-ignored: the committed models and
whatever is about to be committed) into a temporary folder, so no cache, docs/ or build/ of the working
tree helps or is touched; links .venv and node_modules into it; and runs `python -m gen build` there
twice without the dataset, as a fresh machine would.

    .venv/bin/python bench/build.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"full build": 90.0, "unchanged rebuild": 10.0}


def timed_build(folder: Path) -> tuple[float, str]:
    """Seconds for one `python -m gen build` in `folder`, and its output (raises if the build fails)."""
    env = {key: value for key, value in os.environ.items() if key != "UTKFACE_DIR"}
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "gen", "build"], cwd=folder, env=env, capture_output=True,
                            text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed in {folder}:\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout + result.stderr


def main() -> int:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip()
    uncommitted = len(git("status", "--porcelain").splitlines())
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        copy = Path(scratch) / "repo"
        for name in git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0"):
            if name and (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
        for shared in (".venv", "node_modules"):
            (copy / shared).symlink_to(ROOT / shared)
        results = {}
        for label in GOALS:
            results[label], output = timed_build(copy)
            steps = [line for line in output.splitlines() if line.startswith(("[build]", "[site]"))]
            print(f"--- {label}\n" + "\n".join(steps), flush=True)
    print(f"\nsite build, commit {commit} + {uncommitted} uncommitted paths, {os.cpu_count()} CPU cores, no dataset:")
    met = True
    for label, seconds in results.items():
        ok = seconds <= GOALS[label]
        met &= ok
        print(f"  {label:<18} {seconds:6.1f} s  (goal <= {GOALS[label]:.0f} s: {'met' if ok else 'NOT met'})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
