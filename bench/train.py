"""Training cost on this machine, and what it would be on a cluster.

Default: the wall time per stage recorded by the run that produced the committed models
(`models/<name>/history.json`), the forward FLOPs per face of the trunk, and seconds per epoch scaled to
N data-parallel workers; written to models/analysis/training_cost.json for the README.
With --run DIR: train all five models from scratch into DIR (not models/), checkpointed under DIR/runs
so a stopped run resumes, and print the same table for that run.

    .venv/bin/python bench/train.py [--workers 1 2 4 8]
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

BUDGET_MINUTES = 90
COST_FILE = MODELS_DIR / "analysis" / "training_cost.json"
# Data-parallel scaling is never perfect: each step all-reduces the gradients. This share of an epoch's
# time is assumed not to shrink with more workers (a rough figure for a small CNN over a 10 Gb/s network).
SERIAL_SHARE = 0.1


def forward_flops(model) -> int:
    """Floating-point operations of one forward pass of one face, from TensorFlow's graph profiler."""
    from gen.models.keras import tf

    function = tf.function(lambda x: model(x, training=False))
    graph = function.get_concrete_function(tf.TensorSpec([1, *model.input_shape[1:]], tf.float32)).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    tf.get_logger().setLevel("ERROR")  # the v1 profiler warns about its own deprecated helpers
    return int(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)


def report(models_dir: Path, workers: list[int]) -> None:
    from gen.models.keras import load_trained

    rows, pretrain = [], None
    for name in MODEL_SPECS:
        history = json.loads((models_dir / name / "history.json").read_text())
        pretrain = history["pretrain"]
        finetune = history["finetune"]
        rows.append((name, finetune["epochs_run"], finetune["seconds"]))
    print(f"{'stage':<18}{'epochs':>8}{'seconds':>10}{'s/epoch':>10}")
    print(f"{'pretrain (shared)':<18}{pretrain['epochs_run']:>8}{pretrain['seconds']:>10.0f}"
          f"{pretrain['seconds'] / pretrain['epochs_run']:>10.1f}")
    for name, epochs, seconds in rows:
        print(f"{name:<18}{epochs:>8}{seconds:>10.0f}{seconds / epochs:>10.1f}")
    total = pretrain["seconds"] + sum(seconds for _, _, seconds in rows)
    print(f"{'total':<18}{'':>8}{total:>10.0f}  ({total / 60:.1f} min; budget {BUDGET_MINUTES} min on 2 cores)")

    model = load_trained("gender", models_dir)
    metadata = json.loads((models_dir / "gender" / "metadata.json").read_text())
    flops = forward_flops(model)
    faces = metadata["training_faces"]
    epoch = pretrain["seconds"] / pretrain["epochs_run"]
    print(f"\nforward pass: {flops / 1e6:.1f} MFLOPs per face at {metadata['input_size']} px; one pretraining epoch "
          f"({faces:,} faces, forward + backward ~ 3x) = {3 * flops * faces / 1e12:.2f} TFLOPs, {epoch:.0f} s here")
    print(f"{'workers':>8}{'s/epoch (ideal)':>17}{'s/epoch (with all-reduce)':>27}")
    scaled = [{"workers": n, "ideal": epoch / n, "with_allreduce": epoch * (SERIAL_SHARE + (1 - SERIAL_SHARE) / n)}
              for n in workers]
    for row in scaled:
        print(f"{row['workers']:>8}{row['ideal']:>17.1f}{row['with_allreduce']:>27.1f}")
    if models_dir == MODELS_DIR:  # the committed models' figures, for the README
        record = {"forward_flops": flops, "input_size": metadata["input_size"], "training_faces": faces,
                  "pretrain_seconds_per_epoch": epoch, "total_seconds": total, "budget_minutes": BUDGET_MINUTES,
                  "serial_share": SERIAL_SHARE, "scaled": scaled,
                  "stages": {"pretrain": {"epochs": pretrain["epochs_run"], "seconds": pretrain["seconds"]},
                             **{name: {"epochs": e, "seconds": s} for name, e, s in rows}}}
        COST_FILE.write_text(json.dumps(record, indent=1) + "\n")
        print(f"wrote {COST_FILE.relative_to(MODELS_DIR.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, help="train from scratch into this folder and time it")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_UTKFACE_DIR)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    args = parser.parse_args()
    if args.run:
        from gen.data.prepared import prepare_data
        from gen.models.train import train_all

        started = time.monotonic()
        data = prepare_data(args.data_dir, manifest=None)
        train_all(data, out_dir=args.run, run_dir=args.run / "runs")  # fresh checkpoints, not the cached ones
        print(f"wall time including data loading: {time.monotonic() - started:.0f} s")
    report(args.run or MODELS_DIR, args.workers)


if __name__ == "__main__":
    main()
