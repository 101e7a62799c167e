"""What the Try-it page reads besides the models: the race pair, the template, the "unusual" calibration
(only while it matches the committed model), the article's colour maps, and face-api bound to the site's TF.js."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colormaps

from gen.config import MODELS_DIR
from gen.face.vendor import VendorError, bound_library, face_api_files
from gen.models.registry import MODEL_SPECS
from gen.pipeline import BuildContext
from gen.refresh import RACE_PAIR
from gen.site import publish
from gen.site.context import SiteError
from gen.site.display import SIGNED_CMAP, UNSIGNED_CMAP
from gen.site.page_data import publish_page_files
from gen.site.render import NODE_MODULES


def _out(tmp_path: Path) -> Path:
    out = tmp_path / "docs" / "models"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _models_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    for name in MODEL_SPECS:
        (folder / name).mkdir(parents=True)
        for file in ("metadata.json", "model.keras"):
            shutil.copy2(MODELS_DIR / name / file, folder / name / file)
    shutil.copytree(MODELS_DIR / "analysis", folder / "analysis", ignore=shutil.ignore_patterns("prototypes*", "*.npz"))
    return folder


def test_the_index_gets_the_pair_the_page_files_and_metadata(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    publish.run(BuildContext(docs_dir=docs, data_dir=None), MODELS_DIR)
    index = json.loads((docs / "models" / "index.json").read_text())
    assert index["pairs"] == {"race": list(RACE_PAIR)}
    assert index["page"] == {"template": "face_template.json", "colormaps": "colormaps.json", "unusual": "unusual.json"}
    for file in index["page"].values():
        assert (docs / "models" / file).exists()
    assert index["models"]["age_weighted"]["balanced_class_weights"] is True
    assert index["models"]["age_base"]["balanced_class_weights"] is False
    assert {m["embedding_layer"] for m in index["models"].values()} == {"embedding"}
    assert set(index["models"]) == set(MODEL_SPECS)


def test_the_colour_tables_are_the_articles_matplotlib_maps(tmp_path: Path) -> None:
    out = _out(tmp_path)
    publish_page_files(out, MODELS_DIR)
    tables = json.loads((out / "colormaps.json").read_text())
    assert (tables["unsigned"], tables["signed"]) == (UNSIGNED_CMAP, SIGNED_CMAP)
    for name in (UNSIGNED_CMAP, SIGNED_CMAP):
        expected = np.round(colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255)
        assert np.array_equal(np.array(tables[name]), expected), name


def test_a_calibration_from_another_model_is_not_published(tmp_path: Path, capsys) -> None:
    models = _models_copy(tmp_path)
    out = _out(tmp_path)
    assert "unusual" in publish_page_files(out, models)
    calibration = json.loads((models / "analysis" / "unusual.json").read_text())
    (models / calibration["model"] / "model.keras").write_bytes(b"a retrained model")
    assert "unusual" not in publish_page_files(out, models)
    assert not (out / "unusual.json").exists()
    assert "python -m gen unusual" in capsys.readouterr().err


def test_a_missing_template_names_the_command(tmp_path: Path) -> None:
    models = _models_copy(tmp_path)
    (models / "analysis" / "face_template.json").unlink()
    with pytest.raises(SiteError, match="python -m gen face-template"):
        publish_page_files(_out(tmp_path), models)


def test_face_api_is_bound_to_the_sites_tfjs(tmp_path: Path) -> None:
    if not (NODE_MODULES / "@vladmandic" / "face-api").is_dir():
        pytest.skip("node_modules lacks face-api: run `npm ci`")
    files = face_api_files(NODE_MODULES, tmp_path)
    assert sorted(files) == ["face-api/face-api.esm.js",
                             "face-api/model/face_landmark_68_tiny_model-weights_manifest.json",
                             "face-api/model/face_landmark_68_tiny_model.bin",
                             "face-api/model/tiny_face_detector_model-weights_manifest.json",
                             "face-api/model/tiny_face_detector_model.bin"]
    text = files["face-api/face-api.esm.js"].read_text()
    assert text.startswith("var ") and "=globalThis.tf" in text.splitlines()[0]
    assert 'from"@tensorflow/' not in text
    with pytest.raises(VendorError, match="three TF.js imports"):
        bound_library('import*as x from"@tensorflow/tfjs/dist/index.js";')
