"""Figures and tables for the site's own pages (data, models), drawn from the committed JSON at build time.

Each output is one cached unit: its key is the hash of this file and of every input file it reads, and
its files live under .cache/site/<unit>-<key>/ and are copied into docs/generated/site/. An unchanged
build therefore draws nothing, and a new metrics file redraws only the figures that read it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gen.config import AGE_BINS, CACHE_DIR, GENDERS, MODELS_DIR, RACES
from gen.models.registry import MODEL_SPECS, RACE_PAIR
from gen.pipeline import BuildContext
from gen.plotting import pyplot, save_figure
from gen.site.cache import Unit, require
from gen.site.cache import make_figures as make_area_figures
from gen.site.context import interval_level, load_json

AREA = "site"
COLORS = {"fair": "#1b7f79", "biased": "#c4512b", "census": "#555555", "all": "#8a8a8a",
          "train": "#3b6ea8", "val": "#7fa6d6", "test": "#c7d8ee"}


def _model_file(name: str, stem: str, models_dir: Path) -> Path:
    return require(Path(models_dir) / name / f"{stem}.json")


# ---- data page ----

def draw_data_composition(inputs: dict[str, Path], out: Path) -> None:
    """Race, gender and age-bin counts of the cleaned faces, stacked by split."""
    report = load_json(inputs["data_report"])
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(9, 3), gridspec_kw={"width_ratios": [5, 2, 9]})
    for ax, column, labels in zip(axes, ("race", "gender", "age"), (RACES, GENDERS, AGE_BINS)):
        bottom = np.zeros(len(labels))
        for split in ("train", "val", "test"):
            counts = np.array([report["splits"][split][column].get(label, 0) for label in labels])
            ax.bar(labels, counts, bottom=bottom, color=COLORS[split], label=split)
            bottom += counts
        ax.set_title(column)
        ax.tick_params(axis="x", rotation=45)
    axes[0].set_ylabel("faces")
    axes[2].legend(frameon=False)
    save_figure(figure, out / "data_composition.png")


def draw_subsets(inputs: dict[str, Path], out: Path) -> None:
    """Each training subset's race shares next to the Census shares the biased subset follows."""
    report = load_json(inputs["data_report"])
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(7, 3))
    width = 0.2
    x = np.arange(len(RACES))
    series = [(name, [report["subsets"][name]["race"].get(r, 0) / report["subsets"][name]["n"] for r in RACES])
              for name in ("all", "fair", "biased")]
    series.append(("census", [report["census_shares"][r] for r in RACES]))
    for offset, (name, shares) in enumerate(series):
        ax.bar(x + (offset - 1.5) * width, shares, width, color=COLORS[name],
               label="US Census shares (target)" if name == "census" else f"{name} training faces")
    ax.set_xticks(x, RACES)
    ax.set_ylabel("share of faces")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=8)
    save_figure(figure, out / "subsets.png")


# ---- models page ----

def _curve_panel(ax, record, title: str) -> None:
    history = record["history"]
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], color="#3b6ea8", label="training loss")
    ax.plot(epochs, history["val_loss"], color="#c4512b", label="validation loss")
    if "best_epoch" in record:
        ax.axvline(record["best_epoch"], color="#888888", linestyle=":", label="kept epoch")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("epoch")


def draw_training_curves(inputs: dict[str, Path], out: Path) -> None:
    """Loss per epoch: the shared pretraining, then each model's fine-tuning, with the epoch kept."""
    histories = {name: load_json(inputs[f"{name}/history"]) for name in MODEL_SPECS}
    plt = pyplot()
    figure, axes = plt.subplots(2, 3, figsize=(9, 5.4), sharey=False)
    first = next(iter(histories.values()))
    _curve_panel(axes[0][0], first["pretrain"], "shared pretraining (gender + age)")
    for ax, (name, history) in zip(axes.flat[1:], histories.items()):
        _curve_panel(ax, history["finetune"], f"{name} fine-tuning")
    axes[0][0].set_ylabel("loss")
    axes[1][0].set_ylabel("loss")
    axes[0][0].legend(frameon=False, fontsize=8)
    figure.tight_layout()
    save_figure(figure, out / "training_curves.png")


def _group_dots(ax, metrics_by_model: dict[str, dict], column: str, groups: tuple[str, ...]) -> None:
    """Accuracy per group with its 95% interval, one offset series per model."""
    y = np.arange(len(groups))
    step = 0.8 / max(len(metrics_by_model), 1)
    for index, (name, metrics) in enumerate(metrics_by_model.items()):
        rows = [metrics["groups"][column][g] for g in groups]
        accuracy = np.array([r["accuracy"] for r in rows])
        low = np.maximum(accuracy - np.array([r["ci_low"] for r in rows]), 0)
        high = np.maximum(np.array([r["ci_high"] for r in rows]) - accuracy, 0)
        color = COLORS.get(name.removeprefix("race_"))
        ax.errorbar(accuracy, y + (index - (len(metrics_by_model) - 1) / 2) * step, xerr=[low, high], fmt="o",
                    capsize=3, color=color, label=name)
    ax.set_yticks(y, groups)
    ax.invert_yaxis()
    ax.set_xlabel(f"test accuracy ({interval_level():.0%} interval)")
    ax.xaxis.set_major_formatter(pyplot().matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2),
              ncol=len(metrics_by_model))


def draw_race_groups(inputs: dict[str, Path], out: Path) -> None:
    """The race models' accuracy on each race, fair vs biased, with intervals."""
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(7, 3.4))
    _group_dots(ax, {name: load_json(inputs[f"{name}/metrics"]) for name in RACE_PAIR}, "race", RACES)
    save_figure(figure, out / "race_groups.png")


def draw_other_groups(inputs: dict[str, Path], out: Path) -> None:
    """The gender and age models' accuracy on each race: a model need not predict race to differ by it."""
    plt = pyplot()
    figure, ax = plt.subplots(figsize=(7, 3.8))
    others = [name for name in MODEL_SPECS if name not in RACE_PAIR]
    _group_dots(ax, {name: load_json(inputs[f"{name}/metrics"]) for name in others}, "race", RACES)
    save_figure(figure, out / "other_groups.png")


def _confusion_panel(ax, metrics, title: str) -> None:
    matrix = np.array(metrics["confusion_matrix"], dtype=float)
    rows = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    labels = list(metrics["labels"])
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    ax.spines[:].set_visible(False)
    if len(labels) <= 5:
        for (i, j), value in np.ndenumerate(rows):
            ax.text(j, i, f"{value * 100:.0f}%", ha="center", va="center", fontsize=8,
                    color="white" if value > 0.55 else "black")


def draw_confusion_race(inputs: dict[str, Path], out: Path) -> None:
    """Row-normalised confusion matrices of the two race models side by side."""
    plt = pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.8))
    for ax, name in zip(axes, RACE_PAIR):
        _confusion_panel(ax, load_json(inputs[f"{name}/metrics"]), name)
    figure.tight_layout()
    save_figure(figure, out / "confusion_race.png")


def draw_confusion_other(inputs: dict[str, Path], out: Path) -> None:
    """Row-normalised confusion matrices of the gender and the two age models."""
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 2, 2]})
    for ax, name in zip(axes, ("gender", "age_base", "age_weighted")):
        _confusion_panel(ax, load_json(inputs[f"{name}/metrics"]), name)
    figure.tight_layout()
    save_figure(figure, out / "confusion_other.png")


# The layers that end each stage of gen/architecture.py, for a table a reader can follow.
STAGE_ENDS = ("pixels", "stem_relu", "block1_out", "block2_out", "features", "embedding", "probabilities")


def write_architecture(inputs: dict[str, Path], out: Path) -> None:
    """Each stage of a published model (output shape, parameters, layers), read from the saved model."""
    from gen.models.keras import keras
    model = keras.models.load_model(inputs["race_fair/model"])
    stages, parameters, layers = [], 0, []
    for layer in model.layers:
        parameters += int(layer.count_params())
        layers.append(layer.name)
        if layer.name in STAGE_ENDS:
            stages.append({"name": layer.name, "output_shape": [int(d) for d in layer.output.shape[1:]],
                           "parameters": parameters, "layers": layers})
            parameters, layers = 0, []
    (out / "architecture.json").write_text(json.dumps(
        {"model": model.name, "parameters": int(model.count_params()), "stages": stages}, indent=1))


def _report(models_dir: Path) -> dict[str, Path]:
    return {"data_report": require(Path(models_dir) / "analysis" / "data_report.json")}


def _model_inputs(names: tuple[str, ...] | list[str], stem: str) -> Callable[[Path], dict[str, Path]]:
    return lambda models_dir: {f"{n}/{stem}": _model_file(n, stem, models_dir) for n in names}


def _model_weights(name: str) -> Callable[[Path], dict[str, Path]]:
    return lambda models_dir: {f"{name}/model": require(Path(models_dir) / name / "model.keras")}


UNITS = (
    Unit("data_composition", _report, draw_data_composition),
    Unit("subsets", _report, draw_subsets),
    Unit("training_curves", _model_inputs(list(MODEL_SPECS), "history"), draw_training_curves),
    Unit("race_groups", _model_inputs(RACE_PAIR, "metrics"), draw_race_groups),
    Unit("other_groups", _model_inputs([n for n in MODEL_SPECS if n not in RACE_PAIR], "metrics"),
         draw_other_groups),
    Unit("confusion_race", _model_inputs(RACE_PAIR, "metrics"), draw_confusion_race),
    Unit("confusion_other", _model_inputs(("gender", "age_base", "age_weighted"), "metrics"), draw_confusion_other),
    Unit("architecture", _model_weights("race_fair"), write_architecture),
)


def make_figures(docs_dir: Path, models_dir: Path = MODELS_DIR, cache_dir: Path = CACHE_DIR / AREA) -> list[str]:
    """Bring docs/generated/site/ up to date; returns the units that had to be drawn."""
    return make_area_figures(docs_dir, models_dir, cache_dir, UNITS, AREA)


def run(ctx: BuildContext) -> None:
    """Build step: the data and model figures for pages 02 and 03."""
    drawn = make_figures(ctx.docs_dir)
    print(f"[site] figures: {len(UNITS) - len(drawn)} cached, drew {', '.join(drawn) or 'none'}", flush=True)
