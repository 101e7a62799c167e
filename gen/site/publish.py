"""Build step: bring the TF.js exports up to date and publish them, with the curated samples, the page's
data files (gen/site/page_data.py) and one page-facing index, into `docs/models/` (the "Try it" page
reads `index.json` first)."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from gen.config import CLOSE_CALL, MODELS_DIR, SITE_SRC
from gen.data.samples import read_samples
from gen.models.export import EXPORT_DIR, export_all, is_current, read_record
from gen.models.registry import RACE_PAIR, trained_models
from gen.pipeline import BuildContext
from gen.site.page_data import publish_page_files

CALIBRATION_FILE = "analysis/age_calibration.json"  # under models/, written by the age step; optional
INDEX_FILE = "index.json"  # docs/models/index.json: what the page reads first


def page_metadata(name: str, models_dir: Path = MODELS_DIR, calibration: dict | None = None) -> dict:
    """What the page needs to run and label one model: nothing the page shows is typed into its JS."""
    metadata = json.loads((models_dir / name / "metadata.json").read_text())
    record = read_record(models_dir / name) or {}
    return {
        "name": name,
        "task": metadata["task"],
        "labels": metadata["labels"],
        "input_size": metadata["input_size"],
        "feature_layer": metadata["feature_layer"],
        "training_subset": metadata.get("training_subset"),
        "balanced_class_weights": bool(metadata.get("balanced_class_weights", False)),
        "embedding_layer": metadata.get("embedding_layer"),
        "url": f"{name}/model.json",
        "quantisation": record.get("quantisation"),
        "test_accuracy": record.get("test_accuracy"),
        "calibration": (calibration or {}).get(name),
    }


def run(ctx: BuildContext, models_dir: Path = MODELS_DIR, site_src: Path = SITE_SRC) -> None:
    """Build step: bring exports up to date, copy them and the samples to docs/models/, write the page index."""
    stale = [n for n in trained_models(models_dir) if not is_current(models_dir / n)]
    if stale:
        export_all(ctx.data_dir, stale, models_dir)
    names = [n for n in trained_models(models_dir) if (models_dir / n / EXPORT_DIR / "model.json").exists()]
    if not names:
        print("[export] no TF.js models under models/: the try-it page will have nothing to load", file=sys.stderr)
        return
    calibration_path = models_dir / CALIBRATION_FILE
    calibration = json.loads(calibration_path.read_text()) if calibration_path.exists() else None
    out = ctx.docs_dir / "models"
    for name in names:
        shutil.rmtree(out / name, ignore_errors=True)
        shutil.copytree(models_dir / name / EXPORT_DIR, out / name)
    index = {"models": {name: page_metadata(name, models_dir, calibration) for name in names},
             "samples": publish_samples(out / "samples", site_src),
             "pairs": {"race": [name for name in RACE_PAIR if name in names]},
             "close_call": CLOSE_CALL,
             "page": publish_page_files(out, models_dir)}
    (out / INDEX_FILE).write_text(json.dumps(index, indent=1) + "\n")


def publish_samples(out: Path, site_src: Path = SITE_SRC) -> list[dict]:
    """Copy the curated sample JPEGs next to the models: the page fetches them while loading, with the
    models, so picking one later needs no request."""
    samples = read_samples(site_src / "samples")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for sample in samples:
        shutil.copy2(site_src / "samples" / sample["file"], out / sample["file"])
    return [{"id": s["id"], "file": f"{out.name}/{s['file']}", "labels": s["labels"]} for s in samples]
