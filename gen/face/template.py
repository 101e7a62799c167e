"""`python -m gen face-template`: where eyes, nose and mouth sit in UTKFace's aligned training crops,
measured with the landmark model the Try-it page runs (face-api's tiny 68-point model, in Chromium).

Five points per face (the groups below), as fractions of the crop side, over a seeded sample of training
faces. The alignment target is their per-point **median** (UTKFace's own framing varies from face to face
with heavy tails: a mean is pulled by the few faces framed far off), spread about its centre by a scale
chosen on the **validation** split: the scale at which re-aligning validation faces with the page's own
pipeline (first pass, then the refining pass in the aligned crop) changes the models' top-1 answers least.
The file records how many faces were tried and found, the mean and spread of each point, how far faces stay
from the median after their own best similarity fit (the part alignment cannot remove), and the scale
search. The page and `gen.face.align` map any detected face onto the `target` points.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from gen.config import MODELS_DIR, SEED

TEMPLATE_FILE = MODELS_DIR / "analysis" / "face_template.json"
FACES = 1500  # training faces measured: the mean's standard error is then well under 0.1% of the side
# The detector settings the page uses too (read from the template file): input size (a multiple of 32),
# score threshold, and the grey padding (a share of the longer side) tried, at the smaller padded input
# size, when no face is found or a box touches the border (within `border` of the longer side). UTKFace's
# tight crops need it: on 60 of them, one padded pass at 224 px found all 60; 416 px found 44 at 0.3.
# A photo larger than `input_size` is shrunk to it before the first pass (the detector would shrink it anyway).
# Smaller inputs were measured on wild photos made from validation faces
# (`bench/wild.py --split val --detector input_size=N --faces 160`): detection 97.5% at 416, 99.4% at 352,
# 96.9% at 320, 97.5% at 288 (one photo is 0.6%); detection + alignment 218, 199, 191 and 165 ms, before
# load.js's small-block Concat halved the detector's time (at 416 px detection +
# alignment then took 114 ms on the test photos with one refining pass, 126 ms with two). 416 stays:
# the smaller sizes found no more faces, and a new input size means measuring this template again (its `mean68`
# moves by up to 1% of the side) and the face-regions analysis.
# `refine_passes`: how often the page (face.js refineAlignment) finds the landmarks again in the aligned crop,
# inside `refine_box` (where the detector puts a training face in its aligned crop; no detector runs then),
# averaged with the mirrored crop's; on a sample pasted at known scales and turns, one pass brings the
# aligned crop's corners to within about 1 px of where the original face puts them (tests/test_browser_faces.py).
# On 400 wild photos from validation faces (`bench/wild.py --split val --faces 400 --detector refine_passes=2`),
# a second pass raised the agreement with the page's own alignment of the original crop (its precision) from
# 91.9/97.1/90.6% to 92.7/97.7/92.7% (race_fair/gender/age_base) for about 6 ms; against the original crop itself
# 26 of the 1,200 answers came to agree and 19 stopped (net +7: not significant). One pass averaging the landmarks
# of the box scaled by 0.9, 1 and 1.1 did about as well (92.7/96.6/93.2%) for 20 ms more, so one box is used.
# face-api's full 68-point landmark model (357 KB, same package) in the refining passes, on the same 400 photos:
# precision 93.8/96.9/94.0% (tiny: 92.7/97.7/92.7%), agreement with the original crop 88.5/96.2/87.4% (tiny:
# 87.7/95.9/86.2%), for 14 ms more (detection + alignment 157 ms against 139, over the 150 ms goal): the tiny
# model stays.
DETECTOR = {"input_size": 416, "padded_input_size": 224, "score_threshold": 0.3, "pad": 0.25, "pad_value": 128,
            "border": 0.02, "refine_passes": 2}
# The five alignment points: the mean of these landmark indices of the 68-point (iBUG 300-W) scheme.
# Other point sets, measured with the first landmark pass on the same 1,463 training faces (each set's per-point
# median as the target) and 491 validation faces re-aligned at scales 1 to 1.06: all 68 landmarks, the 51 inner
# ones (17-67), the 41 without brows or jaw, eye centres and mouth corners, eye centres and mouth centre. The best
# scale of each kept 89.8-90.2% of the answers of race_fair, gender and age_base on the original crop (mean of the
# three); the five points 90.0%, within the noise. Shifting the same crops by a known 2 px (1% of the side) kept
# 93.1/97.6/87.4%: the models' sensitivity to framing, not the point set, limits the agreement.
GROUPS = {"eye_image_left": list(range(36, 42)), "eye_image_right": list(range(42, 48)), "nose_tip": [30],
          "mouth_image_left": [48], "mouth_image_right": [54]}
MIRROR = [1, 0, 2, 4, 3]  # the point each of the five becomes in a mirrored face (left and right swap)
# The scale search: validation faces re-aligned onto the median points spread by each scale, and the top-1
# answer of these models (the ones the wild-photo benchmark compares) against their answer on the original crop.
SCALES = (0.96, 0.98, 1.0, 1.02, 1.04, 1.06)
SCALE_FACES = 500
SCALE_MODELS = ("race_fair", "gender", "age_base")
LANDMARK_MODEL = "@vladmandic/face-api 1.7.15 face_landmark_68_tiny_model (tiny_face_detector_model boxes)"


def settings() -> dict:
    """What the detection pass needs (the template's own fields before it is measured)."""
    return {"detector": DETECTOR, "groups": list(GROUPS.values())}


def spread(points: np.ndarray, scale: float, centre: np.ndarray | None = None) -> np.ndarray:
    """`points` (k, 2) moved away from (scale > 1) or towards `centre` (default: their own) by `scale`."""
    centre = points.mean(0) if centre is None else centre
    return centre + scale * (points - centre)


def aligned_box(boxes: np.ndarray, points: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Where the detector puts a face in its aligned crop: each face's box (x, y, w, h) carried by the
    similarity that maps its five points onto `target`, then the median (all in fractions of the side)."""
    from gen.face.align import similarity
    carried = []
    for box, five in zip(boxes, points):
        transform = similarity(five, target)
        centre, size = transform.apply(box[:2] + box[2:] / 2), box[2:] * transform.scale
        carried.append([*(centre - size / 2), *size])
    return np.median(carried, axis=0)


def scaled(template: dict, scale: float) -> dict:
    """The alignment fields for `scale`: `target`, the median points spread by it about their centre, and
    `refine_box`, the detector's box (measured at the median) as that spread carries it."""
    median, box = np.asarray(template["median"]), np.asarray(template["box_at_median"])
    corners = spread(np.array([box[:2], box[:2] + box[2:]]), scale, median.mean(0))
    return {"target": np.round(spread(median, scale), 5).tolist(),
            "refine_box": np.round([*corners[0], *(corners[1] - corners[0])], 5).tolist()}


def _sample(indices: np.ndarray, faces: int, seed: int) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).choice(indices, size=min(faces, len(indices)), replace=False))


def seeded_paths(data, split: str, faces: int, seed: int = SEED) -> list[Path]:
    """The original JPEGs of `faces` seeded faces of `split` (all of them if it has fewer)."""
    return [Path(data.dataset.folder) / data.dataset.records[index].name
            for index in _sample(data.split[split], faces, seed)]


def measure_template(data, faces: int = FACES, seed: int = SEED) -> dict:
    """Detect and landmark `faces` seeded training faces (their original 200 x 200 JPEGs) in Chromium."""
    from PIL import Image

    from gen.face.align import five_points, similarity
    from gen.face.browser import FaceFinder

    chosen = _sample(data.split["train"], faces, seed)
    points, points68, boxes, missed, several, started = [], [], [], [], 0, time.monotonic()
    side = None
    with FaceFinder() as finder:
        for count, index in enumerate(chosen, 1):
            record = data.dataset.records[index]
            path = Path(data.dataset.folder) / record.name
            with Image.open(path) as image:
                size = image.size
            if side is None:
                side = size[0]
            if size != (side, side):
                missed.append(record.name)
                continue
            found = finder.find(path.read_bytes(), settings())["faces"]
            if not found:
                missed.append(record.name)
                continue
            several += len(found) > 1
            landmarks = np.asarray(found[0]["landmarks68"]) / side
            boxes.append(np.asarray(found[0]["box"]) / side)
            points68.append(landmarks)
            points.append(five_points(landmarks, list(GROUPS.values())))
            if count % 250 == 0:
                print(f"[face-template] {count}/{len(chosen)} training faces, {time.monotonic() - started:.0f} s",
                      flush=True)
    points, points68 = np.array(points), np.array(points68)
    median = np.median(points, axis=0)
    residuals = np.array([np.linalg.norm(similarity(p, median).apply(p) - median, axis=1) for p in points])
    return {
        "what": "where five landmark points sit in UTKFace training crops, as fractions of the crop side; "
                "`target` (the median spread by the validation-chosen scale) is what alignment maps faces onto",
        "landmark_model": LANDMARK_MODEL,
        "crop_side": int(side),
        "points": list(GROUPS),
        "groups": list(GROUPS.values()),
        "mirror": MIRROR,
        "median": np.round(median, 5).tolist(),
        "box_at_median": np.round(aligned_box(np.array(boxes), points, median), 5).tolist(),
        "mean": np.round(points.mean(0), 5).tolist(),
        "std": np.round(points.std(0), 5).tolist(),
        "residual_after_fit": {"median": round(float(np.median(residuals)), 5),
                               "p95": round(float(np.percentile(residuals, 95)), 5)},
        "mean68": np.round(points68.mean(0), 4).tolist(),
        "faces": int(len(points)),
        "faces_tried": int(len(chosen)),
        "faces_without_detection": int(len(missed)),
        "faces_with_several_detections": int(several),
        "split": "train",
        "seed": seed,
        "data_hash": data.dataset.fingerprint,
        "detector": DETECTOR,
    }


def search_scale(data, template: dict, models_dir: Path = MODELS_DIR, faces: int = SCALE_FACES,
                 seed: int = SEED) -> dict:
    """Choose the spread of the target points on validation faces: each face's five points come from the
    page's pipeline (first pass, then the refining pass), its original crop is re-aligned onto the median
    spread by every scale in SCALES, and the scale whose crops keep the models' top-1 answers (on the
    original crop) most often, averaged over SCALE_MODELS, wins."""
    from PIL import Image

    from gen.data.images import RESAMPLE, decode_face
    from gen.face.align import aligned_crop, similarity
    from gen.face.browser import page_landmarks
    from gen.models.keras import load_trained
    from gen.models.predict import predict
    from gen.models.registry import model_digests

    paths = seeded_paths(data, "val", faces, seed)
    side = template["crop_side"]
    at_median = {**template, **scaled(template, 1.0)}  # the page's pipeline before the scale is chosen
    found = page_landmarks(paths, at_median, "face-template: validation")
    models = {name: load_trained(name, models_dir) for name in SCALE_MODELS}
    size = {name: int(model.input_shape[1]) for name, model in models.items()}
    originals = {name: predict(models[name], np.stack([decode_face(path.read_bytes(), size[name])
                                                       for path, _ in found])).argmax(1) for name in models}
    photos = [Image.open(path).convert("RGB") for path, _ in found]
    agreement = {}
    for scale in SCALES:
        target = np.asarray(scaled(template, scale)["target"]) * side
        with_scale = {}
        crops = [aligned_crop(photo, similarity(landmarks, target), side)
                 for photo, (_, landmarks) in zip(photos, found)]
        for name, model in models.items():
            pixels = np.stack([np.asarray(crop.resize((size[name],) * 2, RESAMPLE)) for crop in crops])
            with_scale[name] = round(float(np.mean(predict(model, pixels).argmax(1) == originals[name])), 4)
        agreement[f"{scale:g}"] = with_scale
        print(f"[face-template] scale {scale:g}: top-1 kept " + ", ".join(f"{k} {v:.1%}" for k, v in
                                                                          with_scale.items()), flush=True)
    best = max(SCALES, key=lambda scale: np.mean(list(agreement[f"{scale:g}"].values())))
    return {"split": "val", "faces_tried": len(paths), "faces": len(found), "seed": seed,
            "scales": list(SCALES), "models": list(SCALE_MODELS), "model_sha256": model_digests(SCALE_MODELS,
                                                                                                   models_dir),
            "top1_kept": agreement, "chosen": best}


def write_template(data, path: Path = TEMPLATE_FILE, faces: int = FACES, models_dir: Path = MODELS_DIR) -> dict:
    template = measure_template(data, faces)
    template["scale_search"] = search_scale(data, template, models_dir)
    template.update(scaled(template, template["scale_search"]["chosen"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template, indent=1) + "\n")
    print(f"[face-template] {template['faces']} of {template['faces_tried']} training faces measured, scale "
          f"{template['scale_search']['chosen']:g} chosen on validation -> {path}", file=sys.stderr)
    return template


def is_stale(template: dict, data_hash: str, models_dir: Path = MODELS_DIR) -> bool:
    """True when `template` was measured on other data or with other detector settings than DETECTOR (which the
    page reads from it), or its scale chosen with other models: `write_template` measures it again."""
    from gen.models.registry import other_models
    return (template.get("data_hash") != data_hash or template.get("detector") != DETECTOR
            or other_models(template.get("scale_search", {}), models_dir))


def read_template(path: Path = TEMPLATE_FILE) -> dict:
    from gen.site.context import SiteError
    if not path.exists():
        raise SiteError(f"{path} is missing: `python -m gen face-template` measures it (needs the dataset)")
    return json.loads(path.read_text())
