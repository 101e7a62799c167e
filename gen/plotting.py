"""One matplotlib set-up for every generated figure: same backend, style and stable PNG bytes."""
from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib's pyplot on the Agg backend (no display here) with the site's figure style."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                         "savefig.dpi": 144, "figure.dpi": 144})
    return plt


WEBP_QUALITY = 85  # figures made of photos (mosaics, average faces): lossy WebP is a fraction of the PNG
# A chart wider than this also gets a phone variant, `<name>.narrow.<ext>`, with its panels stacked in one
# column this wide: at 144 dpi, 8-pt text stays 11 CSS px in a 350 px phone column (gen/site/mkdocs_hooks.py
# serves it to narrow screens). Grids of pictures (mosaics) keep one layout.
NARROW_INCHES = 3.5
NARROW_PANEL_MIN_INCHES = 2.4


def narrow_path(path: Path) -> Path:
    return Path(path).with_name(f"{Path(path).stem}.narrow{Path(path).suffix}")


def restack(figure) -> bool:
    """Lay a wide figure out for a phone; False (figure untouched) when it needs none or cannot.

    Charts: every panel in one column, NARROW_INCHES wide. Grids of pictures wider than tall (a row per
    model, a column per group): transposed, each picture's title (its column's label) and y label (its
    row's label) trading places, so that the labels stay on the outer edges."""
    width, height = figure.get_size_inches()
    panels = [ax for ax in figure.axes if ax.get_subplotspec() is not None]
    if width <= NARROW_INCHES or not panels:
        return False
    figure.set_layout_engine("none")  # the new layout replaces whichever the wide one used
    rows, columns = panels[0].get_subplotspec().get_gridspec().get_geometry()
    if any(image.get_array().ndim == 3 for ax in panels for image in ax.images):  # RGB pictures: a mosaic
        if columns <= rows:
            return False
        side = NARROW_INCHES / rows
        figure.set_size_inches(NARROW_INCHES, side * columns * height / width * columns / rows)
        grid = figure.add_gridspec(columns, rows)
        for ax in panels:
            spec = ax.get_subplotspec()
            title, label = ax.get_title(), ax.get_ylabel()
            ax.set_subplotspec(grid[spec.colspan.start, spec.rowspan.start])
            ax.set_title(label, fontsize=8)
            ax.set_ylabel(title, fontsize=8)
        figure.tight_layout()
        return True
    # Stacked, a panel no longer sits under its column's title or beside its row's label: give it both.
    place = {ax: (ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in panels}
    titles = {column: ax.get_title() for ax, (_, column) in place.items() if ax.get_title()}
    labels = {row: ax.get_ylabel() for ax, (row, _) in place.items() if ax.get_ylabel()}
    for ax, (row, column) in place.items():
        if not ax.get_title() and column in titles:
            ax.set_title(titles[column])
        if not ax.get_ylabel() and row in labels:
            ax.set_ylabel(labels[row])
    # Legends of the whole figure, and a panel's legend outside it (beside or above: it would squeeze the
    # stacked panels), become one legend in one column above the stack.
    above = list(figure.legends)
    for ax in panels:
        legend = ax.get_legend()
        anchor = legend.get_bbox_to_anchor() if legend is not None else None
        if anchor is not None and (anchor.x0 >= ax.bbox.x1 - 1 or anchor.y0 >= ax.bbox.y1 - 1):
            above.append(legend)
    entries = {text.get_text(): handle for legend in above
               for text, handle in zip(legend.get_texts(), legend.legend_handles)}
    for legend in above:
        legend.remove()
    panel_height = max(NARROW_PANEL_MIN_INCHES, height / rows)
    figure.set_size_inches(NARROW_INCHES, panel_height * len(panels))
    grid = figure.add_gridspec(len(panels), 1)
    for index, ax in enumerate(panels):
        ax.set_subplotspec(grid[index])
        ax.tick_params(labelleft=True, labelbottom=True)  # shared axes showed them on the outer panels only
    if entries:
        figure.legend(list(entries.values()), list(entries), loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=1,
                      frameon=False, fontsize=8)
    figure.tight_layout()
    return True


def save_figure(figure, path: Path) -> None:
    """Save and release `figure` (and its phone variant, for a wide chart); no version stamp in the PNG,
    so unchanged figures keep their bytes.

    A `.webp` path gets a lossy WebP (for figures of photos); anything else matplotlib's PNG."""
    _save(figure, path)
    if restack(figure):
        fit_width(figure, NARROW_INCHES)
        _save(figure, narrow_path(path))
    pyplot().close(figure)


def fit_width(figure, inches: float, tries: int = 4) -> None:
    """Narrow `figure` until what savefig(bbox_inches="tight") writes (its tight box plus the padding on each
    side) is at most `inches` wide: legends beside the axes and long titles would otherwise widen the saved
    picture past the phone column. Titles wrap at the figure's edge; text keeps its size; the axes give up
    the room."""
    for ax in figure.axes:
        ax.title.set_wrap(True)
    pad = 2 * float(pyplot().rcParams["savefig.pad_inches"])
    for _ in range(tries):
        saved = figure.get_tightbbox(figure.canvas.get_renderer()).width + pad
        width, height = figure.get_size_inches()
        if saved <= inches or width - (saved - inches) < inches / 2:
            return
        figure.set_size_inches(width - (saved - inches) - 0.01, height)
        figure.tight_layout()


def _save(figure, path: Path) -> None:
    if Path(path).suffix == ".webp":
        import io

        from PIL import Image

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
        picture = Image.open(buffer)
        exif = Image.Exif()  # WebP has no dpi field: the resolution goes in EXIF, for the page's phone scale
        dpi = round(picture.info.get("dpi", (72, 72))[0])
        exif[0x011A], exif[0x011B], exif[0x0128] = dpi, dpi, 2  # XResolution, YResolution, unit: inch
        picture.convert("RGB").save(path, quality=WEBP_QUALITY, method=6, exif=exif.tobytes())
    else:  # charts: 256 colours are plenty, and a palette PNG is a third of the size
        import io

        from PIL import Image

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
        picture = Image.open(buffer)
        dpi = picture.info.get("dpi", (72, 72))
        picture.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, format="PNG", optimize=True,
                                                                                    dpi=dpi)
