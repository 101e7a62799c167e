"""MkDocs hooks (mkdocs.yml `hooks:`): formulas drawn at build time, pictures sized for phones, and what the
theme would ship that no reader needs.

- Formulas (pymdownx.arithmatex marks them with class "arithmatex") are drawn as SVG at build time, all of
  the site's in one batch once every page's content is known (gen/site/formulas.py): no page loads MathJax.
- After the build: the theme's source maps are deleted, and so are its search-language files when the
  site's search language is English (lunr needs none for English); then any file no page reaches
  (gen/site/weight.py) fails the build, naming the files, so the last good build/ stays in place.
"""
from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path

from mkdocs.exceptions import PluginError
from PIL import Image

from gen.plotting import narrow_path
from gen.site import formulas
from gen.site.weight import unused_files

# This build's formulas: {page: its formulas} as pages are read, then {formula: SVG} once all are read.
FOUND: dict[str, list[formulas.Formula]] = {}
DRAWN: dict[formulas.Formula, str] = {}

IMG = re.compile(r'<img\b([^>]*?)\s*/?>')
PHONE_CONTENT = 350  # CSS px of text column on a 390 px phone
# On a phone a picture is shown no smaller than the scale at which its smallest text (8 pt in the charts and
# mosaics, at the dpi the picture records) is 11 CSS px; a wider picture scrolls in its box.
SMALLEST_TEXT_PT = 8
SMALLEST_TEXT_PX = 11
CHART_DPI = 144  # gen/plotting.py's savefig.dpi, for a picture that records none
PHONE_MEDIA = "(max-width: 44.9375em)"  # Material's phone-and-small-tablet breakpoint, as in extra.css


def _phone_width(path: Path) -> tuple[int, int, int]:
    """A picture's pixel size and the narrowest width (CSS px) at which its smallest text stays readable."""
    with Image.open(path) as picture:
        width, height = picture.size
        dpi = picture.info.get("dpi", (0, 0))[0] or picture.getexif().get(0x011A) or CHART_DPI
    return width, height, round(width * min(1.0, SMALLEST_TEXT_PX * 72 / (SMALLEST_TEXT_PT * float(dpi))))


def on_pre_build(config) -> None:
    FOUND.clear()
    DRAWN.clear()


def on_page_content(html: str, page, config, files) -> str:
    """Note the page's formulas (drawn in on_env). Every picture in a page: lazy-loaded, with its size (no
    layout jump), and on a phone never shrunk below the scale at which its text stays readable. A chart with
    a phone variant (`<name>.narrow.<ext>`, gen/plotting.py) becomes a <picture> that gives phones that
    variant; a picture still too wide scrolls inside its own box."""
    def rewrite(match: re.Match) -> str:
        attributes = match.group(1)
        source = re.search(r'src="([^"]+)"', attributes)
        if not source or "://" in source.group(1):
            return match.group(0)
        path = Path(config.docs_dir) / posixpath.normpath(posixpath.join(posixpath.dirname(page.url.rstrip("/")
                                                                                            + "/x"), source.group(1)))
        if not path.is_file():
            return match.group(0)
        width, height, phone_width = _phone_width(path)
        extra = "" if "loading=" in attributes else ' loading="lazy"'
        extra += "" if "decoding=" in attributes else ' decoding="async"'
        if "width=" not in attributes:
            extra += f' width="{width}" height="{height}"'
        narrow = narrow_path(path)
        phone = ""
        if narrow.is_file():
            narrow_width, narrow_height, phone_width = _phone_width(narrow)
            narrow_src = posixpath.join(posixpath.dirname(source.group(1)), narrow.name)
            phone = (f'<source media="{PHONE_MEDIA}" srcset="{narrow_src}" width="{narrow_width}" '
                     f'height="{narrow_height}">')
        style = f' style="--phone-width: {phone_width}px"' if phone_width > PHONE_CONTENT else ""
        picture = f"<img{attributes}{extra}{style}>"
        if phone:
            picture = f"<picture>{phone}{picture}</picture>"
        return f'<span class="figure-scroll">{picture}</span>' if style else picture
    FOUND[page.file.src_uri] = formulas.find(html)
    return IMG.sub(rewrite, html)


def on_env(env, config, files):
    """Every page's content is known: draw all the site's formulas in one batch."""
    try:
        DRAWN.update(formulas.convert(formulas.pages_of(FOUND.items())))
    except formulas.FormulaError as error:
        raise PluginError(str(error)) from None
    return env


def on_post_page(output: str, page, config) -> str:
    """Each formula's element holds its SVG."""
    return formulas.replace(output, DRAWN)


def _search_languages(config) -> list[str]:
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    if plugin is None:
        return []
    languages = plugin.config.get("lang") or [config.theme.get("language", "en")]
    return [languages] if isinstance(languages, str) else list(languages)


def on_post_build(config) -> None:
    site = Path(config.site_dir)
    for source_map in site.rglob("*.map"):
        source_map.unlink()
    lunr = site / "assets" / "javascripts" / "lunr"
    if lunr.is_dir() and set(_search_languages(config)) <= {"en"}:
        shutil.rmtree(lunr)
    unused = unused_files(site)
    if unused:
        shown = ", ".join(unused[:20]) + (f" and {len(unused) - 20} more" if len(unused) > 20 else "")
        raise PluginError(f"{len(unused)} files in the site are used by no page: {shown}. Stop generating or "
                          f"copying them (mkdocs.yml exclude_docs, gen/site/render.py), or reference them.")
