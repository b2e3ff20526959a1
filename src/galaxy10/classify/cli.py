"""`galaxy10-classify`: classify new galaxy cutouts with trained models from the command line.

    galaxy10-classify Results/sdss/small_cnn/seed*/model.keras --input cutouts/ more.h5 --out classified/ --tta

Problems the user can fix (no image readable, a missing model file, a bad option) print one line and exit 1.
"""

import argparse
import os
import sys
from pathlib import Path

from galaxy10.classify.options import class_names, fits_display, temperatures

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
    p.add_argument(
        "--fits-display",
        metavar="lupton[:STRETCH:Q]|asinh:SOFTENING:MAXIMUM",
        help="how FITS fluxes become a picture: Lupton's asinh for nanomaggies (lupton:0.5:10, SDSS's), or an asinh "
        "per band in the data's units (the synthetic stand-in's: asinh:6:3000) (default: the display of the data "
        "set a run.json beside the models names, else Lupton's)",
    )
    p.add_argument("--batch-size", type=positive, default=256, help="images read and predicted at a time (default 256)")
    p.add_argument("--sheet-limit", type=int, default=300, help="images on the contact sheet (default 300; 0: none)")
    p.add_argument(
        "--saliency",
        action="store_true",
        help="on the contact sheet, beside each image, what the first model looked at for its class: Grad-CAM over "
        "the galaxy for a CNN, SmoothGrad for a dense network",
    )
    p.add_argument(
        "--embeddings",
        action="store_true",
        help="also write OUT/embeddings.npy: each image's vector before the first model's classifier, a row per row "
        "of classes.csv (NaN where an item was not read; with --tta the mean over the eight views), for finding "
        "similar galaxies, clustering, or another classifier",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        missing = [path for path in args.models if not Path(path).is_file()]
        if missing:  # before the slow import of Keras
            raise FileNotFoundError(f"{missing[0]}: no such model file")
        models = list(zip(args.models, temperatures(args.temperature, args.models, args.uncalibrated)))
        names = class_names(args.class_names, args.models)
        shown = fits_display(args.fits_display, args.models)
        from galaxy10.classify.table import classify

        summary = classify(
            models,
            args.input,
            args.out,
            names,
            tta=args.tta,
            batch_size=args.batch_size,
            progress=not args.quiet,
            sheet_limit=args.sheet_limit,
            shown=shown,
            saliency=args.saliency,
            embeddings=args.embeddings,
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
