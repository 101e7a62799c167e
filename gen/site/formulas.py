"""Formulas drawn at build time: every formula pymdownx.arithmatex marked becomes an inline SVG.

No page loads MathJax: the MkDocs hook (gen/site/mkdocs_hooks.py) finds every formula of every page
(`find`), converts them all at once (`convert`: one Node process per build, running gen/site/tex2svg.cjs
with the `mathjax` package from node_modules, offline) and puts each SVG in its formula's place
(`replace`). An SVG is cached under .cache/site/formulas/ by its TeX, its mode, the script and the MathJax
version, so a rebuild starts Node only for a formula it has not drawn before.

Each SVG has role="img" and the TeX source as its accessible name (aria-label); an inline one keeps
MathJax's vertical-align, a display one is centred in a block that scrolls sideways when the formula is
wider than the column (site_src/assets/stylesheets/extra.css), so a long formula is never cut off.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gen.config import CACHE_DIR, ROOT
from gen.hashing import file_digest, value_digest
from gen.site.cache import Store
from gen.site.context import SiteError, shown_path

SCRIPT = Path(__file__).with_name("tex2svg.cjs")
NODE_MODULES = ROOT / "node_modules"
CACHE = CACHE_DIR / "site" / "formulas"
# pymdownx.arithmatex in generic mode: inline `<span class="arithmatex">\(…\)</span>`, display (both
# `$$…$$` and `\[…\]`) `<div class="arithmatex">\[…\]</div>`, the TeX HTML-escaped.
ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">\\([(\[])(.*?)\\[)\]]</\1>', re.S)


class FormulaError(SiteError):
    """A formula MathJax cannot draw, or no Node/MathJax to draw with."""


@dataclass(frozen=True)
class Formula:
    tex: str
    display: bool


def _formula(match: re.Match) -> Formula:
    return Formula(html.unescape(match.group(3)).strip(), match.group(2) == "[")


def find(page_html: str) -> list[Formula]:
    """The formulas of one page's HTML, in order."""
    return [_formula(match) for match in ARITHMATEX.finditer(page_html)]


def _mathjax_version(node_modules: Path) -> str:
    package = Path(node_modules) / "mathjax" / "package.json"
    lacking = "node is not installed" if shutil.which("node") is None else (
        "" if package.is_file() else f"{shown_path(Path(node_modules))} lacks mathjax")
    if lacking:
        raise FormulaError(f"formulas are drawn at build time with Node and the npm package mathjax, but {lacking}: "
                           "run `make node`")
    return json.loads(package.read_text())["version"]


def convert(formulas: dict[Formula, list[str]], node_modules: Path = NODE_MODULES,
            cache_dir: Path = CACHE) -> dict[Formula, str]:
    """{formula: its SVG} for {formula: the pages it is on}; drawn formulas come from the cache.

    A formula MathJax cannot parse stops the build with its TeX, the pages it is on and MathJax's message."""
    if not formulas:
        return {}
    store = Store(Path(cache_dir))
    code = value_digest(file_digest(SCRIPT), _mathjax_version(node_modules))
    paths = {formula: store.path("svg", value_digest(code, formula.tex, formula.display), ".svg")
             for formula in formulas}
    missing = [formula for formula, path in paths.items() if not path.is_file()]
    if missing:
        for formula, result in zip(missing, _run_node(missing, node_modules)):
            if "error" in result:
                delimiters = ("\\[", "\\]") if formula.display else ("\\(", "\\)")
                raise FormulaError(f"{', '.join(formulas[formula])}: the formula {delimiters[0]}{formula.tex}"
                                   f"{delimiters[1]} cannot be drawn: {result['error']}")
            path = paths[formula]
            path.parent.mkdir(parents=True, exist_ok=True)
            scratch = path.with_suffix(".tmp")
            scratch.write_text(result["svg"])
            scratch.replace(path)
    return {formula: path.read_text() for formula, path in paths.items()}


def _run_node(formulas: list[Formula], node_modules: Path) -> list[dict[str, str]]:
    """One Node process draws every formula in `formulas`: a list of {"svg"} or {"error"}, in order."""
    request = json.dumps([{"tex": f.tex, "display": f.display} for f in formulas])
    result = subprocess.run(["node", str(SCRIPT)], input=request, capture_output=True, text=True,
                            env={**os.environ, "NODE_PATH": str(Path(node_modules).resolve())})
    if result.returncode != 0:
        raise FormulaError(f"drawing the formulas failed (gen/site/tex2svg.cjs): {result.stderr.strip()}; "
                           "if node_modules is incomplete, run `make node`")
    return json.loads(result.stdout)


def replace(page_html: str, svgs: dict[Formula, str]) -> str:
    """`page_html` with each formula's element holding its SVG, named by its TeX for screen readers."""
    def draw(match: re.Match) -> str:
        formula = _formula(match)
        svg = svgs[formula].replace("<svg ", f'<svg aria-label="{html.escape(formula.tex, quote=True)}" ', 1)
        return f'<{match.group(1)} class="arithmatex">{svg}</{match.group(1)}>'
    return ARITHMATEX.sub(draw, page_html)


def pages_of(found: Iterable[tuple[str, list[Formula]]]) -> dict[Formula, list[str]]:
    """{formula: the pages it is on} from (page, its formulas) pairs."""
    pages: dict[Formula, list[str]] = {}
    for page, formulas in found:
        for formula in formulas:
            if page not in pages.setdefault(formula, []):
                pages[formula].append(page)
    return pages
