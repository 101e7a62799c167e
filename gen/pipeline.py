"""The build pipeline: every step that turns committed models and site sources into `docs/`.

Each step is a function `run(ctx: BuildContext) -> None` named by dotted path, imported only when it
runs. A step must skip work whose inputs are unchanged (content hashes, see gen/hashing.py) and must
work without the dataset (ctx.data_dir is None) from what is committed under `models/`.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BuildContext:
    docs_dir: Path  # the MkDocs docs_dir being generated
    data_dir: Path | None  # UTKFace folder when present; steps that need it skip without it


# Order matters: later steps read what earlier ones wrote. Owners add their step here.
BUILD_STEPS: tuple[str, ...] = (
    "gen.refresh:run",  # with the dataset: retrain, re-evaluate, re-analyse whatever is out of date
    "gen.site.publish:run",  # TF.js models and the Try-it page's data into docs/models/ (before the render)
    "gen.site.figures:run",  # data and model figures for the site's own pages
    "gen.site.age_figures:run",  # age-range and prototype figures for pages 08 and 09
    "gen.site.heatmaps:run",  # curated-sample heatmaps and explanation figures for pages 04-07
    "gen.analysis.gradcam_check:run",  # Grad-CAM++ against Grad-CAM on the committed models, for page 04
    "gen.site.render:run",  # must stay last: pages read what every step above wrote
)


def run_steps(ctx: BuildContext, steps: tuple[str, ...] = BUILD_STEPS) -> None:
    for dotted in steps:
        started = time.monotonic()
        module_name, function_name = dotted.split(":")
        getattr(importlib.import_module(module_name), function_name)(ctx)
        print(f"[build] {dotted} done in {time.monotonic() - started:.1f} s", flush=True)
