"""The article's colour maps as lookup tables for the Try-it page, so a heatmap looks the same in both."""
from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from gen.site.display import SIGNED_CMAP, UNSIGNED_CMAP

ENTRIES = 256


def colormap_tables(entries: int = ENTRIES) -> dict:
    """{"unsigned": name, "signed": name, name: [[r, g, b] x entries] (uint8)} for the two maps the article uses."""
    tables = {name: (colormaps[name](np.linspace(0.0, 1.0, entries))[:, :3] * 255).round().astype(int).tolist()
              for name in (UNSIGNED_CMAP, SIGNED_CMAP)}
    return {"unsigned": UNSIGNED_CMAP, "signed": SIGNED_CMAP, **tables}
