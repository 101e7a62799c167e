"""face-api (npm @vladmandic/face-api, pinned in package-lock.json) for the site: the tiny face detector's and
the tiny 68-point landmark model's weights, and the library bound to the TF.js the site already vendors.

The package's `face-api.esm-nobundle.js` imports TF.js by bare module names, which a browser cannot resolve
without a bundler. The build writes a copy whose three TF.js imports read the page's TF.js (`globalThis.tf`,
loaded before it) instead, so detector and classifiers share one TF.js and its wasm backend.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from gen.config import ROOT

PACKAGE = "@vladmandic/face-api"
LIBRARY = f"{PACKAGE}/dist/face-api.esm-nobundle.js"
WEIGHTS = tuple(f"{PACKAGE}/model/{stem}{suffix}"
                for stem in ("tiny_face_detector_model", "face_landmark_68_tiny_model")
                for suffix in ("-weights_manifest.json", ".bin"))
IMPORT = re.compile(r'import\*as (\w+) from"(@tensorflow/[\w-]+)/dist/index\.js";')
CACHE = ROOT / ".cache" / "vendor"


class VendorError(RuntimeError):
    """node_modules lacks face-api, or its build is not the one this patch was written for."""


def bound_library(source: str) -> str:
    """The library with its TF.js imports replaced by the page's TF.js: '@tensorflow/tfjs' is globalThis.tf,
    the backend packages are empty (the page registers its own backends)."""
    found = IMPORT.findall(source)
    if sorted(package for _, package in found) != ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm",
                                                    "@tensorflow/tfjs-backend-webgl"]:
        raise VendorError(f"{LIBRARY}: expected its three TF.js imports, found {found}; "
                          "was the face-api version in package.json changed? (`npm ci`)")
    names = ",".join(f"{name}={'globalThis.tf' if package == '@tensorflow/tfjs' else '{}'}" for name, package in found)
    body = IMPORT.sub("", source)
    return f"var {names};\n{body}"


def face_api_files(node_modules: Path, cache: Path = CACHE) -> dict[str, Path]:
    """{path under docs/vendor/: file} for face-api: the bound library (written under .cache/vendor/, by content
    hash) and the two models' weights, as they are in the npm package."""
    library = Path(node_modules) / LIBRARY
    if not library.exists():
        raise VendorError(f"node_modules has no {LIBRARY}: run `npm ci` (or `make node`)")
    text = bound_library(library.read_text())
    target = Path(cache) / f"face-api-{hashlib.sha256(text.encode()).hexdigest()[:12]}.esm.js"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    files = {"face-api/face-api.esm.js": target}
    for weight in WEIGHTS:
        path = Path(node_modules) / weight
        if not path.exists():
            raise VendorError(f"node_modules has no {weight}: run `npm ci`")
        files[f"face-api/model/{path.name}"] = path
    return files
