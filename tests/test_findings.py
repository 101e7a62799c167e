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


def _regions(differences: dict[tuple[str, str], tuple[float, float, float]], key: str = "gradcam/logit") -> dict:
    """A regions.json-shaped record: fair - biased (difference, low, high) for the given (race, region)s."""
    by_race = {}
    for (race, region), (d, low, high) in differences.items():
        by_race.setdefault(race, {})[region] = {"difference": d, "low": low, "high": high,
                                                "excludes_zero": low > 0 or high < 0}
    measurable = sorted(({"race": r, "region": g, **v} for r, regions in by_race.items() for g, v in regions.items()
                         if v["excludes_zero"]), key=lambda v: -abs(v["difference"]))
    return {"measures": {key: {"fair_minus_biased": by_race, "measurable": measurable, "tested": len(differences)}}}


def test_a_region_difference_is_stated_only_when_its_interval_excludes_zero():
    unclear = _regions({("Indian", "eyes"): (0.02, -0.01, 0.05), ("White", "nose"): (-0.01, -0.03, 0.01)})
    text = findings.pair_regions_finding(unclear).text
    assert "cannot tell" in text and "more of its map" not in text and "less of its map" not in text
    clear = _regions({("Indian", "eyes"): (0.04, 0.01, 0.07), ("White", "nose"): (-0.01, -0.03, 0.01)})
    text = findings.pair_regions_finding(clear).text
    assert "more of its map on the eyes of Indian faces (+4.0 points, interval +1.0 to +7.0 points)" in text
    assert "nose" not in text and "One of 2" in text


def _dose(indian: list[list[float]], answered: list[list[int]]) -> dict:
    """A dose.json-shaped record for two races: White steady, Indian as given per dose (one list of seeds)."""
    from gen.analysis.dose import first_fall, seed_interval
    doses = [i / (len(indian) - 1) for i in range(len(indian))]
    rows = [{"dose": d, "runs": len(seeds),
             "recall": {"White": seed_interval([0.9] * len(seeds)), "Indian": seed_interval(seeds)},
             "never_answers": {"White": 0, "Indian": sum(a == 0 for a in answered[i])},
             "macro_recall": seed_interval([(0.9 + s) / 2 for s in seeds])} for i, (d, seeds) in
            enumerate(zip(doses, indian))]
    runs = [{"dose": d} for d, seeds in zip(doses, indian) for _ in seeds]
    return {"by_dose": rows, "seeds": list(range(len(indian[0]))), "runs": runs,
            "first_fall": {race: first_fall(rows, race) for race in ("White", "Indian")}}


def test_dose_finding_names_the_first_fall_and_the_seeds_that_never_answer():
    dose = _dose([[0.60, 0.62, 0.58], [0.55, 0.6, 0.57], [0.3, 0.35, 0.2], [0.0, 0.01, 0.0]],
                 [[9, 9, 9], [9, 9, 9], [9, 9, 9], [0, 3, 0]])
    text = findings.dose_finding(dose).text
    assert "Indian recall goes from 60.0% to 0.3% (seeds 0.0–1.0%)" in text
    assert "for Indian from dose 0.67" in text and "two of three models never answer Indian" in text
    assert "retrained with three other seeds" in findings.seeds_clause(dose, "Indian")
    assert "never answers Indian in any" in findings.seeds_clause(
        _dose([[0.6, 0.6, 0.6], [0.0, 0.0, 0.0]], [[9, 9, 9], [0, 0, 0]]), "Indian")


def test_faithfulness_finding_counts_only_passed_tests():
    def method(deletion: bool, insertion: bool) -> dict:
        return {"vs_random": {"deletion": {"passed": deletion}, "insertion": {"passed": insertion}}}
    faith = {"faithfulness": {
        "race_fair": {"faces": 300, "methods": {"gradcam": method(True, True), "occlusion": method(True, False),
                                                "random": {}}},
        "race_biased": {"faces": 300, "methods": {"gradcam": method(False, True), "occlusion": method(True, True),
                                                  "random": {}}}}}
    text = findings.faithfulness_finding(faith, {"gradcam": "Grad-CAM"}, list(RACE_PAIR)).text
    assert "On 300 test faces per model, 2 of 4 method and model pairs" in text
    assert "`race_fair`: passes both; `race_biased`: fails deletion" in text
    caption = findings.gradcam_caption(faith, list(RACE_PAIR)).text
    assert "for race_biased they do no better than random maps on deletion" in caption
