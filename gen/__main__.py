"""Command line: python -m gen <step>. Each step reads what the steps before it wrote."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gen.config import DEFAULT_UTKFACE_DIR, utkface_dir_from_env
from gen.data.utkface import DatasetError
from gen.models.registry import MODEL_SPECS
from gen.site.context import SiteError


def _data_dir(value: str | None) -> Path:
    return Path(value) if value else (utkface_dir_from_env() or DEFAULT_UTKFACE_DIR)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="UTKFace folder (default: $UTKFACE_DIR or ../shared/datasets/utkface)")


def cmd_data_report(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.data.report import write_data_report
    write_data_report(prepare_data(_data_dir(args.data_dir)))


def cmd_train(args: argparse.Namespace) -> None:
    from gen.models.train import get_strategy, train_all
    strategy = get_strategy(args.strategy)  # before anything else touches TensorFlow
    from gen.data.prepared import prepare_data
    train_all(prepare_data(_data_dir(args.data_dir)), args.only, strategy=strategy)


def cmd_search(args: argparse.Namespace) -> None:
    from gen.models.search import run_search
    print(f"best trial: {run_search(_data_dir(args.data_dir))['best']}")


def cmd_readme(args: argparse.Namespace) -> None:
    from gen.readme import write_readme
    current = write_readme(check=args.check)
    if args.check and not current:
        raise SystemExit("README.md is out of date: run `python -m gen readme`")
    print("README.md is current" if current else "README.md written from site_src/readme.md")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.models.evaluate import evaluate_all
    evaluate_all(prepare_data(_data_dir(args.data_dir)), args.only)


def cmd_export(args: argparse.Namespace) -> None:
    from gen.models.export import export_all
    export_all(_data_dir(args.data_dir), args.only)


def _site_data_dir(value: str | None) -> Path | None:
    from gen.site.build import default_data_dir
    return Path(value) if value else default_data_dir()


def cmd_build(args: argparse.Namespace) -> None:
    from gen.site.build import build
    build(Path(args.site_dir), Path(args.docs_dir), _site_data_dir(args.data_dir))


def cmd_render(args: argparse.Namespace) -> None:
    from gen.site.build import generate
    generate(Path(args.docs_dir), _site_data_dir(args.data_dir))


def cmd_samples_add(args: argparse.Namespace) -> None:
    from gen.site.samples import SampleError, add_samples, parse_box, parse_labels
    labels, photos = parse_labels(args.label), [Path(p) for p in args.photos]
    if args.align or args.face is not None:
        if args.box:
            raise SampleError("--box and --align/--face exclude each other: give a box, or let the detector find "
                              "the face")
        import functools

        from gen.face.browser import FaceFinder, FaceFinderError
        from gen.face.template import read_template
        from gen.site.sample_faces import aligned_sample
        template = read_template()
        try:
            with FaceFinder() as finder:
                added = add_samples(photos, labels, None, args.source,
                                    align=functools.partial(aligned_sample, finder=finder, template=template,
                                                            face=args.face))
        except FaceFinderError as error:
            raise SampleError(str(error)) from None
    else:
        added = add_samples(photos, labels, parse_box(args.box) if args.box else None, args.source)
    print(f"added {', '.join(added)} to site_src/samples/; the next `python -m gen build` explains them")


def _add_site_steps(steps: argparse._SubParsersAction) -> None:
    from gen.config import BUILD_DIR, DOCS_DIR, GENDERS, RACES
    for name, run, text in (("build", cmd_build, "every build step, then the site into build/ (kept if it fails)"),
                            ("render", cmd_render, "every build step into docs/ (for `mkdocs serve`), no site")):
        step = steps.add_parser(name, help=text)
        _add_data_dir(step)
        step.add_argument("--docs-dir", default=str(DOCS_DIR), help="generated MkDocs sources (default: docs/)")
        if name == "build":
            step.add_argument("--site-dir", default=str(BUILD_DIR), help="the built site (default: build/)")
        step.set_defaults(run=run)
    samples = steps.add_parser("samples", help="curated sample faces").add_subparsers(dest="action", required=True)
    add = samples.add_parser("add", help="add photos as samples (checked, cropped square or aligned, 200x200 JPEG)")
    add.add_argument("photos", nargs="+", metavar="PHOTO")
    add.add_argument("--label", required=True, help=f"race={'|'.join(RACES)},gender={'|'.join(GENDERS)},age=YEARS")
    add.add_argument("--box", help="face box x,y,w,h in pixels (default: the centred square)")
    add.add_argument("--align", action="store_true",
                     help="find the face (the Try-it page's detector, in Chromium) and align it like the training "
                          "faces")
    add.add_argument("--face", type=int, metavar="N", help="with several faces: align face N (1 = the largest)")
    add.add_argument("--source", help="credit line for the manifest (default: the file name)")
    add.set_defaults(run=cmd_samples_add)


def cmd_age_ranges(args: argparse.Namespace) -> None:
    from gen.age.ranges import write_age_ranges
    from gen.data.prepared import prepare_data
    write_age_ranges(prepare_data(_data_dir(args.data_dir)))


def cmd_prototypes(args: argparse.Namespace) -> None:
    from gen.age.prototypes import write_prototypes
    from gen.data.prepared import prepare_data
    write_prototypes(prepare_data(_data_dir(args.data_dir)))


def cmd_face_template(args: argparse.Namespace) -> None:
    from gen.data.prepared import prepare_data
    from gen.face.template import write_template
    write_template(prepare_data(_data_dir(args.data_dir)), faces=args.faces)


def cmd_unusual(args: argparse.Namespace) -> None:
    from gen.analysis.unusual import write_unusual
    from gen.data.prepared import prepare_data
    write_unusual(prepare_data(_data_dir(args.data_dir)))


def cmd_dose(args: argparse.Namespace) -> None:
    from gen.analysis.dose import run_dose
    from gen.data.prepared import prepare_data
    run_dose(prepare_data(_data_dir(args.data_dir)))


def cmd_regions(args: argparse.Namespace) -> None:
    from gen.analysis.regions import run_regions
    from gen.data.prepared import prepare_data
    run_regions(prepare_data(_data_dir(args.data_dir)))


def cmd_explain(args: argparse.Namespace) -> None:
    from gen.config import DOCS_DIR
    if args.analysis:
        from gen.analysis.explanations import run_analysis
        from gen.data.prepared import prepare_data
        run_analysis(prepare_data(_data_dir(args.data_dir)))
    from gen.site.heatmaps import precompute
    computed = precompute(Path(args.docs_dir or DOCS_DIR))
    print(f"explain: made {computed['predictions']} predictions, {computed['maps']} maps, "
          f"{computed['pictures']} pictures; the rest came from .cache/explain")


def _add_explain_step(steps: argparse._SubParsersAction) -> None:
    step = steps.add_parser("explain", help="heatmaps of the curated samples into docs/generated/explain/")
    _add_data_dir(step)
    step.add_argument("--analysis", action="store_true",
                      help="first recompute models/analysis/explain_*.json from the dataset (faithfulness, "
                           "sanity, completeness, class averages)")
    step.add_argument("--docs-dir", help="generated MkDocs sources (default: docs/)")
    step.set_defaults(run=cmd_explain)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gen", description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up messages too")
    steps = parser.add_subparsers(dest="step", required=True)
    report = steps.add_parser("data-report", help="dataset counts and distribution figures")
    _add_data_dir(report)
    report.set_defaults(run=cmd_data_report)
    search = steps.add_parser("search", help="the recorded trunk search -> models/analysis/search.json")
    _add_data_dir(search)
    search.set_defaults(run=cmd_search)
    readme = steps.add_parser("readme", help="README.md from site_src/readme.md with the measured numbers")
    readme.add_argument("--check", action="store_true", help="only check that README.md is current (exit 1 if not)")
    readme.set_defaults(run=cmd_readme)
    for name, run, text in (("train", cmd_train, "train the models into models/"),
                            ("evaluate", cmd_evaluate, "evaluate the models on the test split"),
                            ("export", cmd_export, "convert changed models to TF.js (quantised if harmless)")):
        step = steps.add_parser(name, help=text)
        _add_data_dir(step)
        step.add_argument("--only", nargs="+", choices=sorted(MODEL_SPECS), metavar="NAME",
                          help=f"only these models ({', '.join(MODEL_SPECS)})")
        if name == "train":
            step.add_argument("--strategy", choices=("mirrored", "multiworker"),
                              help="distribute training: every local device, or the workers named by TF_CONFIG "
                                   "(README: 'Training on a cluster')")
        step.set_defaults(run=run)
    _add_site_steps(steps)
    _add_explain_step(steps)
    for name, run, text in (
            ("age-ranges", cmd_age_ranges,
             "calibrated age ranges -> models/analysis/age_ranges.json, age_calibration.json"),
            ("prototypes", cmd_prototypes, "MMD-critic prototypes and criticisms -> models/analysis/prototypes.json"),
            ("face-template", cmd_face_template,
             "landmark template of training faces -> models/analysis/face_template.json"),
            ("unusual", cmd_unusual, "'unlike the training faces' calibration -> models/analysis/unusual.json"),
            ("dose", cmd_dose, "race models at five bias doses x three seeds -> models/analysis/dose.json "
                               "(about 70 min on two cores; resumes)"),
            ("regions", cmd_regions,
             "share of each race model's maps per face region -> models/analysis/regions.json")):
        step = steps.add_parser(name, help=text)
        _add_data_dir(step)
        if name == "face-template":
            step.add_argument("--faces", type=int, default=1500, help="training faces to measure (default 1500)")
        step.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose:
        os.environ["GEN_VERBOSE"] = "1"  # read by gen.models.keras when TensorFlow is first imported
    try:
        args.run(args)
    except (DatasetError, SiteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
