"""`python -m gen data-report`: what the loader found and how the faces are distributed.

Written to `models/analysis/data_report.json` (committed, so the article can show the data without
the dataset being present) and printed as tables.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gen.config import AGE_BINS, CENSUS_SHARES, GENDERS, MODELS_DIR, RACES, SEED, SPLIT_FRACTIONS
from gen.data.prepared import PreparedData

REPORT_PATH = MODELS_DIR / "analysis" / "data_report.json"


def _counts(labels: np.ndarray, names: tuple[str, ...]) -> dict[str, int]:
    return {name: int(n) for name, n in zip(names, np.bincount(labels, minlength=len(names)))}


def data_report(data: PreparedData) -> dict:
    dataset, problems = data.dataset, data.dataset.problems
    columns = {"race": (dataset.labels("race"), RACES), "gender": (dataset.labels("gender"), GENDERS),
               "age": (dataset.labels("age"), AGE_BINS)}
    described = {}
    for name, indices in {**data.split, **{f"subset:{k}": v for k, v in data.subsets.items()}}.items():
        described[name] = {"n": int(len(indices)),
                           **{column: _counts(labels[indices], names) for column, (labels, names) in columns.items()}}
    return {
        "folder_files": sum(1 for path in dataset.folder.iterdir() if path.is_file()),
        "malformed_names": problems.malformed_names,
        "other_files": problems.other_files,
        "unreadable": problems.unreadable,
        "duplicate_copies": len(problems.duplicate_copies),
        "label_conflicts": len(problems.label_conflicts),
        "faces": len(dataset.records),
        "data_hash": dataset.fingerprint,
        "splits": {k: described[k] for k in data.split},
        "subsets": {k: described[f"subset:{k}"] for k in data.subsets},
        "census_shares": CENSUS_SHARES,
        "split_fractions": SPLIT_FRACTIONS,
        "seed": SEED,
    }


def print_report(report: dict) -> None:
    print(f"faces used: {report['faces']:,} (malformed names skipped: {len(report['malformed_names'])}, "
          f"unreadable: {len(report['unreadable'])}, byte-identical copies folded: {report['duplicate_copies']}, "
          f"files dropped for conflicting labels between copies: {report['label_conflicts']})")
    for group_name, groups in (("split", report["splits"]), ("subset", report["subsets"])):
        for column, names in (("race", RACES), ("gender", GENDERS), ("age", AGE_BINS)):
            if group_name == "subset" and column != "race":
                continue
            print(f"\n{column} by {group_name}:")
            print(f"{'':>8}" + "".join(f"{n:>9}" for n in names))
            for name, described in groups.items():
                print(f"{name:>8}" + "".join(f"{described[column][n]:>9,}" for n in names))


def write_data_report(data: PreparedData, path: Path = REPORT_PATH) -> dict:
    report = data_report(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
    print_report(report)
    print(f"\nwritten: {path}")
    return report
