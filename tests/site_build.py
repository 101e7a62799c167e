"""The one site build that the build-based tests share (tests/test_site_*.py and other areas' page tests).

Building takes seconds to minutes, so it happens once per test session, from the committed models into
a temporary folder; `build/` and `docs/` of the working tree are never touched. Import the fixtures:
`from tests.site_build import built_site, served_site`.
"""
from __future__ import annotations

import atexit
import functools
import gzip
import shutil
import tempfile
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gen.site.build import build
from gen.site.render import nav_pages


@dataclass(frozen=True)
class BuiltSite:
    """Where the shared build put the generated docs and the site, and the site's pages."""

    docs_dir: Path
    site_dir: Path

    def page_paths(self) -> dict[str, str]:
        """{nav page: its URL path under the site root}, e.g. '02-data.md' -> '02-data/'."""
        return {name: "" if name == "index.md" else f"{name.removesuffix('.md')}/" for name in nav_pages()}


@functools.cache
def _build_once() -> BuiltSite:
    root = Path(tempfile.mkdtemp(prefix="site-test-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    site = BuiltSite(docs_dir=root / "docs", site_dir=root / "site")
    build(site_dir=site.site_dir, docs_dir=site.docs_dir, data_dir=None, cache_dir=root / "publish-cache")
    return site


@pytest.fixture(scope="session")
def built_site() -> BuiltSite:
    """The site built from the committed models (once per session)."""
    return _build_once()


COMPRESSED = {".html", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt", ".wasm"}


class _QuietHandler(SimpleHTTPRequestHandler):
    """A static server like the ones a site is published on: text and wasm are sent gzip-compressed when
    the browser accepts it (as GitHub Pages, Netlify or nginx with gzip on do), so the bytes a browser
    transfers here are the bytes a reader transfers."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript"}

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if (path.suffix in COMPRESSED and path.is_file()
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output clean; failed requests are checked in the browser instead."""


@pytest.fixture(scope="session")
def served_site(built_site: BuiltSite):
    """The built site over HTTP on localhost (browsers refuse model fetches from file://); yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.site_dir))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module: closed after it, so later tests that start
    Playwright themselves (e.g. the face finder) do not find its event loop still running."""
    from playwright.sync_api import sync_playwright

    from gen.face.browser import CHROMIUM, CHROMIUM_ARGS
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
