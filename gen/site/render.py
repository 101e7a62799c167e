"""Render the article's Markdown+Jinja pages into the MkDocs docs folder and vendor the browser libraries.

The last build step: it reads what every earlier step wrote (docs/generated/<area>/*.json) plus the
committed models, so a page shows exactly the measured numbers. StrictUndefined and `Record` make a
missing number a build error naming the page and the file to produce, never an empty cell.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jinja2
import yaml

from gen.config import ROOT, SITE_SRC
from gen.face.vendor import VendorError, face_api_files
from gen.pipeline import BuildContext
from gen.site.context import FILTERS, MissingDataError, SiteError, build_context, shown_path
from gen.site.source import sync_archive

CONFIG_FILE = ROOT / "mkdocs.yml"
NODE_MODULES = ROOT / "node_modules"

# What the site loads from npm packages, copied into docs/vendor/ (the built site never uses a CDN).
# (MathJax is not among them: formulas are drawn as SVG at build time, gen/site/formulas.py.)
VENDOR_FILES: dict[str, tuple[str, ...]] = {
    "tfjs": ("@tensorflow/tfjs/dist/tf.min.js",),
    "tfjs-backend-wasm": ("@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
                          "@tensorflow/tfjs-backend-wasm/dist/*.wasm"),
}


def nav_pages(config_file: Path = CONFIG_FILE) -> list[str]:
    """The Markdown files named in mkdocs.yml's nav, in order."""
    def walk(items: Any) -> list[str]:
        found: list[str] = []
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict):
                for value in item.values():
                    found += walk(value)
            elif isinstance(item, str) and item.endswith(".md"):
                found.append(item)
        return found
    return walk(yaml.safe_load(Path(config_file).read_text()).get("nav", []))


def page_sources(site_src: Path = SITE_SRC) -> dict[str, Path]:
    """{output file name: source} for site_src/pages/*.md; names starting with '_' are partials."""
    return {p.name: p for p in sorted((Path(site_src) / "pages").glob("*.md")) if not p.name.startswith("_")}


def check_pages_match_nav(sources: dict[str, Path], nav: list[str], site_src: Path) -> None:
    """Every nav entry needs a page source and every page a nav entry, so no page is lost or dangling."""
    missing = [name for name in nav if name not in sources]
    unlisted = [name for name in sources if name not in nav]
    pages = Path(site_src) / "pages"
    problems = [f"{shown_path(pages / name)} is missing (listed in mkdocs.yml nav)" for name in missing]
    problems += [f"{shown_path(sources[name])} is not listed in mkdocs.yml nav" for name in unlisted]
    if problems:
        raise SiteError("; ".join(problems))


def make_environment(site_src: Path = SITE_SRC) -> jinja2.Environment:
    """Jinja for Markdown: no HTML escaping, undefined values fail, partials from site_src/pages/_*.md."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(site_src) / "pages"),
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                     autoescape=False)
    environment.filters.update(FILTERS)
    return environment


def render_page(environment: jinja2.Environment, name: str, context: dict[str, Any], source: Path) -> str:
    """One page's Markdown; errors name the page, the line and the missing file or key."""
    try:
        return environment.get_template(name).render(context)
    except (MissingDataError, jinja2.TemplateError, TypeError, ValueError) as error:
        line = getattr(error, "lineno", None) or _template_line(error, str(source))
        where = f"{shown_path(source)}:{line}" if line else shown_path(source)
        raise SiteError(f"{where}: {error}") from error


def _template_line(error: BaseException, filename: str) -> int | None:
    """The page line that was running when `error` was raised (Jinja rewrites tracebacks to template lines)."""
    traceback, line = error.__traceback__, None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == filename:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def write_if_changed(path: Path, text: str) -> bool:
    """Write only when the content differs, so unchanged pages keep their timestamps (and caches hold)."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def sync_files(files: dict[str, Path], target: Path) -> None:
    """Make `target` hold exactly `files` ({relative name: source}); copy only what changed."""
    target = Path(target)
    for name, source in files.items():
        destination = target / name
        stat = source.stat()
        if destination.exists():
            existing = destination.stat()
            if existing.st_size == stat.st_size and int(existing.st_mtime) == int(stat.st_mtime):
                continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            if path.is_file() and str(path.relative_to(target)) not in files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        if not any(target.iterdir()):
            target.rmdir()


def vendor_files(node_modules: Path = NODE_MODULES) -> dict[str, Path]:
    """{path under docs/vendor/: file in node_modules} for every browser library file the site uses."""
    if not (Path(node_modules) / "@tensorflow").is_dir():
        raise SiteError(f"{shown_path(node_modules)} lacks the browser libraries: run `npm ci` (or `make node`)")
    files: dict[str, Path] = {}
    for folder, patterns in VENDOR_FILES.items():
        for pattern in patterns:
            matches = sorted(Path(node_modules).glob(pattern))
            if not matches:
                raise SiteError(f"node_modules has no {pattern}: run `npm ci`")
            files.update({f"{folder}/{path.name}": path for path in matches})
    try:  # the face detector of the Try-it page, bound to the vendored TF.js (gen/face/vendor.py)
        files.update(face_api_files(node_modules))
    except VendorError as error:
        raise SiteError(str(error)) from None
    return files


def render_site(docs_dir: Path, site_src: Path = SITE_SRC, config_file: Path = CONFIG_FILE,
                context: dict[str, Any] | None = None, node_modules: Path = NODE_MODULES) -> list[str]:
    """Render every page into `docs_dir`, mirror site_src/assets and the vendored libraries; returns pages."""
    docs_dir = Path(docs_dir)
    sources = page_sources(site_src)
    check_pages_match_nav(sources, nav_pages(config_file), site_src)
    context = build_context(docs_dir, site_src=site_src) if context is None else context
    environment = make_environment(site_src)
    rendered = {name: render_page(environment, name, context, source) for name, source in sources.items()}
    docs_dir.mkdir(parents=True, exist_ok=True)
    for stale in docs_dir.glob("*.md"):
        if stale.name not in rendered:
            stale.unlink()
    changed = [name for name, text in rendered.items() if write_if_changed(docs_dir / name, text)]
    assets = Path(site_src) / "assets"
    sync_files({str(p.relative_to(assets)): p for p in assets.rglob("*") if p.is_file()}, docs_dir / "assets")
    sync_files(vendor_files(node_modules), docs_dir / "vendor")
    sync_archive(docs_dir, context["config"]["source_url"])
    return changed


def run(ctx: BuildContext) -> None:
    """Build step: pages, assets and vendored libraries into ctx.docs_dir."""
    changed = render_site(ctx.docs_dir)
    print(f"[site] rendered pages ({len(changed)} changed)", flush=True)
