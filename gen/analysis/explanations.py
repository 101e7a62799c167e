"""`python -m gen explain --analysis`: how far the explanations can be trusted, and what they show on average.

Needs the dataset (test split); writes committed data under models/analysis/ so the site builds
without it:
- explain_faithfulness.json: deletion and insertion curves and their AUC (the RISE protocol,
  Petsiuk et al., 2018) per model and method on a fixed set of test faces, against random maps.
  Deletion blacks out the most important pixels first (a faithful map makes the probability fall
  fast: low AUC); insertion paints them onto a blurred face (faithful: rises fast, high AUC).
- explain_sanity.json: model-parameter randomisation (Adebayo et al., 2018), cascading from the top
  layer: Spearman rank correlation between each method's maps on the trained model and on the
  progressively randomised one. A method whose maps stay alike is flagged: it shows the image, not
  the model.
- explain_completeness.json: |delta| / |F(x) - F(baseline)| of Integrated Gradients per rule and
  number of steps, and the fewest steps whose median is <= 1%.
- explain_aggregates.json + explain_mean_faces.npz: mean normalised Grad-CAM over every test face
  per race and per age bin, per model, and the fair - biased difference (UTKFace crops are aligned,
  so the same place in the map is the same part of the face).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.stats import spearmanr
from tqdm import tqdm

from gen.config import AGE_BINS, MODELS_DIR, RACES, SEED
from gen.data.prepared import PreparedData
from gen.explain.base import Method, predict
from gen.explain.gradcam import grad_cam
from gen.explain.integrated_gradients import integrated_gradients
from gen.explain.registry import METHODS
from gen.models.keras import keras, load_trained
from gen.models.registry import RACE_PAIR, model_digests, trained_models
from gen.stats import paired_bootstrap

ANALYSIS_DIR = MODELS_DIR / "analysis"
FACES_PER_RACE = 60  # 300 fixed test faces for faithfulness; completeness and sanity use the first of them
CURVE_STEPS = 16  # deletion / insertion curve points (plus the start)
SANITY_FACES = 16
SANITY_FLAG = 0.5  # mean rank correlation after full randomisation at or above this: maps ignore the model
COMPLETENESS_FACES = 20  # the first 4 fixed faces of each race: enough for a median, affordable at 256 steps
COMPLETENESS_STEPS = (16, 32, 64, 128, 256)
COMPLETENESS_SETTINGS = (("blurred", "trapezoid"), ("blurred", "gauss-legendre"), ("black", "gauss-legendre"))
COMPLETENESS_GOAL = 0.01
BLUR_SIGMA = 5.0
ABOUT = {
    "faithfulness": "RISE deletion (black) and insertion (onto a blurred face) curves: probability of the model's "
                    "own predicted class as the pixels a map ranks highest are removed / added, mean over the faces; "
                    "AUC over the fraction of pixels changed. Random maps are the baseline.",
    "sanity": "Cascading model-parameter randomisation from the top layer: mean Spearman rank correlation of |map| "
              "between the trained model and the model with the layers up to each step re-initialised.",
    "completeness": "Integrated Gradients completeness: "
                    "|sum(attributions) - (F(x) - F(baseline))| / |F(x) - F(baseline)| "
                    "over the faces, per baseline, quadrature rule and number of steps.",
    "aggregates": "Mean per-face-normalised Grad-CAM (target-layer resolution) over every test face, explaining each "
                  "model's own prediction, per race and per age bin; difference = race_fair - race_biased.",
}


def fixed_faces(data: PreparedData, per_race: int = FACES_PER_RACE, seed: int = SEED) -> np.ndarray:
    """Dataset indices of `per_race` test faces of each race, drawn once with the project seed."""
    rng = np.random.default_rng(seed)
    test = data.split["test"]
    races = data.dataset.labels("race")[test]
    return np.concatenate([rng.choice(test[races == r], per_race, replace=False) for r in range(len(RACES))])


def _ranks(maps: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per map, each pixel's rank (0 = most important); ties broken at random, not by position."""
    flat = maps.reshape(len(maps), -1)
    order = np.lexsort((rng.random(flat.shape), -flat), axis=-1)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(flat.shape[1])[None].repeat(len(flat), 0), axis=-1)
    return ranks.reshape(maps.shape)


def deletion_insertion(model: keras.Model, images: np.ndarray, targets: np.ndarray, maps: np.ndarray,
                       steps: int = CURVE_STEPS, seed: int = SEED) -> dict[str, np.ndarray]:
    """Mean deletion and insertion curves over the faces (probability of the target per step) and AUCs."""
    ranks = _ranks(maps, np.random.default_rng(seed))
    pixels = ranks[0].size
    thresholds = np.round(np.linspace(0, pixels, steps + 1)).astype(int)
    removed = ranks[:, None] < thresholds[None, :, None, None]  # (n, steps+1, H, W)
    blurred = gaussian_filter(images, sigma=(0, BLUR_SIGMA, BLUR_SIGMA, 0), mode="nearest")
    curves = {}
    for name, start, end in (("deletion", images, np.zeros_like(images)), ("insertion", blurred, images)):
        stack = np.where(removed[..., None], end[:, None], start[:, None]).reshape(-1, *images.shape[1:])
        probability = predict(model, stack)[np.arange(len(stack)), np.repeat(targets, steps + 1)]
        curves[name] = probability.reshape(len(images), steps + 1)
    fractions = thresholds / pixels
    return {"fractions": fractions,
            **{f"{k}_curve": v.mean(axis=0) for k, v in curves.items()},
            **{f"{k}_auc": np.trapz(v, fractions, axis=1) for k, v in curves.items()}}


def faithfulness(model: keras.Model, images: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """RISE deletion / insertion per method (site parameters) and for random maps, with each method's
    per-face AUCs compared to the random maps' on the same faces (paired bootstrap).

    A method passes a test when its paired interval excludes zero on the faithful side: lower deletion
    AUC than the random maps (the probability falls faster), higher insertion AUC (it rises faster)."""
    rng = np.random.default_rng(SEED)
    maps = {name: method(model, images, targets).maps for name, method in METHODS.items()}
    maps["random"] = rng.random(images.shape[:3]).astype(np.float32)
    results = {method: deletion_insertion(model, images, targets, values) for method, values in maps.items()}
    out = {}
    for method, result in results.items():
        out[method] = {"deletion_auc": float(result["deletion_auc"].mean()),
                       "insertion_auc": float(result["insertion_auc"].mean()),
                       "deletion_auc_sd": float(result["deletion_auc"].std()),
                       "insertion_auc_sd": float(result["insertion_auc"].std()),
                       "deletion_curve": result["deletion_curve"].round(5).tolist(),
                       "insertion_curve": result["insertion_curve"].round(5).tolist()}
        if method == "random":
            continue
        random = results["random"]
        # Oriented so that a positive difference is the faithful side for both tests.
        deletion = paired_bootstrap(random["deletion_auc"], result["deletion_auc"])
        insertion = paired_bootstrap(result["insertion_auc"], random["insertion_auc"])
        out[method]["vs_random"] = {
            "deletion": {**deletion, "passed": deletion["low"] > 0},
            "insertion": {**insertion, "passed": insertion["low"] > 0}}
    return {"fractions": np.linspace(0, 1, CURVE_STEPS + 1).round(5).tolist(), "faces": int(len(images)),
            "methods": out}


def cascade_groups(model: keras.Model) -> list[list[str]]:
    """Layers with weights, top first, grouped by name prefix (probabilities, features, block2, ...)."""
    groups: dict[str, list[str]] = {}
    for layer in reversed(model.layers):
        if layer.weights:
            groups.setdefault(layer.name.split("_")[0], []).append(layer.name)
    return list(groups.values())


def sanity(model: keras.Model, images: np.ndarray, targets: np.ndarray,
           methods: dict[str, Method] = METHODS) -> dict[str, Any]:
    """Cascading randomisation: mean Spearman correlation of |map| (trained vs randomised) per step."""
    keras.utils.set_random_seed(SEED + 1)
    fresh = keras.models.clone_model(model)  # new layers, newly initialised weights
    original = {name: np.abs(method(model, images, targets).maps) for name, method in methods.items()}
    weights = {layer.name: layer.get_weights() for layer in model.layers}
    groups = cascade_groups(model)
    correlation: dict[str, list[float]] = {m: [] for m in methods}
    for group in groups:
        for name in group:
            weights[name] = fresh.get_layer(name).get_weights()
        randomised = keras.models.clone_model(model)  # a new object: no stale compiled or guided copies
        for layer in randomised.layers:
            layer.set_weights(weights[layer.name])
        for method in methods:
            maps = np.abs(methods[method](randomised, images, targets).maps)
            values = [spearmanr(a.ravel(), b.ravel()).statistic for a, b in zip(original[method], maps)]
            correlation[method].append(float(np.nanmean(values)))
    return {"steps": [group[0].split("_")[0] for group in groups],
            "methods": {m: {"correlation": [round(c, 4) for c in values], "flagged": values[-1] >= SANITY_FLAG}
                        for m, values in correlation.items()},
            "flag_threshold": SANITY_FLAG}


def completeness(model: keras.Model, images: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """|delta| / |F(x) - F(x')| per baseline, rule and steps; faces where F barely changes are left out."""
    out: dict[str, Any] = {}
    for baseline, rule in COMPLETENESS_SETTINGS:
        rows = []
        for steps in COMPLETENESS_STEPS:
            result = integrated_gradients(model, images, targets, baseline=baseline, steps=steps, rule=rule,
                                          blur_sigma=BLUR_SIGMA)
            gain = result.attributions.sum(axis=(1, 2, 3)) - result.delta
            usable = np.abs(gain) >= 1e-3
            ratio = np.abs(result.delta[usable]) / np.abs(gain[usable])
            rows.append({"steps": steps, "median": float(np.median(ratio)), "p90": float(np.percentile(ratio, 90)),
                         "faces": int(usable.sum()), "left_out": int((~usable).sum())})
        chosen = next((r["steps"] for r in rows if r["median"] <= COMPLETENESS_GOAL), None)
        out[f"{baseline}/{rule}"] = {"baseline": baseline, "rule": rule, "by_steps": rows, "chosen_steps": chosen}
    return out


def peak_normalised_cams(model: keras.Model, images: np.ndarray, targets: np.ndarray | None = None,
                         score: str = "probability", batch: int = 512) -> np.ndarray:
    """(n, h, w) Grad-CAM at the target layer's resolution, each map divided by its own peak so that every
    face counts equally in an average; `targets` None explains each face's own prediction."""
    coarse = []
    for start in tqdm(range(0, len(images), batch), desc="grad-cam means", unit="batch"):
        chunk = images[start:start + batch].astype(np.float32)
        chosen = None if targets is None else targets[start:start + batch]
        cam = grad_cam(model, chunk, chosen, score=score).coarse
        peak = cam.max(axis=(1, 2), keepdims=True)
        coarse.append(cam / np.where(peak > 0, peak, 1.0))
    return np.concatenate(coarse)


def aggregates(model: keras.Model, images: np.ndarray, races: np.ndarray, bins: np.ndarray) -> dict[str, Any]:
    """Mean per-map-normalised Grad-CAM (at the target layer's resolution) per race and age bin,
    explaining the model's own prediction for each test face."""
    maps = peak_normalised_cams(model, images)

    def summary(selected: np.ndarray) -> dict[str, Any]:
        mean = selected.mean(axis=0)
        return {"faces": int(len(selected)), "map": mean.round(5).tolist(),
                "upper_half_share": float(mean[:len(mean) // 2].sum() / max(mean.sum(), 1e-12))}

    return {"race": {RACES[r]: summary(maps[races == r]) for r in range(len(RACES)) if (races == r).any()},
            "age_bin": {AGE_BINS[b]: summary(maps[bins == b]) for b in range(len(AGE_BINS)) if (bins == b).any()},
            "all": summary(maps)}


def _write(name: str, value: Any, folder: Path) -> Path:
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1) + "\n")
    print(f"[explain] wrote {path}", flush=True)
    return path


def run_analysis(data: PreparedData, models_dir: Path = MODELS_DIR, out_dir: Path = ANALYSIS_DIR,
                 sanity_models: tuple[str, ...] = RACE_PAIR) -> None:
    """Compute and write every explain_* analysis file for the trained models."""
    names = trained_models(models_dir)
    if not names:
        raise SystemExit("no trained models under models/: run `python -m gen train` first")
    faces = fixed_faces(data)
    pixels = data.dataset.pixels
    images = pixels[faces].astype(np.float32)
    test = data.split["test"]
    races, bins = data.dataset.labels("race")[test], data.dataset.labels("age")[test]
    about = {"faces": {"count": len(faces), "per_race": FACES_PER_RACE, "seed": SEED, "split": "test"},
             "data_hash": data.dataset.fingerprint, "model_sha256": model_digests(names, models_dir),
             "parameters": {name: dict(method.site_parameters) for name, method in METHODS.items()}}
    results: dict[str, dict[str, Any]] = {"faithfulness": {}, "sanity": {}, "completeness": {}, "aggregates": {}}
    for name in names:
        started = time.monotonic()
        model = load_trained(name, models_dir)
        targets = predict(model, images).argmax(axis=1)  # explain what the model decided
        results["faithfulness"][name] = faithfulness(model, images, targets)
        chosen = np.concatenate([np.arange(r * FACES_PER_RACE, r * FACES_PER_RACE + COMPLETENESS_FACES // len(RACES))
                                 for r in range(len(RACES))])
        results["completeness"][name] = completeness(model, images[chosen], targets[chosen])
        if name in sanity_models:
            results["sanity"][name] = sanity(model, images[:SANITY_FACES], targets[:SANITY_FACES])
        results["aggregates"][name] = aggregates(model, pixels[test], races, bins)
        print(f"[explain] analysed {name} in {time.monotonic() - started:.0f} s", flush=True)
    if all(n in results["aggregates"] for n in RACE_PAIR):
        fair, biased = (results["aggregates"][n]["race"] for n in RACE_PAIR)
        difference = {race: np.array(fair[race]["map"]) - np.array(biased[race]["map"]) for race in fair}
        results["aggregates"]["difference"] = {
            race: {"map": d.round(5).tolist(), "mean_abs": float(np.abs(d).mean()), "max_abs": float(np.abs(d).max())}
            for race, d in difference.items()}
    for kind, value in results.items():
        extra = {"goal": COMPLETENESS_GOAL} if kind == "completeness" else {}
        _write(f"explain_{kind}.json", {"about": ABOUT[kind], **about, **extra, kind: value}, out_dir)
    mean_faces = {race: pixels[test][races == r].mean(axis=0).round().astype(np.uint8)
                  for r, race in enumerate(RACES)}
    mean_faces["all"] = pixels[data.split["train"]].mean(axis=0).round().astype(np.uint8)
    np.savez_compressed(Path(out_dir) / "explain_mean_faces.npz", **mean_faces)
