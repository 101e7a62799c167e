"""The five published models, named once: what each predicts, which training faces it sees, the goals it
is measured against, and the pairs the article compares. Every other module (and, through the published
index, the browser page) reads these from here."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gen.config import MODELS_DIR, TASK_LABELS
from gen.hashing import file_digest


@dataclass(frozen=True)
class ModelSpec:
    """What one published model predicts and which training faces it sees."""

    name: str
    task: str  # "race", "age" or "gender": the label column it predicts
    subset: str  # "all", "fair" or "biased": which training faces
    colour: str  # the model's colour in every chart
    balanced_class_weights: bool = False
    goals: tuple[tuple[str, float], ...] = ()  # (metric, minimum) on the test split

    @property
    def labels(self) -> tuple[str, ...]:
        return TASK_LABELS[self.task]


AGE_GOALS = (("accuracy", 0.62), ("within_one_bin", 0.95))
MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("gender", task="gender", subset="all", colour="#3b6ea8", goals=(("accuracy", 0.94),)),
        ModelSpec("age_base", task="age", subset="all", colour="#8a6bb8", goals=AGE_GOALS),
        ModelSpec("age_weighted", task="age", subset="all", colour="#b8a03b", balanced_class_weights=True,
                  goals=AGE_GOALS),
        ModelSpec("race_fair", task="race", subset="fair", colour="#1b7f79",
                  goals=(("macro_recall", 0.78), ("min_class_recall", 0.55))),
        ModelSpec("race_biased", task="race", subset="biased", colour="#c4512b"),
    )
}
# The experiment: same size, recipe and trunk, different race composition. Fair first.
RACE_PAIR = ("race_fair", "race_biased")
# Models whose results are read side by side (the race pair, and the age models with and without weights).
PAIRED = {"race_fair": "race_biased", "race_biased": "race_fair", "age_base": "age_weighted",
          "age_weighted": "age_base"}


def model_digests(names: tuple[str, ...] | list[str], models_dir: Path = MODELS_DIR) -> dict[str, str]:
    """Short sha256 of each model file a result was computed from: every metrics and analysis file records
    them, so the build's refresh step sees which results a retraining made stale."""
    return {name: file_digest(Path(models_dir) / name / "model.keras")[:16] for name in names}


def other_models(content: dict, models_dir: Path = MODELS_DIR) -> bool:
    """True when a result records no model digests, or digests that differ from the model files now present."""
    recorded = content.get("model_sha256") or {}
    return not recorded or recorded != model_digests(list(recorded), models_dir)


def trained_models(models_dir: Path = MODELS_DIR) -> list[str]:
    """The published models whose Keras file exists, in registry order."""
    return [name for name in MODEL_SPECS if (Path(models_dir) / name / "model.keras").exists()]
