"""Every page as a reader meets it, in Chromium at a desktop and a phone size.

For each page and size: bytes transferred on first view within the budget, nothing wider than the
viewport unless inside a scroll box, no text under 11 px in HTML or SVG figures, no MathJax at all (every
formula is an SVG drawn at build time, with an accessible name, never wider than its box outside a scroll
box), and a first paragraph that states a number. A full-page screenshot of each goes
to test-artifacts/site/ (git-ignored), to be looked at.

Pages that run the models in the browser (they load TF.js: the "Try it" page) download the models by
design; they are exempt from the page budget and from the findings-first rule, nothing else.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from gen.config import ROOT
from tests.site_build import BuiltSite
from tests.test_site_browser import CHROMIUM

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PAGE_BUDGET = 1_000_000  # bytes transferred on first view
MIN_TEXT_PX = 11
ARTIFACTS = ROOT / "test-artifacts" / "site"
PAGES = list(BuiltSite(Path(), Path()).page_paths())

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (`make browser` installs it)")]

MEASURE = """() => {
  const viewport = document.documentElement.clientWidth;
  const scrollBox = (el) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const describe = (el) => `${el.tagName.toLowerCase()}${el.className && el.className.baseVal === undefined
    ? '.' + String(el.className).trim().split(/\\s+/).join('.') : ''}`;
  const wide = [];
  for (const el of document.querySelectorAll('.md-content *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.right > viewport + 1 || r.left < -1) && !scrollBox(el)) wide.push(
      `${describe(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px`);
  }
  const formulas = [];
  for (const box of document.querySelectorAll('.md-content .arithmatex')) {
    const svg = box.querySelector(':scope > svg');
    const name = svg && svg.getAttribute('aria-label');
    if (!svg || svg.getAttribute('role') !== 'img' || !name) {
      formulas.push(`${describe(box)} "${box.textContent.trim().slice(0, 30)}" is not a named SVG`);
    } else if (box.getClientRects().length && !scrollBox(svg)
               && svg.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
      formulas.push(`${name.slice(0, 30)}: wider than its box, outside a scroll box`);
    }
  }
  const small = [];
  for (const el of document.querySelectorAll('.md-content figure *, .md-content svg text, .md-content .explorer *')) {
    const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!text || el.getClientRects().length === 0) continue;
    const size = el instanceof SVGElement ? el.getBoundingClientRect().height
      : parseFloat(getComputedStyle(el).fontSize);
    if (size < MIN_TEXT_PX) small.push(`${describe(el)} "${el.textContent.trim().slice(0, 30)}" ${size.toFixed(1)} px`);
  }
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  const article = document.querySelector('.md-content article');
  const first = article && article.querySelector(':scope > p');
  return {
    transferred: entries.reduce((sum, e) => sum + (e.transferSize || 0), 0),
    largest: entries.map((e) => [e.name, e.transferSize || 0]).sort((a, b) => b[1] - a[1]).slice(0, 5),
    mathjax: 'MathJax' in window || entries.some((e) => /mathjax/i.test(e.name)),
    wide, small, formulas,
    firstParagraph: first ? first.textContent.trim() : '',
  };
}""".replace("MIN_TEXT_PX", str(MIN_TEXT_PX))


def runs_models(site: BuiltSite, page_name: str) -> bool:
    """The page loads TF.js, i.e. it downloads and runs the models in the browser."""
    html = site.site_dir / site.page_paths()[page_name] / "index.html"
    return "vendor/tfjs/" in html.read_text()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("page_name", PAGES)
def test_page_as_a_reader_meets_it(browser, served_site, built_site, page_name, size):
    viewport = SIZES[size]
    context = browser.new_context(viewport=viewport, is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(served_site + built_site.page_paths()[page_name], wait_until="networkidle")
    page.wait_for_timeout(300)  # the explorer and late layout settle
    report = page.evaluate(MEASURE)
    # Then as a reader scrolls: every lazy picture loads (and shows in the screenshot) without an error.
    page.evaluate("""async () => {
      for (let y = 0; y < document.documentElement.scrollHeight; y += 500) {
        window.scrollTo(0, y);
        await new Promise((done) => setTimeout(done, 30));
      }
      window.scrollTo(0, 0);
    }""")
    page.wait_for_load_state("networkidle")
    # (pictures inside a hidden panel, e.g. the dose slider's other doses, load only when shown)
    page.wait_for_function("() => [...document.images].every((img) => img.complete || img.closest('[hidden]'))",
                           timeout=20_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{Path(page_name).stem}-{viewport['width']}x{viewport['height']}.png"),
                    full_page=True)
    context.close()

    heavy = runs_models(built_site, page_name)
    assert errors == [], f"{page_name} at {size}: console errors"
    if not heavy:
        assert report["transferred"] <= PAGE_BUDGET, (
            f"{page_name} at {size}: {report['transferred']:,} bytes on first view, largest {report['largest']}")
        assert re.search(r"\d", report["firstParagraph"]), f"{page_name}: first paragraph states no number"
    assert report["wide"] == [], f"{page_name} at {size}: wider than the viewport outside a scroll box"
    assert report["small"] == [], f"{page_name} at {size}: figure text under {MIN_TEXT_PX} px"
    assert not report["mathjax"], f"{page_name} at {size}: MathJax loaded (formulas are drawn at build time)"
    assert report["formulas"] == [], f"{page_name} at {size}: formulas"


def test_the_budget_check_is_not_vacuous(built_site):
    """At least one page has formulas (so the formula checks are not vacuous), and the pages under the
    budget rule are all but the one that runs the models."""
    pages = built_site.page_paths()
    html = {name: (built_site.site_dir / path / "index.html").read_text() for name, path in pages.items()}
    assert any('class="arithmatex"><svg' in text for text in html.values())
    assert sum(not runs_models(built_site, name) for name in pages) >= len(pages) - 1


def _explorer_state(page) -> dict:
    return page.evaluate("""() => ({
      images: [...document.querySelectorAll('.explorer .ex-figures img')].map((img) => img.getAttribute('src')),
      loaded: performance.getEntriesByType('resource').filter((e) => e.name.includes('/generated/explain/')
        && !e.name.endsWith('.json')).length,
      heading: document.querySelector('.explorer .ex-heading').textContent,
      ticks: [...document.querySelectorAll('.explorer .ex-bar-ticks span')].map((s) => s.textContent),
    })""")


def test_explorer_answers_keyboard_and_touch_and_loads_only_what_it_shows(browser, served_site, built_site):
    import json

    index = json.loads((built_site.site_dir / "generated" / "explain" / "samples.json").read_text())
    url = served_site + built_site.page_paths()["05-what-they-look-at.md"]
    # Keyboard, at desktop size: the face select takes arrow keys; the method select is reached with Tab.
    context = browser.new_context(viewport=SIZES["desktop"])
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".explorer .ex-figures img")
    first = _explorer_state(page)
    assert len(first["images"]) == len(index["compared"]) == 2, "the race pair, side by side"
    assert first["loaded"] == 2, "only the two pictures shown are fetched"
    assert first["ticks"][0] == "0" and float(first["ticks"][-1]) > 0, "a colour bar with its value"
    page.focus(".explorer .ex-face select")
    page.keyboard.press("ArrowDown")
    page.wait_for_load_state("networkidle")
    second = _explorer_state(page)
    assert second["images"] != first["images"] and second["heading"] != first["heading"]
    assert second["loaded"] == 4
    page.keyboard.press("Tab")  # to the "next face" button
    page.keyboard.press("Tab")  # to the model select
    page.keyboard.press("Tab")  # to the method select
    page.keyboard.press("ArrowDown")
    page.wait_for_load_state("networkidle")
    third = _explorer_state(page)
    second_method = list(index["methods"].values())[1]["title"]
    assert third["heading"].endswith(second_method), third["heading"]
    context.close()
    # Touch, at phone size: tapping "next face" moves to the next face.
    context = browser.new_context(viewport=SIZES["phone"], is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".explorer .ex-figures img")
    before = _explorer_state(page)
    page.tap(".explorer button[aria-label='next face']")
    page.wait_for_load_state("networkidle")
    after = _explorer_state(page)
    labels = index["samples"][1]["labels"]
    assert after["heading"].startswith(f"{labels['race']} {labels['gender'].lower()}, {labels['age']}")
    assert after["images"] != before["images"]
    context.close()
