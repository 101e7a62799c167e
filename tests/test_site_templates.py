"""Template check: pages carry no measured number typed by hand; every figure comes from the context."""
from __future__ import annotations

import re

import pytest

from gen.config import SITE_SRC

# Stripped before looking: Jinja, math, code, HTML tags, link targets and attribute lists may hold digits.
IGNORED = [
    r"\{\{.*?\}\}", r"\{%.*?%\}", r"\{#.*?#\}",  # Jinja
    r"\\\[.*?\\\]", r"\\\(.*?\\\)", r"\$\$.*?\$\$", r"\$[^$\n]+\$",  # math
    r"```.*?```", r"`[^`\n]*`",  # code
    r"<(script|style|select)\b.*?</\1>",  # scripts, styles and form options (not prose)
    r"<[^>]*>",  # HTML tags and their attributes
    r"\]\([^)]*\)",  # Markdown link and image targets (file names like 02-data.md)
    r"\{[^{}\n]*\}",  # attribute lists such as { width="128" } (Jinja and math are already gone)
]
# What a measured number looks like in prose: a decimal, a percentage, a thousands-grouped count,
# a count of three or more digits that is not a year, or an "n = 42".
METRIC = re.compile(r"\d+\.\d+|\d+\s*(?:%|percent\b|per cent\b|points\b|pp\b)|\b\d{1,3}(?:,\d{3})+\b"
                    r"|\b(?!(?:19|20)\d\d\b)\d{3,}\b|\bn\s*=\s*\d+")


def typed_numbers(text: str) -> list[str]:
    """Every number in `text` that looks like a measurement typed by hand."""
    for pattern in IGNORED:
        text = re.sub(pattern, " ", text, flags=re.DOTALL)
    return METRIC.findall(text)


@pytest.mark.parametrize("text, found", [
    ("The fair model reaches 0.87 accuracy.", ["0.87"]),
    ("It is right on 81 % of faces", ["81 %"]),
    ("UTKFace has 23,708 faces", ["23,708"]),
    ("the test split holds 3312 faces (n = 42)", ["3312", "n = 42"]),
    ("a gap of 12 points", ["12 points"]),
    ("{{ metrics.accuracy | pct }} and {% if x > 0.5 %}", []),
    (r"\(\frac{1}{2}\) and \[ a_{10} = 0.5 \] and $x^{100}$", []),
    ("UTKFace (Zhang, Song and Qi, CVPR 2017), see [data](02-data.md)", []),
    ('<img src="x.png" width="200"> and `python -m gen build --size 200`', []),
    ("<select><option>128</option></select><script>const n = 0.25;</script>", []),
    ('![map](a.png){ width="128" loading=lazy } and {: .wide }', []),
])
def test_check_catches_typed_metrics_and_allows_the_rest(text, found):
    assert typed_numbers(text) == found


@pytest.mark.parametrize("page", [*sorted((SITE_SRC / "pages").glob("*.md")), SITE_SRC / "readme.md"],
                         ids=lambda p: p.name)
def test_no_metric_digits_typed_in_pages(page):
    numbers = typed_numbers(page.read_text())
    assert numbers == [], f"{page.name} types numbers by hand ({numbers}); read them from the template context"
