"""Each model's probabilities and penultimate-layer embeddings for held-out faces, computed once.

Calibration and MMD-critic both start from these arrays; caching them under `.cache/age/` (keyed by the
model file's hash and the faces' contents) is what keeps the analysis itself to seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen.config import CACHE_DIR, MODELS_DIR
from gen.data.dataset import FaceDataset
from gen.data.prepared import PreparedData
from gen.hashing import file_digest, value_digest
from gen.models.architecture import EMBEDDING_LAYER
from gen.models.keras import keras
from gen.models.predict import predict

OUTPUTS_FORMAT = 1  # bump when what is stored changes


@dataclass(frozen=True)
class ModelOutputs:
    indices: np.ndarray  # dataset indices, in the order of the rows below
    probabilities: np.ndarray  # (n, classes) softmax output
    embeddings: np.ndarray  # (n, 256) GlobalAveragePooling "embedding" layer

    def rows(self, indices: np.ndarray) -> np.ndarray:
        """Row positions of the given dataset indices (all must be present)."""
        position = np.searchsorted(self.indices, indices)
        if not np.array_equal(self.indices[np.minimum(position, len(self.indices) - 1)], indices):
            raise KeyError("some requested faces are not in these outputs")
        return position


def probabilities_and_embeddings(model: keras.Model, pixels: np.ndarray, batch_size: int = 256
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """One forward pass giving both the softmax and the embedding (raw 0-255 pixels in)."""
    both = keras.Model(model.input, [model.output, model.get_layer(EMBEDDING_LAYER).output])
    probabilities, embeddings = predict(both, pixels, batch_size)
    return probabilities, embeddings


def model_outputs(name: str, dataset: FaceDataset, indices: np.ndarray, models_dir: Path = MODELS_DIR,
                  cache_dir: Path = CACHE_DIR / "age") -> ModelOutputs:
    """Probabilities and embeddings of model `name` for dataset faces `indices`, cached by content."""
    indices = np.sort(np.asarray(indices))
    model_file = models_dir / name / "model.keras"
    hashes = [dataset.records[i].content_hash for i in indices]
    key = value_digest(OUTPUTS_FORMAT, file_digest(model_file), hashes)
    cache_file = cache_dir / f"outputs-{name}-{key}.npz"
    if cache_file.exists():
        cached = np.load(cache_file)
        return ModelOutputs(cached["indices"], cached["probabilities"], cached["embeddings"])
    model = keras.models.load_model(model_file, compile=False)
    probabilities, embeddings = probabilities_and_embeddings(model, dataset.pixels[indices])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache_file, indices=indices, probabilities=probabilities, embeddings=embeddings)
    return ModelOutputs(indices, probabilities, embeddings)


def held_out_outputs(name: str, data: PreparedData, models_dir: Path = MODELS_DIR) -> ModelOutputs:
    """Outputs for every validation and test face: one cache entry shared by every analysis step."""
    return model_outputs(name, data.dataset, np.concatenate([data.split["val"], data.split["test"]]), models_dir)
