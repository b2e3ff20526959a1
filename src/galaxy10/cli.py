"""`galaxy10-classify`: classify new galaxy cutouts with trained models from the command line.

    galaxy10-classify Results/sdss/small_cnn/seed*/model.keras --input cutouts/ more.h5 --out classified/ --tta

Problems the user can fix (no image readable, a missing model file, a bad option) print one line and exit 1.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from .classes import CLASS_NAMES, DATASETS
from .settings import model_temperature

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow


def positive(text) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"need a positive whole number, got {text!r}")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="galaxy10-classify",
        description="Classify galaxy cutouts (PNG/JPEG, Galaxy10-format HDF5, FITS g/r/i cubes or band files) with "
        "one model or the mean of several (a seed ensemble). Writes OUT/classes.csv (a row per image, errors "
        "included) and OUT/contact_sheet.png (the most confident images).",
    )
    p.add_argument("models", nargs="+", metavar="MODEL", help="trained .keras model files")
    p.add_argument("--input", "-i", nargs="+", required=True, metavar="PATH", help="files or folders (recursive)")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--tta", action="store_true", help="average over the eight rotations and reflections")
    p.add_argument(
        "--temperature",
        "-t",
        nargs="+",
        type=float,
        metavar="T",
        help="calibration temperature: one for all models, or one per model (default: each model's from the "
        "calibration.json the workflow writes beside it, if there is one)",
    )
    p.add_argument("--uncalibrated", action="store_true", help="use no temperature, not even a calibration.json's")
    p.add_argument(
        "--class-names",
        metavar="sdss|decals|FILE",
        help="class names: Galaxy10 SDSS's, DECaLS's, or a file with one per line (default: the `class_names` of "
        "a run.json beside the models, else SDSS's)",
    )
    p.add_argument("--batch-size", type=positive, default=256, help="images read and predicted at a time (default 256)")
    p.add_argument("--sheet-limit", type=int, default=300, help="images on the contact sheet (default 300; 0: none)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return p


def class_names(choice, model_paths) -> tuple:
    """The names the option asks for; else those in the run.json files beside the models, which must agree; else
    Galaxy10 SDSS's."""
    if choice in DATASETS:
        return DATASETS[choice].class_names
    if choice:
        if not Path(choice).is_file():
            raise FileNotFoundError(f"--class-names {choice}: not sdss, decals or a file")
        return tuple(line.strip() for line in Path(choice).read_text().splitlines() if line.strip())
    found = {}
    for run_json in {Path(path).with_name("run.json") for path in model_paths}:
        if run_json.is_file():
            try:
                names = json.loads(run_json.read_text()).get("class_names")
            except (json.JSONDecodeError, AttributeError) as err:
                raise ValueError(f"{run_json}: not a JSON object ({err})") from err
            if names:
                found[tuple(names)] = run_json
    if len(found) > 1:
        raise ValueError(f"the models' run.json files name different classes: {', '.join(map(str, found.values()))}")
    return next(iter(found), CLASS_NAMES)


def temperatures(values, model_paths, uncalibrated=False) -> list:
    """The given temperatures (one for all, or one per model); else each model's calibration.json's, if any."""
    if uncalibrated:
        return [None] * len(model_paths)
    if not values:
        return [model_temperature(path) for path in model_paths]
    if len(values) not in (1, len(model_paths)):
        raise ValueError(f"--temperature takes one value or one per model ({len(model_paths)}), got {len(values)}")
    return values * len(model_paths) if len(values) == 1 else values


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        missing = [path for path in args.models if not Path(path).is_file()]
        if missing:  # before the slow import of Keras
            raise FileNotFoundError(f"{missing[0]}: no such model file")
        models = list(zip(args.models, temperatures(args.temperature, args.models, args.uncalibrated)))
        names = class_names(args.class_names, args.models)
        from .classify import classify

        summary = classify(
            models,
            args.input,
            args.out,
            names,
            tta=args.tta,
            batch_size=args.batch_size,
            progress=not args.quiet,
            sheet_limit=args.sheet_limit,
        )
    except (OSError, ValueError) as err:
        print(f"galaxy10-classify: error: {err}", file=sys.stderr)
        return 1
    print(
        f"{summary['items'] - summary['errors']} of {summary['items']} images classified, {summary['errors']} "
        f"not readable: {summary['table']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
