"""Training: one shared pretraining run, then a short fine-tune per published model.

The race models see only about 1,100 faces per race. To make those faces count, every model starts
from a trunk pretrained on gender and age over the whole training split. That pretraining uses no
race labels, so the fair and biased race models learn race only from their own subsets, and they
start from the same trunk: the only difference between them is the race composition they see.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from gen.architecture import EMBEDDING_LAYER, FEATURE_LAYER, build_classifier, build_multitask
from gen.config import AGE_BINS, CACHE_DIR, GENDERS, IMAGE_SIZE, MODEL_SPECS, MODELS_DIR, SEED, ModelSpec
from gen.data.prepared import PreparedData
from gen.data.subsets import balanced_class_weights
from gen.keras import keras

PRETRAIN_TASKS = {"gender": len(GENDERS), "age": len(AGE_BINS)}


@dataclass(frozen=True)
class Schedule:
    """How long and how fast one training run goes (cosine-decayed learning rate, early stopping)."""

    max_epochs: int
    learning_rate: float
    patience: int
    batch_size: int = 64
    label_smoothing: float = 0.1
    weight_decay: float = 1e-4


PRETRAIN_SCHEDULE = Schedule(max_epochs=20, learning_rate=3e-3, patience=4)
FINETUNE_SCHEDULES = {
    "gender": Schedule(max_epochs=5, learning_rate=5e-4, patience=2),
    "age_base": Schedule(max_epochs=5, learning_rate=5e-4, patience=2),
    "age_weighted": Schedule(max_epochs=8, learning_rate=1e-3, patience=3),
    "race_fair": Schedule(max_epochs=30, learning_rate=1e-3, patience=6),
    "race_biased": Schedule(max_epochs=30, learning_rate=1e-3, patience=6),
}


def augmenter(seed: int = SEED) -> keras.Sequential:
    """Label-preserving changes for aligned faces: mirror, small shifts, turns, zoom and lighting.
    No vertical flips: faces are never upside down in the data or in the demo."""
    layers = keras.layers
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomTranslation(0.06, 0.06, fill_mode="reflect", seed=seed + 1),
        layers.RandomRotation(0.04, fill_mode="reflect", seed=seed + 2),
        layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 3),
        layers.RandomContrast(0.2, seed=seed + 4),
        layers.RandomBrightness(0.15, value_range=(0, 255), seed=seed + 5),
    ], name="augment")


def make_batches(pixels: np.ndarray, targets: dict[str, np.ndarray], n_classes: dict[str, int],
                 weights: np.ndarray | None, batch_size: int, train: bool, seed: int = SEED) -> tf.data.Dataset:
    """tf.data pipeline from in-memory pixels: shuffled and augmented per batch when `train`."""
    onehot = {task: np.eye(n_classes[task], dtype=np.float32)[y] for task, y in targets.items()}
    if len(onehot) == 1:
        onehot = next(iter(onehot.values()))
    parts = (pixels, onehot) if weights is None else (pixels, onehot, weights.astype(np.float32))
    ds = tf.data.Dataset.from_tensor_slices(parts)
    if train:
        ds = ds.shuffle(len(pixels), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if train:
        augment = augmenter(seed)
        ds = ds.map(lambda x, *rest: (augment(tf.cast(x, tf.float32), training=True), *rest),
                    num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda x, *rest: (tf.cast(x, tf.float32), *rest))
    return ds.prefetch(tf.data.AUTOTUNE)


def compile_model(model: keras.Model, schedule: Schedule, steps_per_epoch: int) -> None:
    decay = keras.optimizers.schedules.CosineDecay(schedule.learning_rate, schedule.max_epochs * steps_per_epoch)
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=schedule.label_smoothing)
    model.compile(optimizer=keras.optimizers.AdamW(decay, weight_decay=schedule.weight_decay),
                  loss=loss, metrics=["accuracy"])


def fit(model: keras.Model, train_ds, val_ds, schedule: Schedule, steps: int, label: str) -> dict:
    """Train with early stopping on validation loss; returns the per-epoch history and timing."""
    compile_model(model, schedule, steps)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=schedule.patience, restore_best_weights=True)
    print(f"[{label}] up to {schedule.max_epochs} epochs of {steps} batches", flush=True)
    started = time.monotonic()
    history = model.fit(train_ds, validation_data=val_ds, epochs=schedule.max_epochs, callbacks=[stop], verbose=2)
    seconds = time.monotonic() - started
    epochs = len(history.history["loss"])
    print(f"[{label}] {epochs} epochs in {seconds:.0f} s", flush=True)
    return {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "epochs_run": epochs, "best_epoch": int(stop.best_epoch) + 1 if stop.best_weights else epochs,
            "seconds": round(seconds, 1)}


def pretrain(data: PreparedData, size: int = IMAGE_SIZE, schedule: Schedule = PRETRAIN_SCHEDULE) -> Path:
    """Gender + age trunk on the whole training split, cached by data fingerprint and schedule."""
    key = hashlib.sha256(f"{data.dataset.fingerprint}:{size}:{asdict(schedule)}:{SEED}".encode()).hexdigest()[:12]
    path = CACHE_DIR / f"pretrain-{key}.keras"
    if path.exists():
        print(f"[pretrain] reusing {path.name}", flush=True)
        return path
    keras.utils.set_random_seed(SEED)
    train, val = data.subsets["all"], data.split["val"]
    pixels = data.dataset.pixels
    targets = {task: data.dataset.labels(task) for task in PRETRAIN_TASKS}
    train_ds = make_batches(pixels[train], {t: y[train] for t, y in targets.items()}, PRETRAIN_TASKS, None,
                            schedule.batch_size, train=True)
    val_ds = make_batches(pixels[val], {t: y[val] for t, y in targets.items()}, PRETRAIN_TASKS, None,
                          256, train=False)
    model = build_multitask(PRETRAIN_TASKS, size)
    record = fit(model, train_ds, val_ds, schedule, steps=int(np.ceil(len(train) / schedule.batch_size)),
                 label="pretrain")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    model.save(path)
    path.with_suffix(".json").write_text(json.dumps(record, indent=1))
    return path


def initialise_from_pretrained(model: keras.Model, pretrained: keras.Model, task: str) -> None:
    """Copy every trunk layer's weights, and the task's head if pretraining had one."""
    for layer in model.layers:
        if layer.weights and layer.name != "probabilities":
            layer.set_weights(pretrained.get_layer(layer.name).get_weights())
    if task in PRETRAIN_TASKS:
        model.get_layer("probabilities").set_weights(pretrained.get_layer(task).get_weights())


def train_model(spec: ModelSpec, data: PreparedData, pretrained_path: Path, out_dir: Path = MODELS_DIR,
                size: int = IMAGE_SIZE, schedule: Schedule | None = None) -> Path:
    """Fine-tune one published model from the pretrained trunk and save it with its metadata."""
    schedule = schedule or FINETUNE_SCHEDULES[spec.name]
    keras.utils.set_random_seed(SEED)
    n_classes = len(spec.labels)
    labels = data.dataset.labels(spec.task)
    train, val = data.subsets[spec.subset], data.split["val"]
    weights = None
    if spec.balanced_class_weights:
        class_weight = balanced_class_weights(labels[train], n_classes)
        weights = np.array([class_weight[c] for c in labels[train]])
    pixels = data.dataset.pixels
    train_ds = make_batches(pixels[train], {spec.task: labels[train]}, {spec.task: n_classes}, weights,
                            schedule.batch_size, train=True)
    val_ds = make_batches(pixels[val], {spec.task: labels[val]}, {spec.task: n_classes}, None, 256, train=False)
    model = build_classifier(n_classes, size, name=spec.name)
    initialise_from_pretrained(model, keras.models.load_model(pretrained_path), spec.task)
    record = fit(model, train_ds, val_ds, schedule, steps=int(np.ceil(len(train) / schedule.batch_size)),
                 label=spec.name)
    model_dir = out_dir / spec.name
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir / "model.keras")
    pretrain_record = json.loads(pretrained_path.with_suffix(".json").read_text())
    (model_dir / "history.json").write_text(json.dumps({"pretrain": pretrain_record, "finetune": record}, indent=1))
    metadata = {
        "name": spec.name, "task": spec.task, "labels": list(spec.labels), "input_size": size,
        "input": "RGB pixels 0-255, float32, shape (batch, size, size, 3); the full aligned UTKFace crop resized",
        "output": "class probabilities (softmax) in the order of `labels`",
        "feature_layer": FEATURE_LAYER, "embedding_layer": EMBEDDING_LAYER,
        "training_subset": spec.subset, "training_faces": int(len(train)),
        "training_faces_per_class": {name: int((labels[train] == i).sum()) for i, name in enumerate(spec.labels)},
        "balanced_class_weights": spec.balanced_class_weights,
        "data_hash": data.dataset.fingerprint, "seed": SEED, "parameters": int(model.count_params()),
        "schedule": asdict(schedule), "pretrain_schedule": asdict(PRETRAIN_SCHEDULE),
        "train_seconds": {"pretrain_shared": pretrain_record["seconds"], "finetune": record["seconds"]},
    }
    (model_dir / "metadata.json").write_text(json.dumps(metadata, indent=1))
    return model_dir


def train_all(data: PreparedData, names: list[str] | None = None, out_dir: Path = MODELS_DIR) -> list[Path]:
    pretrained = pretrain(data)
    return [train_model(MODEL_SPECS[name], data, pretrained, out_dir) for name in names or list(MODEL_SPECS)]
