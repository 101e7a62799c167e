"""`python -m gen samples add`: add a reader's own photos to the curated samples the article explains.

Each photo is checked (an image, big enough, not already there), cropped to a square (the centre, or a
given face box), saved as a 200 x 200 JPEG in site_src/samples/ and appended to manifest.json. The next
build explains only the new ones: the explain step caches per sample.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gen.config import GENDERS, RACES, SITE_SRC
from gen.site.context import SiteError

SAMPLE_SIZE = 200  # pixels per side of a stored sample: the size the article shows it at
MIN_SIDE = 100  # a smaller crop would be upscaled more than 2x and look blurred next to the others
DUPLICATE_DISTANCE = 6.0  # mean absolute difference (0-255) at 32 px under which two faces are the same photo
MAX_AGE = 116  # the oldest age UTKFace labels


class SampleError(SiteError):
    """A photo or label that cannot become a sample; the message names it."""


@dataclass(frozen=True)
class Box:
    """A crop rectangle in the photo's pixels (after EXIF rotation)."""

    x: int
    y: int
    width: int
    height: int


def parse_labels(text: str) -> dict[str, str | int]:
    """'race=White,gender=Female,age=31' -> labels in the dataset's own spelling."""
    pairs = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
    if set(pairs) != {"race", "gender", "age"}:
        raise SampleError(f"--label needs exactly race=…,gender=…,age=… (got '{text}')")
    labels: dict[str, str | int] = {}
    for key, vocabulary in (("race", RACES), ("gender", GENDERS)):
        match = [name for name in vocabulary if name.lower() == pairs[key].strip().lower()]
        if not match:
            raise SampleError(f"{key} must be one of {', '.join(vocabulary)} (got '{pairs[key]}')")
        labels[key] = match[0]
    try:
        age = int(pairs["age"])
    except ValueError:
        raise SampleError(f"age must be a whole number of years (got '{pairs['age']}')") from None
    if not 0 <= age <= MAX_AGE:
        raise SampleError(f"age must be between 0 and {MAX_AGE} (got {age})")
    labels["age"] = age
    return labels


def parse_box(text: str) -> Box:
    """'x,y,w,h' in pixels."""
    try:
        x, y, width, height = (int(v) for v in text.split(","))
    except ValueError:
        raise SampleError(f"--box needs four whole numbers x,y,w,h (got '{text}')") from None
    return Box(x, y, width, height)


def square_crop(image: Image.Image, box: Box | None) -> Image.Image:
    """The given box (or the whole photo) cut to its centred square, so the face is not stretched."""
    if box is not None:
        if box.width <= 0 or box.height <= 0 or box.x < 0 or box.y < 0 \
                or box.x + box.width > image.width or box.y + box.height > image.height:
            raise SampleError(f"box {box.x},{box.y},{box.width},{box.height} is not inside the "
                              f"{image.width}x{image.height} photo")
        image = image.crop((box.x, box.y, box.x + box.width, box.y + box.height))
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def prepare_photo(path: Path, box: Box | None) -> Image.Image:
    """The 200 x 200 RGB sample for one photo, or a SampleError saying why it cannot be one."""
    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except FileNotFoundError:
        raise SampleError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise SampleError(f"{path}: not an image this tool can read ({error})") from None
    square = square_crop(image, box)
    if square.width < MIN_SIDE:
        raise SampleError(f"{path}: the face crop is {square.width}x{square.height} px; at least "
                          f"{MIN_SIDE}x{MIN_SIDE} is needed (a smaller crop would look blurred)")
    return square.resize((SAMPLE_SIZE, SAMPLE_SIZE), Image.Resampling.LANCZOS)


def thumbnail(image: Image.Image) -> np.ndarray:
    """A small grey copy for comparing photos by content, blind to re-encoding and file names."""
    return np.asarray(image.convert("L").resize((32, 32), Image.Resampling.BILINEAR), dtype=np.float32)


def find_duplicate(candidate: np.ndarray, known: dict[str, np.ndarray]) -> str | None:
    """The name of a known sample showing the same picture, if any."""
    for name, other in known.items():
        if float(np.abs(candidate - other).mean()) < DUPLICATE_DISTANCE:
            return name
    return None


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, optimize=True)
    return buffer.getvalue()


def _unique_id(labels: dict[str, str | int], taken: set[str]) -> str:
    base = f"{labels['race']}-{labels['gender']}-{labels['age']}".lower()
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def add_samples(photos: list[Path], labels: dict[str, str | int], box: Box | None = None,
                source: str | None = None, samples_dir: Path = SITE_SRC / "samples", align=None) -> list[str]:
    """Check every photo first, then write them all (or nothing); returns the new sample ids. `align`, when
    given, turns a photo path into its aligned crop (gen/site/sample_faces.py) instead of the square crop."""
    manifest_path = Path(samples_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    known = {}
    for entry in manifest["samples"]:
        with Image.open(Path(samples_dir) / entry["file"]) as image:
            known[entry["file"]] = thumbnail(image)
    taken = {entry["id"] for entry in manifest["samples"]}
    prepared: list[tuple[dict, bytes]] = []
    for photo in photos:
        image = align(Path(photo)) if align else prepare_photo(Path(photo), box)
        data = _jpeg(image)
        stored = thumbnail(Image.open(io.BytesIO(data)))
        duplicate = find_duplicate(stored, known)
        if duplicate:
            raise SampleError(f"{photo}: the same picture as {duplicate} (already a sample)")
        sample_id = _unique_id(labels, taken)
        taken.add(sample_id)
        known[f"{sample_id}.jpg (from {photo})"] = stored
        entry = {"id": sample_id, "file": f"{sample_id}.jpg", "labels": dict(labels),
                 "source": source or f"added with `python -m gen samples add` from {Path(photo).name}"}
        prepared.append((entry, data))
    for entry, data in prepared:
        (Path(samples_dir) / entry["file"]).write_bytes(data)
        manifest["samples"].append(entry)
    scratch = manifest_path.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    scratch.replace(manifest_path)
    return [entry["id"] for entry, _ in prepared]

