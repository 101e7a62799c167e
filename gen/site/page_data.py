"""What the Try-it page reads besides the models, published next to them in docs/models/ by
`gen.site.publish`: the landmark template (models/analysis/face_template.json), the "unusual"
calibration (models/analysis/unusual.json, only while it matches the committed model) and the
colour-map tables.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from gen.analysis.unusual import is_stale, unusual_path
from gen.config import MODELS_DIR
from gen.site.colours import colormap_tables
from gen.site.context import SiteError

TEMPLATE = "face_template.json"
UNUSUAL = "unusual.json"
COLORMAPS = "colormaps.json"


def publish_page_files(out: Path, models_dir: Path = MODELS_DIR) -> dict[str, str]:
    """Copy or write the page's data files into `out`; returns {role: file name} for the index."""
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
    return files
