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


def save_figure(figure, path: Path) -> None:
    """Save and release `figure`; no version stamp in the PNG, so unchanged figures keep their bytes."""
    figure.savefig(path, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(figure)
