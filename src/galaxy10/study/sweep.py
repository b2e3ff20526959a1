"""Sweeps chosen on validation: an experiment's `sweep` names settings and the values to try; each point (a grid, or
a seeded sample of `sweep_points` of it) is trained as an experiment of its own, `<name>-sweep<k>`, with the first
seed; the point whose validation score is best by the comparison's criterion wins, and the experiment itself is
then trained with the winner's settings and every seed, so that it enters the leaderboard like any other. The test
part is never read here."""

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.io import InputError, atomic_output
from galaxy10.study.compare import ensembles, load_runs
from galaxy10.study.robustness import valid_corrupted_accuracy
from galaxy10.study.selection import rank, validation_scores
from galaxy10.training.record import read_record

SWEEP_KEYS = ("sweep", "sweep_points", "sweep_seed")


def point_name(experiment: str, k: int) -> str:
    return f"{experiment}-sweep{k:02d}"


def sweep_points(values: dict) -> list[dict]:
    """The settings of each point of an experiment's config `values` (which hold `sweep`, and optionally
    `sweep_points` and `sweep_seed`): the grid of the swept values in order, or a seeded sample of it."""
    grid = values["sweep"]
    if not grid or any(not isinstance(choices, list) or not choices for choices in grid.values()):
        raise InputError(f"sweep: {grid!r} must map settings to non-empty lists of values to try")
    base = {key: value for key, value in values.items() if key not in SWEEP_KEYS}
    points = [dict(zip(grid, combination)) for combination in itertools.product(*grid.values())]
    wanted = values.get("sweep_points") or len(points)
    if wanted < len(points):
        chosen = np.random.default_rng(values.get("sweep_seed", 0)).choice(len(points), wanted, replace=False)
        points = [points[k] for k in sorted(chosen)]
    return [{**base, **point} for point in points]


def choose(records, swept: list[str], select_by: str) -> pd.DataFrame:
    """The points' swept settings and validation scores, the best first by `select_by` (column `chosen`)."""
    runs = load_runs(records)
    corrupted = valid_corrupted_accuracy(records) if select_by == "corrupted_accuracy" else None
    scores = validation_scores(ensembles(runs, "valid"), corrupted)
    order = rank(scores, select_by)
    settings = {row.experiment: read_record(Path(row.folder, "run.json"))["settings"] for row in runs.itertuples()}
    table = pd.DataFrame([{"point": name, **{key: settings[name][key] for key in swept},
                           **{f"valid_{score}": scores.loc[name, score] for score in scores}} for name in order])
    table["chosen"] = [k == 0 for k in range(len(table))]
    table["selection_criterion"] = f"valid_{select_by}"
    return table


def write_sweep(records, swept: list[str], select_by: str, table_out, chosen_out) -> pd.DataFrame:
    """Write the points' table (sweep.csv) and the winner's swept settings (chosen.json)."""
    table = choose(records, swept, select_by)
    with atomic_output(table_out) as tmp:
        table.to_csv(tmp, index=False)
    winner = {key: _plain(table[key].iloc[0]) for key in swept}
    with atomic_output(chosen_out) as tmp:
        Path(tmp).write_text(json.dumps({"point": table["point"].iloc[0], "settings": winner}, indent=2))
    return table


def _plain(value):
    return value.item() if hasattr(value, "item") else value
