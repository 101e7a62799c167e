"""Prototypes and criticisms of what each model has learned, per true group, on the test split.

For each model and each true group (race for the race models, age bin for the age models) MMD-critic
runs on the faces' penultimate-layer embeddings: the prototypes are the faces that best stand in for
the group in the model's own feature space, the criticisms the faces that group has and the prototypes
do not represent. Beside them, the earlier study's simpler rule (most confident correct prediction as
prototype, lowest probability on the true class as criticism) shows what picking by the output alone
would have chosen instead.

Each face is described by numbers a reader can check: brightness and contrast (mean and standard
deviation of luma, 0-255), colour saturation, the model's confidence and correctness, whether the
paired model (fair vs biased, base vs weighted) disagrees or agrees with it against the label, and the
labelled age. The summary compares
criticisms with prototypes and with all faces of their groups on those numbers.

Writes models/analysis/prototypes.json and one 64 px JPEG per face under models/analysis/prototypes/.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from gen.age.mmd_critic import median_bandwidth, rbf_kernel, select_criticisms, select_prototypes, witness
from gen.age.outputs import ModelOutputs, held_out_outputs
from gen.age.paths import PROTOTYPES, THUMBNAILS, analysis_dir
from gen.config import AGE_BINS, GENDERS, MODELS_DIR, RACES
from gen.data.prepared import PreparedData
from gen.explain.gradcam import grad_cam
from gen.models.keras import keras, load_trained
from gen.models.registry import MODEL_SPECS, PAIRED, model_digests

PROTOTYPES_PER_GROUP = 3
CRITICISMS_PER_GROUP = 3
GREY_SATURATION = 0.05  # mean saturation below this: a black-and-white or near-grey photo
CONFIDENT = 0.9  # "confidently wrong": the wrong answer has at least this probability
THUMBNAIL_QUALITY = 85
ROLES = ("prototypes", "criticisms", "simple_prototype", "simple_criticism")


@dataclass(frozen=True)
class GroupCritique:
    """MMD-critic and the simple rule for one group; every index is a position among the group's faces."""

    prototypes: list[int]
    criticisms: list[int]
    simple_prototype: int | None  # None when the model gets no face of the group right
    simple_criticism: int
    witness: np.ndarray
    typicality: np.ndarray  # mean kernel similarity to the group: high = central in embedding space
    bandwidth: float
    absolute_pick_closeness: float  # see absolute_witness_closeness


def critique_group(embeddings: np.ndarray, p_true: np.ndarray, correct: np.ndarray,
                   m: int = PROTOTYPES_PER_GROUP, c: int = CRITICISMS_PER_GROUP) -> GroupCritique:
    """MMD-critic on one group's embeddings, and the simple output-based rule beside it."""
    bandwidth = median_bandwidth(embeddings)
    kernel = rbf_kernel(embeddings, embeddings, bandwidth)
    prototypes = select_prototypes(kernel, m)
    criticisms = select_criticisms(kernel, prototypes, c)
    simple_prototype = int(np.argmax(np.where(correct, p_true, -np.inf))) if correct.any() else None
    strength = witness(kernel, prototypes)
    return GroupCritique(prototypes, criticisms, simple_prototype, int(np.argmin(p_true)), strength,
                         kernel.mean(axis=1), bandwidth, absolute_witness_closeness(kernel, prototypes, strength, c))


def absolute_witness_closeness(kernel: np.ndarray, prototypes: list[int], strength: np.ndarray, c: int) -> float:
    """Where the paper's |w| ranking would look: for the c non-prototype faces with the largest |w|, the
    share of the group at least as similar to its nearest prototype (small = right next to a prototype)."""
    nearest = kernel[prototypes].max(axis=0)
    picks = [i for i in np.argsort(-np.abs(strength), kind="stable") if i not in prototypes][:c]
    return float(np.mean([np.mean(nearest >= nearest[i]) for i in picks]))


def image_statistics(pixels: np.ndarray) -> dict[str, np.ndarray]:
    """Per image: brightness and contrast (mean, std of Rec. 601 luma) and mean HSV saturation."""
    red, green, blue = (pixels[..., c].astype(np.float32) for c in range(3))
    high = np.maximum(np.maximum(red, green), blue)
    low = np.minimum(np.minimum(red, green), blue)
    luma = 0.299 * red + 0.587 * green + 0.114 * blue
    saturation = (high - low) / np.maximum(high, 1.0)
    return {"brightness": luma.mean(axis=(1, 2)), "contrast": luma.std(axis=(1, 2)),
            "saturation": saturation.mean(axis=(1, 2))}


def _percentile(values: np.ndarray, position: int) -> float:
    """Share of the group's values at or below this face's (1.0 = the highest)."""
    return float(np.mean(values <= values[position]))


def critique_model(name: str, outputs: ModelOutputs, paired: ModelOutputs, data: PreparedData,
                   test_stats: dict[str, np.ndarray]) -> dict:
    """Per-group MMD-critic for one model on the test split, without images or Grad-CAM yet.

    `test_stats` holds image_statistics of every test face, in test-split order."""
    spec = MODEL_SPECS[name]
    test = data.split["test"]
    rows = outputs.rows(test)
    labels = data.dataset.labels(spec.task)[test]
    probabilities, embeddings = outputs.probabilities[rows], outputs.embeddings[rows]
    paired_prediction = paired.probabilities[paired.rows(test)].argmax(axis=1)
    prediction = probabilities.argmax(axis=1)
    p_true = probabilities[np.arange(len(labels)), labels]
    groups = {}
    for group, label in enumerate(spec.labels):
        members = np.flatnonzero(labels == group)
        if len(members) <= PROTOTYPES_PER_GROUP + CRITICISMS_PER_GROUP:
            continue
        found = critique_group(embeddings[members], p_true[members], prediction[members] == group)

        def entry(position: int, members=members, label=label, group=group, found=found) -> dict:
            row = members[position]
            return {"index": int(test[row]), "label": label, "prediction": spec.labels[prediction[row]],
                    "confidence": float(probabilities[row].max()), "p_true": float(p_true[row]),
                    "correct": bool(prediction[row] == group),
                    "paired_prediction": spec.labels[paired_prediction[row]],
                    "witness": float(found.witness[position]),
                    "typicality_percentile": _percentile(found.typicality, position),
                    "witness_percentile": _percentile(found.witness, position)}

        simple_prototype = None if found.simple_prototype is None else entry(found.simple_prototype)
        groups[label] = {
            "n": int(len(members)), "accuracy": float(np.mean(prediction[members] == group)),
            "bandwidth": found.bandwidth, "positive_witness_share": float(np.mean(found.witness > 0)),
            "absolute_witness_closeness": found.absolute_pick_closeness,
            "prototypes": [entry(p) for p in found.prototypes],
            "criticisms": [entry(c) for c in found.criticisms],
            "simple_prototype": simple_prototype, "simple_criticism": entry(found.simple_criticism),
            "agreement": {
                "simple_prototype_is_a_prototype": found.simple_prototype in found.prototypes,
                "simple_criticism_is_a_criticism": found.simple_criticism in found.criticisms,
            },
        }
    included = np.concatenate([np.flatnonzero(labels == spec.labels.index(g)) for g in groups])
    summary = {role: _describe_entries(data, test_stats, [e for g in groups.values() for e in _role_entries(g, role)])
               for role in ROLES}
    summary["all"] = describe(data, test_stats, test[included], prediction[included] == labels[included],
                              probabilities[included].max(axis=1), p_true[included],
                              prediction[included] != paired_prediction[included])
    return {"group_by": spec.task, "groups": groups, "summary": summary, "comparison": compare_rules(groups)}


def compare_rules(groups: dict[str, dict]) -> dict:
    """Where MMD-critic and the simple rule pick differently, over all groups of one model."""
    simple_prototypes = [g["simple_prototype"] for g in groups.values() if g["simple_prototype"] is not None]
    mmd_prototypes = [e for g in groups.values() for e in g["prototypes"]]
    mmd_criticisms = [e for g in groups.values() for e in g["criticisms"]]
    simple_criticisms = [g["simple_criticism"] for g in groups.values()]

    def mean(entries: list[dict], key: str) -> float:
        return float(np.mean([e[key] for e in entries]))

    def agreeing(key: str) -> int:
        return sum(g["agreement"][key] for g in groups.values())

    return {
        "groups": len(groups),
        "groups_without_a_correct_face": len(groups) - len(simple_prototypes),
        "simple_prototype_is_a_prototype": agreeing("simple_prototype_is_a_prototype"),
        "simple_criticism_is_a_criticism": agreeing("simple_criticism_is_a_criticism"),
        "typicality_percentile": {"mmd_prototypes": mean(mmd_prototypes, "typicality_percentile"),
                                  "simple_prototypes": mean(simple_prototypes, "typicality_percentile")},
        "witness_percentile": {"mmd_criticisms": mean(mmd_criticisms, "witness_percentile"),
                               "simple_criticisms": mean(simple_criticisms, "witness_percentile")},
        "positive_witness_share": float(np.mean([g["positive_witness_share"] for g in groups.values()])),
        "absolute_witness_closeness": float(np.mean([g["absolute_witness_closeness"] for g in groups.values()])),
        "criticisms_with_positive_witness": sum(e["witness"] > 0 for e in mmd_criticisms),
        "criticisms": len(mmd_criticisms),
        "correct_share": {"mmd_prototypes": mean(mmd_prototypes, "correct"),
                          "mmd_criticisms": mean(mmd_criticisms, "correct")},
    }


def _face_table(data: PreparedData, indices: list[int]) -> dict[str, dict]:
    """Labels and image statistics per face, keyed by a short content hash (the thumbnail's name)."""
    stats = image_statistics(data.dataset.pixels[indices])
    table = {}
    for position, index in enumerate(indices):
        record = data.dataset.records[index]
        table[record.content_hash[:12]] = {
            "index": index, "thumbnail": f"{THUMBNAILS}/{record.content_hash[:12]}.jpg", "age": record.age,
            "age_bin": AGE_BINS[record.age_bin], "gender": GENDERS[record.gender], "race": RACES[record.race],
            **{key: float(values[position]) for key, values in stats.items()}}
    return table


def attach_grad_cams(model: keras.Model, result: dict, data: PreparedData, labels: tuple[str, ...]) -> None:
    """Grad-CAM of each chosen face for the model's own prediction, as 8 strings of 8 digits: digit d
    means the cell is at d/10 to (d+1)/10 of that face's peak (compact in the JSON, plenty for display)."""
    entries = [e for g in result["groups"].values() for role in ROLES for e in _role_entries(g, role)]
    if not entries:
        return
    images = data.dataset.pixels[[e["index"] for e in entries]].astype(np.float32)
    targets = np.array([labels.index(e["prediction"]) for e in entries])
    coarse = grad_cam(model, images, targets).coarse
    peak = coarse.max(axis=(1, 2), keepdims=True)
    digits = np.minimum(np.floor(10 * coarse / np.where(peak > 0, peak, 1.0)), 9).astype(int)
    for entry, cam in zip(entries, digits):
        entry["cam"] = ["".join(map(str, row)) for row in cam]


def _role_entries(group: dict, role: str) -> list[dict]:
    value = group[role]
    return value if isinstance(value, list) else ([] if value is None else [value])


def describe(data: PreparedData, test_stats: dict[str, np.ndarray], indices: np.ndarray, correct: np.ndarray,
             confidence: np.ndarray, p_true: np.ndarray, disagree: np.ndarray) -> dict:
    """Means over a set of test faces: image statistics, labelled age, and the model's behaviour on them.

    "label_doubt_share" counts faces where this model is wrong and the paired model, trained on other
    faces or weights, gives the same other answer: the two agree against the label, a sign that the
    label itself may be wrong (or that both learned the same confusion)."""
    if not len(indices):
        return {"n": 0}
    rows = np.searchsorted(data.split["test"], indices)
    stats = {key: values[rows] for key, values in test_stats.items()}
    ages = np.array([data.dataset.records[i].age for i in indices])
    return {"n": int(len(indices)), **{key: float(values.mean()) for key, values in stats.items()},
            "grey_share": float(np.mean(stats["saturation"] < GREY_SATURATION)),
            "mean_age": float(ages.mean()), "under_10_share": float(np.mean(ages < 10)),
            "over_70_share": float(np.mean(ages >= 70)), "error_rate": float(1.0 - np.mean(correct)),
            "mean_confidence": float(np.mean(confidence)), "mean_p_true": float(np.mean(p_true)),
            "paired_disagreement": float(np.mean(disagree)),
            "confidently_wrong_share": float(np.mean(~correct & (confidence >= CONFIDENT))),
            "label_doubt_share": float(np.mean(~correct & ~disagree))}


def _describe_entries(data: PreparedData, test_stats: dict[str, np.ndarray], entries: list[dict]) -> dict:
    def column(key: str) -> np.ndarray:
        return np.array([e[key] for e in entries])
    return describe(data, test_stats, column("index").astype(int), column("correct").astype(bool),
                    column("confidence"), column("p_true"),
                    np.array([e["prediction"] != e["paired_prediction"] for e in entries]))


def critique_all(data: PreparedData, names: tuple[str, ...] = tuple(PAIRED), models_dir: Path = MODELS_DIR) -> dict:
    """MMD-critic and the simple rule for every named model (embeddings from the shared cache)."""
    outputs = {name: held_out_outputs(name, data, models_dir) for name in set(names) | {PAIRED[n] for n in names}}
    test_stats = image_statistics(data.dataset.pixels[data.split["test"]])
    return {name: critique_model(name, outputs[name], outputs[PAIRED[name]], data, test_stats) for name in names}


def write_prototypes(data: PreparedData, names: tuple[str, ...] = tuple(PAIRED), models_dir: Path = MODELS_DIR) -> dict:
    """Critique every model, add Grad-CAMs and face statistics, write the JSON and the thumbnails."""
    results = critique_all(data, names, models_dir)
    for name, result in results.items():
        model = load_trained(name, models_dir)
        attach_grad_cams(model, result, data, MODEL_SPECS[name].labels)
    chosen = sorted({e["index"] for r in results.values() for g in r["groups"].values()
                     for role in ROLES for e in _role_entries(g, role)})
    faces = _face_table(data, chosen)
    face_of = {entry["index"]: key for key, entry in faces.items()}
    for result in results.values():
        for group in result["groups"].values():
            for role in ROLES:
                for entry in _role_entries(group, role):
                    entry["face"] = face_of[entry.pop("index")]
    for entry in faces.values():
        del entry["index"]
    thumbnails = analysis_dir(models_dir) / THUMBNAILS
    _write_thumbnails(data, {key: index for index, key in face_of.items()}, thumbnails)
    document = {
        "about": "MMD-critic prototypes and criticisms on each model's penultimate-layer embeddings, per true "
                 "group, UTKFace test split; beside them the simple rule (most confident correct prediction, "
                 "lowest probability on the true class). Grad-CAM grids (8 rows of 8 digits, tenths of the face's "
                 "peak) are for the model's own prediction.",
        "method": {"prototypes_per_group": PROTOTYPES_PER_GROUP, "criticisms_per_group": CRITICISMS_PER_GROUP,
                   "kernel": "RBF, bandwidth = median pairwise distance within the group",
                   "criticism_score": "witness w(x) plus log det regulariser (signed w, see gen/age/mmd_critic.py)",
                   "grey_saturation": GREY_SATURATION, "confident": CONFIDENT},
        "model_sha256": model_digests(sorted(set(results) | {PAIRED[n] for n in results}), models_dir),
        "faces": faces,
        "models": results,
    }
    (analysis_dir(models_dir) / PROTOTYPES).write_text(json.dumps(document, indent=1) + "\n")
    print(f"[prototypes] {len(faces)} faces, {sum(p.stat().st_size for p in thumbnails.glob('*.jpg')) // 1024} KiB "
          f"of thumbnails", flush=True)
    return document


def _write_thumbnails(data: PreparedData, faces: dict[str, int], folder: Path) -> None:
    """One 64 px JPEG per chosen face; thumbnails no longer chosen are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.jpg"):
        if stale.stem not in faces:
            stale.unlink()
    for key, index in faces.items():
        path = folder / f"{key}.jpg"
        if not path.exists():
            Image.fromarray(data.dataset.pixels[index]).save(path, quality=THUMBNAIL_QUALITY)
