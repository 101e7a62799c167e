"""Training: one shared pretraining run, then a fine-tune per published model.

The race models see only 954 faces per race. To make those faces count, every model starts from a
trunk pretrained on gender and age over the whole training split. That pretraining uses no race
labels, so the fair and biased race models learn race only from their own subsets, and they start
from the same trunk: the only difference between them is the race composition they see.

Every stage checkpoints after each epoch (model, optimizer state, history, early-stopping state) in
its own folder, so a run that is killed continues from its last finished epoch when started again.
Each epoch prints its time and an estimate of the time left.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import norm

from gen.config import AGE_BIN_EDGES, CACHE_DIR, IMAGE_SIZE, MODELS_DIR, SEED, TASK_LABELS
from gen.data.prepared import PreparedData
from gen.data.subsets import balanced_class_weights
from gen.models.architecture import EMBEDDING_LAYER, FEATURE_LAYER, Trunk, build_classifier, build_multitask
from gen.models.keras import keras, tf
from gen.models.registry import MODEL_SPECS, ModelSpec

PRETRAIN_TASKS = {task: len(TASK_LABELS[task]) for task in ("gender", "age")}


@dataclass(frozen=True)
class Schedule:
    """How long and how fast one training run goes (cosine-decayed learning rate, early stopping)."""

    max_epochs: int
    learning_rate: float
    patience: int
    batch_size: int = 64
    label_smoothing: float = 0.1
    weight_decay: float = 1e-4


@dataclass(frozen=True)
class Recipe:
    """Everything that decides what a training run produces, besides the data and the seed.

    `age_sigma_years` > 0 trains age on label distributions (DLDL: the true age blurred by a Gaussian of
    that many years, then integrated over each bin) instead of one-hot bins with label smoothing.
    """

    size: int = IMAGE_SIZE
    trunk: Trunk = field(default_factory=Trunk)
    age_sigma_years: float = 0.0
    pretrain: Schedule = Schedule(max_epochs=20, learning_rate=3e-3, patience=4)
    finetune: dict[str, Schedule] = field(default_factory=lambda: {
        "gender": Schedule(max_epochs=5, learning_rate=5e-4, patience=2),
        "age_base": Schedule(max_epochs=5, learning_rate=5e-4, patience=2),
        "age_weighted": Schedule(max_epochs=8, learning_rate=1e-3, patience=3),
        "race_fair": Schedule(max_epochs=30, learning_rate=1e-3, patience=6),
        "race_biased": Schedule(max_epochs=30, learning_rate=1e-3, patience=6),
    })

    def key(self, *extra) -> str:
        return hashlib.sha256(json.dumps([asdict(self), *extra], sort_keys=True).encode()).hexdigest()[:12]

    def pretrain_key(self, *extra) -> str:
        """What the shared pretraining depends on (not the fine-tunes' schedules)."""
        parts = [self.size, asdict(self.trunk), self.age_sigma_years, asdict(self.pretrain), *extra]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]


# The search's choice (models/analysis/search.json, best validation score: "64px-wide-dldl"), trained for
# longer: sized so that retraining all five models stays within 90 minutes on two cores.
RECIPE = Recipe(
    size=64, trunk=Trunk(widths=(48, 96, 192), feature_width=384), age_sigma_years=3.0,
    pretrain=Schedule(max_epochs=18, learning_rate=3e-3, patience=4),
    finetune={
        "gender": Schedule(max_epochs=4, learning_rate=5e-4, patience=2),
        "age_base": Schedule(max_epochs=4, learning_rate=5e-4, patience=2),
        "age_weighted": Schedule(max_epochs=5, learning_rate=1e-3, patience=3),
        # The race fine-tunes' validation loss is noisy while the learning rate is high: 16 epochs with
        # patience 4 stopped at epoch 9 with a higher best validation loss than this longer decay.
        "race_fair": Schedule(max_epochs=30, learning_rate=1e-3, patience=8),
        "race_biased": Schedule(max_epochs=30, learning_rate=1e-3, patience=8),
    })


def augmenter(seed: int = SEED) -> keras.Sequential:
    """Label-preserving changes for aligned faces: mirror, shifts, turns, zoom and lighting, wider than
    the alignment error measured on real photos (±8% scale, ±4% shift, ±5° turn), so answers survive it.
    No vertical flips: faces are never upside down in the data or in the demo."""
    layers = keras.layers
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomTranslation(0.06, 0.06, fill_mode="reflect", seed=seed + 1),
        layers.RandomRotation(0.04, fill_mode="reflect", seed=seed + 2),  # ±0.04 turn = ±14°
        layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 3),
        layers.RandomContrast(0.2, seed=seed + 4),
        layers.RandomBrightness(0.15, value_range=(0, 255), seed=seed + 5),
    ], name="augment")


def age_distribution(ages: np.ndarray, sigma_years: float) -> np.ndarray:
    """(n, 9) targets: each age blurred by N(age, sigma) and integrated over the age bins (DLDL)."""
    edges = np.array([-np.inf, *AGE_BIN_EDGES, np.inf])
    cdf = norm.cdf((edges[None, :] - np.asarray(ages, float)[:, None]) / sigma_years)
    return np.diff(cdf, axis=1).astype(np.float32)


def targets_for(data: PreparedData, task: str, indices: np.ndarray, recipe: Recipe) -> np.ndarray:
    """Training targets (n, classes) for one task: one-hot, or age label distributions."""
    if task == "age" and recipe.age_sigma_years > 0:
        ages = np.array([data.dataset.records[i].age for i in indices])
        return age_distribution(ages, recipe.age_sigma_years)
    return np.eye(len(TASK_LABELS[task]), dtype=np.float32)[data.dataset.labels(task)[indices]]


def make_batches(pixels: np.ndarray, targets: dict[str, np.ndarray], weights: np.ndarray | None,
                 batch_size: int, train: bool, seed: int = SEED) -> tf.data.Dataset:
    """tf.data pipeline from in-memory pixels and (n, classes) targets: shuffled and augmented per batch
    when `train`. Sharded by data, so each worker of a multi-worker run takes its part of every batch."""
    labels = next(iter(targets.values())) if len(targets) == 1 else targets
    parts = (pixels, labels) if weights is None else (pixels, labels, weights.astype(np.float32))
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
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def compile_model(model: keras.Model, schedule: Schedule, steps_per_epoch: int, smoothing: dict[str, float]) -> None:
    """AdamW with cosine decay; cross-entropy per output, label smoothing only on one-hot targets."""
    decay = keras.optimizers.schedules.CosineDecay(schedule.learning_rate, schedule.max_epochs * steps_per_epoch)
    losses = {name: keras.losses.CategoricalCrossentropy(label_smoothing=value) for name, value in smoothing.items()}
    model.compile(optimizer=keras.optimizers.AdamW(decay, weight_decay=schedule.weight_decay),
                  loss=losses if len(losses) > 1 else next(iter(losses.values())), metrics=["accuracy"])


def get_strategy(name: str | None) -> tf.distribute.Strategy:
    """The distribution strategy for `--strategy`: none (one process), `mirrored` (every local device)
    or `multiworker` (processes on several machines, described by the TF_CONFIG environment variable).
    Create it before anything else touches TensorFlow."""
    if name in (None, "default"):
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy multiworker needs TF_CONFIG (see README, 'Training on a cluster')")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}: use mirrored or multiworker")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """The process that writes results: the only one, or worker 0 of a multi-worker cluster."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return resolver is None or resolver.task_type in (None, "chief") or (
        resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs)


class Checkpoint(keras.callbacks.Callback):
    """Early stopping on validation loss that also checkpoints after every epoch and prints an ETA.

    The folder holds `last.keras` (model and optimizer state), `best.npz` (the best epoch's weights)
    and `state.json` (epochs done, history, best loss and epoch, epochs without improvement). Other
    workers of a multi-worker run save into a temporary folder, as every worker must take part in
    saving; each keeps the best weights in memory, so none reads a file another is writing."""

    def __init__(self, folder: Path, patience: int, max_epochs: int, label: str, chief: bool, state: dict):
        super().__init__()
        self.folder, self.patience, self.max_epochs, self.label = folder, patience, max_epochs, label
        self.write_to = folder if chief else Path(tempfile.mkdtemp(prefix="worker-checkpoint-"))
        self.state = state
        best = folder / "best.npz"
        self.best_weights = None
        if state["epochs_done"] and best.exists():  # resumed: the best epoch so far is on disk
            with np.load(best) as stored:
                self.best_weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        state = self.state
        for key, value in (logs or {}).items():
            state["history"].setdefault(key, []).append(float(value))
        state["epochs_done"] = epoch + 1
        state["seconds"] += time.monotonic() - self.started
        if state["best"] is None or logs["val_loss"] < state["best"]:
            state.update(best=float(logs["val_loss"]), best_epoch=epoch + 1, wait=0)
            self.best_weights = self.model.get_weights()
            np.savez(self.write_to / "best.npz", *self.best_weights)
        else:
            state["wait"] += 1
        if state["wait"] >= self.patience:
            self.model.stop_training = True
        self.model.save(self.write_to / "last.keras")
        (self.write_to / "state.json").write_text(json.dumps(state))
        per_epoch = state["seconds"] / state["epochs_done"]
        left = (self.max_epochs - state["epochs_done"]) * per_epoch * (not self.model.stop_training)
        print(f"[{self.label}] epoch {epoch + 1}/{self.max_epochs}: loss {logs['loss']:.4f}, "
              f"val_loss {logs['val_loss']:.4f}, {time.monotonic() - self.started:.0f} s; "
              f"at most {left / 60:.1f} min left in this stage", flush=True)

    def on_train_end(self, logs=None):
        if self.write_to != self.folder:
            shutil.rmtree(self.write_to, ignore_errors=True)


def fit(build, train_ds, val_ds, schedule: Schedule, steps: int, label: str, checkpoint_dir: Path,
        smoothing: dict[str, float], strategy: tf.distribute.Strategy) -> tuple[keras.Model, dict]:
    """Train `build()` (or resume it from `checkpoint_dir`) with early stopping on validation loss.

    Returns the model with its best weights and the record of the run: per-epoch history, epochs run,
    best epoch, seconds, and how many times it was resumed."""
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    state_file = checkpoint_dir / "state.json"
    with strategy.scope():
        if state_file.exists():
            state = json.loads(state_file.read_text())
            state["resumed"] += 1
            model = keras.models.load_model(checkpoint_dir / "last.keras")
            print(f"[{label}] resuming after epoch {state['epochs_done']} from {checkpoint_dir}", flush=True)
        else:
            state = {"epochs_done": 0, "history": {}, "best": None, "best_epoch": 0, "wait": 0,
                     "seconds": 0.0, "resumed": 0}
            model = build()
            compile_model(model, schedule, steps, smoothing)
    callback = Checkpoint(checkpoint_dir, schedule.patience, schedule.max_epochs, label, is_chief(strategy), state)
    finished = state["wait"] >= schedule.patience or state["epochs_done"] >= schedule.max_epochs
    if not finished:
        print(f"[{label}] up to {schedule.max_epochs} epochs of {steps} batches", flush=True)
        model.fit(train_ds, validation_data=val_ds, epochs=schedule.max_epochs, initial_epoch=state["epochs_done"],
                  steps_per_epoch=steps, callbacks=[callback], verbose=0)
    model.set_weights(callback.best_weights)
    print(f"[{label}] {state['epochs_done']} epochs in {state['seconds']:.0f} s, best epoch {state['best_epoch']}",
          flush=True)
    return model, {"history": state["history"], "epochs_run": state["epochs_done"], "best_epoch": state["best_epoch"],
                   "seconds": round(state["seconds"], 1), "resumed": state["resumed"]}


def _smoothing(task: str, recipe: Recipe, schedule: Schedule) -> float:
    return 0.0 if task == "age" and recipe.age_sigma_years > 0 else schedule.label_smoothing


def pretrain(data: PreparedData, recipe: Recipe = RECIPE, run_dir: Path = CACHE_DIR,
             strategy: tf.distribute.Strategy | None = None) -> Path:
    """Gender + age trunk on the whole training split, kept under `run_dir` by data and recipe."""
    strategy = strategy or tf.distribute.get_strategy()
    folder = run_dir / f"pretrain-{recipe.pretrain_key(data.dataset.fingerprint, SEED)}"
    path = folder / "model.keras"
    if path.exists():
        print(f"[pretrain] reusing {path}", flush=True)
        return path
    keras.utils.set_random_seed(SEED)
    train, val = data.subsets["all"], data.split["val"]
    pixels, schedule = data.dataset.pixels, recipe.pretrain
    train_ds = make_batches(pixels[train], {t: targets_for(data, t, train, recipe) for t in PRETRAIN_TASKS}, None,
                            schedule.batch_size, train=True)
    val_ds = make_batches(pixels[val], {t: targets_for(data, t, val, recipe) for t in PRETRAIN_TASKS}, None,
                          256, train=False)
    model, record = fit(lambda: build_multitask(PRETRAIN_TASKS, recipe.size, recipe.trunk), train_ds, val_ds,
                        schedule, int(np.ceil(len(train) / schedule.batch_size)), "pretrain", folder / "checkpoint",
                        {t: _smoothing(t, recipe, schedule) for t in PRETRAIN_TASKS}, strategy)
    if is_chief(strategy):
        model.save(path)
        (folder / "record.json").write_text(json.dumps(record, indent=1))
    return path


def initialise_from_pretrained(model: keras.Model, pretrained: keras.Model, task: str) -> None:
    """Copy every trunk layer's weights, and the task's head if pretraining had one."""
    for layer in model.layers:
        if layer.weights and layer.name != "probabilities":
            layer.set_weights(pretrained.get_layer(layer.name).get_weights())
    if task in PRETRAIN_TASKS:
        model.get_layer("probabilities").set_weights(pretrained.get_layer(task).get_weights())


def finetune(data: PreparedData, task: str, train: np.ndarray, pretrained_path: Path, schedule: Schedule,
             label: str, checkpoint_dir: Path, recipe: Recipe = RECIPE, seed: int = SEED,
             balanced_weights: bool = False, strategy: tf.distribute.Strategy | None = None
             ) -> tuple[keras.Model, dict]:
    """Fine-tune a classifier for `task` on the training faces `train` (dataset indices), starting from the
    pretrained trunk; `seed` sets the new head's initialisation, the shuffling and the augmentation."""
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    n_classes = len(TASK_LABELS[task])
    weights = None
    if balanced_weights:
        labels = data.dataset.labels(task)[train]
        class_weight = balanced_class_weights(labels, n_classes)
        weights = np.array([class_weight[c] for c in labels])
    val, pixels = data.split["val"], data.dataset.pixels
    train_ds = make_batches(pixels[train], {task: targets_for(data, task, train, recipe)}, weights,
                            schedule.batch_size, train=True, seed=seed)
    val_ds = make_batches(pixels[val], {task: targets_for(data, task, val, recipe)}, None, 256, train=False)

    def build():
        model = build_classifier(n_classes, recipe.size, name=label, trunk=recipe.trunk)
        initialise_from_pretrained(model, keras.models.load_model(pretrained_path), task)
        return model

    return fit(build, train_ds, val_ds, schedule, int(np.ceil(len(train) / schedule.batch_size)), label,
               checkpoint_dir, {"probabilities": _smoothing(task, recipe, schedule)}, strategy)


def train_model(spec: ModelSpec, data: PreparedData, pretrained_path: Path, out_dir: Path = MODELS_DIR,
                recipe: Recipe = RECIPE, strategy: tf.distribute.Strategy | None = None,
                run_dir: Path = CACHE_DIR) -> Path:
    """Fine-tune one published model from the pretrained trunk and save it with its metadata."""
    strategy = strategy or tf.distribute.get_strategy()
    schedule = recipe.finetune[spec.name]
    labels = data.dataset.labels(spec.task)
    train = data.subsets[spec.subset]
    key = recipe.key(data.dataset.fingerprint, SEED, pretrained_path.parent.name)
    model, record = finetune(data, spec.task, train, pretrained_path, schedule, spec.name,
                             run_dir / f"finetune-{spec.name}-{key}", recipe, SEED, spec.balanced_class_weights,
                             strategy)
    model_dir = out_dir / spec.name
    if not is_chief(strategy):
        return model_dir
    model_dir.mkdir(parents=True, exist_ok=True)
    model.save(model_dir / "model.keras")
    pretrain_record = json.loads((pretrained_path.parent / "record.json").read_text())
    (model_dir / "history.json").write_text(json.dumps({"pretrain": pretrain_record, "finetune": record}, indent=1))
    metadata = {
        "name": spec.name, "task": spec.task, "labels": list(spec.labels), "input_size": recipe.size,
        "input": "RGB pixels 0-255, float32, shape (batch, size, size, 3); the full aligned UTKFace crop resized",
        "output": "class probabilities (softmax) in the order of `labels`",
        "feature_layer": FEATURE_LAYER, "embedding_layer": EMBEDDING_LAYER,
        "training_subset": spec.subset, "training_faces": int(len(train)),
        "training_faces_per_class": {name: int((labels[train] == i).sum()) for i, name in enumerate(spec.labels)},
        "balanced_class_weights": spec.balanced_class_weights,
        "data_hash": data.dataset.fingerprint, "seed": SEED, "parameters": int(model.count_params()),
        "recipe": {"size": recipe.size, "trunk": asdict(recipe.trunk), "age_sigma_years": recipe.age_sigma_years},
        "schedule": asdict(schedule), "pretrain_schedule": asdict(recipe.pretrain),
        "train_seconds": {"pretrain_shared": pretrain_record["seconds"], "finetune": record["seconds"]},
    }
    (model_dir / "metadata.json").write_text(json.dumps(metadata, indent=1))
    return model_dir


def train_all(data: PreparedData, names: list[str] | None = None, out_dir: Path = MODELS_DIR,
              recipe: Recipe = RECIPE, strategy: tf.distribute.Strategy | None = None,
              run_dir: Path = CACHE_DIR) -> list[Path]:
    """Shared pretraining, then each named model (all five by default); resumes whatever was cut short."""
    names = names or list(MODEL_SPECS)
    started = time.monotonic()
    pretrained = pretrain(data, recipe, run_dir, strategy)
    done = []
    for index, name in enumerate(names):
        done.append(train_model(MODEL_SPECS[name], data, pretrained, out_dir, recipe, strategy, run_dir))
        print(f"[train] {index + 1}/{len(names)} models done, {(time.monotonic() - started) / 60:.1f} min so far",
              flush=True)
    return done
