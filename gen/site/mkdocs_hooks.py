"""MkDocs hooks (mkdocs.yml `hooks:`): what the theme would ship that no reader needs, and MathJax per page.

- MathJax (its config and the vendored component) is added only to pages that hold a formula
  (pymdownx.arithmatex marks them with class "arithmatex"); a page without math loads none of it.
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
from mkdocs.utils import get_relative_url
from PIL import Image

from gen.plotting import narrow_path
from gen.site.weight import unused_files

MATHJAX_SCRIPTS = ("assets/javascripts/mathjax-config.js", "vendor/mathjax/tex-mml-chtml.js")
MATH_MARKER = re.compile(r'class="arithmatex"')


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


def on_page_content(html: str, page, config, files) -> str:
    """Every picture in a page: lazy-loaded, with its size (no layout jump), and on a phone never shrunk
    below the scale at which its text stays readable. A chart with a phone variant (`<name>.narrow.<ext>`,
    gen/plotting.py) becomes a <picture> that gives phones that variant; a picture still too wide scrolls
    inside its own box."""
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
    return IMG.sub(rewrite, html)


def on_post_page(output: str, page, config) -> str:
    """Add the MathJax scripts before </body> on pages with math."""
    if not MATH_MARKER.search(output):
        return output
    tags = "".join(f'<script src="{get_relative_url(path, page.url)}"></script>' for path in MATHJAX_SCRIPTS)
    head, body_end, tail = output.rpartition("</body>")
    return f"{head}{tags}{body_end}{tail}" if body_end else output + tags


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
