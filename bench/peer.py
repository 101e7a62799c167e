"""Our models next to the package a visitor could use instead: face-api's age/gender model on the same faces.

@vladmandic/face-api (pinned in package-lock.json) ships an age/gender network in its npm package. It runs
here in headless Chromium on the page's own TF.js and wasm backend, on the same aligned test-split crops
our models see (no face detector, so a missed detection never counts against it), and its age in years is
put in our nine bins. Per race: gender accuracy, age-bin exact and within one bin, for face-api and for
our `gender` and `age_base` models, with exact 95% intervals. Its authors trained it partly on UTKFace,
so its figures may be flattered; nothing here trains on its outputs.

Writes models/analysis/peer.json and prints the table.

    .venv/bin/python bench/peer.py [--data-dir DIR] [--faces N]
"""
from __future__ import annotations

import argparse
import base64
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen.config import (
    DEFAULT_UTKFACE_DIR,
    MODELS_DIR,
    RACES,
    SEED,
    SITE_SRC,
    age_to_bin,
    utkface_dir_from_env,
)
from gen.face.browser import CHROMIUM, CHROMIUM_ARGS, serve
from gen.stats import proportion

OUT = MODELS_DIR / "analysis" / "peer.json"
PACKAGE = "@vladmandic/face-api"
WEIGHTS = ("age_gender_model-weights_manifest.json", "age_gender_model.bin")
BATCH = 64  # faces per call into the page
HARNESS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>peer</title></head><body>
<script type="module">
import { startTf } from './assets/demo/load.js';
window.ready = (async () => {
  await startTf('wasm');
  window.faceapi = await import('./vendor/face-api/face-api.esm.js');
  await window.faceapi.nets.ageGenderNet.loadFromUri('./vendor/face-api/model');
  return true;
})();
window.ageGender = async (faces) => {
  const answers = [];
  for (const b64 of faces) {
    const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))]));
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    const result = await window.faceapi.nets.ageGenderNet.predictAgeAndGender(canvas);
    answers.push([result.age, result.gender === 'female' ? 1 : 0]);
  }
  return answers;
};
</script></body></html>"""


def lay_out(folder: Path) -> None:
    """The page's TF.js and face-api as the build vendors them, the age/gender weights, and the harness."""
    from gen.site.render import NODE_MODULES, vendor_files
    for name, source in vendor_files(NODE_MODULES).items():
        if name.startswith(("tfjs", "face-api")):
            (folder / "vendor" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / "vendor" / name)
    for weight in WEIGHTS:
        source = NODE_MODULES / PACKAGE / "model" / weight
        if not source.exists():
            raise SystemExit(f"node_modules has no {PACKAGE}/model/{weight}: run `npm ci`")
        shutil.copy2(source, folder / "vendor" / "face-api" / "model" / weight)
    shutil.copytree(SITE_SRC / "assets" / "demo", folder / "assets" / "demo")
    (folder / "index.html").write_text(HARNESS)


def face_api_answers(images: list[bytes]) -> np.ndarray:
    """(n, 2): face-api's age in years and gender (0 male, 1 female) for each encoded face."""
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix="peer-") as scratch, serve(Path(scratch)) as url:
        lay_out(Path(scratch))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url + "index.html")
            page.wait_for_function("window.ready !== undefined")
            page.evaluate("window.ready")
            answers = []
            for start in range(0, len(images), BATCH):
                chunk = [base64.b64encode(b).decode() for b in images[start:start + BATCH]]
                answers += page.evaluate("window.ageGender", chunk)
            browser.close()
    return np.array(answers, float)


def scores(gender_true, gender_pred, bin_true, bin_pred) -> dict:
    return {"gender_accuracy": proportion(gender_pred == gender_true),
            "age_exact": proportion(bin_pred == bin_true),
            "age_within_one": proportion(np.abs(bin_pred - bin_true) <= 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=utkface_dir_from_env() or DEFAULT_UTKFACE_DIR)
    parser.add_argument("--faces", type=int, default=0, help="a seeded sample of test faces (default 0: all)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make browser` installs it")
    from gen.data.prepared import prepare_data
    from gen.models.keras import load_trained
    from gen.models.predict import predict

    started = time.monotonic()
    data = prepare_data(args.data_dir, manifest=None)
    test = data.split["test"]
    if 0 < args.faces < len(test):
        test = np.sort(np.random.default_rng(SEED).choice(test, args.faces, replace=False))
    images = [(args.data_dir / data.dataset.records[i].name).read_bytes() for i in test]
    peer = face_api_answers(images)
    races = data.dataset.labels("race")[test]
    gender_true, bin_true = data.dataset.labels("gender")[test], data.dataset.labels("age")[test]
    ours_gender = predict(load_trained("gender", MODELS_DIR), data.dataset.pixels[test]).argmax(axis=1)
    ours_age = predict(load_trained("age_base", MODELS_DIR), data.dataset.pixels[test]).argmax(axis=1)
    peer_bins = np.array([age_to_bin(int(round(age))) for age in peer[:, 0]])
    peer_gender = peer[:, 1].astype(int)
    groups = {"all": np.ones(len(test), bool)} | {race: races == r for r, race in enumerate(RACES)}
    table = {group: {"faces": int(mask.sum()),
                     "face_api": scores(gender_true[mask], peer_gender[mask], bin_true[mask], peer_bins[mask]),
                     "ours": scores(gender_true[mask], ours_gender[mask], bin_true[mask], ours_age[mask])}
             for group, mask in groups.items()}
    version = json.loads((Path("node_modules") / PACKAGE / "package.json").read_text())["version"]
    record = {"peer": f"{PACKAGE} {version} age/gender model (aligned crops, no detector)",
              "ours": {"gender": "gender", "age": "age_base"}, "split": "test", "faces": int(len(test)),
              "groups": table, "seconds": round(time.monotonic() - started, 1)}
    OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{len(test)} test faces: face-api vs ours (gender accuracy / age exact / age within one bin)")
    for group, row in table.items():
        cells = [f"{row[who][key]['value']:.3f}" for who in ("face_api", "ours")
                 for key in ("gender_accuracy", "age_exact", "age_within_one")]
        print(f"{group:8} {row['faces']:>5}  face-api {' / '.join(cells[:3])}   ours {' / '.join(cells[3:])}")
    print(f"wrote {OUT.relative_to(MODELS_DIR.parent)} in {record['seconds']:.0f} s")


if __name__ == "__main__":
    main()
