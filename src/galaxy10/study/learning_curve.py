"""How much labelled data each method needs: test scores against the number of training images, from runs on
nested subsets of the training part (data.subsets) and the full runs."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.io import InputError, atomic_output
from galaxy10.training.record import read_record

CURVE_SCORES = ("accuracy", "balanced_accuracy", "macro_f1")
ROUNDING = 1e-4  # what the tables' four decimals may move a score by


def learning_curve_table(records) -> pd.DataFrame:
    """One row per run (its run.json and the metrics.json beside it): experiment, seed, training images, the share
    of the experiment's largest training part, and the test scores; sorted by experiment, size and seed."""
    rows = []
    for path in records:
        record = read_record(path)
        if "train_images" not in record:
            raise InputError(f"{path}: made by an older version, without `train_images`; re-train it "
                             "(snakemake --forcerun train)")
        metrics = json.loads((Path(path).parent / "metrics.json").read_text())
        rows.append({"experiment": record["experiment"], "seed": record["seed"],
                     "train_images": record["train_images"], **{s: metrics[s] for s in CURVE_SCORES}})
    table = pd.DataFrame(rows)
    table.insert(3, "fraction", table["train_images"] / table.groupby("experiment")["train_images"].transform("max"))
    return table.sort_values(["experiment", "train_images", "seed"], ignore_index=True)


def images_to_reach(table: pd.DataFrame, experiment: str, target: float, score: str = "accuracy") -> float | None:
    """The training images at which `experiment`'s mean `score` over seeds first reaches `target`, interpolated
    linearly in log(images) between the curve's points; None if it never does, the smallest size if it does at
    once. Scores within ROUNDING of the target reach it: the tables keep four decimals."""
    curve = table[table["experiment"] == experiment].groupby("train_images")[score].mean()
    sizes, values = curve.index.to_numpy(float), curve.to_numpy()
    above = np.flatnonzero(values >= target - ROUNDING)
    if not len(above):
        return None
    k = above[0]
    if k == 0:
        return float(sizes[0])
    share = min(1.0, (target - values[k - 1]) / (values[k] - values[k - 1]))
    return float(np.exp(np.log(sizes[k - 1]) + share * (np.log(sizes[k]) - np.log(sizes[k - 1]))))


def write_learning_curve(records, csv_out) -> pd.DataFrame:
    table = learning_curve_table(records)
    with atomic_output(csv_out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return table
