"""The leaderboard: every experiment's test metrics, mean ± std over its seeds."""

import json
from pathlib import Path

import pandas as pd

from .io import atomic_output
from .settings import read_record

METRICS = ("accuracy", "balanced_accuracy", "macro_f1")
TABLE_STYLE = (
    "<style>table{border-collapse:collapse;font-family:sans-serif;font-size:14px}"
    "th,td{padding:4px 12px;text-align:right;border-bottom:1px solid #ddd}</style>\n"
)


def leaderboard(records) -> pd.DataFrame:
    """One row per experiment, best first, from the runs' records (run.json, with metrics.json beside each)."""
    rows = []
    for record_path in records:
        record = read_record(record_path)
        metrics = json.loads((Path(record_path).parent / "metrics.json").read_text())
        rows.append(
            {
                "experiment": record["experiment"], "seed": record["seed"], "model": record["model"],
                "parameters": record["parameters"],
                "train_seconds": record["train_seconds"], **{m: metrics[m] for m in METRICS},
            }
        )
    per_run = pd.DataFrame(rows)
    grouped = per_run.groupby("experiment")
    board = grouped[["model", "parameters"]].first()
    board["seeds"] = grouped.size()
    for metric in METRICS:
        board[f"{metric}_mean"] = grouped[metric].mean()
        board[f"{metric}_std"] = grouped[metric].std(ddof=1).fillna(0.0)
    board["train_seconds_mean"] = grouped["train_seconds"].mean()
    return board.sort_values("accuracy_mean", ascending=False)


def write_leaderboard(records, csv_out, html_out) -> pd.DataFrame:
    board = leaderboard(records)
    with atomic_output(csv_out) as tmp:
        board.to_csv(tmp, float_format="%.4f")
    shown = board[["model", "parameters", "seeds", "train_seconds_mean"]].copy()
    for metric in METRICS:
        shown[metric] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(board[f"{metric}_mean"], board[f"{metric}_std"])]
    with atomic_output(html_out) as tmp, open(tmp, "w") as f:
        f.write(TABLE_STYLE + shown.to_html(border=0, float_format="%.1f"))
    return board
