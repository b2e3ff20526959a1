"""Fine-tuning against training from scratch, offline; prints numbers, asserts nothing.

    .venv/bin/python bench/fine_tuning.py /tmp/ft

Renders a DECaLS-like synthetic set (8,000 images at 69×69, DECaLS's classes and proportions) and pre-trains the
default `resnet` experiment on it (8 epochs); renders a 3,000-image SDSS-like set and trains the same experiment
on it twice, from scratch and from the pre-trained body (`init_from`, `freeze_epochs: 1`, a new head). Prints
each one's test accuracy and balanced accuracy on the SDSS-like set. Work and models stay in the given folder.
"""

import sys
from pathlib import Path

import yaml

from galaxy10.runtime import use_backend

use_backend("tensorflow", 2)
from galaxy10.classes import DECALS_CLASS_NAMES  # noqa: E402
from galaxy10.evaluate import evaluate  # noqa: E402
from galaxy10.predict import predict  # noqa: E402
from galaxy10.split import write_split  # noqa: E402
from galaxy10.synthetic import write_synthetic  # noqa: E402
from galaxy10.training import train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main(out: Path):
    recipe = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["experiments"]["resnet"]
    pretrained = out / "decals" / "model.keras"
    if not pretrained.exists():
        write_synthetic(out / "decals.h5", 8000, seed=7, processes=2, image_size=69, like="decals")
        write_split(out / "decals.h5", out / "decals.npz", dataset="decals", class_names=DECALS_CLASS_NAMES)
        train(out / "decals.npz", pretrained, out / "decals" / "history.csv", out / "decals" / "run.json",
              settings={**recipe, "epochs": 8, "min_epochs": 4, "warmup_epochs": 1}, seed=1)
    write_synthetic(out / "sdss.h5", 3000, seed=5, processes=2)
    write_split(out / "sdss.h5", out / "sdss.npz")
    for name, extra in (("scratch", {}), ("fine-tuned", {"init_from": str(pretrained), "freeze_epochs": 1})):
        run = out / name
        train(out / "sdss.npz", run / "model.keras", run / "history.csv", run / "run.json",
              settings={**recipe, **extra}, seed=1)
        predict(run / "model.keras", run / "run.json", out / "sdss.npz", run / "predictions.csv", run / "cal.json")
        scores = evaluate(run / "predictions.csv", run / "run.json", run / "metrics.json", run / "confusion.csv")
        print(f"{name:<11} accuracy {scores['accuracy']:.3f}   balanced accuracy {scores['balanced_accuracy']:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("Results/bench-fine-tuning"))
