"""`python -m gen face-template`: where eyes, nose and mouth sit in UTKFace's aligned training crops,
measured with the landmark model the Try-it page runs (face-api's tiny 68-point model, in Chromium).

The template is the mean of five points per face (the groups below), as fractions of the crop side, over a
seeded sample of training faces; it also records how many faces were tried and found, the spread of each
point, and how far faces stay from the mean after their own best similarity fit (the part alignment cannot
remove). The page and `gen.face.align` map any detected face onto these mean points.
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
# `refine_passes`: how often the page (face.js refineAlignment) finds the landmarks again in the aligned crop,
# averaged with the mirrored crop's; on a sample pasted at known scales and turns, one pass brought the
# aligned crop's corners from 3-5 px to about 1 px of where the original face puts them
# (tests/test_browser_faces.py).
DETECTOR = {"input_size": 416, "padded_input_size": 224, "score_threshold": 0.3, "pad": 0.25, "pad_value": 128,
            "border": 0.02, "refine_passes": 1}
# The five alignment points: the mean of these landmark indices of the 68-point (iBUG 300-W) scheme.
GROUPS = {"eye_image_left": list(range(36, 42)), "eye_image_right": list(range(42, 48)), "nose_tip": [30],
          "mouth_image_left": [48], "mouth_image_right": [54]}
MIRROR = [1, 0, 2, 4, 3]  # the point each of the five becomes in a mirrored face (left and right swap)
LANDMARK_MODEL = "@vladmandic/face-api 1.7.15 face_landmark_68_tiny_model (tiny_face_detector_model boxes)"


def settings() -> dict:
    """What the detection pass needs (the template's own fields before it is measured)."""
    return {"detector": DETECTOR, "groups": list(GROUPS.values())}


def measure_template(data, faces: int = FACES, seed: int = SEED) -> dict:
    """Detect and landmark `faces` seeded training faces (their original 200 x 200 JPEGs) in Chromium."""
    from PIL import Image

    from gen.face.align import five_points, similarity
    from gen.face.browser import FaceFinder

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(data.split["train"], size=min(faces, len(data.split["train"])), replace=False))
    points, points68, missed, several, started = [], [], [], 0, time.monotonic()
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
            points68.append(landmarks)
            points.append(five_points(landmarks, list(GROUPS.values())))
            if count % 250 == 0:
                print(f"[face-template] {count}/{len(chosen)} faces, {time.monotonic() - started:.0f} s", flush=True)
    points, points68 = np.array(points), np.array(points68)
    mean = points.mean(0)
    residuals = np.array([np.linalg.norm(similarity(p, mean).apply(p) - mean, axis=1) for p in points])
    return {
        "what": "mean position of five landmark points in UTKFace training crops, as fractions of the crop side",
        "landmark_model": LANDMARK_MODEL,
        "crop_side": int(side),
        "points": list(GROUPS),
        "groups": list(GROUPS.values()),
        "mirror": MIRROR,
        "mean": np.round(mean, 5).tolist(),
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


def write_template(data, path: Path = TEMPLATE_FILE, faces: int = FACES) -> dict:
    template = measure_template(data, faces)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(template, indent=1) + "\n")
    print(f"[face-template] {template['faces']} of {template['faces_tried']} training faces measured -> {path}",
          file=sys.stderr)
    return template


def read_template(path: Path = TEMPLATE_FILE) -> dict:
    from gen.site.context import SiteError
    if not path.exists():
        raise SiteError(f"{path} is missing: `python -m gen face-template` measures it (needs the dataset)")
    return json.loads(path.read_text())
