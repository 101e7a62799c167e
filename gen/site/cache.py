"""The build's one cache: outputs stored under .cache/<area>/ by the hash of everything they were made from.

Two grains, one rule (a key is the content hash of the inputs and of the code that makes the output;
a hit is reused as is, a miss is made in a scratch file or folder and renamed into place, so a stopped
build never leaves half an output):
- `Store`: one file per key (the curated samples' predictions, raw maps and pictures);
- `Unit`: a group of figures drawn together from a few input files, kept as one folder per key.

One policy for missing inputs: `require` stops the build with the file and the command that writes it.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gen import plotting  # the drawing code every unit shares (style, saving, phone variants)
from gen.hashing import file_digest, value_digest
from gen.site.context import PRODUCERS, MissingDataError, shown_path
from gen.site.render import sync_files


def require(path: Path) -> Path:
    """`path` if it exists, else a clear error naming the command that writes it."""
    if not Path(path).exists():
        producer = PRODUCERS.get(Path(path).stem)
        hint = f" (written by `{producer}`)" if producer else ""
        raise MissingDataError(f"{shown_path(path)} is missing{hint}; the site needs it")
    return Path(path)


@dataclass
class Store:
    """Content-addressed files under one folder; `computed` counts what had to be made this run."""

    folder: Path
    computed: dict[str, int] = field(default_factory=lambda: {"predictions": 0, "maps": 0, "pictures": 0})

    def path(self, kind: str, key: str, suffix: str) -> Path:
        return self.folder / kind / f"{key}{suffix}"

    def save_npz(self, path: Path, **arrays: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)


@dataclass(frozen=True)
class Unit:
    """One cached output group: which files it reads and the function that draws it into a folder.
    The key also holds the source of `draw`'s module and of gen/plotting.py, so changed drawing code redraws."""

    name: str
    inputs: Callable[[Path], dict[str, Path]]
    draw: Callable[[dict[str, Path], Path], None]


def cached_unit(unit: Unit, models_dir: Path, cache_dir: Path) -> tuple[Path, bool]:
    """The folder holding `unit`'s outputs for its current inputs, drawing them only on a cache miss."""
    inputs = unit.inputs(models_dir)
    modules = (sys.modules[unit.draw.__module__], plotting)
    code = value_digest(*(file_digest(Path(module.__file__)) for module in modules))
    key = value_digest(unit.name, code, {k: file_digest(p) for k, p in inputs.items()})
    folder = Path(cache_dir) / f"{unit.name}-{key}"
    if folder.is_dir():
        return folder, False
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{unit.name}-", dir=cache_dir))
    try:
        unit.draw(inputs, scratch)
        try:
            scratch.rename(folder)
        except OSError:
            if not folder.is_dir():  # else a concurrent build drew the same unit first: use its copy
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for old in Path(cache_dir).glob(f"{unit.name}-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder, True


def unit_files(units: tuple[Unit, ...], models_dir: Path, cache_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """{published name: cached file} of every unit's outputs, and the names of the units drawn now."""
    files: dict[str, Path] = {}
    drawn = []
    for unit in units:
        folder, fresh = cached_unit(unit, models_dir, cache_dir)
        files.update({p.name: p for p in folder.iterdir()})
        if fresh:
            drawn.append(unit.name)
    return files, drawn


def make_figures(docs_dir: Path, models_dir: Path, cache_dir: Path, units: tuple[Unit, ...], area: str) -> list[str]:
    """Bring docs/generated/<area>/ up to date with `units`; returns the units that had to be drawn."""
    files, drawn = unit_files(units, models_dir, cache_dir)
    sync_files(files, Path(docs_dir) / "generated" / area)
    return drawn
