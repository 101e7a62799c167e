"""Do the answers survive framing errors? Per model: agreement with its answer on the aligned face, and
accuracy, when the test faces are scaled, shifted or turned by about as much as a face detector's
alignment is off on real photos, and by the smaller amounts that UTKFace's own framing varies by (after each
face's best fit to the Try-it page's template, the median face still sits 3-4 px, about 2% of the side, off
it: models/analysis/face_template.json `residual_after_fit`), which no alignment can remove.

Each test face (the 200 px aligned crop) is padded by reflection, moved by one perturbation (a random
sign per face, fixed seed), cropped back to 200 px and resized exactly as the training faces were. The
unperturbed reference goes through the same pad, crop and resize, so the only difference is the move.
Intervals: Clopper-Pearson, 95%. Writes models/analysis/robustness.json and prints a table.

    .venv/bin/python bench/robustness.py [--data-dir DIR] [--faces N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen.config import DEFAULT_UTKFACE_DIR, IMAGE_SIZE, MODELS_DIR, SEED, utkface_dir_from_env
from gen.data.images import RESAMPLE
from gen.models.registry import MODEL_SPECS, trained_models
from gen.stats import proportion

SIDE = 200  # UTKFace's aligned crops
PAD = 40  # reflected border: room for 8% scale, 4% shift and 5 degrees at 200 px
# (name, kind, amount): scale as a fraction, shift as a fraction of the side, rotation in degrees.
PERTURBATIONS = (("scale 2%", "scale", 0.02), ("scale 6%", "scale", 0.06), ("scale 8%", "scale", 0.08),
                 ("shift 1%", "shift", 0.01), ("shift 3%", "shift", 0.03), ("shift 4%", "shift", 0.04),
                 ("rotate 2°", "rotate", 2.0), ("rotate 4°", "rotate", 4.0), ("rotate 5°", "rotate", 5.0))
GOAL = 0.95  # agreement at each perturbation in GOAL_AT (the models issue's goal)
GOAL_AT = ("scale 6%", "shift 3%", "rotate 4°")
OUT = MODELS_DIR / "analysis" / "robustness.json"


def perturb(face: np.ndarray, kind: str, amount: float, sign: float, direction: float, size: int) -> np.ndarray:
    """The face moved by one perturbation about its centre, then resized to the model's input size."""
    padded = Image.fromarray(np.pad(face, ((PAD, PAD), (PAD, PAD), (0, 0)), mode="reflect"))
    centre = PAD + SIDE / 2
    if kind == "rotate":
        padded = padded.rotate(sign * amount, resample=Image.Resampling.BILINEAR, center=(centre, centre))
        box = (PAD, PAD, PAD + SIDE, PAD + SIDE)
    elif kind == "scale":
        half = SIDE / 2 / (1 + sign * amount)  # > 1: zoom in (the face looks bigger), < 1: out
        box = (centre - half, centre - half, centre + half, centre + half)
    elif kind == "shift":
        dx, dy = amount * SIDE * np.cos(direction), amount * SIDE * np.sin(direction)
        box = (PAD + dx, PAD + dy, PAD + SIDE + dx, PAD + SIDE + dy)
    else:
        box = (PAD, PAD, PAD + SIDE, PAD + SIDE)
    return np.asarray(padded.resize((size, size), RESAMPLE, box=box), np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=utkface_dir_from_env() or DEFAULT_UTKFACE_DIR)
    parser.add_argument("--faces", type=int, default=1000, help="test faces (a seeded sample; 0 = all)")
    args = parser.parse_args()
    from gen.data.images import decode_face
    from gen.data.prepared import prepare_data
    from gen.models.keras import load_trained
    from gen.models.predict import predict

    started = time.monotonic()
    data = prepare_data(args.data_dir, manifest=None)
    test = data.split["test"]
    rng = np.random.default_rng(SEED)
    chosen = np.sort(rng.choice(test, args.faces, replace=False)) if 0 < args.faces < len(test) else test
    faces = [decode_face((args.data_dir / data.dataset.records[i].name).read_bytes(), SIDE) for i in chosen]
    signs, directions = rng.choice([-1.0, 1.0], len(chosen)), rng.uniform(0, 2 * np.pi, len(chosen))
    views = {"aligned": np.stack([perturb(f, "none", 0, 1, 0, IMAGE_SIZE) for f in faces])}
    for name, kind, amount in PERTURBATIONS:
        moved = [perturb(f, kind, amount, s, d, IMAGE_SIZE) for f, s, d in zip(faces, signs, directions)]
        views[name] = np.stack(moved)
    results = {}
    for model_name in trained_models():
        spec = MODEL_SPECS[model_name]
        truth = data.dataset.labels(spec.task)[chosen]
        model = load_trained(model_name, MODELS_DIR)
        answers = {view: predict(model, pixels).argmax(axis=1) for view, pixels in views.items()}
        results[model_name] = {"accuracy_aligned": proportion(answers["aligned"] == truth)} | {
            view: {"agreement": proportion(answers[view] == answers["aligned"]),
                   "accuracy": proportion(answers[view] == truth)}
            for view in views if view != "aligned"}
    record = {"faces": int(len(chosen)), "split": "test", "seed": SEED, "input_size": IMAGE_SIZE,
              "perturbations": [{"name": n, "kind": k, "amount": a} for n, k, a in PERTURBATIONS],
              "goal_agreement": GOAL, "goal_at": list(GOAL_AT), "models": results,
              "seconds": round(time.monotonic() - started, 1)}
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{len(chosen)} test faces; agreement with the answer on the aligned face (accuracy in brackets)")
    print(f"{'model':14}" + "".join(f"{n:>24}" for n, _, _ in PERTURBATIONS))
    for model_name, result in results.items():
        cells = [f"{result[n]['agreement']['value']:.3f} ({result[n]['accuracy']['value']:.3f})" for n, _, _ in
                 PERTURBATIONS]
        print(f"{model_name:14}" + "".join(f"{c:>24}" for c in cells))
    print(f"wrote {OUT.relative_to(MODELS_DIR.parent)} in {record['seconds']:.0f} s")


if __name__ == "__main__":
    main()
