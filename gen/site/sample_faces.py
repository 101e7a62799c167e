"""`python -m gen samples add --align [--face N] PHOTO…`: an uncropped photo becomes a sample aligned like
the training faces, with the page's own detector and landmarks (gen/face/browser.py, in Chromium) and the
shared alignment rule (gen/face/align.py) onto the committed template."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gen.face.align import aligned_crop, similarity, template_points
from gen.site.samples import MIN_SIDE, SAMPLE_SIZE, SampleError


def _open(path: Path) -> Image.Image:
    try:
        with Image.open(path) as opened:
            opened.load()
            return ImageOps.exif_transpose(opened).convert("RGB")
    except FileNotFoundError:
        raise SampleError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise SampleError(f"{path}: not an image this tool can read ({error})") from None


def _describe(faces: list[dict], scale: float) -> str:
    return "; ".join(f"{i + 1}: {round(w * scale)}x{round(h * scale)} px at ({round(x * scale)}, {round(y * scale)})"
                     for i, (x, y, w, h) in enumerate(face["box"] for face in faces))


def aligned_sample(path: Path, finder, template: dict, face: int | None = None) -> Image.Image:
    """The SAMPLE_SIZE square crop of one face of the photo, aligned onto the template; `face` is 1-based
    (largest first). No face, several faces without `face`, or a face too small: a SampleError saying why."""
    image = _open(Path(path))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")  # EXIF already applied; lossless, so the detector sees these pixels
    result = finder.find(buffer.getvalue(), template, refine=True)
    faces, scale = result["faces"], image.width / result["width"]
    if not faces:
        raise SampleError(f"{path}: no face found; give the face's square with --box x,y,w,h instead of --align")
    if face is None and len(faces) > 1:
        raise SampleError(f"{path}: {len(faces)} faces found (largest first: {_describe(faces, scale)}); "
                          "choose one with --face N")
    number = face or 1
    if not 1 <= number <= len(faces):
        raise SampleError(f"{path}: --face {number}, but {len(faces)} face(s) found ({_describe(faces, scale)})")
    points = np.asarray(faces[number - 1]["landmarks5"]) * scale
    transform = similarity(points, template_points(template, SAMPLE_SIZE))
    across = SAMPLE_SIZE / transform.scale  # the crop's side in the photo's pixels
    if across < MIN_SIDE:
        raise SampleError(f"{path}: face {number} spans only {across:.0f} px; at least {MIN_SIDE} is needed "
                          "(a smaller face would look blurred)")
    return aligned_crop(image, transform, SAMPLE_SIZE)
