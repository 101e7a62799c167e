"""`python -m gen explain`: every method's map for every curated sample and model, as site assets.

For each sample in site_src/samples/manifest.json and each trained model, each model explains two
classes: its own prediction and the sample's true class (once when they agree), and the index says
which is which and the probability the model gives each. The two race models are also drawn side
by side on a shared scale per method, in two rows (true class; each model's own prediction), so
neither panel is blank merely because the other model's class was explained.

Caching, by content hash, under .cache/explain/:
- predictions/<key>.json: the probabilities for (model file, image file);
- maps/<key>.npz: one raw map for (model file, image file, method, parameters, class, the method's code);
- png/<key>.png: one picture for (map key, display scale, display code).
The model is loaded only when something is missing, so an unchanged run computes nothing and a new
sample computes only its own maps. Outputs are synced into docs/generated/explain/.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from gen.config import CACHE_DIR, IMAGE_SIZE, MODELS_DIR, SITE_SRC, TASK_LABELS, age_to_bin
from gen.data.images import decode_face
from gen.data.samples import read_samples
from gen.explain.base import Method, predict
from gen.explain.registry import METHODS
from gen.hashing import file_digest, value_digest
from gen.models.keras import load_trained
from gen.models.registry import RACE_PAIR, trained_models
from gen.pipeline import BuildContext
from gen.site import display, explain_figures, finding_figures
from gen.site.cache import Store, unit_files
from gen.site.render import sync_files

AREA = "explain"
OVERLAY_SIZE = 128  # pixels per side of an overlay: twice the model's view, small enough for a grid
DISPLAY_CODE = value_digest(file_digest(Path(display.__file__)))


@dataclass
class Sample:
    id: str
    file: str
    labels: dict[str, Any]
    digest: str
    pixels: np.ndarray  # (64, 64, 3) float32, what the model sees
    picture: np.ndarray  # (OVERLAY_SIZE, OVERLAY_SIZE, 3) uint8, what the reader sees


def load_samples(site_src: Path = SITE_SRC) -> list[Sample]:
    folder = Path(site_src) / "samples"
    samples = []
    for entry in read_samples(folder):
        data = (folder / entry["file"]).read_bytes()
        samples.append(Sample(entry["id"], entry["file"], entry["labels"], file_digest(folder / entry["file"]),
                              decode_face(data, IMAGE_SIZE).astype(np.float32), decode_face(data, OVERLAY_SIZE)))
    return samples


def true_class(task: str, labels: dict[str, Any]) -> int | None:
    """The sample's label as the model's class index (None when the sample lacks it)."""
    if task not in labels and task != "age":
        return None
    if task == "age":
        return age_to_bin(int(labels["age"])) if "age" in labels else None
    return TASK_LABELS[task].index(labels[task])


@dataclass
class ModelMaps:
    """One model's results on the samples: probabilities and raw maps per (sample, class, method)."""

    name: str
    task: str
    labels: list[str]
    probabilities: dict[str, np.ndarray]  # sample id -> (classes,)
    maps: dict[tuple[str, int, str], tuple[np.ndarray, float | None, str]]  # -> (map, delta, map key)


def explain_model(name: str, samples: list[Sample], cache: Store, models_dir: Path = MODELS_DIR,
                  methods: dict[str, Method] = METHODS) -> ModelMaps:
    """Probabilities and every method's maps for one model, computing only what the cache lacks."""
    folder = Path(models_dir) / name
    metadata = json.loads((folder / "metadata.json").read_text())
    model_digest = file_digest(folder / "model.keras")
    loaded: list = []

    def model():
        if not loaded:
            loaded.append(load_trained(name, models_dir))
        return loaded[0]

    probabilities = {}
    missing = []
    for sample in samples:
        path = cache.path("predictions", value_digest("predictions", model_digest, sample.digest), ".json")
        if path.exists():
            probabilities[sample.id] = np.array(json.loads(path.read_text()), np.float32)
        else:
            missing.append((sample, path))
    if missing:
        predicted = predict(model(), np.stack([s.pixels for s, _ in missing]))
        for (sample, path), row in zip(missing, predicted):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(row.tolist()))
            probabilities[sample.id] = row
        cache.computed["predictions"] += len(missing)

    wanted = [(sample, target) for sample in samples for target in targets(metadata["task"], sample,
                                                                            probabilities[sample.id])]
    maps = {}
    for method in tqdm(methods, desc=f"explaining with {name}", unit="method", leave=False):
        todo = []
        parameters = dict(methods[method].site_parameters)
        for sample, target in wanted:
            key = value_digest("map", model_digest, sample.digest, method, parameters, target,
                               methods[method].code_digest)
            path = cache.path("maps", key, ".npz")
            if path.exists():
                stored = np.load(path)
                maps[sample.id, target, method] = (stored["map"], _delta(stored), key)
            else:
                todo.append((sample, target, key, path))
        if not todo:
            continue
        result = methods[method](model(), np.stack([s.pixels for s, *_ in todo]), np.array([t for _, t, *_ in todo]),
                                 layer=metadata["feature_layer"])
        for row, (sample, target, key, path) in enumerate(todo):
            delta = result.delta[row] if result.delta is not None else np.nan
            cache.save_npz(path, map=result.maps[row], delta=np.float32(delta))
            maps[sample.id, target, method] = (result.maps[row], _delta({"delta": delta}), key)
        cache.computed["maps"] += len(todo)
    return ModelMaps(name, metadata["task"], list(metadata["labels"]), probabilities, maps)


def _delta(stored) -> float | None:
    value = float(stored["delta"])
    return None if np.isnan(value) else value


def targets(task: str, sample: Sample, probabilities: np.ndarray) -> list[int]:
    """The model's own prediction first, then the true class when it differs."""
    predicted = int(np.argmax(probabilities))
    truth = true_class(task, sample.labels)
    return [predicted] if truth in (None, predicted) else [predicted, truth]


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


class Pictures:
    """Renders PNGs into the cache (once per content) and collects {published name: cached file}."""

    def __init__(self, cache: Store, samples: dict[str, Sample]):
        self.cache, self.samples, self.files = cache, samples, {}

    def add(self, name: str, map_key: str, raw: np.ndarray, divisor: float, signed: bool, sample_id: str,
            kind: str) -> str:
        suffix = Path(name).suffix
        key = value_digest("picture", map_key, kind, float(divisor), signed, DISPLAY_CODE, suffix)
        path = self.cache.path("png", key, suffix)
        if not path.exists():
            map01, _ = display.normalise(raw[None], scale=divisor, signed=signed)
            picture = (display.overlay(self.samples[sample_id].picture, map01[0], signed) if kind == "overlay"
                       else display.heatmap(map01[0], signed))
            display.save_picture(picture, path)
            self.cache.computed["pictures"] += 1
        self.files[name] = path
        return f"generated/{AREA}/{name}"


def describe_model(result: ModelMaps, sample: Sample, pictures: Pictures, methods: dict[str, Method]
                   ) -> dict[str, Any]:
    """A sample's entry for one model: probabilities, and per explained class every method's pictures."""
    probabilities = result.probabilities[sample.id]
    predicted = int(np.argmax(probabilities))
    truth = true_class(result.task, sample.labels)
    explained = []
    for target in targets(result.task, sample, probabilities):
        role = "predicted" if target == predicted else "true"
        if target == predicted == truth:
            role = "predicted_and_true"
        entry = {"role": role, "class": result.labels[target], "probability": float(probabilities[target]), "maps": {}}
        for method in methods:
            raw, delta, key = result.maps[sample.id, target, method]
            signed = methods[method].signed
            divisor = float(display.scale_of(raw))
            base = f"{sample.id}-{result.name}-{slug(result.labels[target])}-{method}"
            entry["maps"][method] = {
                "overlay": pictures.add(f"{base}-overlay.webp", key, raw, divisor, signed, sample.id, "overlay"),
                "scale": divisor, "total": float(raw.sum()), "delta": delta}
        explained.append(entry)
    return {"probabilities": dict(zip(result.labels, probabilities.astype(float).tolist())),
            "predicted": result.labels[predicted], "predicted_probability": float(probabilities[predicted]),
            "true": None if truth is None else result.labels[truth],
            "true_probability": None if truth is None else float(probabilities[truth]),
            "correct": None if truth is None else truth == predicted, "explained": explained}


def describe_comparison(results: dict[str, ModelMaps], sample: Sample, pictures: Pictures,
                        methods: dict[str, Method]) -> list[dict[str, Any]]:
    """Two rows for the race pair on shared scales: the true class, then each model's own prediction
    (left out when both models predicted the true class: the first row is then both)."""
    rows = []
    for role in ("true", "predicted"):
        chosen = {}
        for name in RACE_PAIR:
            result = results[name]
            probabilities = result.probabilities[sample.id]
            chosen[name] = (true_class(result.task, sample.labels) if role == "true"
                            else int(np.argmax(probabilities)))
        if role == "predicted" and all(rows[0]["models"][n]["class"] == results[n].labels[t]
                                       for n, t in chosen.items()):
            rows[0]["also_predicted"] = True  # both models answered the true label: one row says it all
            continue
        row = {"role": role, "also_predicted": False, "scale": {}, "models": {
            name: {"class": results[name].labels[t], "probability": float(results[name].probabilities[sample.id][t]),
                   "maps": {}} for name, t in chosen.items()}}
        for method in methods:
            raws = {name: results[name].maps[sample.id, t, method] for name, t in chosen.items()}
            divisor = display.scale_of(np.stack([raw for raw, _, _ in raws.values()]))
            row["scale"][method] = float(divisor)
            for name, (raw, _, key) in raws.items():
                file = f"{sample.id}-{name}-{slug(results[name].labels[chosen[name]])}-{method}-shared-{role}.webp"
                row["models"][name]["maps"][method] = {
                    "overlay": pictures.add(file, key, raw, divisor, methods[method].signed, sample.id, "overlay")}
        rows.append(row)
    return rows


def precompute(docs_dir: Path, models_dir: Path = MODELS_DIR, site_src: Path = SITE_SRC,
               cache_dir: Path = CACHE_DIR / AREA, methods: dict[str, Method] = METHODS) -> dict[str, int]:
    """Bring docs/generated/explain/ up to date; returns how many predictions, maps and pictures were made."""
    cache = Store(Path(cache_dir))
    samples = load_samples(site_src)
    names = trained_models(models_dir)
    if not names:
        print("[explain] no trained models under models/: nothing to explain (run `python -m gen train`)",
              file=sys.stderr)
    results = {name: explain_model(name, samples, cache, models_dir, methods) for name in names}
    pictures = Pictures(cache, {s.id: s for s in samples})
    index = {
        "methods": {name: {"title": m.title, "signed": m.signed, "parameters": dict(m.site_parameters)}
                    for name, m in methods.items()},
        "models": {n: {"task": r.task, "labels": r.labels} for n, r in results.items()},
        "compared": list(RACE_PAIR) if all(n in results for n in RACE_PAIR) else [],
        "overlay_size": OVERLAY_SIZE, "input_size": IMAGE_SIZE,
        "display": {"percentile": display.PERCENTILE, "colormap": display.UNSIGNED_CMAP,
                    "signed_colormap": display.SIGNED_CMAP, "stops": display.colour_stops(False),
                    "signed_stops": display.colour_stops(True), "strength": display.OVERLAY_STRENGTH},
        "samples": [{"id": s.id, "file": s.file, "labels": s.labels,
                     "models": {n: describe_model(r, s, pictures, methods) for n, r in results.items()},
                     "comparison": describe_comparison(results, s, pictures, methods) if all(
                         n in results for n in RACE_PAIR) else []} for s in samples],
    }
    files = dict(pictures.files)
    figures, drawn = unit_files(explain_figures.UNITS + finding_figures.UNITS, models_dir, cache.folder / "figures")
    files.update(figures)
    cache.computed["pictures"] += len(drawn)
    files["samples.json"] = write_if_changed(cache.folder / "samples.json", index)
    sync_files(files, Path(docs_dir) / "generated" / AREA)
    return cache.computed


def write_if_changed(path: Path, value: Any) -> Path:
    """Write JSON only when its text changes, so the synced copy (size + mtime) stays untouched."""
    text = json.dumps(value, indent=1, sort_keys=True)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def run(ctx: BuildContext) -> None:
    """Build step: curated-sample explanations and the explanation figures for pages 04-07."""
    computed = precompute(ctx.docs_dir)
    print(f"[explain] made {computed['predictions']} predictions, {computed['maps']} maps, "
          f"{computed['pictures']} pictures (the rest from .cache/explain)", flush=True)
