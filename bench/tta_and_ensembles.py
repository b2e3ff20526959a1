"""What test-time augmentation and seed ensembles add, per experiment; prints numbers, asserts nothing.

    .venv/bin/python bench/tta_and_ensembles.py Results/synthetic

For a results folder made with `predict: {tta: true}`, predicts every run's test part again without it (into a
temporary folder; the workflow's files are not touched) and prints, per experiment, the test accuracy and
balanced accuracy of: the single models without and with TTA (mean over the seeds), and the seed ensemble (the
mean of the seeds' calibrated probabilities, as the leaderboard makes it) without and with TTA.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from galaxy10.runtime import use_backend

use_backend("tensorflow", 2)
from galaxy10.evaluation.calibration import ensemble_probabilities  # noqa: E402
from galaxy10.evaluation.metrics import CALIBRATED, probabilities_of  # noqa: E402
from galaxy10.evaluation.predict import predict  # noqa: E402


def scores(labels, predicted) -> tuple[float, float]:
    return accuracy_score(labels, predicted), balanced_accuracy_score(labels, predicted)


def main(results: Path):
    work = Path(tempfile.mkdtemp(prefix="galaxy10-tta-"))
    print("accuracy / balanced accuracy on the test part")
    print(f"{'experiment':<14} {'single, no TTA':>15} {'single, TTA':>15} {'ensemble, no TTA':>17} {'ensemble, TTA':>15}")
    for experiment in sorted(path.name for path in results.iterdir() if list(path.glob("seed*/predictions.csv"))):
        tables = {"no TTA": [], "TTA": []}
        for run in sorted((results / experiment).glob("seed*")):
            if not json.loads((run / "calibration.json").read_text()).get("tta"):
                raise SystemExit(f"{run}: predicted without TTA; run the workflow with predict: {{tta: true}} first")
            tables["TTA"].append(pd.read_csv(run / "predictions.csv"))
            out = work / experiment / run.name
            out.mkdir(parents=True)
            tables["no TTA"].append(predict(run / "model.keras", run / "run.json", results / "split.npz",
                                            out / "predictions.csv", out / "calibration.json"))
        labels = tables["TTA"][0]["test"].to_numpy()
        single = {kind: np.mean([scores(labels, t["predict"]) for t in runs], axis=0) for kind, runs in tables.items()}
        ensemble = {kind: scores(labels, ensemble_probabilities([probabilities_of(t, CALIBRATED) for t in runs])
                                 .argmax(axis=1)) for kind, runs in tables.items()}
        cells = ["%.3f / %.3f" % tuple(values) for values in (*single.values(), *ensemble.values())]
        print(f"{experiment:<14} {cells[0]:>15} {cells[1]:>15} {cells[2]:>17} {cells[3]:>15}   "
              f"({len(tables['TTA'])} seeds)", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a <results>/<dataset> folder, predicted with TTA")
    main(parser.parse_args().results)
