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


def save_figure(figure, path: Path) -> None:
    """Save and release `figure`; no version stamp in the PNG, so unchanged figures keep their bytes.

    A `.webp` path gets a lossy WebP (for figures of photos); anything else matplotlib's PNG."""
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
    pyplot().close(figure)
