"""How long each run trained before its validation accuracy first reached a target: what users wait for, rather
than the time of an epoch. Read from every run's history.csv (the seconds each epoch took, validation included);
the choice of targets is on validation, never the test part."""

from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.training.record import read_record


def seconds_to_reach(history: pd.DataFrame, target: float, column: str = "val_accuracy") -> float:
    """Training seconds (the epochs' `seconds` summed) up to the end of the first epoch whose `column` reaches
    `target`; NaN if none does."""
    reached = np.flatnonzero(history[column].to_numpy() >= target)
    return float(history["seconds"].cumsum().iloc[reached[0]]) if len(reached) else float("nan")


def time_to_accuracy(records, targets) -> pd.DataFrame:
    """One row per run (experiment, seed): its training seconds, best validation accuracy and, per target, the
    seconds to reach it (`seconds_to_<target>`)."""
    rows = []
    for record_path in records:
        record = read_record(record_path)
        history = pd.read_csv(Path(record_path).with_name("history.csv"))
        row = {"experiment": record["experiment"], "seed": record["seed"],
               "train_seconds": float(history["seconds"].sum()), "best_val_accuracy": history["val_accuracy"].max()}
        rows.append(row | {f"seconds_to_{target:g}": seconds_to_reach(history, target) for target in targets})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per experiment: the median over seeds of each column, and how many seeds reached each target."""
    grouped = table.drop(columns="seed").groupby("experiment", sort=False)
    out = grouped.median()
    for column in [c for c in table if c.startswith("seconds_to_")]:
        out[column.replace("seconds_to_", "seeds_reaching_")] = grouped[column].count()
    return out
