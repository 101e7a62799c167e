"""Runs a tiny training in its own process, for the tests that kill and resume a run or start two workers.

    python tests/train_driver.py resume DATA_DIR RUN_DIR CACHE_DIR
    python tests/train_driver.py worker TF_CONFIG_JSON CHECKPOINT_DIR OUT.npz
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EPOCHS = 6


def resume(data_dir: str, run_dir: str, cache_dir: str) -> None:
    """Shared pretraining of a small trunk on the tiny set: slow enough per epoch to be killed mid-run."""
    os.environ["GEN_CACHE_DIR"] = cache_dir
    from gen.data.prepared import prepare_data
    from gen.models.architecture import Trunk
    from gen.models.train import Recipe, Schedule, pretrain

    data = prepare_data(Path(data_dir), manifest=None, size=32)
    schedule = Schedule(max_epochs=EPOCHS, learning_rate=1e-3, patience=EPOCHS, batch_size=16)
    recipe = Recipe(size=32, trunk=Trunk(widths=(8, 16, 32), feature_width=32), pretrain=schedule)
    pretrain(data, recipe, Path(run_dir))


def worker(tf_config: str, checkpoint_dir: str, out: str) -> None:
    """One worker of a two-worker cluster training a tiny classifier on fixed random faces for a few steps."""
    os.environ["TF_CONFIG"] = tf_config
    from gen.models.train import get_strategy
    strategy = get_strategy("multiworker")  # first: before anything else touches TensorFlow
    import numpy as np

    from gen.models.architecture import Trunk, build_classifier
    from gen.models.keras import keras
    from gen.models.train import Schedule, fit, make_batches

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    targets = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 64)]
    schedule = Schedule(max_epochs=2, learning_rate=1e-2, patience=2, batch_size=16)
    train = make_batches(pixels, {"y": targets}, None, schedule.batch_size, train=True)
    val = make_batches(pixels[:32], {"y": targets[:32]}, None, 32, train=False)
    model, record = fit(lambda: build_classifier(2, 32, trunk=Trunk(widths=(8, 16), feature_width=16)), train, val,
                        schedule, steps=4, label=f"worker {json.loads(tf_config)['task']['index']}",
                        checkpoint_dir=Path(checkpoint_dir), smoothing={"probabilities": 0.0}, strategy=strategy)
    np.savez(out, *model.get_weights(), epochs=record["epochs_run"])


if __name__ == "__main__":
    {"resume": resume, "worker": worker}[sys.argv[1]](*sys.argv[2:])
