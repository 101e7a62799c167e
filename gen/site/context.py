"""The template context every page is rendered with: the committed models, analyses and generated data.

Pages never carry numbers typed by hand; they read them from here. Each JSON file is loaded into a
`Record`, a dict that names its file and key path when a page asks for something missing, so a page
that needs data the pipeline has not produced fails the build with the file to produce, not a blank.
"""
from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from gen.analysis.findings import Findings, page_findings
from gen.config import AGE_BINS, CLOSE_CALL, GENDERS, IMAGE_SIZE, MODELS_DIR, RACES, ROOT, SITE_SRC
from gen.face.regions import REGION_COLOURS
from gen.models.registry import MODEL_SPECS, RACE_PAIR
from gen.stats import LEVEL

# What each model folder may hold for the pages: {context key: file name}.
MODEL_FILES = {"metadata": "metadata.json", "metrics": "metrics.json", "history": "history.json", "card": "card.md",
               "export": "export.json"}

# Which command writes which file, so a missing-data error can say how to fix it.
PRODUCERS = {
    "metadata": "python -m gen train",
    "history": "python -m gen train",
    "metrics": "python -m gen evaluate",
    "card": "python -m gen evaluate",
    "export": "python -m gen export",
    "robustness": ".venv/bin/python bench/robustness.py",
    "training_cost": ".venv/bin/python bench/train.py",
    "data_report": "python -m gen data-report",
    "age_ranges": "python -m gen age-ranges",
    "age_calibration": "python -m gen age-ranges",
    "prototypes": "python -m gen prototypes",
    "search": "python -m gen search",
    "dose": "python -m gen dose",
    "dose_maps": "python -m gen dose",
    "regions": "python -m gen regions",
    **dict.fromkeys(("explain_faithfulness", "explain_sanity", "explain_completeness", "explain_aggregates",
                     "explain_mean_faces"), "python -m gen explain --analysis"),
}


class SiteError(Exception):
    """The site cannot be built as asked; the message says which file to fix or produce."""


class MissingDataError(SiteError):
    """A page or figure asked for a file or key the pipeline has not written.

    Deliberately not a LookupError: Jinja turns LookupErrors into silent undefined values.
    """


def shown_path(path: Path) -> str:
    """A path relative to the repository when inside it: short, copy-pasteable error messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


class Record(dict):
    """A parsed JSON object that knows where it came from, for errors that name the file and key."""

    def __init__(self, values: Mapping[str, Any], source: str, where: str = "") -> None:
        super().__init__(values)
        self.source = source
        self.where = where

    def __missing__(self, key: str) -> Any:
        where = f"{self.where}.{key}" if self.where else str(key)
        raise MissingDataError(f"{self.source} has no key '{where}'")


class DataFolder(Record):
    """Files that may not exist yet; asking for a missing one names the file and its producer."""

    def __init__(self, values: Mapping[str, Any], describe: Any) -> None:
        super().__init__(values, source="")
        self.describe = describe

    def __missing__(self, key: str) -> Any:
        raise MissingDataError(self.describe(key))


def _wrap(value: Any, source: str, where: str = "") -> Any:
    if isinstance(value, dict):
        return Record({k: _wrap(v, source, f"{where}.{k}" if where else k) for k, v in value.items()},
                      source, where)
    if isinstance(value, list):
        return [_wrap(v, source, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def load_json(path: Path) -> Any:
    """A JSON file as Records, so missing keys name this file."""
    return _wrap(json.loads(Path(path).read_text()), shown_path(path))


def _missing_hint(stem: str) -> str:
    producer = PRODUCERS.get(stem)
    return f" (written by `{producer}`)" if producer else ""


def load_models(models_dir: Path = MODELS_DIR) -> DataFolder:
    """{name: {"metadata", "metrics", "history", "card"}} for each model folder that has any of those files."""
    models = {}
    for folder in sorted(p for p in Path(models_dir).iterdir() if p.is_dir() and p.name != "analysis"):
        files = {key: folder / name for key, name in MODEL_FILES.items()}
        if not any(path.exists() for path in files.values()):
            continue
        loaded = {key: load_json(path) if path.suffix == ".json" else path.read_text()
                  for key, path in files.items() if path.exists()}
        models[folder.name] = DataFolder(
            loaded, lambda key, files=files: f"{shown_path(files[key])} is missing{_missing_hint(key)}"
            if key in files else f"model files have no '{key}' (known: {', '.join(MODEL_FILES)})")
    return DataFolder(models, lambda name: f"{shown_path(Path(models_dir) / name)}/ has none of the model files "
                                           f"({', '.join(MODEL_FILES.values())})")


def load_analysis(models_dir: Path = MODELS_DIR) -> DataFolder:
    """{stem: parsed JSON} for models/analysis/*.json."""
    folder = Path(models_dir) / "analysis"
    found = {path.stem: load_json(path) for path in sorted(folder.glob("*.json"))}
    return DataFolder(found, lambda stem: f"{shown_path(folder / f'{stem}.json')} is missing{_missing_hint(stem)}")


def load_generated(docs_dir: Path) -> DataFolder:
    """{"area/stem": parsed JSON} for docs/generated/<area>/*.json, written by the build steps."""
    folder = Path(docs_dir) / "generated"
    found = {f"{path.parent.name}/{path.stem}": load_json(path) for path in sorted(folder.glob("*/*.json"))}
    return DataFolder(found, lambda key: f"{shown_path(folder / key)}.json is missing (written by the "
                                         f"'{key.split('/')[0]}' build step: check gen/pipeline.py BUILD_STEPS)")


def load_versions() -> dict[str, str]:
    """Versions of the libraries the site names, read from package.json and the installed packages."""
    package = json.loads((ROOT / "package.json").read_text())["dependencies"]
    versions = {"tfjs": package["@tensorflow/tfjs"], "tfjs_wasm": package["@tensorflow/tfjs-backend-wasm"],
                "mathjax": package["mathjax"]}
    for name in ("tensorflow", "tf-keras", "tensorflowjs", "mkdocs", "mkdocs-material", "pymdown-extensions", "numpy",
                 "scipy", "scikit-learn", "matplotlib", "pillow", "tf-keras-vis", "saliency"):
        versions[name.replace("-", "_")] = package_metadata.version(name)
    return versions


def load_samples(site_src: Path = SITE_SRC) -> Any:
    """The curated samples manifest."""
    return load_json(Path(site_src) / "samples" / "manifest.json")


def interval_level() -> float:
    """The coverage of every interval the site states (gen/stats.py: 0.95)."""
    return LEVEL


def build_context(docs_dir: Path, models_dir: Path = MODELS_DIR, site_src: Path = SITE_SRC) -> dict[str, Any]:
    """Everything a page template may read."""
    models, analysis, generated = load_models(models_dir), load_analysis(models_dir), load_generated(docs_dir)
    return {
        "models": models,
        "analysis": analysis,
        "generated": generated,
        "findings": Findings(page_findings(models, analysis, generated, list(RACES), RACE_PAIR)),
        "samples": load_samples(site_src),
        "versions": load_versions(),
        "config": {"races": RACES, "genders": GENDERS, "age_bins": AGE_BINS, "image_size": IMAGE_SIZE,
                   "close_call": CLOSE_CALL, "interval_level": interval_level(),
                   "source_url": os.environ.get("SOURCE_URL", ""),
                   "model_specs": {name: vars(spec) for name, spec in MODEL_SPECS.items()},
                   "region_colours": REGION_COLOURS},
    }


# ---- number formats: one place decides how every figure in the article is written ----

def _check_number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise MissingDataError(f"filter '{name}' needs a number, got {value!r}")
    return float(value)


def num(value: Any, digits: int = 0) -> str:
    """23708 -> '23,708'; num(0.1234, 3) -> '0.123'."""
    return f"{_check_number(value, 'num'):,.{digits}f}"


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.8123 -> '81.2%'."""
    return f"{_check_number(value, 'pct') * 100:.{digits}f}%"


def pp(value: Any, digits: int = 1, signed: bool = True) -> str:
    """A difference of two fractions in percentage points: -0.123 -> '−12.3 points' (signed=False: '12.3 points')."""
    return f"{_points(value, digits, signed, 'pp')} points"


def _points(value: Any, digits: int, signed: bool, name: str) -> str:
    sign = "+" if signed else ""
    return f"{_check_number(value, name) * 100:{sign}.{digits}f}".replace("-", "−")


def pp_range(value: Mapping[str, Any], digits: int = 1) -> str:
    """A difference of fractions with its interval, in points: {difference, low, high} -> '+4.0 (+1.0 to +7.0)'."""
    low, mid, high = (_points(value[k], digits, True, "pp_range") for k in ("low", "difference", "high"))
    return f"{mid} ({low} to {high})"


def ratio(value: Any, digits: int = 2) -> str:
    """A ratio as a multiple: 1.254 -> '1.25×'."""
    return f"{_check_number(value, 'ratio'):.{digits}f}×"


def ci(value: Any, digits: int = 1) -> str:
    """A 95% interval of fractions, from [lo, hi] or a group with ci_low/ci_high: '78.1–84.0%'."""
    low, high = (value["ci_low"], value["ci_high"]) if isinstance(value, Mapping) else value
    return f"{_check_number(low, 'ci') * 100:.{digits}f}–{_check_number(high, 'ci') * 100:.{digits}f}%"


def share(values: Mapping[str, Any], key: str) -> float:
    """One count as a fraction of the counts' total (for '12% of faces are ...')."""
    total = sum(values.values())
    if not total:
        raise MissingDataError(f"cannot take a share of an empty count table for '{key}'")
    return values[key] / total


def demote(markdown: str, levels: int = 1) -> str:
    """Push every Markdown heading down `levels`, to embed a standalone document (a model card) in a page."""
    return re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + levels) + " ", markdown, flags=re.MULTILINE)


def ordered(mapping: Mapping[str, Any], order: Iterable[str]) -> list[tuple[str, Any]]:
    """Items of `mapping` in a fixed label order (e.g. RACES), skipping labels it lacks."""
    return [(key, mapping[key]) for key in order if key in mapping]


FILTERS = {"num": num, "pct": pct, "pp": pp, "pp_range": pp_range, "ratio": ratio, "ci": ci, "share": share,
           "ordered": ordered, "demote": demote}
