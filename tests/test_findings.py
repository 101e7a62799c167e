"""The sentences the chapters open with: made from the numbers, and no comparison stated without evidence."""
from __future__ import annotations

import re

import pytest

from gen.analysis import findings
from gen.config import RACES
from gen.models.registry import RACE_PAIR
from gen.site.context import load_analysis, load_models


def _metrics(race_counts: dict[str, tuple[int, int]]) -> dict:
    """A metrics.json-shaped record with these (hits, n) per race."""
    groups = {race: {"accuracy": k / n, "n": n, "ci_low": 0.0, "ci_high": 1.0} for race, (k, n) in race_counts.items()}
    hits, n = sum(k for k, _ in race_counts.values()), sum(n for _, n in race_counts.values())
    worst = min(groups, key=lambda r: groups[r]["accuracy"])
    return {"accuracy": hits / n, "n": n, "groups": {"race": groups},
            "gaps": {"race": {"worst": worst}}, "targets": [{"met": False}]}


def test_newcombe_interval_matches_the_published_example():
    """Newcombe (1998), Table II example (b): 56/70 vs 48/80, difference 0.2, hybrid score interval
    0.0524 to 0.3339."""
    d = findings.difference((56, 70), (48, 80))
    assert d["difference"] == pytest.approx(0.2)
    assert d["low"] == pytest.approx(0.0524, abs=5e-4) and d["high"] == pytest.approx(0.3339, abs=5e-4)
    assert d["excludes_zero"]


def test_a_difference_whose_interval_includes_zero_is_not_stated_as_one():
    text, d = findings.compare("A", "B", (50, 100), (46, 100), "these faces")
    assert not d["excludes_zero"] and d["low"] < 0 < d["high"]
    assert "cannot tell" in text and "higher" not in text and "lower" not in text
    text, d = findings.compare("A", "B", (90, 100), (40, 100), "these faces")
    assert d["excludes_zero"] and "higher" in text and "cannot tell" not in text


def test_models_finding_sorts_races_by_evidence():
    fair = _metrics({"White": (80, 100), "Black": (80, 100), "Asian": (80, 100)})
    biased = _metrics({"White": (95, 100), "Black": (20, 100), "Asian": (78, 100)})
    finding = findings.models_finding(fair, biased, ["White", "Black", "Asian"], 0, 5)
    assert "less accurate on Black" in finding.text and "more accurate on White" in finding.text
    assert "cannot tell for Asian" in finding.text
    assert finding.numbers["Black"] == pytest.approx(-0.6)


def test_headline_says_when_the_test_set_cannot_tell():
    fair = _metrics({"White": (8, 10), "Indian": (5, 10)})
    biased = _metrics({"White": (9, 10), "Indian": (4, 10)})
    assert "cannot distinguish from zero" in findings.headline(fair, biased).text
    biased = _metrics({"White": (9, 10), "Indian": (0, 10)})
    fair = _metrics({"White": (8, 10), "Indian": (10, 10)})
    text = findings.headline(fair, biased).text
    assert "a gap of −100.0 points" in text and "0.0–30.8%" in text  # Clopper-Pearson for 0 of 10


def test_a_stored_rate_must_be_a_count():
    assert findings.successes(274 / 548, 548) == 274
    with pytest.raises(ValueError):
        findings.successes(0.5001, 548)


def test_every_page_finding_of_the_committed_models_states_its_numbers():
    """Each committed-data finding renders, and the numbers it names appear in its text as written."""
    models, analysis = load_models(), load_analysis()
    made = findings.page_findings(models, analysis, generated={}, races=list(RACES), pair=RACE_PAIR)
    # The pages whose findings need only committed files (the others read build outputs: tested via the site).
    for stem in ("index", "01-why", "02-data", "03-models", "06-average-face", "08-age-ranges", "09-prototypes",
                 "11-limits"):
        finding = made[stem]()
        assert re.search(r"\d", finding.text), stem
        assert finding.numbers, stem
    fair = models[RACE_PAIR[0]]["metrics"]
    worst = models[RACE_PAIR[1]]["metrics"]["gaps"]["race"]["worst"]
    assert findings.pct(fair["groups"]["race"][worst]["accuracy"]) in made["index"]().text
    report = analysis["data_report"]
    assert findings.count(report["faces"]) in made["02-data"]().text
    parameters = {m["metadata"]["parameters"] for m in models.values()}
    assert all(findings.count(p) in made["11-limits"]().text for p in (min(parameters), max(parameters)))


def test_findings_are_made_lazily_and_fail_by_page():
    calls = []
    lazy = findings.Findings({"a": lambda: calls.append(1) or findings.Finding("1 face")})
    assert calls == []
    assert str(lazy["a"]) == "1 face" and str(lazy["a"]) == "1 face" and calls == [1]
    with pytest.raises(KeyError):
        lazy["b"]
