"""Wall time of the age analysis on this machine: calibration of both age models and MMD-critic of four.

Embeddings and probabilities come from the shared cache (.cache/age/); the first run fills it and its
time is printed separately. Nothing is written to models/: this times the computation the
`age-ranges` and `prototypes` steps do, not their file output.

    .venv/bin/python bench/age.py [--data-dir ../shared/datasets/utkface] [--repeat 3] [--fresh]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen.config import DEFAULT_UTKFACE_DIR, MODELS_DIR
from gen.models.registry import MODEL_SPECS

BUDGET_SECONDS = 60


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_UTKFACE_DIR)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="also time the embeddings without the cache")
    args = parser.parse_args()
    from gen.age.outputs import held_out_outputs, model_outputs
    from gen.age.prototypes import attach_grad_cams, critique_all
    from gen.age.ranges import AGE_MODELS, analyse
    from gen.data.prepared import prepare_data
    from gen.models.keras import load_trained
    from gen.models.registry import PAIRED

    started = time.perf_counter()
    data = prepare_data(args.data_dir, manifest=None)
    print(f"load data (decoded-image cache):      {time.perf_counter() - started:6.1f} s")
    names = sorted(set(AGE_MODELS) | set(PAIRED))
    held_out = np.concatenate([data.split["val"], data.split["test"]])
    if args.fresh:
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            for name in names:
                model_outputs(name, data.dataset, held_out, cache_dir=Path(scratch))
            print(f"embeddings from scratch, {len(held_out)} faces x {len(names)} models: "
                  f"{time.perf_counter() - started:6.1f} s")
    started = time.perf_counter()
    for name in names:
        held_out_outputs(name, data)
    print(f"embeddings from the cache, {len(held_out)} faces x {len(names)} models: "
          f"{time.perf_counter() - started:6.1f} s")

    calibration, _ = timed(lambda: analyse(data), args.repeat)
    critique, results = timed(lambda: critique_all(data), args.repeat)
    groups = sum(len(r["groups"]) for r in results.values())
    print(f"calibration + test report, {len(AGE_MODELS)} age models:  {calibration:6.2f} s (median of {args.repeat})")
    print(f"MMD-critic, {len(results)} models, {groups} groups:       {critique:6.2f} s (median of {args.repeat})")
    total = calibration + critique
    verdict = "within" if total <= BUDGET_SECONDS else "OVER"
    print(f"total: {total:.1f} s (budget {BUDGET_SECONDS} s on this machine): {verdict}")

    started = time.perf_counter()
    for name, result in results.items():
        model = load_trained(name, MODELS_DIR)
        attach_grad_cams(model, result, data, MODEL_SPECS[name].labels)
    print(f"Grad-CAM of every chosen face, {len(results)} models (incl. loading): "
          f"{time.perf_counter() - started:6.1f} s")


if __name__ == "__main__":
    main()
