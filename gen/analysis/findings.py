"""The sentence each chapter opens with, made from the measured numbers (never typed by hand).

`page_findings(models, analysis, samples)` returns {page stem: Finding}; the site renders
`findings["02-data"].text` as the page's first paragraph. A comparison between two proportions is
stated as "higher" or "lower" only when its 95% interval excludes zero; otherwise the sentence says the
data cannot tell them apart. Proportions get exact Clopper-Pearson intervals, differences of two
proportions Newcombe's hybrid score interval built from the two Wilson intervals (gen/stats.py). The
two race models are measured on the same faces, but metrics.json keeps counts, not per-face answers, so
the difference is treated as unpaired: that interval is wider than a paired one, never narrower.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gen.stats import LEVEL, clopper_pearson, wilson


@dataclass(frozen=True)
class Finding:
    """One or two sentences (Markdown) and the numbers they state, by name."""

    text: str
    numbers: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


# ---- formats (the same rules as the site's filters in gen/site/context.py) ----

def pct(value: float, digits: int = 1) -> str:
    return f"{value * 100:.{digits}f}%"


def points(value: float, digits: int = 1) -> str:
    return f"{value * 100:+.{digits}f} points".replace("-", "−")


def span(low: float, high: float, digits: int = 1) -> str:
    return f"{low * 100:.{digits}f}–{high * 100:.{digits}f}%"


def count(value: float) -> str:
    return f"{value:,.0f}"


def level_text() -> str:
    return f"{LEVEL * 100:.0f}%"


# ---- intervals ----

def proportion(successes: int, n: int) -> dict[str, float]:
    """successes / n with its Clopper-Pearson interval."""
    low, high = clopper_pearson(successes, n)
    return {"value": successes / n, "low": low, "high": high, "successes": successes, "n": n}


def difference(first: tuple[int, int], second: tuple[int, int]) -> dict[str, Any]:
    """first - second of two proportions (successes, n), with Newcombe's hybrid score interval (method 10)."""
    (k1, n1), (k2, n2) = first, second
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"difference": d, "low": low, "high": high, "excludes_zero": bool(low > 0 or high < 0)}


def successes(rate: float, n: int) -> int:
    """The whole count behind a stored rate (metrics.json stores accuracy = hits / n)."""
    hits = round(rate * n)
    if abs(hits / n - rate) > 1e-6:
        raise ValueError(f"{rate} is not a count out of {n}")
    return hits


def compare(name_a: str, name_b: str, a: tuple[int, int], b: tuple[int, int], what: str) -> tuple[str, dict]:
    """'A is lower than B on WHAT by X (interval)' when the interval excludes zero, else 'cannot tell'."""
    d = difference(a, b)
    interval = f"{level_text()} interval {points(d['low'])} to {points(d['high'])}".replace(" points to", " to")
    if not d["excludes_zero"]:
        return (f"on {what} the data cannot tell {name_a} and {name_b} apart ({points(d['difference'])}, "
                f"{interval})", d)
    direction = "higher" if d["difference"] > 0 else "lower"
    return f"on {what} {name_a} scores {points(d['difference'])} {direction} than {name_b} ({interval})", d


# ---- one finding per page ----

def _race_counts(metrics: Mapping[str, Any], race: str) -> tuple[int, int]:
    group = metrics["groups"]["race"][race]
    return successes(group["accuracy"], group["n"]), int(group["n"])


def _accuracy_counts(metrics: Mapping[str, Any]) -> tuple[int, int]:
    return successes(metrics["accuracy"], metrics["n"]), int(metrics["n"])


def headline(fair: Mapping, biased: Mapping) -> Finding:
    """The pair's largest story: the biased model's worst race, against the fair model on the same faces."""
    worst = biased["gaps"]["race"]["worst"]
    b, f = proportion(*_race_counts(biased, worst)), proportion(*_race_counts(fair, worst))
    d = difference(_race_counts(biased, worst), _race_counts(fair, worst))
    verdict = (f"a gap of {points(d['difference'])} ({level_text()} interval {points(d['low'])} to "
               f"{points(d['high'])})".replace(" points to", " to") if d["excludes_zero"]
               else "a gap this test set cannot distinguish from zero")
    text = (f"On the {count(b['n'])} test faces labelled {worst}, the race model trained on Census-shaped data "
            f"is right on {pct(b['value'])} ({level_text()} interval {span(b['low'], b['high'])}), the one trained "
            f"on balanced data on {pct(f['value'])} ({span(f['low'], f['high'])}): {verdict}.")
    return Finding(text, {"biased": b["value"], "fair": f["value"], "difference": d["difference"], "n": b["n"]})


def average_hides_group(biased: Mapping) -> Finding:
    worst = biased["gaps"]["race"]["worst"]
    overall, group = proportion(*_accuracy_counts(biased)), proportion(*_race_counts(biased, worst))
    text = (f"A single score can hide a group: the race model trained on Census-shaped data is right on "
            f"{pct(overall['value'])} of all {count(overall['n'])} test faces ({level_text()} interval "
            f"{span(overall['low'], overall['high'])}), but on {pct(group['value'])} of the {count(group['n'])} "
            f"labelled {worst} ({span(group['low'], group['high'])}).")
    return Finding(text, {"overall": overall["value"], "worst": group["value"]})


def data_finding(report: Mapping, races: list[str]) -> Finding:
    train = report["splits"]["train"]["race"]
    total = sum(train.values())
    largest, smallest = max(races, key=lambda r: train[r]), min(races, key=lambda r: train[r])
    biased = report["subsets"]["biased"]
    rarest = min(races, key=lambda r: biased["race"][r])
    text = (f"Of {count(report['folder_files'])} files, {count(report['faces'])} distinct, consistently labelled "
            f"faces remain. The training split is {pct(train[largest] / total, 0)} {largest} and "
            f"{pct(train[smallest] / total, 0)} {smallest}; the Census-shaped subset holds "
            f"{count(biased['race'][rarest])} {rarest} faces among its {count(biased['n'])}.")
    return Finding(text, {"files": report["folder_files"], "faces": report["faces"],
                          "rarest": biased["race"][rarest]})


def models_finding(fair: Mapping, biased: Mapping, races: list[str], targets_met: int, models: int) -> Finding:
    worse, better, unclear, numbers = [], [], [], {}
    for race in races:
        d = difference(_race_counts(biased, race), _race_counts(fair, race))
        numbers[race] = d["difference"]
        entry = f"{race} ({points(d['difference'])}, interval {points(d['low'])} to {points(d['high'])})".replace(
            " points to", " to")
        (unclear if not d["excludes_zero"] else worse if d["difference"] < 0 else better).append(entry)
    parts = []
    if worse:
        parts.append(f"less accurate on {_join(worse)}")
    if better:
        parts.append(f"more accurate on {_join(better)}")
    text = "Against the model trained on balanced data, the one trained on Census-shaped data is "
    text += "; ".join(parts) if parts else "not measurably different on any race"
    text += f"; the data cannot tell for {_join(unclear)}." if unclear else "."
    verb = "meets" if targets_met == 1 else "meet"
    text += f" {_spell(targets_met).capitalize()} of the {_spell(models)} models {verb} its target set before training."
    numbers["targets_met"] = targets_met
    return Finding(text, numbers)


SEARCH_METRICS = {"gender_accuracy": "gender accuracy", "age_exact": "exact age group",
                  "age_within_one": "age group within one"}


def search_finding(search: Mapping) -> Finding:
    """Each search trial against the first (the base), per validation metric, stated only where the interval
    excludes zero (Newcombe, unpaired: conservative for trials scored on the same faces)."""
    trials = list(search["trials"].items())
    (base, first), parts, numbers = trials[0], [], {}
    n = int(first["validation_faces"])
    for name, trial in trials[1:]:
        found = []
        for key, what in SEARCH_METRICS.items():
            d = difference((successes(trial["validation"][key], n), n), (successes(first["validation"][key], n), n))
            numbers[f"{name}/{key}"] = d["difference"]
            if d["excludes_zero"]:
                found.append(f"{what} {points(d['difference'])} (interval {points(d['low'])} to "
                             f"{points(d['high'])})".replace(" points to", " to"))
        parts.append(f"`{name}` " + (_join(found) if found else "no measurable difference"))
    text = (f"Against the `{base}` base, on the same {count(n)} validation faces: {'; '.join(parts)}. The search "
            f"kept `{search['best']}`, the highest score; each trial is one run, so a difference the intervals "
            f"cannot separate from zero may be noise.")
    return Finding(text, numbers)


def gradcam_plusplus_finding(measured: Mapping) -> Finding:
    """From the Grad-CAM++ check of the committed models (gen/analysis/gradcam_check.py)."""
    spread = max(m["gradient_spread"] for m in measured["models"].values())
    to_relu = max(m["plusplus_vs_positive_gradcam"] for m in measured["models"].values())
    to_gradcam = [m["plusplus_vs_gradcam"] for m in measured["models"].values()]
    same = ("identical in every cell of the last feature map (measured spread: 0)" if spread == 0 else
            f"the same in every cell of the last feature map (its spread is at most {_sci(spread)} of its mean)")
    text = (f"On these networks the class gradient is {same}, so Grad-CAM++ reduces to a Grad-CAM without negative "
            f"channels: on the {count(measured['faces'])} curated faces the two differ by at most {_sci(to_relu)} "
            f"of the map's peak, while Grad-CAM++ differs from Grad-CAM by {pct(min(to_gradcam))}–"
            f"{pct(max(to_gradcam))} of the peak on average.")
    return Finding(text, {"spread": spread, "plusplus_vs_positive_gradcam": to_relu})


def samples_finding(samples: Mapping, pair: list[str]) -> Finding:
    faces = samples["samples"]
    right = {name: sum(1 for s in faces if s["models"][name]["correct"]) for name in pair}
    disagree = sum(1 for s in faces if s["models"][pair[0]]["predicted"] != s["models"][pair[1]]["predicted"])
    text = (f"On the {_spell(len(faces))} curated faces the balanced model is right {right[pair[0]]} times and the "
            f"Census-shaped one {right[pair[1]]} times; they give different answers for {disagree}. "
            f"{_spell(len(faces)).capitalize()} faces are anecdotes, not evidence: the explorer shows what each "
            f"model's map looks like, not how often.")
    return Finding(text, {**right, "disagree": disagree, "faces": len(faces)})


def trust_finding(sanity: Mapping, completeness: Mapping, titles: Mapping[str, str], steps: int, key: str
                  ) -> Finding:
    flagged = sorted({method for s in sanity["sanity"].values() for method, m in s["methods"].items()
                      if m["flagged"]}, key=list(titles).index)
    medians = []
    for c in completeness["completeness"].values():
        row = next(r for r in c[key]["by_steps"] if r["steps"] == steps)
        medians.append(row["median"])
    threshold = next(iter(sanity["sanity"].values()))["flag_threshold"]
    if flagged:
        one = len(flagged) == 1
        randomised = (f"When every layer's weights are randomised, {_join([titles[m] for m in flagged])} still "
                      f"draw{'s' if one else ''} nearly the same map (rank correlation at least {threshold}) on at "
                      f"least one model, so {'that map shows' if one else 'those maps show'} the photo more than "
                      f"the model")
    else:
        randomised = (f"When every layer's weights are randomised, every method's map changes (no rank correlation "
                      f"with the trained model's map stays at {threshold} or above), so the maps depend on the model")
    text = (f"{randomised}; Integrated Gradients adds up, with a median completeness error of "
            f"{pct(min(medians), 2)}–{pct(max(medians), 2)} at {steps} steps.")
    return Finding(text, {"flagged": len(flagged), "median_low": min(medians), "median_high": max(medians)})


def age_finding(ranges: Mapping) -> Finding:
    goal = ranges["goal"]
    parts, numbers, met = [], {}, True
    for name, m in ranges["models"].items():
        c = m["conformal"]
        hits = successes(c["coverage"], c["n"])
        p = proportion(hits, c["n"])
        per_race = [g["coverage"] for g in c["race"].values()]
        numbers[name] = p["value"]
        met &= (min(per_race) >= goal["coverage_low"] and max(per_race) <= goal["coverage_high"]
                and c["mean_width"] <= goal["max_mean_width"])
        parts.append(f"`{name}` {pct(p['value'])} ({span(p['low'], p['high'])}) with {c['mean_width']:.2f} groups "
                     f"on average, {pct(min(per_race))}–{pct(max(per_race))} across races")
    text = (f"Calibrated age ranges hold the true age group for {_join(parts)} ({level_text()} intervals). The goal, "
            f"{pct(goal['coverage_low'], 0)}–{pct(goal['coverage_high'], 0)} for every race at no more than "
            f"{goal['max_mean_width']} groups, is {'met' if met else 'not met'}.")
    numbers["goal_met"] = float(met)
    return Finding(text, numbers)


def prototypes_finding(prototypes: Mapping, names: list[str]) -> Finding:
    values = [prototypes["models"][n]["comparison"]["typicality_percentile"]["simple_prototypes"] for n in names]
    atypical = sum(v < 0.5 for v in values)
    share = f"all {_spell(atypical)}" if atypical == len(names) else f"{_spell(atypical)} of the {_spell(len(names))}"
    text = (f"For {share} models, the face the model is surest about is less "
            f"typical of its group than the median face (typicality percentile {pct(min(values), 0)}–"
            f"{pct(max(values), 0)}): confident answers come from the edge of a group, not its centre."
            if atypical else
            f"For every one of the {_spell(len(names))} models, the face the model is surest about is at least as "
            f"typical as the median face of its group (typicality percentile {pct(min(values), 0)}–"
            f"{pct(max(values), 0)}).")
    return Finding(text, {"atypical": atypical})


def limits_finding(parameters: Mapping[str, int], fair: Mapping, seed: int, dose: Mapping) -> Finding:
    groups = fair["groups"]["race_gender"]
    smallest = min(groups, key=lambda g: groups[g]["n"])
    p = proportion(successes(groups[smallest]["accuracy"], groups[smallest]["n"]), groups[smallest]["n"])
    low, high = min(parameters.values()), max(parameters.values())
    size = count(low) if low == high else f"{count(low)} to {count(high)}"
    balanced, census = dose["by_dose"][0]["macro_recall"], dose["by_dose"][-1]["macro_recall"]
    text = (f"Each model has {size} parameters and was trained once (seed {seed}); retrained with "
            f"{_spell(balanced['seeds'])} seeds, the race model's macro recall spans "
            f"{span(balanced['min'], balanced['max'])} on balanced data and {span(census['min'], census['max'])} on "
            f"Census-shaped data. The smallest race and gender group, {smallest}, has {count(p['n'])} test faces, so "
            f"the {level_text()} interval of the balanced race model's accuracy there runs from {pct(p['low'])} to "
            f"{pct(p['high'])}.")
    return Finding(text, {"smallest_n": p["n"], "width": p["high"] - p["low"], "parameters_low": low,
                          "parameters_high": high})


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _spell(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if 0 <= n < len(words) else count(n)


def _sci(value: float) -> str:
    """1.2e-06 -> '1.2 × 10⁻⁶' (numbers too small for a percentage)."""
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    superscript = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{value / 10 ** exponent:.1f} × 10{superscript}"


def _seeds_text(k: int, n: int) -> str:
    return f"all {_spell(n)}" if k == n else f"{_spell(k)} of {_spell(n)}"


def dose_finding(dose: Mapping) -> Finding:
    """How recall moves from balanced to Census-shaped training data, over doses and seeds (gen/analysis/dose.py)."""
    rows, races = dose["by_dose"], list(dose["by_dose"][0]["recall"])
    first, last = rows[0], rows[-1]
    change = {race: last["recall"][race]["mean"] - first["recall"][race]["mean"] for race in races}
    worst = min(races, key=change.get)
    seeds = last["runs"]
    fall = dose["first_fall"]
    fallen = [f"{race} from dose {fall[race]:.2f}" for race in sorted((r for r in races if fall[r] is not None),
                                                                      key=lambda r: fall[r])]
    w = last["recall"][worst]
    text = (f"Trained on equally many faces whose race shares move from balanced (dose 0) to Census-shaped (dose 1), "
            f"{count(len(dose['runs']))} race models ({_spell(len(rows))} doses × {_spell(len(dose['seeds']))} seeds) "
            f"show the cost growing with the dose: {worst} recall goes from {pct(first['recall'][worst]['mean'])} to "
            f"{pct(w['mean'])} ({'in every seed' if w['min'] == w['max'] else 'seeds ' + span(w['min'], w['max'])}). ")
    text += (f"Mean recall falls below the balanced models' {level_text()} interval for {_join(fallen)}."
             if fallen else f"No race's mean recall falls below the balanced models' {level_text()} interval.")
    never = last["never_answers"][worst]
    text += (f" At Census shares none of the {_spell(seeds)} models ever answers {worst}." if never == seeds else
             f" At Census shares {_seeds_text(never, seeds)} models never answer {worst}." if never else
             f" At Census shares every one of the {_spell(seeds)} models answers {worst} at least once.")
    return Finding(text, {"worst_change": change[worst], "never": never, "seeds": seeds, "fallen": len(fallen)})


def seeds_clause(dose: Mapping, race: str) -> str:
    """Whether the published pair's result for `race` holds for every retraining at Census shares."""
    last = dose["by_dose"][-1]
    never, seeds, r = last["never_answers"][race], last["runs"], last["recall"][race]
    if never == seeds:
        return (f" Retrained with {_spell(seeds)} other seeds on Census-shaped data (a shorter schedule), the model "
                f"never answers {race} in any of them.")
    silent = (f"{_seeds_text(never, seeds)} of them never answered {race}" if never else
              f"every one of them answered {race} at least once")
    return (f" This is one training run: retrained with {_spell(seeds)} other seeds on Census-shaped data (a shorter "
            f"schedule), {race} recall was {span(r['min'], r['max'])}, and {silent}.")


def regions_finding(regions: Mapping, pair: list[str]) -> Finding:
    """Where the race models' Grad-CAM (on the logit) falls, against each region's area."""
    measure = regions["measures"]["gradcam/logit"]["models"]
    area = regions["area_share"]
    fair, biased = (measure[name]["all"] for name in pair)
    top = max(area, key=lambda r: fair[r]["value"] + biased[r]["value"])
    dense = max(area, key=lambda r: (fair[r]["value"] + biased[r]["value"]) / area[r])
    text = (f"Over all {count(regions['faces'])} test faces, Grad-CAM of the race logit puts the largest share of both "
            f"race models' maps on the {top} ({pct(fair[top]['value'])} balanced, "
            f"{pct(biased[top]['value'])} Census-shaped; the region is {pct(area[top])} of the crop)")
    text += (", which is also where they look most per unit of area." if dense == top else
             f". Per unit of area they look most at the {dense}: {pct(fair[dense]['value'])} and "
             f"{pct(biased[dense]['value'])} of the map on {pct(area[dense])} of the crop.")
    return Finding(text, {"top": fair[top]["value"], "dense": fair[dense]["value"]})


def pair_regions_finding(regions: Mapping, key: str = "gradcam/logit", shown: int = 3) -> Finding:
    """Fair vs biased per race and region, on the same faces: only what the paired intervals can tell."""
    tested, found = regions["measures"][key]["tested"], regions["measures"][key]["measurable"]
    if not found:
        text = (f"On the same test faces, the data cannot tell the two race models' Grad-CAM (race logit) apart in "
                f"any of the {tested} race × region comparisons ({level_text()} paired intervals).")
        return Finding(text, {"found": 0, "tested": tested})
    parts = [f"{'more' if d['difference'] > 0 else 'less'} of its map on the {d['region']} of {d['race']} "
             f"faces ({points(d['difference'])}, interval {points(d['low'])} to {points(d['high'])})".replace(
                 " points to", " to") for d in found[:shown]]
    text = (f"On the same test faces, the balanced race model puts {_join(parts)} than the Census-shaped one "
            f"(Grad-CAM of the race logit). {_spell(len(found)).capitalize()} of {tested} race × region comparisons "
            f"exclude zero at {level_text()}; {_by_chance(tested)} would by chance alone.")
    other = "gradcam/probability"
    if key != other and other in regions["measures"]:
        mine = {(d["race"], d["region"], d["difference"] > 0) for d in found}
        theirs = {(d["race"], d["region"], d["difference"] > 0) for d in regions["measures"][other]["measurable"]}
        text += (f" Measured on the probability instead, {len(mine & theirs)} of these remain, "
                 f"{len(mine - theirs)} vanish and {len(theirs - mine)} others appear.")
    return Finding(text, {"found": len(found), "tested": tested})


def _by_chance(tested: int) -> str:
    expected = tested * (1 - LEVEL)
    return f"about {expected:.0f}" if expected >= 1 else "fewer than one"


def _failed(faith: Mapping, model: str, method: str = "gradcam") -> list[str]:
    """The faithfulness tests ("deletion", "insertion") a method did not pass on a model."""
    tests = faith["faithfulness"][model]["methods"][method]["vs_random"]
    return [name for name, test in tests.items() if not test["passed"]]


def _faces(faith: Mapping) -> int:
    return next(iter(faith["faithfulness"].values()))["faces"]


def faithfulness_finding(faith: Mapping, titles: Mapping[str, str], pair: list[str]) -> Finding:
    """Which methods beat random maps on both tests, per model, with paired intervals (explain_faithfulness)."""
    passed = {(model, method): not _failed(faith, model, method)
              for model, r in faith["faithfulness"].items() for method, m in r["methods"].items() if "vs_random" in m}
    verdicts = [f"`{model}`: " + (f"fails {_join(failed)}" if (failed := _failed(faith, model)) else "passes both")
                for model in pair]
    text = (f"On {count(_faces(faith))} test faces per model, {sum(passed.values())} of {len(passed)} method and model "
            f"pairs beat random maps on both deletion and insertion ({level_text()} paired intervals). "
            f"{titles['gradcam']} on the race models: {'; '.join(verdicts)}.")
    return Finding(text, {"passed": sum(passed.values()), "pairs": len(passed)})


def gradcam_caption(faith: Mapping, pair: list[str]) -> Finding:
    """The Try-it page's word on its Grad-CAM maps, from the same file as page 07 (plain text: it sits in HTML)."""
    parts = [f"for {model} they do no better than random maps on {_join(failed)}" if (failed := _failed(faith, model))
             else f"for {model} they beat random maps on both deletion and insertion" for model in pair]
    text = f"How far these maps can be trusted, measured on {count(_faces(faith))} test faces: {'; '.join(parts)}."
    return Finding(text, {})


# ---- every page's finding, computed only when a page asks for it ----

def page_findings(models: Mapping, analysis: Mapping, generated: Mapping, races: list[str],
                  pair: tuple[str, str]) -> dict[str, Any]:
    """{page stem: a function returning its Finding}; each reads only the files its page needs."""
    fair, biased = (lambda: models[pair[0]]["metrics"]), (lambda: models[pair[1]]["metrics"])

    def targets() -> tuple[int, int]:
        met = [all(t["met"] for t in models[name]["metrics"]["targets"]) for name in models]
        return sum(met), len(met)

    def titles() -> dict[str, str]:  # the Method titles of gen/explain/registry.py
        return {name: method["title"] for name, method in generated["explain/samples"]["methods"].items()}

    def trust() -> Finding:
        ig = generated["explain/samples"]["methods"]["integrated_gradients"]["parameters"]
        return trust_finding(analysis["explain_sanity"], analysis["explain_completeness"], titles(), ig["steps"],
                             f"{ig['baseline']}/{ig['rule']}")

    def index() -> Finding:
        first = headline(fair(), biased())
        return joined(first, Finding(seeds_clause(analysis["dose"], biased()["gaps"]["race"]["worst"]).strip()))

    return {
        "index": index,
        "01-why": lambda: joined(average_hides_group(biased()), dose_finding(analysis["dose"])),
        "02-data": lambda: data_finding(analysis["data_report"], races),
        "03-models": lambda: models_finding(fair(), biased(), races, *targets()),
        "03-models:search": lambda: search_finding(analysis["search"]),
        "04-how-it-works": lambda: gradcam_plusplus_finding(generated["checks/gradcam_plusplus"]),
        "05-what-they-look-at": lambda: joined(regions_finding(analysis["regions"], list(pair)),
                                               samples_finding(generated["explain/samples"], list(pair))),
        "06-average-face": lambda: pair_regions_finding(analysis["regions"]),
        "07-trust": lambda: joined(faithfulness_finding(analysis["explain_faithfulness"], titles(), list(pair)),
                                   trust()),
        "08-age-ranges": lambda: age_finding(analysis["age_ranges"]),
        "09-prototypes": lambda: prototypes_finding(analysis["prototypes"], list(analysis["prototypes"]["models"])),
        "10-try-it:gradcam": lambda: gradcam_caption(analysis["explain_faithfulness"], list(pair)),
        "11-limits": lambda: limits_finding({name: models[name]["metadata"]["parameters"] for name in models},
                                            fair(), analysis["data_report"]["seed"], analysis["dose"]),
    }


def joined(*findings: Finding) -> Finding:
    """Several findings as one paragraph, their numbers merged (later names prefixed by their position)."""
    numbers: dict[str, float] = {}
    for index, finding in enumerate(findings):
        numbers.update({(f"{index}.{k}" if k in numbers else k): v for k, v in finding.numbers.items()})
    return Finding(" ".join(f.text for f in findings), numbers)


class Findings(dict):
    """{page stem: Finding}, each made on first use, so a missing file fails only the page that needs it."""

    def __init__(self, makers: Mapping[str, Any]) -> None:
        super().__init__()
        self.makers = dict(makers)

    def __missing__(self, stem: str) -> Finding:
        if stem not in self.makers:
            raise KeyError(f"no finding is defined for page '{stem}' (gen/analysis/findings.py page_findings)")
        self[stem] = self.makers[stem]()
        return self[stem]
