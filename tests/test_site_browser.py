"""The built site in Chromium: every page loads cleanly, offline-safe, with its formulas drawn, and fits a phone.

Runs Debian's chromium through Playwright against the shared build served on localhost. "Off-site" is any
request to a host other than that server: the article must work with no network at all.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from gen.face.browser import CHROMIUM
from tests.site_build import BuiltSite

PHONE = {"width": 390, "height": 844}
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (`make browser` installs it)")]


def visit(browser, url: str, viewport: dict[str, int], mobile: bool = False) -> dict:
    """Load `url` and report console errors, failed and off-site requests, formulas and page width."""
    context = browser.new_context(viewport=viewport, is_mobile=mobile, has_touch=mobile)
    page = context.new_page()
    origin = urlparse(url).netloc
    problems: dict[str, list[str]] = {"console": [], "failed": [], "offsite": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems["console"].append(str(error)))
    page.on("requestfailed", lambda r: problems["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: problems["failed"].append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)

    def check_host(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != origin:
            problems["offsite"].append(request.url)
    page.on("request", check_host)
    page.goto(url, wait_until="networkidle")
    has_math = page.locator(".arithmatex").count() > 0
    # Formulas arrive drawn (SVG made at build time): nothing typesets them in the browser.
    result = {**problems, "has_math": has_math,
              "unrendered_math": page.locator(".arithmatex:not(:has(> svg[role=img][aria-label]))").count(),
              "mathjax": page.evaluate("() => 'MathJax' in window"),
              "overflow": page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")}
    context.close()
    return result


@pytest.mark.parametrize("page_name", BuiltSite(Path(), Path()).page_paths())
def test_page_loads_cleanly_with_formulas_drawn(browser, served_site, built_site, page_name):
    report = visit(browser, served_site + built_site.page_paths()[page_name], {"width": 1280, "height": 900})
    assert report["console"] == [], f"{page_name}: console errors"
    assert report["failed"] == [], f"{page_name}: failed requests"
    assert report["offsite"] == [], f"{page_name}: requests to other hosts"
    assert report["unrendered_math"] == 0, f"{page_name}: formulas not drawn as SVG with a name"
    assert not report["mathjax"], f"{page_name}: MathJax runs in the browser"


@pytest.mark.parametrize("page_name", BuiltSite(Path(), Path()).page_paths())
def test_phone_viewport_has_no_horizontal_scroll(browser, served_site, built_site, page_name):
    report = visit(browser, served_site + built_site.page_paths()[page_name], PHONE, mobile=True)
    assert report["overflow"] <= 0, f"{page_name}: {report['overflow']} px wider than a {PHONE['width']} px phone"
    assert report["console"] == [] and report["failed"] == [] and report["offsite"] == []


def test_math_page_exists(browser, served_site, built_site):
    """At least the models page carries a formula, so the formula check above is not vacuous."""
    assert visit(browser, served_site + built_site.page_paths()["03-models.md"],
                 {"width": 1280, "height": 900})["has_math"]
