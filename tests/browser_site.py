"""The try-it page under test: small trained models (until the real ones exist), a site folder, a server.

The page is served exactly as the build lays it out: docs/models/ from `gen.site.publish`, the page's
assets from site_src/assets/, TF.js and face-api from node_modules
(gen.site.render.vendor_files), and the page's HTML taken from site_src/pages/10-try-it.md. When the real
site has been built (build/ holds the page
and its models), that is what the tests load instead.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gen.config import IMAGE_SIZE, MODELS_DIR, SITE_SRC
from gen.face.browser import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: F401  (the tests use the same)
from gen.models.registry import MODEL_SPECS

PAGE = "10-try-it"
MARKERS = ("<!-- try-it:start -->", "<!-- try-it:end -->")


def train_small_models(models_dir: Path, names: tuple[str, ...] = tuple(MODEL_SPECS), steps: int = 3,
                       seed: int = 0) -> None:
    """Every published model's architecture, trained a few steps on random faces, saved like gen.models.train does.

    Real weights (not the initial ones) and moved BatchNorm statistics, so a wrong layer or a dropped
    weight in the export shows up as different probabilities.
    """
    from gen.models.architecture import EMBEDDING_LAYER, FEATURE_LAYER, build_classifier
    from gen.models.keras import keras

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (64, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
    for spec in (MODEL_SPECS[name] for name in names):
        model = build_classifier(len(spec.labels), IMAGE_SIZE, name=spec.name)
        model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
        model.fit(pixels, rng.integers(0, len(spec.labels), len(pixels)), batch_size=16, epochs=1,
                  steps_per_epoch=steps, verbose=0)
        folder = models_dir / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        model.save(folder / "model.keras")
        (folder / "metadata.json").write_text(json.dumps({
            "name": spec.name, "task": spec.task, "labels": list(spec.labels), "input_size": IMAGE_SIZE,
            "feature_layer": FEATURE_LAYER, "embedding_layer": EMBEDDING_LAYER, "training_subset": spec.subset}))
    template = MODELS_DIR / "analysis" / "face_template.json"  # measured on real faces, not on these models
    (models_dir / "analysis").mkdir(exist_ok=True)
    (models_dir / "analysis" / template.name).write_text(template.read_text())


def real_models_ready(models_dir: Path = MODELS_DIR) -> bool:
    """True when every published model has a committed, current TF.js export."""
    from gen.models.export import is_current

    return all((models_dir / n / "model.keras").exists() and is_current(models_dir / n) for n in MODEL_SPECS)


def page_html() -> str:
    """A standalone page with the try-it block of site_src/pages/10-try-it.md (no theme around it)."""
    source = (SITE_SRC / "pages" / f"{PAGE}.md").read_text()
    start, end = (source.index(marker) for marker in MARKERS)
    block = render_block(source[start + len(MARKERS[0]):end])
    return f"<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' " \
           f"content='width=device-width, initial-scale=1'><title>Try it</title></head><body>{block}</body></html>"


def render_block(block: str) -> str:
    """The block's Jinja filled in from the committed files, as the site render does."""
    from gen.config import DOCS_DIR
    from gen.site.context import build_context
    from gen.site.render import make_environment
    return make_environment().from_string(block).render(build_context(DOCS_DIR, MODELS_DIR))


def assemble_site(folder: Path, models_dir: Path) -> Path:
    """The page, its assets, vendored TF.js and the published models, laid out as in build/."""
    from gen.pipeline import BuildContext
    from gen.site.publish import run as publish
    from gen.site.render import sync_files, vendor_files

    publish(BuildContext(docs_dir=folder, data_dir=None), models_dir)
    assets = SITE_SRC / "assets"
    sync_files({str(p.relative_to(assets)): p for p in assets.rglob("*") if p.is_file()}, folder / "assets")
    sync_files({k: v for k, v in vendor_files().items() if k.startswith(("tfjs", "face-api"))}, folder / "vendor")
    (folder / PAGE).mkdir(parents=True, exist_ok=True)
    (folder / PAGE / "index.html").write_text(page_html())
    return folder



