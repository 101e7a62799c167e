"""Adding a method is one new file plus one registry line, and every consumer then sees it."""
from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from gen.explain import registry
from tests.explain_helpers import planted_faces, trained_classifier
from tests.test_explain_precompute import CHEAPER, write_samples

TOY_METHOD = '''
"""Gradient x input: the input gradient of the score, times the pixels, summed over RGB."""
import numpy as np

from gen.explain.base import Explanation, Method, channel_sum, check_inputs, input_gradients


def gradient_times_input(model, images, targets=None, *, score="probability", layer=None):
    images, targets = check_inputs(model, images, targets)
    gradients, probabilities = input_gradients(model, images, targets, score)
    attributions = gradients * images
    return Explanation(maps=channel_sum(attributions), targets=targets, attributions=attributions,
                       probabilities=probabilities)


METHOD = Method("gradient_x_input", "Gradient × input", gradient_times_input, sources=(__file__,), signed=True)
'''


@pytest.fixture
def toy_registered(tmp_path: Path, monkeypatch):
    """The new file, imported as a module, and the one registry line (here a monkeypatched entry)."""
    path = tmp_path / "gradient_x_input.py"
    path.write_text(TOY_METHOD)
    spec = importlib.util.spec_from_file_location("gradient_x_input", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, parameters in CHEAPER.items():  # the other methods at cheaper settings: bookkeeping is under test
        monkeypatch.setitem(registry.METHODS, name, dataclasses.replace(registry.METHODS[name],
                                                                       site_parameters=parameters))
    monkeypatch.setitem(registry.METHODS, module.METHOD.name, module.METHOD)
    return module.METHOD


@pytest.mark.slow
def test_a_new_method_reaches_the_precompute_and_the_analyses(toy_registered, tmp_path: Path) -> None:
    from gen.analysis import explanations
    from gen.site.heatmaps import precompute
    from tests.test_explain_precompute import copy_figure_inputs, write_model

    models = tmp_path / "models"
    write_model(models / "race_fair", 1)
    copy_figure_inputs(models / "analysis")
    site_src, docs = tmp_path / "site_src", tmp_path / "docs"
    write_samples(site_src, 1)
    precompute(docs, models, site_src, tmp_path / "cache")
    index = json.loads((docs / "generated" / "explain" / "samples.json").read_text())
    assert index["methods"]["gradient_x_input"] == {"title": "Gradient × input", "signed": True, "parameters": {}}
    explained = index["samples"][0]["models"]["race_fair"]["explained"][0]
    assert (docs / explained["maps"]["gradient_x_input"]["overlay"]).is_file()

    model = trained_classifier(steps=5)
    images, labels = planted_faces(2, seed=11)
    assert "gradient_x_input" in explanations.faithfulness(model, images, labels)["methods"]
    assert "gradient_x_input" in explanations.sanity(model, images, labels)["methods"]
    maps = toy_registered(model, images, labels).maps
    assert maps.shape == images.shape[:3] and np.abs(maps).max() > 0
