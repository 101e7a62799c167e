"""Figures of the committed explanation analyses (models/analysis/explain_*.json) for pages 05-07.

Each figure is a cached unit (gen/site/cache.py) under .cache/explain/figures/, keyed by the hash of its
input files and of this file, so an unchanged build draws nothing. A missing analysis file stops the
build with the command that writes it.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gen.config import AGE_BINS, RACES
from gen.explain.registry import METHODS
from gen.models.registry import MODEL_SPECS, RACE_PAIR
from gen.plotting import pyplot, save_figure
from gen.site import display
from gen.site.cache import Unit, require


def _titles() -> dict[str, str]:
    return {**{name: method.title for name, method in METHODS.items()}, "random": "Random map"}


def draw_faithfulness(data: dict, path: Path) -> None:
    """Deletion and insertion AUC per method, one bar per model; random maps as the reference."""
    plt = pyplot()
    models = list(data["faithfulness"])
    methods = list(next(iter(data["faithfulness"].values()))["methods"])
    titles = _titles()
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    width = 0.8 / len(models)
    for axis, kind, better in ((axes[0], "deletion", "lower"), (axes[1], "insertion", "higher")):
        for i, model in enumerate(models):
            values = [data["faithfulness"][model]["methods"][m][f"{kind}_auc"] for m in methods]
            axis.barh(np.arange(len(methods)) + i * width, values, width, label=model,
                      color=MODEL_SPECS[model].colour)
        axis.set_title(f"{kind.title()} AUC ({better} is better)")
        axis.set_yticks(np.arange(len(methods)) + width * (len(models) - 1) / 2, [titles[m] for m in methods])
        axis.invert_yaxis()
    axes[1].legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    save_figure(figure, path)


def draw_curves(data: dict, path: Path) -> None:
    """Mean deletion and insertion curves of the race models for each method and random maps."""
    plt = pyplot()
    titles = _titles()
    models = [m for m in RACE_PAIR if m in data["faithfulness"]] or list(data["faithfulness"])[:1]
    figure, axes = plt.subplots(len(models), 2, figsize=(9, 3.4 * len(models)), squeeze=False,
                                layout="constrained")  # titles clear the axis labels of the row above
    for row, model in enumerate(models):
        result = data["faithfulness"][model]
        for col, kind in enumerate(("deletion", "insertion")):
            axis = axes[row][col]
            for method, values in result["methods"].items():
                axis.plot(result["fractions"], values[f"{kind}_curve"], label=titles[method],
                          color="black" if method == "random" else None, linestyle="--" if method == "random" else "-")
            axis.set_title(f"{model}: {kind}")
            axis.set_xlabel("fraction of pixels changed")
            axis.set_ylabel("probability of the predicted class")
    axes[0][1].legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def draw_sanity(data: dict, path: Path) -> None:
    """Rank correlation with the trained model's maps as layers are randomised from the top."""
    plt = pyplot()
    titles = _titles()
    models = list(data["sanity"])
    figure, axes = plt.subplots(1, len(models), figsize=(4.6 * len(models), 3.4), squeeze=False, sharey=True)
    for axis, model in zip(axes[0], models):
        result = data["sanity"][model]
        steps = ["trained"] + [f"−{s}" for s in result["steps"]]
        for method, values in result["methods"].items():
            label = titles[method] + (" (flagged)" if values["flagged"] else "")
            axis.plot(steps, [1.0] + values["correlation"], marker="o", label=label)
        axis.axhline(result["flag_threshold"], color="grey", linestyle=":", linewidth=1)
        axis.set_title(f"{model}: randomised from the top")
        axis.set_ylabel("Spearman correlation with trained maps")
        axis.tick_params(axis="x", rotation=30)
    axes[0][-1].legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def draw_completeness(data: dict, path: Path) -> None:
    """Median relative completeness error of IG against steps, per baseline and rule, per model."""
    plt = pyplot()
    settings = list(next(iter(data["completeness"].values())))
    baselines = sorted({key.split("/")[0] for key in settings}, reverse=True)
    figure, axes = plt.subplots(1, len(baselines), figsize=(4.6 * len(baselines), 3.4), sharey=True, squeeze=False)
    for axis, baseline in zip(axes[0], baselines):
        for model, result in data["completeness"].items():
            for key in (k for k in settings if k.startswith(baseline + "/")):
                rows = result[key]["by_steps"]
                axis.plot([r["steps"] for r in rows], [max(r["median"], 1e-6) for r in rows],
                          "--" if key.endswith("trapezoid") else "-", marker="o",
                          color=MODEL_SPECS[model].colour, label=f"{model}, {result[key]['rule']}")
        axis.axhline(data["goal"], color="grey", linestyle=":", linewidth=1)
        axis.set(xscale="log", yscale="log", title=f"{baseline} baseline", xlabel="steps",
                 ylabel="median |δ| / |F(x) − F(x′)|")
        steps = [r["steps"] for r in rows]
        axis.set_xticks(steps, [str(s) for s in steps])
        axis.minorticks_off()
        axis.legend(frameon=False, fontsize=8)
    save_figure(figure, path)


def _aggregate_grid(plt, rows: list[tuple[str, dict[str, np.ndarray]]], faces: dict[str, np.ndarray],
                    path: Path, signed_rows: set[str]) -> None:
    """Rows of mean maps drawn over mean faces; each row on one shared scale. No rows: no figure."""
    if not rows:
        return
    columns = list(rows[0][1])
    figure, axes = plt.subplots(len(rows), len(columns), figsize=(1.5 * len(columns), 1.6 * len(rows)),
                                squeeze=False)
    for r, (label, maps) in enumerate(rows):
        signed = label in signed_rows
        stack = np.stack([maps[c] for c in columns])
        divisor = display.scale_of(stack, percentile=100)
        normalised, _ = display.normalise(stack, scale=divisor, signed=signed)
        for c, column in enumerate(columns):
            face = faces.get(column, faces["all"])
            axes[r][c].imshow(display.overlay(face, normalised[c], signed=signed))
            axes[r][c].set_xticks([]), axes[r][c].set_yticks([])
            if r == 0:
                axes[r][c].set_title(column, fontsize=8)
        axes[r][0].set_ylabel(label, fontsize=8)
    save_figure(figure, path)


def draw_average_race(data: dict, faces: dict[str, np.ndarray], path: Path) -> None:
    plt = pyplot()
    aggregates = data["aggregates"]
    rows = [(model, {race: np.array(aggregates[model]["race"][race]["map"]) for race in RACES})
            for model in RACE_PAIR if model in aggregates]
    if "difference" in aggregates:
        rows.append(("fair − biased", {race: np.array(aggregates["difference"][race]["map"]) for race in RACES}))
    _aggregate_grid(plt, rows, faces, path, {"fair − biased"})


def draw_average_age(data: dict, faces: dict[str, np.ndarray], path: Path) -> None:
    plt = pyplot()
    aggregates = data["aggregates"]
    models = [m for m in ("age_base", "age_weighted") if m in aggregates]
    rows = [(model, {b: np.array(aggregates[model]["age_bin"][b]["map"]) for b in AGE_BINS
                     if b in aggregates[model]["age_bin"]}) for model in models]
    _aggregate_grid(plt, rows, {"all": faces["all"]}, path, set())


def _figure(file: str, stem: str, draw: Callable, faces: bool = False) -> Unit:
    """A figure drawn from models/analysis/<stem>.json (and the mean faces, for the class averages)."""

    def inputs(models_dir: Path) -> dict[str, Path]:
        folder = Path(models_dir) / "analysis"
        return {"data": require(folder / f"{stem}.json"),
                **({"faces": require(folder / "explain_mean_faces.npz")} if faces else {})}

    def draw_unit(files: dict[str, Path], out: Path) -> None:
        data = json.loads(files["data"].read_text())
        if faces:
            with np.load(files["faces"]) as stored:
                draw(data, {k: stored[k] for k in stored.files}, out / file)
        else:
            draw(data, out / file)

    return Unit(Path(file).stem, inputs, draw_unit)


UNITS = (
    _figure("faithfulness-auc.png", "explain_faithfulness", draw_faithfulness),
    _figure("faithfulness-curves.png", "explain_faithfulness", draw_curves),
    _figure("sanity.png", "explain_sanity", draw_sanity),
    _figure("completeness.png", "explain_completeness", draw_completeness),
    _figure("average-race.webp", "explain_aggregates", draw_average_race, faces=True),
    _figure("average-age.webp", "explain_aggregates", draw_average_age, faces=True),
)
