"""Decode face images once into a cached uint8 array, so training epochs are compute-bound.

Decoding 22k JPEGs takes far longer than an epoch of a small CNN; the decoded array is cached under
`.cache/` keyed by the content hashes of the images and the target size, so it is rebuilt only when
the data changes.
"""
from __future__ import annotations

import hashlib
import io
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from tqdm import tqdm

from gen.config import CACHE_DIR

RESAMPLE = Image.Resampling.BILINEAR  # antialiased downscale, close to a browser canvas resize
CACHE_FORMAT = 1  # bump when decoding changes, so old caches are not reused


class ImageError(Exception):
    """An image file that cannot be decoded."""


def decode_face(data: bytes, size: int) -> np.ndarray:
    """RGB uint8 array (size, size, 3) from encoded image bytes, EXIF orientation applied."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageError(str(error) or type(error).__name__) from error
    if image.size != (size, size):
        image = image.resize((size, size), RESAMPLE)
    return np.asarray(image, dtype=np.uint8)


def _decode_file(args: tuple[Path, int]) -> np.ndarray | str:
    path, size = args
    try:
        return decode_face(path.read_bytes(), size)
    except ImageError as error:
        return f"cannot decode: {error}"


def decode_folder_images(
    paths: list[Path], content_hashes: list[str], size: int, workers: int = 2
) -> tuple[np.ndarray, dict[int, str]]:
    """Pixels for every path (zeros where unreadable) and {index: reason} for the unreadable ones."""
    key = hashlib.sha256(f"{CACHE_FORMAT}:{size}:{','.join(content_hashes)}".encode()).hexdigest()[:20]
    cache_file = CACHE_DIR / f"faces-{size}px-{key}.npz"
    if cache_file.exists():
        cached = np.load(cache_file, allow_pickle=False)
        reasons = dict(zip(cached["bad_index"].tolist(), cached["bad_reason"].tolist()))
        return cached["pixels"], reasons
    pixels = np.zeros((len(paths), size, size, 3), dtype=np.uint8)
    reasons: dict[int, str] = {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_decode_file, [(p, size) for p in paths], chunksize=256)
        for index, result in enumerate(tqdm(results, total=len(paths), desc="decoding images", unit="face")):
            if isinstance(result, str):
                reasons[index] = result
            else:
                pixels[index] = result
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp.npz")
    np.savez(tmp, pixels=pixels, bad_index=np.array(list(reasons), dtype=np.int64),
             bad_reason=np.array(list(reasons.values()), dtype=str))
    tmp.replace(cache_file)
    return pixels, reasons
