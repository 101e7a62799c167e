"""Command line: python -m gen <step>. Each step reads what the steps before it wrote."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gen.config import DEFAULT_UTKFACE_DIR, MODEL_SPECS, utkface_dir_from_env
from gen.data.utkface import DatasetError


def _data_dir(value: str | None) -> Path:
    return Path(value) if value else (utkface_dir_from_env() or DEFAULT_UTKFACE_DIR)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="UTKFace folder (default: $UTKFACE_DIR or ../shared/datasets/utkface)")


def cmd_data_report(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.data.report import write_data_report
    write_data_report(prepare_data(_data_dir(args.data_dir)))


def cmd_train(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.train import train_all
    train_all(prepare_data(_data_dir(args.data_dir)), args.only)


def cmd_evaluate(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.evaluate import evaluate_all
    evaluate_all(prepare_data(_data_dir(args.data_dir)), args.only)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gen", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    report = steps.add_parser("data-report", help="dataset counts and distribution figures")
    _add_data_dir(report)
    report.set_defaults(run=cmd_data_report)
    for name, run, text in (("train", cmd_train, "train the models into models/"),
                            ("evaluate", cmd_evaluate, "evaluate the models on the test split")):
        step = steps.add_parser(name, help=text)
        _add_data_dir(step)
        step.add_argument("--only", nargs="+", choices=sorted(MODEL_SPECS), metavar="NAME",
                          help=f"only these models ({', '.join(MODEL_SPECS)})")
        step.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
