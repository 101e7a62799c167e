"""Build step: the age-range and prototype figures, drawn from the committed analysis files.

Reads models/analysis/age_ranges.json, prototypes.json and the face thumbnails, and writes PNGs into
docs/generated/age/. Each figure is a cached unit (gen/site/figures.py): it is redrawn only when one of
its input files or this file changes, so an unchanged build draws nothing.
"""
from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from gen.age.paths import PROTOTYPES, RANGES, THUMBNAILS, analysis_dir
from gen.config import CACHE_DIR, MODELS_DIR, RACES, ROOT
from gen.data.samples import MANIFEST_NAME, SAMPLES_DIR, read_samples
from gen.pipeline import BuildContext
from gen.plotting import narrow_path, pyplot, save_figure
from gen.site.cache import Unit
from gen.site.cache import make_figures as make_area_figures
from gen.site.context import MissingDataError, load_json, shown_path

AREA = "age"
RULES = {"baseline_raw": ("sum to 90% (raw)", "#9a9a9a"), "conformal": ("conformal", "#3b6ea8"),
         "mondrian_race": ("conformal per race", "#c4512b")}
# A group's picks, in order: the typical ones (MMD-critic's prototypes, the simple rule's most confident face),
# then the atypical ones. On a phone (PHONE_COLUMNS to a row) each kind gets its own row.
ROLE_COLUMNS = (("prototypes", "MMD prototypes"), ("simple_prototype", "most confident"),
                ("criticisms", "MMD criticisms"), ("simple_criticism", "largest error"))
PHONE_COLUMNS = 4  # 4 faces and the row labels: 344 px, inside a 350 px phone column at 1 px per pixel
MOSAIC_DPI = 96  # one image pixel per thumbnail pixel in the saved mosaic


def _inputs(*files: tuple[str, str, str], thumbnails: bool = False) -> Callable[[Path], dict[str, Path]]:
    """Input files of a unit (this module included, so a drawing change redraws), failing clearly if absent."""
    def collect(models_dir: Path) -> dict[str, Path]:
        found = {"code": Path(__file__)}
        for key, name, producer in files:
            path = analysis_dir(models_dir) / name
            if not path.exists():
                raise MissingDataError(f"{shown_path(path)} is missing (written by `{producer}`)")
            found[key] = path
        if thumbnails:  # the mosaics: their faces, and the overlay code that draws on them
            faces = sorted((analysis_dir(models_dir) / THUMBNAILS).glob("*.jpg"))
            found |= {f"{THUMBNAILS}/{p.name}": p for p in faces}
            found["overlay"] = ROOT / "gen" / "site" / "display.py"
        return found
    return collect


RANGES_INPUT = ("age_ranges", RANGES, "python -m gen age-ranges")
PROTOTYPES_INPUT = ("prototypes", PROTOTYPES, "python -m gen prototypes")


def draw_coverage(inputs: dict[str, Path], out: Path) -> None:
    """Coverage and mean width per race for the baseline rule and both conformal variants, per model."""
    report = load_json(inputs["age_ranges"])
    models = list(report["models"])
    goal = report["goal"]
    plt = pyplot()
    figure, axes = plt.subplots(2, len(models), figsize=(4.6 * len(models), 5.6), sharey="row", squeeze=False)
    x = np.arange(len(RACES))
    width = 0.8 / len(RULES)
    for column, name in enumerate(models):
        for k, (rule, (label, color)) in enumerate(RULES.items()):
            cells = report["models"][name][rule]["race"]
            offset = (k - (len(RULES) - 1) / 2) * width
            coverage = np.array([cells[r]["coverage"] for r in RACES])
            interval = np.array([cells[r]["coverage_ci"] for r in RACES])
            axes[0, column].bar(x + offset, coverage, width, color=color, label=label,
                                yerr=[coverage - interval[:, 0], interval[:, 1] - coverage], ecolor="#333333",
                                error_kw={"lw": 0.8, "capsize": 1.5})
            axes[1, column].bar(x + offset, [cells[r]["mean_width"] for r in RACES], width, color=color)
        axes[0, column].axhspan(goal["coverage_low"], goal["coverage_high"], color="#2e8b57", alpha=0.12, lw=0)
        axes[0, column].axhline(1 - report["alpha"], color="#2e8b57", lw=1)
        axes[0, column].set_ylim(0.6, 1.0)
        axes[1, column].axhline(goal["max_mean_width"], color="#2e8b57", lw=1, ls="--")
        axes[0, column].set_title(f"{name}")
        for row in (0, 1):
            axes[row, column].set_xticks(x, RACES)
    axes[0, 0].set_ylabel("coverage, test split (95% interval)")
    axes[1, 0].set_ylabel("mean range width (bins)")
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=len(RULES), frameon=False,
                  fontsize=8, bbox_to_anchor=(0.5, 0.97))
    save_figure(figure, out / "age_coverage.png")


def draw_reliability(inputs: dict[str, Path], out: Path) -> None:
    """Confidence against accuracy before and after temperature scaling, per model."""
    report = load_json(inputs["age_ranges"])
    models = list(report["models"])
    plt = pyplot()
    figure, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3.4), squeeze=False)
    for ax, name in zip(axes[0], models):
        result = report["models"][name]
        for key, label, color in (("raw", "raw", "#9a9a9a"),
                                  ("scaled", f"T = {result['temperature']:.2f}", "#3b6ea8")):
            points = result["reliability"][key]
            ax.plot([p["confidence"] for p in points], [p["accuracy"] for p in points], "o-", color=color,
                    label=label, ms=4)
        ax.plot([0, 1], [0, 1], color="#555555", lw=0.8, ls=":")
        ax.set(title=name, xlabel="confidence of the top bin", xlim=(0, 1), ylim=(0, 1))
        ax.legend(frameon=False, fontsize=8)
    axes[0, 0].set_ylabel("share correct")
    save_figure(figure, out / "age_reliability.png")


def draw_samples(inputs: dict[str, Path], out: Path) -> None:
    """The article's curated faces with each age model's calibrated range and top bin."""
    report = load_json(inputs["age_ranges"])
    samples = report["samples"]
    plt = pyplot()
    columns = 5
    rows = -(-len(samples) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.3 * columns, 2.9 * rows), squeeze=False)
    for ax in axes.flat[len(samples):]:
        ax.axis("off")
    for ax, sample in zip(axes.flat, samples):
        ax.imshow(Image.open(inputs[f"sample/{sample['file']}"]).convert("RGB"))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"labelled {sample['age']} ({sample['true_bin']})", fontsize=8)
        lines = [f"{name.removeprefix('age_')}: {m['range']} {'✓' if m['covered'] else '✗'} "
                 f"(top {m['top3'][0]['bin']})" for name, m in sample["models"].items()]
        ax.set_xlabel("\n".join(lines), fontsize=8)
    save_figure(figure, out / "age_samples.webp")


def _sample_files(models_dir: Path) -> dict[str, Path]:
    return {"manifest": SAMPLES_DIR / MANIFEST_NAME,
            **{f"sample/{s['file']}": SAMPLES_DIR / s["file"] for s in read_samples()}}


def decode_cam(rows: list[str]) -> np.ndarray:
    """The 8 x 8 grid stored as digit strings (see gen/age/prototypes.py), at each digit's mid-point."""
    return (np.array([[int(d) for d in row] for row in rows], float) + 0.5) / 10


def draw_prototypes(inputs: dict[str, Path], out: Path) -> None:
    """One mosaic per model, and its phone variant: per group, MMD-critic's prototypes and the simple rule's
    most confident face, then MMD-critic's criticisms and the simple rule's largest error; each face above
    its Grad-CAM for the model's prediction. Both come from `prototype_mosaic`: the wide one puts a group's
    picks in one row, the phone one in rows of PHONE_COLUMNS (typical picks, then atypical ones)."""
    from gen.site.display import overlay  # imports the explain package (TensorFlow): only on a redraw
    document = load_json(inputs["prototypes"])
    plt = pyplot()
    for name, result in document["models"].items():
        groups = list(result["groups"].items())
        if not groups:
            raise MissingDataError(f"prototypes.json has no group with enough test faces for {name}")
        first = groups[0][1]  # every group has the first's number of picks of each kind (missing ones blank)
        columns = [(role, k, title) for role, title in ROLE_COLUMNS
                   for k in range(len(first[role]) if isinstance(first[role], list) else 1)]
        def picture(entry: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
            if entry is None:
                return None
            face = np.asarray(Image.open(inputs[document["faces"][entry["face"]]["thumbnail"]]).convert("RGB"))
            return face, overlay(face, decode_cam(entry["cam"]))
        # each pick's face and Grad-CAM drawn once, for both layouts
        picks = [[(title, _pick(group, role, k)) for role, k, title in columns] for _, group in groups]
        cells = [[(title, entry, picture(entry)) for title, entry in row] for row in picks]
        title = (f"{name}, by true {result['group_by']}: above each face the model's answer and confidence (green "
                 "right, red wrong); below it, Grad-CAM")
        wide, phone = (prototype_mosaic(title, [label for label, _ in groups], cells, per_row)
                       for per_row in (len(columns), PHONE_COLUMNS))
        path = out / f"prototypes_{name}.webp"
        for figure, saved in ((wide, path), (phone, narrow_path(path))):
            # each time (pyplot() resets the charts' dpi); no margin: the canvas has its own white edges
            with plt.rc_context({"savefig.dpi": MOSAIC_DPI, "savefig.pad_inches": 0}):
                save_figure(figure, saved)


def _pick(group: dict, role: str, k: int) -> dict | None:
    value = group[role]
    return (value[k] if k < len(value) else None) if isinstance(value, list) else value


def prototype_mosaic(title: str, labels: list[str],
                     cells: list[list[tuple[str, dict | None, tuple[np.ndarray, np.ndarray] | None]]], columns: int):
    """One figure of a mosaic whose rows are groups (`labels`), each of the group's `cells` (column title, pick,
    its face and Grad-CAM pictures) a face above its Grad-CAM, laid out `columns` to a row: a group with more
    cells takes several rows, and then every row carries its own column titles (a title spans the columns of
    one kind of pick).

    Drawn as one image with text on top rather than one axes per face: hundreds of axes take tens of seconds
    to lay out, one image a second. All text is at least 8.5 pt at MOSAIC_DPI (11 CSS px on a phone)."""
    face_px, pad, answer_px, header_px, label_px, line_px = 64, 8, 14, 28, 56, 13
    cell_w = face_px + pad
    width = label_px + cell_w * columns
    title_lines = textwrap.wrap(title, int((width - 8) / 7))  # 8.5 pt DejaVu Sans: 6.5 px a character or less
    rows_per_group = -(-len(cells[0]) // columns)
    row_h = (header_px if rows_per_group > 1 else 0) + answer_px + 2 * face_px + 2 * pad
    group_h = row_h * rows_per_group + 2 * pad
    top = 10 + line_px * len(title_lines) + (header_px if rows_per_group == 1 else 0)
    canvas = np.full((top + group_h * len(labels), width, 3), 255, np.uint8)
    texts = [(4, 4, "\n".join(title_lines), "#222222", 8.5, "top", "left")]
    for g, (label, group) in enumerate(zip(labels, cells)):
        group_top = top + g * group_h
        if g:  # a thin rule between groups, so a group's rows read as one
            canvas[group_top - 3 * pad // 2 - 1:group_top - 3 * pad // 2 + 1, pad:width - pad] = 200
        texts.append((label_px - 6, group_top + (row_h * rows_per_group - pad) / 2, label, "#222222", 9, "center",
                      "right"))
        for r in range(rows_per_group):
            row = group[r * columns:(r + 1) * columns]
            y = group_top + r * row_h + (header_px if rows_per_group > 1 else 0) + answer_px
            if rows_per_group > 1 or g == 0:  # column titles, each spanning its run of one kind of pick
                for start, run in _runs([column_title for column_title, _, _ in row]):
                    texts.append((label_px + (start + run[1] / 2) * cell_w - pad / 2, y - answer_px - 2,
                                  run[0] if run[1] > 1 else run[0].replace(" ", "\n", 1), "#222222", 8.5, "bottom",
                                  "center"))
            for c, (_, entry, pictures) in enumerate(row):
                if entry is None:
                    continue
                x = label_px + c * cell_w
                face, heat = pictures
                canvas[y:y + face_px, x:x + face_px] = face
                canvas[y + face_px + pad:y + 2 * face_px + pad, x:x + face_px] = heat
                texts.append((x + face_px / 2, y - 2, f"{entry['prediction']} {entry['confidence']:.2f}",
                              "#1b7f79" if entry["correct"] else "#c4512b", 8.5, "bottom", "center"))
    plt = pyplot()
    figure = plt.figure(figsize=(width / MOSAIC_DPI, canvas.shape[0] / MOSAIC_DPI), dpi=MOSAIC_DPI)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.imshow(canvas, interpolation="nearest")
    for x, y, text, color, size, va, ha in texts:
        ax.text(x, y, text, color=color, fontsize=size, ha=ha, va=va, linespacing=1.0)
    ax.axis("off")
    return figure


def _runs(titles: list[str]) -> list[tuple[int, tuple[str, int]]]:
    """(first index, (title, length)) of each run of equal titles, e.g. three "MMD prototype" columns."""
    runs, start = [], 0
    for title, run in itertools.groupby(titles):
        length = len(list(run))
        runs.append((start, (title, length)))
        start += length
    return runs


UNITS = (
    Unit("age_coverage", _inputs(RANGES_INPUT), draw_coverage),
    Unit("age_reliability", _inputs(RANGES_INPUT), draw_reliability),
    Unit("age_samples", lambda models_dir: _inputs(RANGES_INPUT)(models_dir) | _sample_files(models_dir), draw_samples),
    Unit("prototypes", _inputs(PROTOTYPES_INPUT, thumbnails=True), draw_prototypes),
)


def make_figures(docs_dir: Path, models_dir: Path = MODELS_DIR, cache_dir: Path = CACHE_DIR / AREA) -> list[str]:
    """Bring docs/generated/age/ up to date; returns the units that had to be drawn."""
    return make_area_figures(docs_dir, models_dir, cache_dir / "figures", UNITS, AREA)


def run(ctx: BuildContext) -> None:
    """Build step: figures for pages 08 (age ranges) and 09 (prototypes)."""
    drawn = make_figures(ctx.docs_dir)
    print(f"[age] figures: {len(UNITS) - len(drawn)} cached, drew {', '.join(drawn) or 'none'}", flush=True)
