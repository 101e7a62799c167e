"""Phone variants of wide figures (gen/plotting.py): stacked, and no wider than a phone column once saved."""
from __future__ import annotations

import numpy as np
from PIL import Image

from gen.plotting import NARROW_INCHES, narrow_path, pyplot, restack, save_figure
from gen.site.mkdocs_hooks import PHONE_CONTENT, _phone_width


def _wide_chart(sticking_out: bool):
    plt = pyplot()
    figure, axes = plt.subplots(1, 3, figsize=(9, 3))
    for ax in axes:
        ax.plot([0, 1, 2], [1, 3, 2], label="a long series name")
        ax.set_xlabel("an axis label")
    if sticking_out:  # what a tight layout does not make room for: legends beside or above the axes, a long title
        axes[-1].legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
        axes[0].set_title("a title far longer than one stacked panel is wide, as some charts have")
        rules = ("first", "second", "third", "fourth")
        handles = [axes[0].bar([0], [1], label=f"the {rule} rule")[0] for rule in rules]
        figure.legend(handles=handles, loc="lower center", ncol=4, bbox_to_anchor=(0.5, 0.97))
    return figure


def test_a_wide_chart_gets_a_stacked_variant_that_fits_a_phone(tmp_path) -> None:
    for outside in (False, True):
        path = tmp_path / f"chart-{outside}.png"
        save_figure(_wide_chart(outside), path)
        with Image.open(path) as wide, Image.open(narrow_path(path)) as narrow:  # the side legend moved above
            assert narrow.height > narrow.width and wide.width > wide.height  # panels stacked
            assert narrow.width <= NARROW_INCHES * narrow.info["dpi"][0] + 1
        assert _phone_width(narrow_path(path))[2] <= PHONE_CONTENT, "8-pt text stays 11 px in the phone column"


def test_a_narrow_chart_gets_no_variant(tmp_path) -> None:
    figure, ax = pyplot().subplots(figsize=(3.2, 2.4))
    ax.plot([0, 1], [0, 1])
    save_figure(figure, tmp_path / "small.png")
    assert (tmp_path / "small.png").is_file() and not narrow_path(tmp_path / "small.png").exists()


def test_a_grid_of_pictures_is_transposed_with_its_labels_kept_outside(tmp_path) -> None:
    figure, axes = pyplot().subplots(2, 5, figsize=(10, 4))
    for row, models in enumerate(("fair", "biased")):
        for column in range(5):
            ax = axes[row, column]
            ax.imshow(np.full((8, 8, 3), 0.5))
            ax.set_title(f"group {column}") if row == 0 else None
            ax.set_ylabel(models) if column == 0 else None
    save_figure(figure, tmp_path / "grid.webp")
    with Image.open(narrow_path(tmp_path / "grid.webp")) as narrow:
        assert narrow.height > narrow.width


def test_stacked_panels_keep_their_labels_and_the_figure_legend_sits_above() -> None:
    figure, axes = pyplot().subplots(2, 3, figsize=(9, 5), sharey="row")
    for row, column in np.ndindex(axes.shape):
        axes[row, column].bar([0, 1], [1, 2], label="a rule")
    for column in range(3):
        axes[0, column].set_title(f"model {column}")
    axes[0, 0].set_ylabel("coverage")
    axes[1, 0].set_ylabel("width")
    figure.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.97))
    assert restack(figure)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for row, column in np.ndindex(axes.shape):  # each stacked panel says which column and row it came from
        ax = axes[row, column]
        assert ax.get_title() == f"model {column}" and ax.get_ylabel() == ("coverage", "width")[row]
        assert [label for label in ax.get_yticklabels() if label.get_visible() and label.get_text()]
    top_of_panels = max(ax.get_tightbbox(renderer).y1 for ax in figure.axes)
    assert len(figure.legends) == 1
    assert all(legend.get_window_extent(renderer).y0 >= top_of_panels for legend in figure.legends)
