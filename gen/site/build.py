"""`python -m gen build`: every build step into docs/, then MkDocs into build/, swapped in only on success.

MkDocs writes into a fresh sibling folder; only when it succeeds is that folder renamed over build/, so
a failed build leaves the last good site in place. The published site is remembered by the hash of its
inputs (docs/ and mkdocs.yml), so an unchanged rebuild skips MkDocs entirely.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata as package_metadata
from pathlib import Path

import yaml

from gen.config import BUILD_DIR, CACHE_DIR, DEFAULT_UTKFACE_DIR, DOCS_DIR, ROOT, utkface_dir_from_env
from gen.hashing import file_digest, tree_digest, value_digest
from gen.pipeline import BUILD_STEPS, BuildContext, run_steps
from gen.site.context import SiteError, shown_path
from gen.site.render import CONFIG_FILE

# Material for MkDocs prints an end-of-life banner about MkDocs 2 on every run unless this is set.
MKDOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}


def default_data_dir() -> Path | None:
    """The UTKFace folder if one is present; steps that need the dataset skip without it."""
    folder = utkface_dir_from_env() or DEFAULT_UTKFACE_DIR
    return folder if folder.is_dir() else None


def _published_stamp(site_dir: Path, cache_dir: Path) -> Path:
    return Path(cache_dir) / f"published-{value_digest(str(Path(site_dir).resolve()))}.json"


def _publish_key(docs_dir: Path, config_file: Path) -> str:
    versions = [package_metadata.version(name) for name in ("mkdocs", "mkdocs-material", "pymdown-extensions")]
    hooks = [Path(__file__).with_name(name) for name in ("mkdocs_hooks.py", "weight.py", "formulas.py", "tex2svg.cjs")]
    return value_digest(tree_digest(docs_dir), file_digest(config_file), versions, [file_digest(h) for h in hooks],
                        deployment())


def deployment() -> dict[str, str]:
    """Where the site is published, from the environment: SITE_URL (its address, which the sitemap and the
    404 page's links are made from, so the site works under a sub-path) and SOURCE_URL (the code)."""
    found = {}
    if os.environ.get("SITE_URL"):
        found["site_url"] = os.environ["SITE_URL"].rstrip("/") + "/"
    if os.environ.get("SOURCE_URL"):
        found["repo_url"] = os.environ["SOURCE_URL"]
    return found


def _python_path() -> str:
    """The repository first, so mkdocs.yml's hooks can import `gen`."""
    return os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)


def run_mkdocs(docs_dir: Path, site_dir: Path, config_file: Path = CONFIG_FILE) -> None:
    """`mkdocs build` of `docs_dir` into `site_dir`, through a config that inherits mkdocs.yml."""
    with tempfile.TemporaryDirectory(prefix="mkdocs-config-") as scratch:
        child = Path(scratch) / "mkdocs.yml"
        parent = yaml.safe_load(Path(config_file).read_text()) or {}
        hooks = [str(Path(config_file).resolve().parent / hook) for hook in parent.get("hooks", [])]
        child.write_text(json.dumps({"INHERIT": str(Path(config_file).resolve()),
                                     "docs_dir": str(Path(docs_dir).resolve()),
                                     "site_dir": str(Path(site_dir).resolve()),
                                     **({"hooks": hooks} if hooks else {}), **deployment()}))  # JSON is YAML
        result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--clean", "--config-file", str(child)],
                                env={**os.environ, **MKDOCS_ENV, "PYTHONPATH": _python_path()}, capture_output=True,
                                text=True)
    if result.returncode != 0:
        raise SiteError(f"mkdocs build failed:\n{result.stderr.strip()}")


def publish(docs_dir: Path, site_dir: Path, config_file: Path = CONFIG_FILE,
            cache_dir: Path = CACHE_DIR / "site") -> bool:
    """Build the site into a sibling of `site_dir` and swap it in; False if nothing had changed."""
    site_dir = Path(site_dir)
    stamp_file = _published_stamp(site_dir, cache_dir)
    key = _publish_key(docs_dir, config_file)
    if site_dir.is_dir() and stamp_file.exists():
        stamp = json.loads(stamp_file.read_text())
        if stamp["inputs"] == key and stamp["site"] == tree_digest(site_dir):
            return False
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f"{site_dir.name}.tmp-", dir=site_dir.parent))
    fresh.chmod(0o755)  # mkdtemp makes it owner-only; the site must stay readable by a web server
    previous = site_dir.with_name(f"{fresh.name}-previous")
    try:
        run_mkdocs(docs_dir, fresh, config_file)
        if site_dir.exists():
            site_dir.rename(previous)
        fresh.rename(site_dir)  # the only moment build/ is absent is between these two renames
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(json.dumps({"inputs": key, "site": tree_digest(site_dir)}))
    return True


def generate(docs_dir: Path = DOCS_DIR, data_dir: Path | None = None,
             steps: tuple[str, ...] = BUILD_STEPS) -> None:
    """Every build step into `docs_dir` (the last renders the pages)."""
    run_steps(BuildContext(docs_dir=Path(docs_dir), data_dir=data_dir), steps)


def build(site_dir: Path = BUILD_DIR, docs_dir: Path = DOCS_DIR, data_dir: Path | None = None,
          steps: tuple[str, ...] = BUILD_STEPS, config_file: Path = CONFIG_FILE,
          cache_dir: Path = CACHE_DIR / "site") -> None:
    """The whole site from the committed models: steps, pages, then MkDocs; prints what it did."""
    started = time.monotonic()
    generate(docs_dir, data_dir, steps)
    mkdocs_started = time.monotonic()
    changed = publish(docs_dir, site_dir, config_file, cache_dir)
    took = time.monotonic() - mkdocs_started
    state = f"built in {took:.1f} s" if changed else "unchanged, kept"
    print(f"[site] {shown_path(Path(site_dir))}/ {state}; total {time.monotonic() - started:.1f} s", flush=True)
