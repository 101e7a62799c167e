"""Dataset + split + subsets in one call: what train, evaluate and the data report all start from."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.config import IMAGE_SIZE, MODELS_DIR, SEED
from gen.data.dataset import FaceDataset, load_dataset
from gen.data.split import split_records, write_split_manifest
from gen.data.subsets import draw_subsets

SPLIT_MANIFEST = MODELS_DIR / "split.csv"


@dataclass
class PreparedData:
    dataset: FaceDataset
    split: dict[str, np.ndarray]  # split name -> dataset indices
    subsets: dict[str, np.ndarray]  # "all" / "fair" / "biased" -> dataset indices (train split only)


def prepare_data(folder: Path, manifest: Path | None = SPLIT_MANIFEST, seed: int = SEED,
                 size: int = IMAGE_SIZE) -> PreparedData:
    """Load the faces, split them with the fixed seed and draw the training subsets.

    The split is recomputed from the seed every time (it is cheap and deterministic) and written to
    `manifest` so it can be audited and diffed.
    """
    dataset = load_dataset(folder, size)
    split = split_records(dataset.records, seed=seed)
    if manifest is not None:
        write_split_manifest(dataset, split, manifest)
    train = split["train"]
    positions = draw_subsets(dataset.labels("race")[train], seed=seed)
    return PreparedData(dataset, split, {name: train[p] for name, p in positions.items()})
