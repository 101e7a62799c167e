"""The try-it page in real Chromium: TF.js matches Keras and the Python explanations, bad photos get clear
messages, nothing is requested after load, tensors are freed, and a phone can use it.

Runs on the committed models once their TF.js exports exist, else on small trained stand-ins with the
same architecture (the comparisons hold for any weights). Figures go to test-artifacts/.
"""
from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gen.config import IMAGE_SIZE, MODELS_DIR, ROOT, SITE_SRC
from gen.data.samples import read_samples, sample_pixels
from gen.models.registry import MODEL_SPECS
from tests.browser_site import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE,
    assemble_site,
    real_models_ready,
    serve,
    train_small_models,
)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make browser` installs it")]

ARTIFACTS = ROOT / "test-artifacts"
SAMPLES = read_samples()
PARITY_LIMIT = 1e-3  # max |TF.js - Keras| probability for the same pixels and the same weights
COSINE_LIMIT = 0.99  # Grad-CAM / IG maps, JS vs Python


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    if real_models_ready():
        return MODELS_DIR
    folder = tmp_path_factory.mktemp("models")
    train_small_models(folder)
    return folder


@pytest.fixture(scope="module")
def site(models_dir: Path, tmp_path_factory) -> Path:
    """The page folder; publishing it also exports the stand-in models to TF.js."""
    return assemble_site(tmp_path_factory.mktemp("site"), models_dir)


@pytest.fixture(scope="module")
def base_url(site: Path):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as session:
        yield session


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


class Visit:
    """One page load with every request and page error recorded."""

    def __init__(self, page, url: str) -> None:
        self.page, self.requests, self.errors = page, [], []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.goto(url)
        page.wait_for_function("window.tryItReady !== undefined")
        page.evaluate("window.tryItReady.then(() => true)")

    def analyses(self) -> int:
        return int(self.page.get_attribute(".try-it", "data-analyses") or 0)

    def pick(self, sample_id: str) -> None:
        before = self.analyses()
        self.page.click(f".ti-sample[data-id='{sample_id}']")
        self.page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}")


@pytest.fixture
def visit(browser, base_url):
    context = browser.new_context()
    page = context.new_page()
    yield Visit(page, base_url + PAGE + "/")
    context.close()


def parity_faces() -> np.ndarray:
    """The shipped samples plus, when the dataset is present, 40 faces from the test split."""
    pixels = sample_pixels(SAMPLES)
    folder = os.environ.get("UTKFACE_DIR")
    if folder and Path(folder).is_dir():
        from gen.data.prepared import prepare_data
        data = prepare_data(Path(folder), manifest=None)
        pixels = np.concatenate([pixels, data.dataset.pixels[data.split["test"][:40]]])
    return pixels


@pytest.fixture(scope="module")
def shipped(models_dir: Path, site: Path) -> dict:
    """Keras models with exactly the weights the page loads (dequantised if quantised), by name."""
    from gen.models.export import load_shipped
    return {name: load_shipped(models_dir / name / "tfjs" / "model.json") for name in MODEL_SPECS}


JS_PREDICT = """async (images) => {
  const m = await import('../assets/demo/predict.js');
  const entries = Object.values(window.tryIt.entries);
  return images.map((rgb) => Object.fromEntries(
    Object.entries(m.predictAll(entries, rgb, 64)).map(([name, p]) => [name, Array.from(p)])));
}"""

JS_GRADCAM = """async ([images, name, targets]) => {
  const m = await import('../assets/demo/explain.js');
  return images.map((rgb, i) => Array.from(m.gradCam(window.tryIt.entries[name], rgb, 64, targets[i]).map));
}"""


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two maps; an empty map has no direction, so comparing one proves nothing."""
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    assert np.abs(a).max() > 0 and np.abs(b).max() > 0, "an empty map: a cosine would compare nothing"
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_tfjs_probabilities_match_keras(visit: Visit, models_dir: Path, shipped: dict) -> None:
    from gen.models.keras import keras

    pixels = parity_faces()
    js = visit.page.evaluate(JS_PREDICT, [x.ravel().tolist() for x in pixels])
    report = {"faces": len(pixels)}
    for name in MODEL_SPECS:
        browser_p = np.array([row[name] for row in js])
        expected = shipped[name].predict(pixels.astype(np.float32), verbose=0)
        original = keras.models.load_model(models_dir / name / "model.keras").predict(
            pixels.astype(np.float32), verbose=0)
        record = json.loads((models_dir / name / "export.json").read_text())
        report[name] = {"quantisation": record["quantisation"],
                        "max_abs_diff_vs_shipped_weights": float(np.abs(browser_p - expected).max()),
                        "max_abs_diff_vs_keras": float(np.abs(browser_p - original).max()),
                        "top1_agree_vs_keras": float(np.mean(browser_p.argmax(1) == original.argmax(1)))}
        assert np.array_equal(browser_p.argmax(1), expected.argmax(1)), name
        assert np.abs(browser_p - expected).max() <= PARITY_LIMIT, name
        if record["quantisation"] is None:
            assert np.array_equal(browser_p.argmax(1), original.argmax(1)), name
            assert np.abs(browser_p - original).max() <= PARITY_LIMIT, name
        else:  # quantised weights may move a borderline face; the article's own faces must not move
            shown = slice(0, len(SAMPLES))
            assert np.array_equal(browser_p[shown].argmax(1), original[shown].argmax(1)), name
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-parity.json").write_text(json.dumps(report, indent=1))


def test_picking_a_sample_gives_pythons_pixels_and_predictions(visit: Visit, shipped: dict) -> None:
    expected_pixels = sample_pixels(SAMPLES)
    seen, shown, cam_labels = [], [], []
    for sample in SAMPLES:
        visit.pick(sample["id"])
        seen.append(visit.page.evaluate("Array.from(window.tryIt.input)"))
        shown.append(visit.page.evaluate("Object.fromEntries(Object.entries(window.tryIt.predictions)"
                                         ".map(([k, v]) => [k, Array.from(v)]))"))
        cam_labels.append(visit.page.inner_text(".ti-cam[data-model='race_fair'] .ti-cam-label"))
    seen = np.array(seen, np.uint8).reshape(expected_pixels.shape)
    # Same JPEG decoder family and Pillow's resampling reproduced: at most a rounding step apart.
    assert np.abs(seen.astype(int) - expected_pixels).max() <= 1
    for name, model in shipped.items():
        python = model.predict(seen.astype(np.float32), verbose=0)
        assert np.abs(np.array([row[name] for row in shown]) - python).max() <= PARITY_LIMIT, name
        if name == "race_fair":
            for label, row in zip(cam_labels, python):
                assert label.startswith(MODEL_SPECS[name].labels[int(row.argmax())])
    assert not visit.errors


def test_grad_cam_matches_python(visit: Visit, shipped: dict) -> None:
    from gen.explain.gradcam import grad_cam

    pixels = sample_pixels(SAMPLES)
    similarities = {}
    for name in ("race_fair", "race_biased"):
        model = shipped[name]
        targets = model.predict(pixels.astype(np.float32), verbose=0).argmax(1)
        python = grad_cam(model, pixels.astype(np.float32), targets).coarse
        js = np.array(visit.page.evaluate(JS_GRADCAM, [[x.ravel().tolist() for x in pixels], name,
                                                       targets.tolist()])).reshape(python.shape)
        shown = python.reshape(len(python), -1).max(axis=1) > 0
        assert shown.mean() >= 0.8, f"{name}: too few non-empty Grad-CAMs to compare ({shown.sum()} of {len(shown)})"
        assert np.abs(js[~shown]).max(initial=0.0) < 1e-6  # where Python's map is empty, the page's is too
        similarities[name] = [cosine(a, b) for a, b in zip(python[shown], js[shown])]
        assert min(similarities[name]) >= COSINE_LIMIT, (name, similarities[name])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-gradcam-cosine.json").write_text(json.dumps(similarities, indent=1))


def test_integrated_gradients_on_request_match_python(visit: Visit, shipped: dict) -> None:
    from gen.explain.integrated_gradients import integrated_gradients

    page = visit.page
    page.click(".ti-ig summary")
    page.select_option(".ti-ig-model", "race_biased")
    page.select_option(".ti-ig-steps", "16")
    page.click(".ti-ig-run")
    page.wait_for_selector(".ti-ig-result", state="visible", timeout=60000)
    js_map, js_delta, seen = page.evaluate(
        "[Array.from(window.tryIt.ig.map), window.tryIt.ig.delta, Array.from(window.tryIt.input)]")
    x = np.array(seen, np.float32).reshape(1, IMAGE_SIZE, IMAGE_SIZE, 3)
    model = shipped["race_biased"]
    python = integrated_gradients(model, x, model.predict(x, verbose=0).argmax(1), steps=16)
    assert cosine(python.maps[0], np.array(js_map).reshape(IMAGE_SIZE, IMAGE_SIZE)) >= COSINE_LIMIT
    assert abs(js_delta - float(python.delta[0])) <= 1e-3
    assert "16 steps" in page.inner_text(".ti-ig-label")


def test_added_wasm_gradient_kernels_agree_with_the_cpu_backend(visit: Visit) -> None:
    """The gradients IG needs on wasm (added by the page) against TF.js's reference cpu kernels."""
    differences = visit.page.evaluate("""async () => {
      const cases = [[[2, 9, 9, 3], [3, 3, 3, 4], 2, 'same'], [[2, 8, 8, 5], [1, 1, 5, 6], 2, 'valid'],
                     [[1, 7, 7, 2], [3, 3, 2, 3], 1, 'same']];
      const run = () => cases.map(([xShape, fShape, stride, pad], i) => tf.tidy(() => {
        const x = tf.randomUniform(xShape, -1, 1, 'float32', i + 1);
        const f = tf.randomUniform(fShape, -1, 1, 'float32', i + 11);
        const d = tf.randomUniform([fShape[0], fShape[1], xShape[3], 1], -1, 1, 'float32', i + 21);
        const conv = tf.grads((a, b) => tf.fused.conv2d({ x: a, filter: b, strides: stride, pad }).square().sum());
        const depthwise = tf.grads((a, b) => tf.depthwiseConv2d(a, b, 1, 'same').square().sum());
        const pool = tf.grad((a) => tf.maxPool(a, 3, stride, pad).square().sum());
        return [...conv([x, f]), ...depthwise([x, d]), pool(x)].map((g) => Array.from(g.dataSync()));
      }));
      const wasm = run();
      await tf.setBackend('cpu');
      const cpu = run();
      await tf.setBackend('wasm');
      return wasm.flat().map((g, i) => Math.max(...g.map((v, j) => Math.abs(v - cpu.flat()[i][j]))));
    }""")
    assert len(differences) == 15 and max(differences) <= 1e-4, differences


def _jpeg(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _face() -> Image.Image:
    return Image.open(SITE_SRC / "samples" / SAMPLES[0]["file"]).convert("RGB")


def _no_face(size: tuple[int, int]) -> Image.Image:
    """A smooth colour gradient: nothing a face detector can mistake for a face."""
    x = np.linspace(0, 1, size[0])[None, :, None]
    y = np.linspace(0, 1, size[1])[:, None, None]
    return Image.fromarray((255 * np.concatenate([x + 0 * y, y + 0 * x, 0.5 + 0 * x * y], -1)).astype(np.uint8))


def _with_alpha() -> bytes:
    image = _face().convert("RGBA")
    alpha = np.full((image.height, image.width), 255, np.uint8)
    alpha[:, : image.width // 3] = 0
    image.putalpha(Image.fromarray(alpha))
    return _png(image)


def _rotated_by_exif() -> bytes:
    """Stored 300 x 200 with the left half red; EXIF orientation 6 says: turn it to stand upright."""
    pixels = np.zeros((200, 300, 3), np.uint8)
    pixels[:, :150] = (220, 20, 20)
    pixels[:, 150:] = (20, 20, 220)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _jpeg(Image.fromarray(pixels), exif=exif.tobytes())


def _huge() -> bytes:
    """A 30-megapixel photo (6000 x 5000): the face sample scaled up."""
    return _jpeg(_face().resize((6000, 5000), Image.Resampling.BILINEAR))


BAD_INPUTS = {
    # name: (file name, bytes, expected error (regex) or None, expected note (regex) or None)
    "not an image": ("notes.txt", lambda: b"just some text, not a photo\n", r"is not an image", None),
    "corrupt image": ("broken.jpg", lambda: b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8,
                      r"could not be decoded", None),
    "empty file": ("empty.jpg", lambda: b"", r"is empty", None),
    "too small": ("tiny.png", lambda: _png(_face().resize((40, 40))), r"only 40 × 40 pixels", None),
    "30 megapixels": ("huge.jpg", _huge, None, r"30\.0-megapixel photo was shrunk to 2048 × 1707"),
    "PNG with alpha": ("alpha.png", _with_alpha, None, r"Transparent parts .* white"),
    "grayscale": ("gray.jpg", lambda: _jpeg(_face().convert("L")), None, r"black-and-white"),
    "EXIF-rotated": ("rotated.jpg", _rotated_by_exif, None, None),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_each_awkward_photo_gets_a_clear_message_or_is_handled(visit: Visit, tmp_path: Path, case: str) -> None:
    file_name, make, error, note = BAD_INPUTS[case]
    path = tmp_path / file_name
    path.write_bytes(make())
    page = visit.page
    before = visit.analyses()
    page.set_input_files(".ti-file", str(path))
    if error:
        page.wait_for_selector(".ti-error:not([hidden])", timeout=20000)
        assert re.search(error, page.inner_text(".ti-error")), page.inner_text(".ti-error")
        assert visit.analyses() == before  # nothing new was analysed,
        assert page.is_hidden(".ti-answers") and page.inner_text(".ti-summary") == ""  # old answers are gone,
        assert page.evaluate("window.tryIt.crop.source.width") > 0  # and the previous photo is still there
        return
    page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}", timeout=30000)
    assert page.is_hidden(".ti-error")
    if note:
        assert re.search(note, page.inner_text(".ti-notes")), page.inner_text(".ti-notes")
    source = page.evaluate("({w: window.tryIt.photo.width, h: window.tryIt.photo.height})")
    if case == "EXIF-rotated":
        assert (source["w"], source["h"]) == (200, 300)  # upright, as decode_face sees it
        top, bottom = page.evaluate("[Array.from(window.tryIt.input.slice(0, 3)), "
                                    "Array.from(window.tryIt.input.slice(-3))]")
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]  # red stored on the left is now on top
    if case == "30 megapixels":
        assert max(source["w"], source["h"]) == 2048
    assert not visit.errors


def test_no_request_after_load_and_tensors_stay_flat(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    origin = page.url.split(PAGE)[0]
    assert visit.requests and all(url.startswith(origin) for url in visit.requests), visit.requests
    loaded = len(visit.requests)
    page.evaluate("window.tryIt.update()")  # warm: every kernel used once
    tensors = page.evaluate("tf.memory().numTensors")
    for i in range(20):
        visit.pick(SAMPLES[i % len(SAMPLES)]["id"])
    assert page.evaluate("tf.memory().numTensors") == tensors
    photo = tmp_path / "mine.jpg"
    photo.write_bytes(_jpeg(_face().resize((900, 700))))
    before = visit.analyses()
    page.set_input_files(".ti-file", str(photo))
    page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}")
    box = page.locator(".ti-crop-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 60, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.click(".ti-ig summary")
    page.select_option(".ti-ig-steps", "8")
    page.click(".ti-ig-run")
    page.wait_for_selector(".ti-ig-result", state="visible", timeout=60000)
    page.evaluate("window.tryIt.update()")
    assert page.evaluate("tf.memory().numTensors") == tensors
    assert visit.requests[loaded:] == []
    assert not visit.errors


def test_crop_tool_moves_and_zooms_the_model_input(visit: Visit, tmp_path: Path) -> None:
    page = visit.page
    photo = tmp_path / "wide.jpg"
    photo.write_bytes(_jpeg(_no_face((800, 400))))  # no face found: the manual crop starts centred
    before = visit.analyses()
    page.set_input_files(".ti-file", str(photo))
    page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}")
    start = page.evaluate("({...window.tryIt.crop.box})")
    assert start["side"] == 400 and start["x"] == 200  # the largest centred square
    box = page.locator(".ti-crop-canvas").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 100, steps=4)
    page.mouse.up()
    moved = page.evaluate("({...window.tryIt.crop.box})")
    assert moved["x"] < start["x"]  # dragging right shows more of the left
    page.eval_on_selector(".ti-zoom", "e => { e.value = e.max; e.dispatchEvent(new Event('input')); }")
    zoomed = page.evaluate("({...window.tryIt.crop.box})")
    assert zoomed["side"] == IMAGE_SIZE  # zoomed in fully: one photo pixel per model pixel
    page.focus(".ti-crop-canvas")
    page.keyboard.press("-")
    assert page.evaluate("window.tryIt.crop.box.side") > IMAGE_SIZE


def test_age_range_follows_the_python_rule(visit: Visit) -> None:
    from gen.age.calibration import contiguous_ranges, temperature_scale

    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.full(9, 0.4), size=50)
    calibration = {"temperature": 1.7, "conformal": {"alpha": 0.1, "threshold": 0.12, "probability_floor": 1e-12}}
    js = visit.page.evaluate("""async ([rows, calibration]) => {
      const m = await import('../assets/demo/predict.js');
      return rows.map((p) => m.ageRange(p, calibration));
    }""", [probabilities.tolist(), calibration])
    low, high = contiguous_ranges(temperature_scale(probabilities, 1.7), 0.12)
    assert [list(r) for r in js] == [[int(a), int(b)] for a, b in zip(low, high)]


def test_close_calls_name_the_runner_up(visit: Visit) -> None:
    """The rule (runner-up within the margin, else none) and the page: the answers of a sample name the
    runner-up exactly where their top two probabilities are within the index's close-call margin."""
    from gen.config import CLOSE_CALL

    page = visit.page
    labels = ["A", "B", "C"]
    rule = page.evaluate("""async ([rows, labels]) => {
      const m = await import('../assets/demo/predict.js');
      return rows.map((p) => m.closeCall(p, labels, 0.1)?.label ?? null);
    }""", [[[0.45, 0.40, 0.15], [0.6, 0.3, 0.1], [0.2, 0.1, 0.7], [0.05, 0.5, 0.45]], labels])
    assert rule == ["B", None, None, "C"]
    assert page.evaluate("window.tryIt.index.close_call") == CLOSE_CALL
    for margin, expect_any in ((1.0, True), (0.0, False), (CLOSE_CALL, None)):
        state = page.evaluate("""(margin) => {
          const t = window.tryIt;
          t.index.close_call = margin;
          t.update();
          const close = (name) => {
            const p = Array.from(t.predictions[name]).sort((a, b) => b - a);
            return p[0] - p[1] < margin;
          };
          const note = document.querySelector('.ti-close-note');
          return {summary: document.querySelector('.ti-summary').innerText, note: note.hidden ? null : note.innerText,
                  expected: [t.genderModel, ...t.pair].map(close)};
        }""", margin)
        mentioned = state["summary"].count("close call with")
        assert mentioned == sum(state["expected"]), state
        assert (state["note"] is not None) == any(state["expected"]), state
        if expect_any is not None:
            assert any(state["expected"]) == expect_any
        if state["note"] is not None:
            assert f"less than {round(100 * margin)} percentage points apart" in state["note"]


def test_phone_viewport_is_usable(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    visit = Visit(page, base_url + PAGE + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    crop = page.locator(".ti-crop-canvas").bounding_box()
    assert crop["x"] >= 0 and crop["x"] + crop["width"] <= 390 and crop["width"] >= 300
    for selector in (".ti-drop label.ti-button", ".ti-sample", ".ti-zoom"):
        assert page.locator(selector).first.bounding_box()["height"] >= 40  # big enough to tap
    page.tap(f".ti-sample[data-id='{SAMPLES[3]['id']}']")
    page.wait_for_function("document.querySelector('.ti-sample[aria-pressed=\"true\"]')"
                           f".dataset.id === '{SAMPLES[3]['id']}'")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "try-it-phone-390x844.png"), full_page=True)
    assert not visit.errors
    context.close()


def test_the_built_page_loads_only_its_own_files_and_then_nothing(browser, served_site: str) -> None:
    """The real article page (the session's site build), theme included: same-origin files while loading,
    silence afterwards."""
    context = browser.new_context()
    visit = Visit(context.new_page(), served_site + PAGE + "/")
    assert all(request.startswith(served_site) for request in visit.requests), visit.requests
    loaded = len(visit.requests)
    visit.page.wait_for_timeout(1500)  # anything the theme would fetch late
    for sample in SAMPLES[:3]:
        visit.pick(sample["id"])
    assert visit.requests[loaded:] == []
    assert not visit.errors
    context.close()


def test_a_camera_photo_is_analysed(playwright, base_url: str) -> None:
    """Chromium's fake camera (a moving test pattern) stands in for a webcam."""
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
    context = chromium.new_context(permissions=["camera"])
    visit = Visit(context.new_page(), base_url + PAGE + "/")
    page = visit.page
    page.click(".ti-camera")
    page.wait_for_function("document.querySelector('.ti-video').videoWidth > 0")
    before, width = visit.analyses(), page.evaluate("document.querySelector('.ti-video').videoWidth")
    page.click(".ti-shoot")
    page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}")
    assert page.is_hidden(".ti-camera-panel") and page.is_hidden(".ti-error")
    assert page.evaluate("window.tryIt.stream") is None  # the camera is switched off again
    assert page.evaluate("window.tryIt.photo.width") == width
    assert page.evaluate("document.querySelector('.ti-video').srcObject") is None
    assert not visit.errors
    chromium.close()


def test_opened_as_a_file_the_page_says_how_to_serve_it(browser, site: Path) -> None:
    """Chromium blocks module scripts and model downloads on file://: the page must say so, not spin."""
    context = browser.new_context()
    page = context.new_page()
    page.goto((site / PAGE / "index.html").as_uri())
    page.wait_for_function("!document.querySelector('.ti-status').textContent.startsWith('Loading')")
    assert "python3 -m http.server" in page.inner_text(".ti-status")
    context.close()
