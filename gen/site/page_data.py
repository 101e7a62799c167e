"""Build step: what the Try-it page reads besides the models, published next to them in docs/models/.

Adds to the index that `gen.site.publish` wrote: the compared race pair, each model's
`balanced_class_weights` and `embedding_layer` (from its metadata.json), and the page's data files:
the landmark template (models/analysis/face_template.json), the "unusual" calibration
(models/analysis/unusual.json, only while it matches the committed model) and the colour-map tables.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from gen.config import MODELS_DIR
from gen.pipeline import BuildContext
from gen.site.context import SiteError

TEMPLATE = "face_template.json"
UNUSUAL = "unusual.json"
COLORMAPS = "colormaps.json"


def publish_page_data(docs_dir: Path, models_dir: Path = MODELS_DIR) -> dict | None:
    from gen.analysis.unusual import is_stale, unusual_path
    from gen.models.registry import RACE_PAIR
    from gen.site.colours import colormap_tables

    out = Path(docs_dir) / "models"
    index_path = out / "index.json"
    if not index_path.exists():
        return None  # no published models: gen.site.publish has said so
    index = json.loads(index_path.read_text())
    for name, info in index["models"].items():
        metadata = json.loads((Path(models_dir) / name / "metadata.json").read_text())
        info["balanced_class_weights"] = bool(metadata.get("balanced_class_weights", False))
        info["embedding_layer"] = metadata.get("embedding_layer")
    template = Path(models_dir) / "analysis" / TEMPLATE
    if not template.exists():
        raise SiteError(f"{template} is missing: `python -m gen face-template` measures it on the training faces")
    shutil.copyfile(template, out / TEMPLATE)
    files = {"template": TEMPLATE, "colormaps": COLORMAPS}
    (out / COLORMAPS).write_text(json.dumps(colormap_tables(), separators=(",", ":")) + "\n")
    source = unusual_path(models_dir)
    if is_stale(models_dir):
        print(f"[page] {source} is missing or was computed from another model: the page shows no 'unusual' "
              "caution until `python -m gen unusual` (needs the dataset) recomputes it", file=sys.stderr)
        (out / UNUSUAL).unlink(missing_ok=True)
    else:
        shutil.copyfile(source, out / UNUSUAL)
        files["unusual"] = UNUSUAL
    index["pairs"] = {"race": [name for name in RACE_PAIR if name in index["models"]]}
    index["page"] = files
    index_path.write_text(json.dumps(index, indent=1) + "\n")
    return index


def run(ctx: BuildContext) -> None:
    if publish_page_data(ctx.docs_dir) is not None:
        print("[page] face template, colour maps and calibration published for the Try-it page", flush=True)
