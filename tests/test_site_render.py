"""Rendering pages from the template context: numbers come through, missing data fails loudly and clearly."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from gen.site.context import MissingDataError, build_context, ci, load_json, num, pct, pp, ratio
from gen.site.render import SiteError, render_site, sync_files, vendor_files
from tests.site_fixtures import write_fixture_models


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A small site: fixture models, two pages, a nav config and one generated JSON file."""
    models = write_fixture_models(tmp_path / "models")
    source = tmp_path / "site_src"
    (source / "pages").mkdir(parents=True)
    (source / "assets").mkdir()
    (source / "assets" / "extra.css").write_text("body {}\n")
    (source / "samples").mkdir()
    (source / "samples" / "manifest.json").write_text(json.dumps({"about": "", "samples": []}))
    (source / "pages" / "index.md").write_text(
        "# Home\nFair accuracy {{ models.race_fair.metrics.accuracy | pct }} "
        "({{ models.race_fair.metrics.accuracy_ci | ci }}), faces {{ analysis.data_report.faces | num }}, "
        "explained {{ generated['explain/summary'].count }}.\n")
    (source / "pages" / "01-why.md").write_text("# Why\n{% include '_note.md' %}\n")
    (source / "pages" / "_note.md").write_text("A partial.\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nnav:\n  - Home: index.md\n  - Why: 01-why.md\n")
    docs = tmp_path / "docs"
    (docs / "generated" / "explain").mkdir(parents=True)
    (docs / "generated" / "explain" / "summary.json").write_text(json.dumps({"count": 10}))
    return {"models": models, "source": source, "config": config, "docs": docs}


def _render(site: dict[str, Path]) -> list[str]:
    context = build_context(site["docs"], models_dir=site["models"], site_src=site["source"])
    return render_site(site["docs"], site["source"], site["config"], context)


def test_pages_render_with_numbers_from_the_context(site):
    assert sorted(_render(site)) == ["01-why.md", "index.md"]
    text = (site["docs"] / "index.md").read_text()
    assert "Fair accuracy 80.0% (78.0–82.0%), faces 1,000, explained 10." in text
    assert (site["docs"] / "01-why.md").read_text() == "# Why\nA partial.\n\n"
    assert not (site["docs"] / "_note.md").exists()
    assert (site["docs"] / "assets" / "extra.css").exists()
    assert (site["docs"] / "vendor" / "tfjs" / "tf.min.js").exists()
    assert _render(site) == [], "an unchanged render rewrites nothing"


def test_missing_model_file_names_page_line_and_producer(site):
    (site["models"] / "race_fair" / "metrics.json").unlink()
    with pytest.raises(SiteError) as error:
        _render(site)
    message = str(error.value)
    assert "index.md:2" in message and "race_fair/metrics.json is missing" in message
    assert "python -m gen evaluate" in message


def test_missing_key_names_file_and_key_path(site):
    (site["source"] / "pages" / "01-why.md").write_text("{{ models.gender.metrics.groups.race.Martian.accuracy }}")
    with pytest.raises(SiteError, match=r"gender/metrics.json has no key 'groups.race.Martian'"):
        _render(site)


def test_missing_generated_file_names_the_area(site):
    (site["docs"] / "generated" / "explain" / "summary.json").unlink()
    with pytest.raises(SiteError, match=r"generated/explain/summary.json is missing .*'explain' build step"):
        _render(site)


def test_undefined_name_fails_instead_of_rendering_blank(site):
    (site["source"] / "pages" / "01-why.md").write_text("value: {{ no_such_thing }}\n")
    with pytest.raises(SiteError, match="01-why.md:1: 'no_such_thing' is undefined"):
        _render(site)


def test_pages_and_nav_must_match(site):
    (site["source"] / "pages" / "02-extra.md").write_text("# Extra\n")
    (site["source"] / "pages" / "01-why.md").unlink()
    with pytest.raises(SiteError) as error:
        _render(site)
    assert "01-why.md is missing (listed in mkdocs.yml nav)" in str(error.value)
    assert "02-extra.md is not listed in mkdocs.yml nav" in str(error.value)


def test_removed_page_and_asset_leave_docs(site):
    _render(site)
    (site["source"] / "assets" / "extra.css").unlink()
    site["config"].write_text("site_name: t\nnav:\n  - Home: index.md\n")
    (site["source"] / "pages" / "01-why.md").unlink()
    _render(site)
    assert not (site["docs"] / "01-why.md").exists()
    assert not (site["docs"] / "assets").exists()


def test_sync_copies_only_changed_files(tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("one")
    target = tmp_path / "out"
    sync_files({"sub/a.txt": source}, target)
    copied = target / "sub" / "a.txt"
    copied.write_text("tampered")  # different size: must be replaced
    sync_files({"sub/a.txt": source}, target)
    assert copied.read_text() == "one"


def test_vendor_files_cover_tfjs_and_wasm_but_not_mathjax():
    files = vendor_files()
    assert "tfjs/tf.min.js" in files and "tfjs-backend-wasm/tf-backend-wasm.min.js" in files
    assert {"tfjs-backend-wasm/tfjs-backend-wasm.wasm", "tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm",
            "tfjs-backend-wasm/tfjs-backend-wasm-threaded-simd.wasm"} <= files.keys()
    # Formulas are SVG drawn at build time (gen/site/formulas.py): no browser needs MathJax.
    assert not any("mathjax" in name.lower() for name in files)


def test_number_formats():
    assert (num(23708), pct(0.8123), pp(-0.123), ratio(1.254)) == ("23,708", "81.2%", "−12.3 points", "1.25×")
    assert ci({"ci_low": 0.781, "ci_high": 0.84}) == "78.1–84.0%"
    with pytest.raises(MissingDataError, match="needs a number"):
        pct(None)


def test_json_records_name_their_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"a": {"b": [{"c": 1}]}}))
    record = load_json(path)
    assert record["a"]["b"][0]["c"] == 1
    with pytest.raises(MissingDataError, match=r"m.json has no key 'a.b\[0\].d'"):
        record["a"]["b"][0]["d"]
