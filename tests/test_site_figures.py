"""The site's figures: drawn from the JSON, cached by content, redrawn only where an input changed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from gen.site.cache import make_figures
from gen.site.context import MissingDataError
from gen.site.figures import AREA, UNITS
from tests.site_fixtures import write_fixture_models

# The architecture table loads a saved Keras model; the shared site build covers it with the real models.
JSON_UNITS = tuple(unit for unit in UNITS if unit.name != "architecture")


def test_figures_are_drawn_then_cached_then_redrawn_only_where_inputs_changed(tmp_path: Path):
    models = write_fixture_models(tmp_path / "models")
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    assert make_figures(docs, models, cache, JSON_UNITS, AREA) == [unit.name for unit in JSON_UNITS]
    out = docs / "generated" / "site"
    for name in ("data_composition", "subsets", "training_curves", "race_groups", "other_groups",
                 "confusion_race", "confusion_other"):
        with Image.open(out / f"{name}.png") as image:
            assert image.width > 600 and image.height > 200, name
    assert make_figures(docs, models, cache, JSON_UNITS, AREA) == []

    metrics_file = models / "race_biased" / "metrics.json"
    metrics = json.loads(metrics_file.read_text())
    metrics["groups"]["race"]["Indian"].update(accuracy=0.1, ci_low=0.05, ci_high=0.15)
    metrics_file.write_text(json.dumps(metrics))
    assert sorted(make_figures(docs, models, cache, JSON_UNITS, AREA)) == ["confusion_race", "race_groups"]
    assert len(list(cache.glob("race_groups-*"))) == 1, "superseded cache entries are removed"


def test_missing_input_names_the_file_and_its_command(tmp_path: Path):
    models = write_fixture_models(tmp_path / "models")
    (models / "analysis" / "data_report.json").unlink()
    with pytest.raises(MissingDataError, match=r"analysis/data_report.json is missing .*python -m gen data-report"):
        make_figures(tmp_path / "docs", models, tmp_path / "cache", JSON_UNITS, AREA)
