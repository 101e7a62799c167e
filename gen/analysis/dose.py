"""`python -m gen dose`: how much bias does it take? The race model trained at several bias doses.

A dose d mixes the race shares of the training faces: d = 0 is the fair subset's equal shares, d = 1 the
biased subset's Census shares, and every dose has the same number of faces. Each (dose, seed) run
fine-tunes a race model from the same pretrained trunk as the published pair, with a different subset
draw and initialisation per seed, and is scored on the test split: recall per race (exact intervals),
macro recall, and how often it answers each race at all.

Written to models/analysis/dose.json (and dose_maps.npz: the class-average Grad-CAM of each dose's
first-seed model, for the article's slider). Each run is checkpointed under .cache/dose/, so a stopped
run continues where it stopped; finished runs are kept and never trained again.

The fine-tune is shorter than the published pair's (DOSE_SCHEDULE, 12 epochs instead of 30) so that
fifteen runs fit the compute budget of about 90 minutes on two cores; everything else is the recipe's.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from scipy.stats import t as student_t

from gen.analysis.explanations import peak_normalised_cams
from gen.config import CACHE_DIR, MODELS_DIR, RACES
from gen.data.prepared import PreparedData
from gen.data.subsets import dose_shares, draw_dose_subset
from gen.models.predict import predict
from gen.models.registry import RACE_PAIR  # the published pair, whose schedule the runs shorten
from gen.models.train import RECIPE, Recipe, Schedule, finetune, pretrain
from gen.stats import LEVEL, proportion

DOSES = (0.0, 0.25, 0.5, 0.75, 1.0)
SEEDS = (0, 1, 2)
DOSE_SCHEDULE = Schedule(max_epochs=12, learning_rate=1e-3, patience=4)
DOSE_FILE = MODELS_DIR / "analysis" / "dose.json"
MAPS_FILE = MODELS_DIR / "analysis" / "dose_maps.npz"
ABOUT = ("Race models fine-tuned from the shared pretrained trunk on training subsets of equal size whose race "
         "shares move from equal (dose 0) to US Census shares (dose 1); several seeds per dose (a different subset "
         "draw, head initialisation, shuffling and augmentation). Scored on the test split. Recall intervals: exact "
         "Clopper-Pearson per run; across seeds: a t interval of the mean. Maps: Grad-CAM of the race logit for each "
         "face's true race, normalised per face to peak 1, averaged per race, at the feature layer's resolution, "
         "from the first seed's model at each dose.")


def dose_key(data: PreparedData, recipe: Recipe = RECIPE) -> str:
    """What the dose results depend on: data, recipe, pretraining, doses, seeds and the dose schedule."""
    parts = [data.dataset.fingerprint, recipe.key(), list(DOSES), list(SEEDS), asdict(DOSE_SCHEDULE)]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


def score_run(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """Per-race recall with its exact interval, macro recall, and the share of answers given to each race."""
    answers = probabilities.argmax(axis=1)
    recall = {}
    for index, race in enumerate(RACES):
        hits = answers[labels == index] == index
        recall[race] = {**proportion(hits), "hits": int(hits.sum())}
    return {"recall": recall, "macro_recall": float(np.mean([r["value"] for r in recall.values()])),
            "accuracy": float((answers == labels).mean()),
            "answered": {race: int((answers == i).sum()) for i, race in enumerate(RACES)}}


def class_average_maps(model, pixels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(races, h, w): Grad-CAM of the race logit for each face's true race, peak-normalised, averaged per race."""
    maps = peak_normalised_cams(model, pixels, labels, score="logit")
    return np.stack([maps[labels == i].mean(axis=0) for i in range(len(RACES))]).astype(np.float32)


def seed_interval(values: list[float], level: float = LEVEL) -> dict:
    """Mean over seeds with a t interval (the seeds are the repeated experiment)."""
    values = np.asarray(values, float)
    mean = float(values.mean())
    if len(values) < 2:
        return {"mean": mean, "low": mean, "high": mean, "sd": 0.0, "seeds": len(values)}
    sd = float(values.std(ddof=1))
    half = float(student_t.ppf(1 - (1 - level) / 2, len(values) - 1)) * sd / np.sqrt(len(values))
    return {"mean": mean, "low": mean - half, "high": mean + half, "sd": sd, "seeds": len(values),
            "min": float(values.min()), "max": float(values.max())}


def first_fall(by_dose: list[dict], race: str) -> float | None:
    """The lowest dose whose mean recall for `race` lies below the balanced (dose 0) interval, or None."""
    floor = by_dose[0]["recall"][race]["low"]
    return next((row["dose"] for row in by_dose[1:] if row["recall"][race]["mean"] < floor), None)


def summarise(runs: list[dict]) -> list[dict]:
    """Per dose: the mean and interval across seeds of each race's recall and of macro recall."""
    rows = []
    for dose in DOSES:
        mine = [r for r in runs if r["dose"] == dose]
        rows.append({
            "dose": dose, "runs": len(mine),
            "recall": {race: seed_interval([r["recall"][race]["value"] for r in mine]) for race in RACES},
            "macro_recall": seed_interval([r["macro_recall"] for r in mine]),
            "never_answers": {race: sum(r["answered"][race] == 0 for r in mine) for race in RACES},
        })
    return rows


def run_dose(data: PreparedData, recipe: Recipe = RECIPE, out_file: Path = DOSE_FILE, maps_file: Path = MAPS_FILE,
             run_dir: Path = CACHE_DIR) -> dict:
    """Train (or resume) every (dose, seed) run, score it and write dose.json and dose_maps.npz."""
    started = time.monotonic()
    key = dose_key(data, recipe)
    pretrained = pretrain(data, recipe, run_dir)
    train, test = data.split["train"], data.split["test"]
    train_races = data.dataset.labels("race")[train]
    test_labels, test_pixels = data.dataset.labels("race")[test], data.dataset.pixels[test]
    total = len(data.subsets["fair"])  # the published pair's size
    runs, maps = [], {}
    plan = [(dose, seed) for seed in SEEDS for dose in DOSES]  # one seed across all doses first: a curve early
    for number, (dose, seed) in enumerate(plan, start=1):
        folder = run_dir / "dose" / key / f"dose{dose:.2f}-seed{seed}"
        result_file = folder / "result.json"
        if result_file.exists():
            result = json.loads(result_file.read_text())
        else:
            subset = train[draw_dose_subset(train_races, dose, total, seed)]
            model, record = finetune(data, "race", subset, pretrained, DOSE_SCHEDULE, f"dose{dose:.2f}-s{seed}",
                                     folder / "checkpoint", recipe, seed=1000 * (seed + 1))
            result = {"dose": dose, "seed": seed,
                      "training_faces": {race: int((data.dataset.labels("race")[subset] == i).sum())
                                         for i, race in enumerate(RACES)},
                      "epochs_run": record["epochs_run"], "best_epoch": record["best_epoch"],
                      "seconds": record["seconds"],
                      **score_run(predict(model, test_pixels), test_labels)}
            if seed == SEEDS[0]:
                np.save(folder / "maps.npy", class_average_maps(model, test_pixels, test_labels))
            result_file.write_text(json.dumps(result, indent=1))
        if seed == SEEDS[0]:
            maps[f"{dose:.2f}"] = np.load(folder / "maps.npy")
        runs.append(result)
        elapsed = time.monotonic() - started
        print(f"[dose] {number}/{len(plan)} runs (dose {dose:.2f}, seed {seed}): macro recall "
              f"{result['macro_recall']:.3f}; {elapsed / 60:.1f} min so far", flush=True)
    by_dose = summarise(runs)
    result = {
        "about": ABOUT, "key": key, "data_hash": data.dataset.fingerprint, "doses": list(DOSES), "seeds": list(SEEDS),
        "schedule": asdict(DOSE_SCHEDULE), "published_schedule": asdict(recipe.finetune[RACE_PAIR[0]]),
        "shares": {f"{d:.2f}": dose_shares(d) for d in DOSES}, "faces_per_run": total, "level": LEVEL,
        "runs": sorted(runs, key=lambda r: (r["dose"], r["seed"])), "by_dose": by_dose,
        "first_fall": {race: first_fall(by_dose, race) for race in RACES},
        "train_minutes": round(sum(r["seconds"] for r in runs) / 60, 1),
    }
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    np.savez_compressed(maps_file, **maps)
    print(f"[dose] wrote {out_file} and {maps_file} ({result['train_minutes']} min of training)", flush=True)
    return result


def is_stale(data: PreparedData, out_file: Path = DOSE_FILE) -> bool:
    """True when dose.json is missing or was computed for other data, recipe, doses or seeds."""
    return not out_file.exists() or json.loads(out_file.read_text()).get("key") != dose_key(data)
