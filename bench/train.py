"""Training wall time per model on this machine.

Default: print the times recorded by the training run that produced the committed models
(`models/<name>/metadata.json`, `history.json`). With --run DIR: train all five models from scratch
into DIR (not models/) and print the times of that run.

    .venv/bin/python bench/train.py
    .venv/bin/python bench/train.py --run /tmp/bench-models --data-dir ../shared/datasets/utkface
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen.config import DEFAULT_UTKFACE_DIR, MODELS_DIR
from gen.models.registry import MODEL_SPECS

BUDGET_MINUTES = 45


def report(models_dir: Path) -> None:
    rows, pretrain_seconds = [], None
    for name in MODEL_SPECS:
        history = json.loads((models_dir / name / "history.json").read_text())
        pretrain_seconds = history["pretrain"]["seconds"]
        finetune = history["finetune"]
        rows.append((name, finetune["epochs_run"], finetune["seconds"]))
    print(f"{'step':<16}{'epochs':>8}{'seconds':>10}")
    print(f"{'pretrain (shared)':<16}{'':>7}{pretrain_seconds:>10.0f}")
    for name, epochs, seconds in rows:
        print(f"{name:<16}{epochs:>8}{seconds:>10.0f}")
    total = pretrain_seconds + sum(seconds for _, _, seconds in rows)
    print(f"{'total':<16}{'':>8}{total:>10.0f}  ({total / 60:.1f} min; budget {BUDGET_MINUTES} min on 2 cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="train from scratch into this folder and time it")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_UTKFACE_DIR)
    args = parser.parse_args()
    if args.run:
        from gen.data.prepared import prepare_data
        from gen.models import train

        started = time.monotonic()
        data = prepare_data(args.data_dir, manifest=None)
        train.CACHE_DIR = args.run / "cache"  # a fresh pretraining run, not the cached one
        train.train_all(data, out_dir=args.run)
        print(f"wall time including data loading: {time.monotonic() - started:.0f} s")
    report(args.run or MODELS_DIR)


if __name__ == "__main__":
    main()
