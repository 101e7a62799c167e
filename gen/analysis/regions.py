"""`python -m gen regions`: where each model looks, by face region.

UTKFace crops are aligned, so one landmark template (models/analysis/face_template.json: the mean of
face-api's 68 landmarks over UTKFace training faces) places the face regions (gen/face/regions.py:
eyes, brows, nose, mouth, jaw and cheeks, forehead and hair, background) in every crop.

For every test face, each model in the race pair and each method, the share of the map's positive mass
in each region; per race the mean share with a bootstrap interval over faces, and fair minus biased with
a paired interval. A uniform map would give each region its area share, recorded beside the shares.

Methods explain the logit of the face's true race (see "What the maps measure" on page 06: the
probability's gradient shrinks as the model grows sure, the logit's does not); Grad-CAM is measured on
the probability too, to show where the two readings disagree.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from gen.config import MODELS_DIR, RACES
from gen.data.prepared import PreparedData
from gen.explain.registry import METHODS
from gen.face.regions import MARGIN, REGIONS, region_masks
from gen.face.template import read_template
from gen.models.keras import load_trained
from gen.models.registry import RACE_PAIR, model_digests
from gen.stats import bootstrap, paired_bootstrap

REGIONS_FILE = MODELS_DIR / "analysis" / "regions.json"
# (method, score): the explanations measured. Logit for every method; Grad-CAM also on the probability.
MEASURES = (("gradcam", "logit"), ("integrated_gradients", "logit"), ("occlusion", "logit"),
            ("gradcam", "probability"))


def region_shares(maps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(n, regions): the share of each map's positive mass in each region (rows sum to 1; 0 for empty maps)."""
    positive = np.maximum(np.asarray(maps, np.float64), 0.0)
    mass = np.einsum("nhw,rhw->nr", positive, masks.astype(np.float64))
    total = mass.sum(axis=1, keepdims=True)
    return np.divide(mass, total, out=np.zeros_like(mass), where=total > 0)


def explain_shares(model, pixels: np.ndarray, labels: np.ndarray, masks: np.ndarray, method: str, score: str,
                   batch: int = 256) -> np.ndarray:
    """(n, regions) shares of `method`'s maps (site settings, the given score) for each face's true race."""
    shares = []
    for start in range(0, len(pixels), batch):
        chunk = pixels[start:start + batch].astype(np.float32)
        maps = METHODS[method](model, chunk, labels[start:start + batch], score=score).maps
        shares.append(region_shares(maps, masks))
    return np.concatenate(shares)


def _rounded(result: dict) -> dict:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in result.items()}


def summarise(shares: dict[str, np.ndarray], races: np.ndarray) -> dict[str, Any]:
    """Per model and race: mean share per region with its interval; per race: fair - biased, paired."""
    fair, biased = RACE_PAIR
    groups = {"all": np.ones(len(races), bool), **{race: races == i for i, race in enumerate(RACES)}}
    per_model = {name: {group: {region: _rounded(bootstrap(values[rows, r]))
                                for r, region in enumerate(REGIONS)}
                        for group, rows in groups.items()}
                 for name, values in shares.items()}
    difference = {group: {region: _rounded(paired_bootstrap(shares[fair][rows, r], shares[biased][rows, r]))
                          for r, region in enumerate(REGIONS)}
                  for group, rows in groups.items()}
    measurable = sorted(({"race": group, "region": region, **d} for group, by_region in difference.items()
                         if group != "all" for region, d in by_region.items() if d["excludes_zero"]),
                        key=lambda d: -abs(d["difference"]))
    tested = sum(len(by_region) for group, by_region in difference.items() if group != "all")
    return {"models": per_model, "fair_minus_biased": difference, "measurable": measurable, "tested": tested}


def template_fit(template: dict) -> dict[str, Any]:
    """How well one template fits every face: the five alignment points' spread and the residual after a fit."""
    return {"faces": template["faces"], "point_sd_mean": round(float(np.mean(template["std"])), 5),
            "point_sd_max": round(float(np.max(template["std"])), 5),
            "residual_after_fit": template["residual_after_fit"]}


def area_shares(masks: np.ndarray) -> dict[str, float]:
    """The share of the crop each region covers: recorded, so a template that moves a region is noticed."""
    return {region: round(float(mask.mean()), 5) for region, mask in zip(REGIONS, masks)}


def is_stale(content: dict, template: dict, side: int) -> bool:
    """True when `template` places the regions otherwise than the masks `content` was measured with
    (`python -m gen face-template` measured it again and a region moved)."""
    return content.get("area_share") != area_shares(region_masks(np.array(template["mean68"]), side))


def run_regions(data: PreparedData, models_dir: Path = MODELS_DIR, out_file: Path = REGIONS_FILE) -> dict:
    """Measure every (model, method, score) on every test face and write regions.json."""
    started = time.monotonic()
    template = read_template()
    test = data.split["test"]
    pixels, races = data.dataset.pixels[test], data.dataset.labels("race")[test]
    masks = region_masks(np.array(template["mean68"]), pixels.shape[1])
    measures = {}
    for method, score in MEASURES:
        shares = {}
        for name in RACE_PAIR:
            shares[name] = explain_shares(load_trained(name, models_dir), pixels, races, masks, method, score)
            print(f"[regions] {method} ({score}) on {name}: {len(pixels)} faces, "
                  f"{(time.monotonic() - started) / 60:.1f} min so far", flush=True)
        measures[f"{method}/{score}"] = {"method": method, "score": score, **summarise(shares, races)}
    result = {
        "about": __doc__.split("\n\n")[1].replace("\n", " "),
        "regions": list(REGIONS), "area_share": area_shares(masks),
        "template": template_fit(template), "margin": MARGIN, "faces": int(len(test)),
        "faces_per_race": {race: int((races == i).sum()) for i, race in enumerate(RACES)},
        "target": "each face's true race", "data_hash": data.dataset.fingerprint,
        "model_sha256": model_digests(list(RACE_PAIR), models_dir),
        "parameters": {m: dict(METHODS[m].site_parameters) for m, _ in MEASURES},
        "measures": measures, "minutes": round((time.monotonic() - started) / 60, 1),
    }
    out_file.write_text(json.dumps(result, indent=1) + "\n")
    print(f"[regions] wrote {out_file} in {result['minutes']} min", flush=True)
    return result
