"""Figures of the bias dose curve (models/analysis/dose.json) and the face regions (regions.json).

- dose-recall.png: recall per race against the dose, the mean over seeds with its interval, each seed a dot;
  narrow enough (3.4 in) to be read on a phone without scrolling.
- dose-<dose>-<race>.webp: the class-average Grad-CAM of one model per dose over the race's mean test face,
  all on one scale, for the slider on page 01 (text-free: the page labels them).
- regions.webp: the face regions drawn over the mean training face (the page gives the legend, in colour
  order REGION_COLOURS).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from gen.config import RACES
from gen.face.regions import REGION_COLOURS, REGIONS, region_masks
from gen.face.template import read_template
from gen.plotting import pyplot, save_figure
from gen.site import display
from gen.site.cache import Unit, require

RACE_COLOURS = dict(zip(RACES, ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3")))
FACE_SIDE = 128  # px of each slider picture (the mean faces are 64 px: doubled for a crisp display)


def _enlarged(face: np.ndarray, side: int) -> np.ndarray:
    return np.asarray(Image.fromarray(face).resize((side, side), Image.BICUBIC))


def draw_dose_recall(dose: dict, path: Path) -> None:
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(3.4, 3.2))
    doses = [row["dose"] for row in dose["by_dose"]]
    for race in RACES:
        colour = RACE_COLOURS[race]
        mean = [row["recall"][race]["mean"] for row in dose["by_dose"]]
        low = [max(0.0, row["recall"][race]["low"]) for row in dose["by_dose"]]
        high = [min(1.0, row["recall"][race]["high"]) for row in dose["by_dose"]]
        axis.fill_between(doses, low, high, color=colour, alpha=0.15, linewidth=0)
        axis.plot(doses, mean, color=colour, marker="o", markersize=3, linewidth=1.5, label=race)
        seeds = [(run["dose"], run["recall"][race]["value"]) for run in dose["runs"]]
        axis.scatter(*zip(*seeds), color=colour, s=5, alpha=0.6, linewidths=0)
    axis.set(xlabel="bias dose (0 = balanced, 1 = Census shares)", ylabel="recall on test faces", ylim=(0, 1),
             xticks=doses)
    axis.xaxis.label.set_fontsize(8), axis.yaxis.label.set_fontsize(8)
    axis.tick_params(labelsize=8)
    axis.legend(frameon=False, fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    save_figure(figure, path)


def write_dose_maps(maps: dict[str, np.ndarray], faces: dict[str, np.ndarray], out: Path) -> None:
    """One picture per dose and race, every map on the same scale so that fading shows."""
    stack = np.stack([maps[key] for key in sorted(maps)])  # (doses, races, h, w)
    normalised, _ = display.normalise(stack.reshape(-1, *stack.shape[2:]), scale="shared")
    normalised = normalised.reshape(stack.shape)
    enlarged = [_enlarged(faces[race], FACE_SIDE) for race in RACES]
    for d, key in enumerate(sorted(maps)):
        for r, race in enumerate(RACES):
            display.save_picture(display.overlay(enlarged[r], normalised[d, r]), out / f"dose-{key}-{race}.webp")


def write_regions_picture(faces: dict[str, np.ndarray], landmarks68: np.ndarray, out: Path, side: int = 256) -> None:
    """The regions over the mean training face: each region tinted in its colour, so its outline shows."""
    masks = region_masks(landmarks68, side)
    face = _enlarged(faces["all"], side).astype(np.float32)
    colours = np.array([[int(REGION_COLOURS[r][i:i + 2], 16) for i in (1, 3, 5)] for r in REGIONS], np.float32)
    tint = np.einsum("rhw,rc->hwc", masks.astype(np.float32), colours)
    display.save_picture((0.55 * face + 0.45 * tint).round().astype(np.uint8), out / "regions.webp")


def _dose_inputs(models_dir: Path) -> dict[str, Path]:
    folder = Path(models_dir) / "analysis"
    return {"dose": require(folder / "dose.json"), "maps": require(folder / "dose_maps.npz"),
            "faces": require(folder / "explain_mean_faces.npz")}


def _draw_dose(files: dict[str, Path], out: Path) -> None:
    draw_dose_recall(json.loads(files["dose"].read_text()), out / "dose-recall.png")
    with np.load(files["maps"]) as maps, np.load(files["faces"]) as faces:
        write_dose_maps({k: maps[k] for k in maps.files}, {k: faces[k] for k in faces.files}, out)


def _regions_inputs(models_dir: Path) -> dict[str, Path]:
    folder = Path(models_dir) / "analysis"
    return {"template": require(folder / "face_template.json"), "faces": require(folder / "explain_mean_faces.npz")}


def _draw_regions(files: dict[str, Path], out: Path) -> None:
    template = read_template(files["template"])
    with np.load(files["faces"]) as faces:
        write_regions_picture({k: faces[k] for k in faces.files}, np.array(template["mean68"]), out)


UNITS = (
    Unit("dose", _dose_inputs, _draw_dose),
    Unit("regions", _regions_inputs, _draw_regions),
)
