"""The Try-it page with any photo, in real Chromium: faces found and aligned (known transforms recovered),
several faces, no face, the "unusual" caution, the `window.tryIt.analyse` API, layout and accessibility."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from gen.config import SITE_SRC
from gen.data.samples import read_samples
from gen.face.align import Similarity, alignment
from tests.browser_site import CHROMIUM, PAGE
from tests.test_browser_page import Visit, base_url, browser, models_dir, playwright, site  # noqa: F401

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: `make browser` installs it")]

SAMPLES = read_samples()
FRAME = (1200, 900)
ANALYSE = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return window.tryIt.analyse(new Blob([bytes], { type: 'image/png' }));
}"""


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _sample(i: int) -> Image.Image:
    return Image.open(SITE_SRC / "samples" / SAMPLES[i]["file"]).convert("RGB")


def _paste(face: Image.Image, scale: float, angle_degrees: float, centre: tuple[float, float],
           frame: Image.Image | None = None) -> tuple[Image.Image, Similarity]:
    """`face` turned by `angle_degrees` (counter-clockwise on screen), scaled and centred at `centre`; returns the
    photo and the exact map from face pixels to photo pixels."""
    frame = frame or Image.new("RGB", FRAME, (128, 140, 150))
    theta = -np.radians(angle_degrees)  # image y points down: counter-clockwise on screen is a negative angle
    a, b = scale * np.cos(theta), scale * np.sin(theta)
    half = face.width / 2
    placed = Similarity(a, b, centre[0] - (a * half - b * half), centre[1] - (b * half + a * half))
    inverse = placed.inverse()
    rgba = face.convert("RGBA")
    layer = rgba.transform(FRAME, Image.Transform.AFFINE, (inverse.a, -inverse.b, inverse.tx, inverse.b, inverse.a,
                                                         inverse.ty), Image.Resampling.BICUBIC)
    frame = frame.copy()
    frame.paste(layer, (0, 0), layer)
    return frame, placed


@pytest.fixture(scope="module")
def template(site) -> dict:  # noqa: F811 - the fixture imported above
    return json.loads((site / "models" / "face_template.json").read_text())


@pytest.fixture
def visit(browser, base_url):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield Visit(page, base_url + PAGE + "/")
    context.close()


def test_a_face_pasted_with_a_known_transform_is_aligned_like_the_original(visit: Visit, template: dict) -> None:
    """The crop from the photo must match the crop from the original face: every corner of the aligned
    crop, mapped through the known paste, within 2 px (in the 200 px crop) of where the original puts it."""
    face = _sample(3)
    original = visit.page.evaluate(ANALYSE, _png(face))
    assert original["aligned"] and original["chosen"] == 0
    to_crop = alignment(np.array(original["faces"][0]["landmarks5"]), template)
    side = template["crop_side"]
    corners = np.array([[0, 0], [side, 0], [0, side], [side, side]], float)
    errors = []
    for scale, angle, centre in ((1.4, 15, (400, 500)), (2.2, -12, (800, 420)), (1.0, 5, (300, 300))):
        photo, placed = _paste(face, scale, angle, centre)
        result = visit.page.evaluate(ANALYSE, _png(photo))
        assert result["aligned"] and len(result["faces"]) == 1
        x, y, w, h = result["faces"][0]["box"]
        assert x <= centre[0] <= x + w and y <= centre[1] <= y + h  # in the photo's own pixels
        photo_to_crop = alignment(np.array(result["faces"][0]["landmarks5"]), template)
        expected = corners
        got = photo_to_crop.apply(placed.apply(to_crop.inverse().apply(corners)))
        errors.append(float(np.abs(got - expected).max()))
    assert max(errors) < 2.0, errors
    assert not visit.errors


def test_the_api_returns_what_the_page_shows(visit: Visit) -> None:
    photo, _ = _paste(_sample(0), 1.5, 8, (700, 450))
    result = visit.page.evaluate(ANALYSE, _png(photo))
    assert set(result) == {"faces", "chosen", "aligned", "unusual", "predictions"}
    face = result["faces"][0]
    assert len(face["box"]) == 4 and 0 < face["score"] <= 1 and np.array(face["landmarks5"]).shape == (5, 2)
    shown = visit.page.evaluate("Object.fromEntries(Object.entries(window.tryIt.predictions)"
                                ".map(([k, v]) => [k, Array.from(v)]))")
    for name, answer in result["predictions"].items():
        assert np.allclose(answer["probabilities"], shown[name]) and len(answer["labels"]) == len(shown[name])
    gender = result["predictions"]["gender"]
    top = gender["labels"][int(np.argmax(gender["probabilities"]))]
    assert visit.page.inner_text(".ti-gender").startswith(top) and top in visit.page.inner_text(".ti-summary")
    if result["unusual"] is not None:
        assert set(result["unusual"]) == {"score", "threshold", "flagged"}
        assert result["unusual"]["flagged"] == (result["unusual"]["score"] > result["unusual"]["threshold"])
        assert visit.page.is_visible(".ti-caution") == result["unusual"]["flagged"]


def test_several_faces_are_boxed_and_another_can_be_chosen(visit: Visit) -> None:
    photo, _ = _paste(_sample(1), 0.9, 0, (250, 300))
    photo, _ = _paste(_sample(4), 1.7, 0, (850, 500), frame=photo)
    page = visit.page
    result = page.evaluate(ANALYSE, _png(photo))
    assert len(result["faces"]) == 2 and result["chosen"] == 0
    assert result["faces"][0]["box"][0] > 600  # the larger face, on the right, comes first
    assert page.is_visible(".ti-faces-canvas") and page.locator(".ti-face").count() == 2
    before = visit.analyses()
    page.click(".ti-face >> nth=1")
    page.wait_for_function(f"Number(document.querySelector('.try-it').dataset.analyses) > {before}")
    assert page.evaluate("window.tryIt.chosen") == 1
    assert page.get_attribute(".ti-face >> nth=1", "aria-pressed") == "true"
    assert "2 faces were found" in page.inner_text(".ti-caption")


def test_no_face_gives_a_message_and_the_manual_crop(visit: Visit) -> None:
    x = np.linspace(0, 1, FRAME[0])[None, :, None]
    y = np.linspace(0, 1, FRAME[1])[:, None, None]
    plain = Image.fromarray((255 * np.concatenate([x + 0 * y, 0.3 + 0 * x * y, y + 0 * x], -1)).clip(0, 255)
                            .astype(np.uint8))
    page = visit.page
    result = page.evaluate(ANALYSE, _png(plain))
    assert result["faces"] == [] and result["chosen"] is None and not result["aligned"]
    assert "No face was found" in page.inner_text(".ti-caption")
    assert page.is_visible(".ti-caution") and "No face was found" in page.inner_text(".ti-caution")
    assert page.evaluate("({...window.tryIt.crop.box})") == {"x": 150, "y": 0, "side": 900}  # largest centred square


def test_layout_answers_beside_the_photo_when_wide_and_a_summary_under_it_on_a_phone(
        browser, base_url) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    wide = Visit(context.new_page(), base_url + PAGE + "/")
    crop, results = (wide.page.locator(s).bounding_box() for s in (".ti-crop-canvas", ".ti-results"))
    assert results["x"] >= crop["x"] + crop["width"] and results["y"] < crop["y"] + crop["height"]
    cam = wide.page.locator(".ti-cam canvas").first.bounding_box()
    assert cam["y"] + cam["height"] <= 900  # the Grad-CAMs are in view next to the crop
    context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    phone = Visit(context.new_page(), base_url + PAGE + "/")
    crop, summary = (phone.page.locator(s).bounding_box() for s in (".ti-crop-canvas", ".ti-summary"))
    assert 0 <= summary["y"] - (crop["y"] + crop["height"]) < 160 and phone.page.inner_text(".ti-summary")
    context.close()


ACCESSIBILITY = """() => {
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const parse = (text) => text.match(/[\\d.]+/g).map(Number);
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const node of document.querySelectorAll('.try-it *')) {
    const text = Array.from(node.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join('');
    if (!text || !node.getClientRects().length) continue;
    const style = getComputedStyle(node);
    const fg = parse(style.color);
    const [a, b] = [luminance(fg.slice(0, 3)), luminance(background(node))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${node.className || node.tagName}: ${ratio.toFixed(2)}`);
  }
  const levels = Array.from(document.querySelectorAll('.try-it h1, .try-it h2, .try-it h3, .try-it h4, .try-it h5'))
    .map((h) => Number(h.tagName[1]));
  const unnamed = Array.from(document.querySelectorAll('.try-it canvas'))
    .filter((c) => c.getAttribute('aria-hidden') !== 'true' && !(c.getAttribute('aria-label') || '').trim())
    .map((c) => c.className || c.parentElement.className);
  return { low, levels, unnamed, active: document.activeElement === document.body };
}"""


def test_accessibility_focus_contrast_headings_and_names(visit: Visit) -> None:
    page = visit.page
    found = page.evaluate(ACCESSIBILITY)
    assert found["active"], "the page moved the focus on load"
    assert found["low"] == [], found["low"]
    assert found["levels"][0] == 2 and all(b - a <= 1 for a, b in zip(found["levels"], found["levels"][1:])), found
    assert found["unnamed"] == []
    for selector in (".ti-file", ".ti-sample", ".ti-crop-canvas", ".ti-zoom", ".ti-ig summary"):
        page.focus(selector)
        page.keyboard.press("Shift+Tab")  # focus by keyboard, so :focus-visible applies
        page.keyboard.press("Tab")
        shown_on = ".ti-file-label" if selector == ".ti-file" else selector
        outline = page.eval_on_selector(
            shown_on, "e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
        assert outline.split()[0] != "none" and float(outline.split()[1].rstrip("px")) >= 2, (selector, outline)


def test_a_half_visible_face_is_flagged_as_unusual(visit: Visit, site) -> None:  # noqa: F811
    """The caution must fire for what the models never saw: half a face at the frame's edge (no face found,
    the embedding is far off), or a face cut by the edge that is found (its square lies partly outside)."""
    if not (site / "models" / "unusual.json").exists():
        pytest.skip("no 'unusual' calibration for these models (python -m gen unusual)")
    face = _sample(6)
    half = Image.new("RGB", FRAME, (128, 140, 150))
    half.paste(face.resize((600, 600), Image.Resampling.BICUBIC).crop((300, 0, 600, 600)), (0, 150))
    cut, _ = _paste(face, 2.0, 0, (FRAME[0] - 60, 450))  # about a third of the face beyond the right edge
    for photo in (half, cut):
        result = visit.page.evaluate(ANALYSE, _png(photo))
        assert result["unusual"]["flagged"], result
        assert visit.page.is_visible(".ti-caution")


def test_an_upside_down_face_is_flagged_as_unusual(visit: Visit, site) -> None:  # noqa: F811
    if not (site / "models" / "unusual.json").exists():
        pytest.skip("no 'unusual' calibration for these models (python -m gen unusual)")
    upside_down, _ = _paste(_sample(6), 3.0, 180, (600, 450))
    assert visit.page.evaluate(ANALYSE, _png(upside_down))["unusual"]["flagged"]


def test_the_small_block_wasm_concat_gives_tfjs_own_results(visit: Visit) -> None:
    """The page's wasm Concat for small blocks (load.js, registered with the face detector) against TF.js's
    cpu kernel: channel-axis joins like the detector's mean colour, negative axes, int32, an empty part, and a
    large-block case left to TF.js's own kernel."""
    result = visit.page.evaluate("""async () => {
      const cases = [[[[1, 5, 7, 1], [1, 5, 7, 1], [1, 5, 7, 1]], 3, 'float32'],
                     [[[2, 3, 4], [2, 3, 1]], -1, 'int32'], [[[4, 2, 3], [4, 5, 3], [4, 0, 3]], 1, 'float32'],
                     [[[6, 2], [6, 3]], 1, 'float32'], [[[3, 40, 40], [3, 40, 40]], 1, 'float32']];
      const run = () => cases.map(([shapes, axis, dtype], i) => tf.tidy(() => {
        const parts = shapes.map((shape, j) => tf.randomUniform(shape, -50, 50, 'float32', 10 * i + j).cast(dtype));
        const joined = tf.concat(parts, axis);
        return { shape: joined.shape, dtype: joined.dtype, values: Array.from(joined.dataSync()) };
      }));
      const replaced = tf.getKernel('Concat', 'wasm').smallBlocks === true;
      const wasm = run();
      await tf.setBackend('cpu');
      const cpu = run();
      await tf.setBackend('wasm');
      return { replaced, wasm, cpu };
    }""")
    assert result["replaced"], "the face detector's load did not register the small-block Concat"
    assert result["wasm"] == result["cpu"]
