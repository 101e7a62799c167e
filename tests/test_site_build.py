"""The built site (one shared build from the committed models): complete, self-contained, built atomically."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from gen.config import SITE_SRC
from gen.hashing import tree_digest
from gen.site.build import publish, run_mkdocs
from gen.site.context import SiteError
from gen.site.weight import site_bytes, unused_files
from tests.site_build import BuiltSite

# Attributes through which a browser fetches something when the page loads.
FETCHING = {"src", "srcset", "poster", "data"}
FETCHING_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "prefetch", "manifest", "apple-touch-icon"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
WEB_URL = re.compile(r"https?://[^\s'\"<>)]+")


class References(HTMLParser):
    """Every URL a page refers to, split into what the browser loads and what a reader may click."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.links: list[str] = []
        self.other: list[str] = []
        self.inline: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._in_code = tag in ("script", "style")
        for name, value in values.items():
            if (tag == "a" or (tag == "link" and "canonical" in values.get("rel", "").split())) and name == "href":
                self.links.append(value)  # followed by a reader or a crawler, never fetched by the page
            elif name in FETCHING or (tag == "link" and name == "href"
                                      and FETCHING_LINKS & set(values.get("rel", "").split())):
                self.loaded += [part.split()[0] for part in value.split(",")] if name == "srcset" else [value]
            elif "://" in value and not name.startswith("xmlns"):  # xmlns names a namespace, fetches nothing
                self.other.append(f"{tag}[{name}]={value}")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.inline.append(data)


def page_files(site: BuiltSite) -> list[Path]:
    return sorted(site.site_dir.rglob("*.html"))


def local_target(site: BuiltSite, page: Path, reference: str) -> Path:
    """The file a relative or root-relative reference from `page` points at."""
    page_url = "/" + str(page.relative_to(site.site_dir))
    path = unquote(urlparse(urljoin(page_url, reference)).path)
    target = site.site_dir / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def test_every_page_renders(built_site):
    for name, url in built_site.page_paths().items():
        html = built_site.site_dir / url / "index.html"
        assert html.exists(), f"{name} was not built"
        text = html.read_text()
        assert "<h1" in text, f"{name} has no title"
        assert "{{" not in text and "{%" not in text, f"{name} has unrendered template code"


def test_every_loaded_file_exists_and_is_local(built_site):
    missing, offsite = [], []
    for page in page_files(built_site):
        refs = References()
        refs.feed(page.read_text())
        for reference in refs.loaded:
            if reference.startswith("data:"):
                continue
            if urlparse(reference).scheme or reference.startswith("//"):
                offsite.append(f"{page.name}: {reference}")
            elif not local_target(built_site, page, reference).is_file():
                missing.append(f"{page.relative_to(built_site.site_dir)}: {reference}")
    assert offsite == [] and missing == []


def test_no_reference_to_another_host_except_reader_links(built_site):
    """HTML attributes and inline code, CSS url()/@import and the site's own scripts name no other host.

    Third-party minified libraries (Material, lunr, TF.js) mention URLs in licence comments and
    error messages; that they request nothing is checked in Chromium by test_site_browser.
    """
    found = []
    for page in page_files(built_site):
        refs = References()
        refs.feed(page.read_text())
        found += [f"{page.name}: {value}" for value in refs.other]
        found += [f"{page.name} inline: {url}" for code in refs.inline for url in WEB_URL.findall(code)]
    for css in built_site.site_dir.rglob("*.css"):
        for match in CSS_URL.finditer(css.read_text()):
            target = match.group(1) or match.group(2)
            if re.match(r"(https?:)?//", target.strip()):
                found.append(f"{css.name}: {target}")
    for script in (SITE_SRC / "assets").rglob("*.js"):
        built = built_site.site_dir / "assets" / script.relative_to(SITE_SRC / "assets")
        found += [f"{built.name}: {url}" for url in WEB_URL.findall(built.read_text())]
    assert found == []


def test_formulas_are_svg_drawn_at_build_time(built_site):
    """Every formula arithmatex marked holds an SVG named by its TeX; no page loads MathJax, none ships."""
    formula = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
    found = {}
    for page in page_files(built_site):
        text = page.read_text()
        assert not re.search(r"<(script|link)\b[^>]*mathjax", text, re.I), f"{page.name} loads MathJax"
        found[page] = [match.group(2) for match in formula.finditer(text)]
    drawn = [inner for inners in found.values() for inner in inners]
    assert len(drawn) > 10, "the check is not vacuous"
    assert all(re.match(r'<svg aria-label="[^"]+" [^>]*role="img"', inner) for inner in drawn)
    assert not any("\\(" in inner or "\\[" in inner for inner in drawn), "TeX left undrawn"
    assert not list(built_site.site_dir.rglob("*mathjax*"))


def test_failed_build_keeps_the_previous_site(built_site, tmp_path):
    docs, site = tmp_path / "docs", tmp_path / "site"
    shutil.copytree(built_site.docs_dir, docs)
    shutil.copytree(built_site.site_dir, site)
    before = tree_digest(site)
    (docs / "11-limits.md").write_text("# Limits\n\nSee [a page that does not exist](no-such-page.md).\n")
    with pytest.raises(SiteError, match="no-such-page.md"):
        publish(docs, site, cache_dir=tmp_path / "stamps")
    assert tree_digest(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs", "site"], "no half-built folder is left behind"


def test_publish_swaps_in_a_new_site_and_skips_an_unchanged_one(built_site, tmp_path):
    docs, site = tmp_path / "docs", tmp_path / "site"
    shutil.copytree(built_site.docs_dir, docs)
    shutil.copytree(built_site.site_dir, site)
    (docs / "01-why.md").write_text((docs / "01-why.md").read_text() + "\nA sentence added by a test.\n")
    assert publish(docs, site, cache_dir=tmp_path / "stamps") is True
    assert "A sentence added by a test." in (site / "01-why" / "index.html").read_text()
    assert site.stat().st_mode & 0o755 == 0o755, "the swapped-in site is readable by a web server"
    assert publish(docs, site, cache_dir=tmp_path / "stamps") is False


SITE_BUDGET = 12_000_000  # bytes, the whole built site


def test_every_shipped_file_is_used_and_the_site_fits_its_budget(built_site):
    assert unused_files(built_site.site_dir) == []
    assert not list(built_site.site_dir.rglob("*.map")), "no source maps"
    assert site_bytes(built_site.site_dir) <= SITE_BUDGET


def test_a_file_no_page_names_fails_the_build(built_site, tmp_path):
    """The check runs inside the build: an unused file stops it, naming the file, and the old site stays."""
    docs, site = tmp_path / "docs", tmp_path / "site"
    shutil.copytree(built_site.docs_dir, docs)
    shutil.copytree(built_site.site_dir, site)
    before = tree_digest(site)
    (docs / "generated" / "site" / "orphan.png").write_bytes(b"\x89PNG not shown anywhere")
    with pytest.raises(SiteError, match="orphan.png"):
        publish(docs, site, cache_dir=tmp_path / "stamps")
    assert tree_digest(site) == before


def test_used_files_follow_names_through_pages_styles_and_data(tmp_path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text('<link href="../a.css"><script src="../b.js"></script>')
    (tmp_path / "index.html").write_text('<a href="page/">page</a>')
    (tmp_path / "a.css").write_text("body { background: url(c.webp) }")
    (tmp_path / "b.js").write_text("fetch('data.json')")
    (tmp_path / "data.json").write_text('{"pictures": ["d.png"]}')
    for name in ("c.webp", "d.png", "e.png"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "b.js.map").write_text("{}")
    assert unused_files(tmp_path) == ["b.js.map", "e.png"]


def test_sitemap_lists_every_page_and_404_works_under_a_sub_path(built_site, tmp_path, monkeypatch):
    sitemap = (built_site.site_dir / "sitemap.xml").read_text()
    assert sitemap.count("<loc>") == len(built_site.page_paths())
    monkeypatch.setenv("SITE_URL", "https://example.org/some/sub-path/")
    run_mkdocs(built_site.docs_dir, tmp_path / "site")
    page = (tmp_path / "site" / "404.html").read_text()
    assets = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page)
    assert assets and all(a.startswith("/some/sub-path/") for a in assets), assets
    assert "<loc>https://example.org/some/sub-path/02-data/</loc>" in (tmp_path / "site" / "sitemap.xml").read_text()
