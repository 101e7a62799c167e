"""The recorded model search: which input size, width and age target make the best shared trunk.

Each trial is the shared pretraining (gender + age over the whole training split, no race labels) for
the same short budget of epochs, scored on the validation split only (the test split is never read).
Trials are checkpointed like any training run and `models/analysis/search.json` is rewritten after each
one, so a stopped search continues where it was. The winner's settings become
`gen.models.train.RECIPE`, trained for longer.

    python -m gen search [--data-dir DIR]
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from gen.config import CACHE_DIR, MODELS_DIR
from gen.data.prepared import prepare_data
from gen.models.architecture import Trunk
from gen.models.keras import keras
from gen.models.predict import predict
from gen.models.train import Recipe, Schedule, pretrain

SEARCH_FILE = MODELS_DIR / "analysis" / "search.json"
TRIAL_SCHEDULE = Schedule(max_epochs=6, learning_rate=3e-3, patience=6)
# One lever changed at a time: width and input size from the first trial ("wide" costs about what 96 px
# costs, 2.2x the FLOPs), then the age target on the better of the two.
WIDE = Trunk(widths=(48, 96, 192), feature_width=384)
TRIALS = {
    "64px": Recipe(size=64),
    "64px-wide": Recipe(size=64, trunk=WIDE),
    "96px": Recipe(size=96),
    "64px-wide-dldl": Recipe(size=64, trunk=WIDE, age_sigma_years=3.0),
}


def selection_score(scores: dict) -> float:
    """What the search maximises: the mean of validation gender accuracy, age exact and age within one bin."""
    return float(np.mean([scores["gender_accuracy"], scores["age_exact"], scores["age_within_one"]]))


def validation_scores(model: keras.Model, pixels: np.ndarray, genders: np.ndarray, age_bins: np.ndarray) -> dict:
    outputs = predict(model, pixels)
    gender, age = outputs["gender"].argmax(1), outputs["age"].argmax(1)
    scores = {"gender_accuracy": float((gender == genders).mean()), "age_exact": float((age == age_bins).mean()),
              "age_within_one": float((np.abs(age - age_bins) <= 1).mean())}
    return {**scores, "selection_score": selection_score(scores)}


def run_search(data_dir: Path, out: Path = SEARCH_FILE, run_dir: Path = CACHE_DIR / "search") -> dict:
    record = json.loads(out.read_text()) if out.exists() else {}
    trials = record.get("trials", {})
    for name, recipe in TRIALS.items():
        recipe = replace(recipe, pretrain=TRIAL_SCHEDULE)
        if name in trials and trials[name]["recipe_key"] == recipe.key():
            continue
        data = prepare_data(data_dir, size=recipe.size)
        started = time.monotonic()
        path = pretrain(data, recipe, run_dir)
        model = keras.models.load_model(path, compile=False)
        val = data.split["val"]
        trials[name] = {
            "recipe": asdict(recipe), "recipe_key": recipe.key(), "parameters": int(model.count_params()),
            "validation": validation_scores(model, data.dataset.pixels[val], data.dataset.labels("gender")[val],
                                            data.dataset.labels("age")[val]),
            "train_seconds": json.loads((path.parent / "record.json").read_text())["seconds"],
            "wall_seconds": round(time.monotonic() - started, 1), "validation_faces": int(len(val)),
        }
        print(f"[search] {name}: {trials[name]['validation']}", flush=True)
        best = max(trials, key=lambda t: trials[t]["validation"]["selection_score"])
        record = {"what": "shared pretraining trials, same epochs each, scored on the validation split only",
                  "selection": selection_score.__doc__, "trial_epochs": TRIAL_SCHEDULE.max_epochs,
                  "trials": trials, "best": best}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1))
    return record
