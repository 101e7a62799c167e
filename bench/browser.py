"""In-browser timing of the try-it page, per TF.js backend, in headless Chromium on this machine.

Goals (issue 4): first prediction <= 1 s after the page starts loading, <= 50 ms per prediction,
Grad-CAM <= 300 ms. For each backend (wasm, webgl, cpu; forced with ?backend=NAME) it loads the page
in a fresh browser context and reports:
  - load: TF.js started, the five models loaded, and the first sample analysed, in ms since navigation
    (median of several fresh page loads);
  - predict: one face through all five models (median of repeated runs after warm-up);
  - grad-cam: Grad-CAM of one race model (median), and a full crop update (predict + both Grad-CAMs + drawing);
  - IG: Integrated Gradients, 32 steps, once.
Serves build/ when the site has been built (unless --sources), else the page assembled from site_src/
and the committed models (tests/browser_site.py), on 127.0.0.1.

    .venv/bin/python bench/browser.py [--repeat 30] [--backends wasm webgl cpu] [--sources]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gen.config import BUILD_DIR, MODELS_DIR  # noqa: E402
from tests.browser_site import CHROMIUM, CHROMIUM_ARGS, PAGE, assemble_site, real_models_ready, serve  # noqa: E402

GOALS = {"first prediction": 1000.0, "predict (5 models)": 50.0, "grad-cam (1 model)": 300.0}

MEASURE = """async (repeat) => {
  const m = { ...(await import('../assets/demo/predict.js')), ...(await import('../assets/demo/explain.js')) };
  const page = window.tryIt;
  const entries = Object.values(page.entries);
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (work) => { const t = performance.now(); work(); return performance.now() - t; };
  const runs = (work) => { for (let i = 0; i < 3; i++) work(); return median(Array.from({ length: repeat }, () => time(work))); };
  const input = page.input;
  const target = 0;
  const result = {
    backend: tf.getBackend(),
    tfjs: page.timings.tfjs, models: page.timings.models, first: page.timings.firstPrediction,
    predict: runs(() => m.predictAll(entries, input, page.size)),
    gradcam: runs(() => m.gradCam(page.entries.race_fair, input, page.size, target)),
    update: runs(() => page.update()),
  };
  const t = performance.now();
  await m.integratedGradients(page.entries.race_fair, input, page.size, target, 32);
  result.ig32 = performance.now() - t;
  result.tensors = tf.memory().numTensors;
  return result;
}"""


def site_folder(scratch: Path, sources: bool) -> Path:
    if (BUILD_DIR / PAGE / "index.html").exists() and not sources:
        return BUILD_DIR
    if not real_models_ready():
        raise SystemExit("no built site and no current TF.js exports: run `python -m gen export` (or build)")
    return assemble_site(scratch, MODELS_DIR)


def measure(url: str, backends: list[str], repeat: int, loads: int) -> dict[str, dict]:
    """Per backend: `loads` fresh page loads (load timings: medians), then the in-page timings once."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for backend in backends:
            timings = []
            try:
                for load in range(loads):
                    context = browser.new_context()  # fresh: no cache, nothing from the previous load
                    page = context.new_page()
                    page.goto(f"{url}{PAGE}/?backend={backend}")
                    page.wait_for_function("window.tryItReady !== undefined")
                    page.evaluate("window.tryItReady.then(() => true)")
                    first_load = "({...window.tryIt.timings, first: window.tryIt.timings.firstPrediction})"
                    timings.append(page.evaluate(MEASURE, repeat) if load == loads - 1 else page.evaluate(first_load))
                    context.close()
            except Exception as error:  # a backend this machine cannot run: report it, measure the rest
                results[backend] = {"error": str(error).splitlines()[0]}
                continue
            results[backend] = timings[-1]
            for key in ("tfjs", "models", "first"):
                results[backend][key] = statistics.median(t[key] for t in timings)
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per in-page figure")
    parser.add_argument("--loads", type=int, default=5, help="fresh page loads per backend for the load figures")
    parser.add_argument("--backends", nargs="+", default=["wasm", "webgl", "cpu"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--sources", action="store_true", help="the page from site_src/ even if build/ exists")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make browser` installs it")
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as scratch:
        folder = site_folder(Path(scratch), args.sources)
        with serve(folder) as url:
            results = measure(url, args.backends, args.repeat, args.loads)
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"try-it page in headless {version}, {os.cpu_count()} CPU cores, "
          f"{'built site' if folder == BUILD_DIR else 'assembled page'}, load average "
          f"{os.getloadavg()[0]:.1f} (other work slows every figure); ms; load figures: medians of "
          f"{args.loads} fresh loads, others: medians of {args.repeat} runs:")
    print(f"  {'backend':<8} {'tfjs':>6} {'models':>7} {'first':>7} {'predict':>8} {'gradcam':>8} "
          f"{'update':>7} {'IG-32':>7}")
    met = True
    for backend, r in results.items():
        if "error" in r:
            print(f"  {backend:<8} unavailable: {r['error']}")
            continue
        print(f"  {backend:<8} {r['tfjs']:6.0f} {r['models']:7.0f} {r['first']:7.0f} {r['predict']:8.1f} "
              f"{r['gradcam']:8.1f} {r['update']:7.1f} {r['ig32']:7.0f}")
    fastest = min((b for b in results if "error" not in results[b]), key=lambda b: results[b]["predict"])
    best = results[fastest]
    print(f"fastest here: {fastest} (the page tries wasm, then webgl, then cpu)")
    for label, value in (("first prediction", best["first"]), ("predict (5 models)", best["predict"]),
                         ("grad-cam (1 model)", best["gradcam"])):
        ok = value <= GOALS[label]
        met &= ok
        print(f"  {label:<20} {value:7.1f} ms  (goal <= {GOALS[label]:.0f} ms: {'met' if ok else 'NOT met'})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
