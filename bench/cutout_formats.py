"""How a trained model does on test galaxies as users have them: files in several formats, classified with
`galaxy10-classify`, beside its accuracy on the same images in memory. Prints numbers, asserts nothing.

    .venv/bin/python bench/cutout_formats.py Results/study/synthetic/small_cnn/seed1/model.keras --n 300

The images are a stratified sample of the test part of the split beside the model's run (`--split` to name
another). Formats: PNG; JPEG at qualities 95, 75 and 50; PNG at 3 times the size (bicubic); FITS cubes and g/r/i
band files in flux units: the data set's display undone (galaxy10.data.stretch; for the synthetic stand-in that is
its renderer's counts, before the stretch), read with the classify stage's default display (the one of the data
set the model's run.json names) and, for comparison, with Lupton's for SDSS nanomaggies.
"""

import argparse
import contextlib
import io
import os
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from astropy.io import fits  # noqa: E402
from PIL import Image  # noqa: E402

from galaxy10.classify.cli import main as classify  # noqa: E402
from galaxy10.data.split import load_split  # noqa: E402
from galaxy10.data.stretch import flux  # noqa: E402
from galaxy10.data.subsets import nested_subset  # noqa: E402
from galaxy10.evaluation.inference import predict_probabilities  # noqa: E402
from galaxy10.training.models import load_model  # noqa: E402

PICTURES = {"PNG": (".png", {}, 1), "JPEG q95": (".jpg", {"quality": 95}, 1), "JPEG q75": (".jpg", {"quality": 75}, 1),
            "JPEG q50": (".jpg", {"quality": 50}, 1), "PNG 3x": (".png", {}, 3)}


def write_pictures(folder: Path, images, suffix, options, scale):
    folder.mkdir()
    for k, image in enumerate(images):
        picture = Image.fromarray(image)
        if scale != 1:
            picture = picture.resize((image.shape[1] * scale, image.shape[0] * scale), Image.BICUBIC)
        picture.save(folder / f"g{k:05d}{suffix}", **options)


def write_fits(cubes: Path, bands: Path, images):
    """Cubes (planes g, r, i) and band files of the images' flux, rows upwards as FITS has them."""
    cubes.mkdir()
    bands.mkdir()
    for k, counts in enumerate(flux(images)[:, ::-1]):  # RGB = i, r, g
        planes = {"g": counts[..., 2], "r": counts[..., 1], "i": counts[..., 0]}
        fits.PrimaryHDU(np.stack(list(planes.values()))).writeto(cubes / f"g{k:05d}.fits")
        for band, plane in planes.items():
            fits.PrimaryHDU(plane).writeto(bands / f"g{k:05d}_{band}.fits")


def accuracy(model, folder: Path, labels, tta, *options) -> float:
    out = folder.parent / f"{folder.name}-out"
    argv = [str(model), "--input", str(folder), "--out", str(out), "--quiet", "--sheet-limit", "0", *options]
    with contextlib.redirect_stdout(io.StringIO()):  # its one-line summary per format
        failed = classify(argv + (["--tta"] if tta else [])) != 0
    if failed:
        raise SystemExit(f"galaxy10-classify failed on {folder}")
    rows = pd.read_csv(out / "classes.csv").sort_values("file")
    return float(np.mean(rows["predicted"].to_numpy() == labels))


def bench(model: Path, split: Path, n: int, tta: bool):
    x_test, y_test, _, _ = load_split(split, "test")
    keep = nested_subset(y_test, min(1.0, n / len(y_test)), seed=0)
    images, labels = np.asarray(x_test[keep]), y_test[keep]
    in_memory = np.mean(predict_probabilities(load_model(model), images, 256, tta).argmax(axis=1) == labels)
    print(f"{len(labels)} test images of {split}; model {model}{' with TTA' if tta else ''}")
    print("| format | accuracy | minus in memory |\n| --- | --- | --- |")
    print(f"| in memory | {in_memory:.3f} | |")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, (suffix, options, scale) in PICTURES.items():
            write_pictures(tmp / name.replace(" ", "_"), images, suffix, options, scale)
            score = accuracy(model, tmp / name.replace(" ", "_"), labels, tta)
            print(f"| {name} | {score:.3f} | {score - in_memory:+.3f} |")
        write_fits(tmp / "cubes", tmp / "bands", images)
        for name, options in (("default display", []), ("Lupton's display", ["--fits-display", "lupton"])):
            for kind in ("cubes", "bands"):
                score = accuracy(model, tmp / kind, labels, tta, *options)
                print(f"| FITS {kind}, flux, {name} | {score:.3f} | {score - in_memory:+.3f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a trained .keras file with its run.json beside it")
    parser.add_argument("--split", type=Path, help="default: split.npz two folders above the model's")
    parser.add_argument("--n", type=int, default=300, help="test images (default 300)")
    parser.add_argument("--tta", action="store_true", help="average over the eight D4 views")
    args = parser.parse_args()
    bench(args.model, args.split or args.model.parents[2] / "split.npz", args.n, args.tta)
