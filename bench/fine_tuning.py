"""Fine-tuning against training from scratch, offline; prints numbers, asserts nothing.

    .venv/bin/python bench/fine_tuning.py /tmp/ft [--pretrain-images 17736] [--seeds 1 2 3]

Renders a DECaLS-like synthetic set (by default DECaLS's 17,736 images, at 69×69, with its classes and
proportions) and pre-trains the `resnet` experiment of config/zoo.yaml on it (8 epochs); renders a 3,000-image
SDSS-like set and trains the same experiment on it with each seed twice, from scratch and from the pre-trained body
(`init_from`, `freeze_epochs: 1`, a new head). Prints each run's test accuracy and balanced accuracy on the
SDSS-like set, then mean ± std over the seeds. Work and models stay in the given folder.
"""

import argparse
from pathlib import Path

import numpy as np
import yaml

from galaxy10.runtime import use_backend

use_backend("tensorflow", 2)
from galaxy10.data.facts import DECALS_CLASS_NAMES, DATASETS  # noqa: E402
from galaxy10.evaluation.metrics import evaluate  # noqa: E402
from galaxy10.evaluation.predict import predict  # noqa: E402
from galaxy10.data.split import write_split  # noqa: E402
from galaxy10.data.synthetic import write_synthetic  # noqa: E402
from galaxy10.training.train import train  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main(out: Path, pretrain_images: int, seeds: list[int]):
    recipe = yaml.safe_load((REPO / "config" / "zoo.yaml").read_text())["experiments"]["resnet"]
    pretrained = out / f"decals{pretrain_images}" / "model.keras"
    if not pretrained.exists():
        write_synthetic(out / "decals.h5", pretrain_images, seed=7, processes=2, image_size=69, like="decals")
        write_split(out / "decals.h5", out / "decals.npz", dataset="decals", class_names=DECALS_CLASS_NAMES)
        train(out / "decals.npz", pretrained, pretrained.with_name("history.csv"), pretrained.with_name("run.json"),
              settings={**recipe, "epochs": 8, "min_epochs": 4, "warmup_epochs": 1}, seed=1)
    write_synthetic(out / "sdss.h5", 3000, seed=5, processes=2)
    write_split(out / "sdss.h5", out / "sdss.npz")
    scores = {}
    for seed in seeds:
        for name, extra in (("scratch", {}), ("fine-tuned", {"init_from": str(pretrained), "freeze_epochs": 1})):
            run = out / f"{name}-seed{seed}"
            train(out / "sdss.npz", run / "model.keras", run / "history.csv", run / "run.json",
                  settings={**recipe, **extra}, seed=seed)
            predict(run / "model.keras", run / "run.json", out / "sdss.npz", run / "predictions.csv", run / "cal.json")
            metrics = evaluate(run / "predictions.csv", run / "run.json", run / "metrics.json", run / "confusion.csv")
            scores.setdefault(name, []).append((metrics["accuracy"], metrics["balanced_accuracy"]))
            print(f"seed {seed} {name:<11} accuracy {metrics['accuracy']:.3f}   "
                  f"balanced accuracy {metrics['balanced_accuracy']:.3f}", flush=True)
    for name, values in scores.items():
        mean, std = np.mean(values, axis=0), np.std(values, axis=0, ddof=1) if len(values) > 1 else (0.0, 0.0)
        print(f"{name:<11} accuracy {mean[0]:.3f} ± {std[0]:.3f}   balanced accuracy {mean[1]:.3f} ± {std[1]:.3f}"
              f"   ({len(values)} seeds)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("Results/bench-fine-tuning"))
    parser.add_argument("--pretrain-images", type=int, default=DATASETS["decals"].n_images)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    main(args.out, args.pretrain_images, args.seeds)
