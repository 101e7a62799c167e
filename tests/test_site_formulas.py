"""Formulas drawn at build time (gen/site/formulas.py + tex2svg.cjs): SVG with a name, clear errors, cached."""
from __future__ import annotations

import shutil

import pytest

from gen.site import formulas
from gen.site.formulas import Formula, FormulaError

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("node") is None or not (formulas.NODE_MODULES / "mathjax").is_dir(),
    reason="needs Node and node_modules (`make node`)")]

PAGE = ('<p>A ratio <span class="arithmatex">\\(\\frac{a}{b}\\)</span> and a sum</p>\n'
        '<div class="arithmatex">\\[\n\\sum_i x_i &lt; 1\n\\]</div>')


def test_found_formulas_become_named_svgs(tmp_path):
    found = formulas.find(PAGE)
    assert found == [Formula("\\frac{a}{b}", False), Formula("\\sum_i x_i < 1", True)]
    svgs = formulas.convert(formulas.pages_of([("a.md", found)]), cache_dir=tmp_path)
    page = formulas.replace(PAGE, svgs)
    assert "\\(" not in page and "\\[" not in page
    inline, display = page.split("<svg")[1:]
    assert 'role="img"' in inline and 'aria-label="\\frac{a}{b}"' in inline
    assert "vertical-align" in inline, "an inline formula sits on the baseline"
    assert 'aria-label="\\sum_i x_i &lt; 1"' in display, "the label is the TeX, HTML-escaped"
    assert page.startswith('<p>A ratio <span class="arithmatex"><svg') and '<div class="arithmatex"><svg' in page
    assert "<use" not in page and " id=" not in page, "each SVG stands alone (its glyphs inside it)"


def test_a_tex_error_names_the_formula_and_the_page(tmp_path):
    broken = {Formula("\\frac{a}{b}", False): ["a.md"], Formula("\\frac{a", True): ["04-how-it-works.md", "b.md"]}
    with pytest.raises(FormulaError) as error:
        formulas.convert(broken, cache_dir=tmp_path)
    message = str(error.value)
    assert "04-how-it-works.md, b.md" in message and "\\[\\frac{a\\]" in message and "Missing close brace" in message


def test_an_unknown_command_is_an_error_not_red_text(tmp_path):
    with pytest.raises(FormulaError, match=r"a\.md: the formula \\\(\\nosuchmacro\\\).*Undefined control sequence"):
        formulas.convert({Formula("\\nosuchmacro", False): ["a.md"]}, cache_dir=tmp_path)


def test_drawn_formulas_come_from_the_cache(tmp_path, monkeypatch):
    wanted = {Formula("x^2", False): ["a.md"]}
    first = formulas.convert(wanted, cache_dir=tmp_path)
    monkeypatch.setattr(formulas, "_run_node", lambda *_: pytest.fail("Node ran for a cached formula"))
    assert formulas.convert(wanted, cache_dir=tmp_path) == first


def test_without_mathjax_the_build_says_make_node(tmp_path):
    with pytest.raises(FormulaError, match="make node"):
        formulas.convert({Formula("x", False): ["a.md"]}, node_modules=tmp_path, cache_dir=tmp_path)
