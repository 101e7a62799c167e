"""The page's own face pipeline (site_src/assets/demo/face.js with face-api), run in headless Chromium.

Python uses it where the landmarks must come from exactly the model the page runs: measuring the
template on training faces (`python -m gen face-template`), aligning validation faces as the page does (the
template's scale search, the "unusual" threshold) and aligning a maintainer's uncropped photo
(`python -m gen samples add --align`). Needs Debian's /usr/bin/chromium (Playwright drives it) and
node_modules (`npm ci`).
"""
from __future__ import annotations

import base64
import functools
import http.server
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from gen.config import ROOT, SITE_SRC

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
HARNESS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>faces</title></head><body>
<script type="module">
import { loadFaceApi, startTf } from './assets/demo/load.js';
import { detectFaces, refineAlignment } from './assets/demo/face.js';
import { decodeImage } from './assets/demo/image.js';
window.ready = (async () => { await startTf(null); window.faceapi = await loadFaceApi(); return true; })();
window.findFaces = async ([b64, template, refine]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const source = await decodeImage(new Blob([bytes]), 1);
  const faces = await detectFaces(window.faceapi, source, template);
  if (refine) {
    for (const face of faces) {
      face.landmarks5 = (await refineAlignment(window.faceapi, source, face, template)).landmarks5;
    }
  }
  return { width: source.width, height: source.height, faces };
};
</script></body></html>"""


class FaceFinderError(RuntimeError):
    """Chromium or the vendored libraries are missing; the message says what to install."""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".js": "text/javascript", ".mjs": "text/javascript"}

    def log_message(self, *args) -> None:  # requests are not news
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _lay_out(folder: Path) -> None:
    from gen.site.render import NODE_MODULES, vendor_files
    for name, source in vendor_files(NODE_MODULES).items():
        if name.startswith(("tfjs", "face-api")):
            (folder / "vendor" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / "vendor" / name)
    shutil.copytree(SITE_SRC / "assets" / "demo", folder / "assets" / "demo")
    (folder / "index.html").write_text(HARNESS)


class FaceFinder:
    """`with FaceFinder() as finder: finder.find(jpeg_bytes, template)` -> {width, height, faces}: every face
    (box, score, landmarks68, landmarks5; largest first) in the pixels of the decoded photo (EXIF applied;
    photos over 2048 px are shrunk to it, so compare `width` with the photo's own)."""

    def __enter__(self) -> FaceFinder:
        if not CHROMIUM.exists():
            raise FaceFinderError(f"{CHROMIUM} is missing: `make browser` (as root) installs Debian's chromium")
        from playwright.sync_api import sync_playwright
        self._stack = []
        scratch = ROOT / ".cache" if (ROOT / ".cache").is_dir() else None
        self._folder = Path(tempfile.mkdtemp(prefix="faces-", dir=scratch))
        _lay_out(self._folder)
        self._server = serve(self._folder)
        url = self._server.__enter__()
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        self.page = self._browser.new_page()
        errors: list[str] = []
        self.page.on("pageerror", lambda error: errors.append(str(error)))
        self.page.goto(url + "index.html")
        self.page.wait_for_function("window.ready !== undefined")
        self.page.evaluate("window.ready")
        if errors:
            raise FaceFinderError(f"the face pipeline did not start in Chromium: {errors}")
        return self

    def find(self, image: bytes, template: dict, refine: bool = False) -> dict:
        """`refine`: each face's five points from the page's second pass (face.js refineAlignment), which
        needs the measured template; the template measurement itself uses the first pass."""
        return self.page.evaluate("window.findFaces", [base64.b64encode(image).decode(), template, refine])

    def __exit__(self, *exc) -> None:
        self._browser.close()
        self._playwright.stop()
        self._server.__exit__(None, None, None)
        shutil.rmtree(self._folder, ignore_errors=True)


def page_landmarks(paths: list[Path], template: dict, label: str) -> list[tuple[Path, np.ndarray]]:
    """(path, five points) of the largest face in each photo where the page's pipeline finds one (detection,
    then the refining pass with `template`), in the photo's pixels; progress under `label` every 100 photos."""
    found, started = [], time.monotonic()
    with FaceFinder() as finder:
        for count, path in enumerate(paths, 1):
            faces = finder.find(Path(path).read_bytes(), template, refine=True)["faces"]
            if faces:
                found.append((path, np.asarray(faces[0]["landmarks5"])))
            if count % 100 == 0:
                print(f"[{label}] {count}/{len(paths)} faces, {time.monotonic() - started:.0f} s", flush=True)
    return found
