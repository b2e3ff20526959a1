"""The comparison of experiments: the leaderboard (mean ± std over seeds, each experiment's seed ensemble,
calibration, collapsed runs) and the differences between experiments on the same test images, with paired
bootstrap intervals and McNemar's test."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.evaluation.calibration import calibration_metrics, ensemble_probabilities
from galaxy10.evaluation.figures import TABLE_STYLE
from galaxy10.evaluation.metrics import CALIBRATED, SCORES, compute_metrics, probabilities_of
from galaxy10.io import atomic_output
from galaxy10.training.record import read_record
from galaxy10.study.significance import compare_pair



def load_runs(records) -> pd.DataFrame:
    """One row per run from its record (run.json) and the metrics.json beside it."""
    rows = []
    for record_path in records:
        record = read_record(record_path)
        metrics = json.loads((Path(record_path).parent / "metrics.json").read_text())
        calibration = metrics.get("calibration", {})
        rows.append({
            "experiment": record["experiment"], "seed": record["seed"], "model": record["model"],
            "parameters": record["parameters"], "train_seconds": record["train_seconds"],
            **{m: metrics[m] for m in SCORES},
            **{f"ece_{kind}": values["ece"] for kind, values in calibration.items()},
            "collapsed": metrics.get("collapsed"), "folder": str(Path(record_path).parent),
            "recalls": [row["recall"] for row in metrics["per_class"]],
        })
    return pd.DataFrame(rows)


def per_class_recalls(runs: pd.DataFrame, class_names) -> pd.DataFrame:
    """Experiments × classes: each class's test recall, mean over the seeds."""
    means = runs.groupby("experiment")["recalls"].apply(lambda lists: np.mean(np.stack(lists.to_list()), axis=0))
    return pd.DataFrame(np.stack(means.to_list()), index=means.index, columns=list(class_names))


def ensembles(runs: pd.DataFrame) -> dict:
    """Experiment → (test labels, the mean of its seeds' calibrated probabilities): the deployable model."""
    out = {}
    for experiment, group in runs.groupby("experiment"):
        tables = [pd.read_csv(Path(folder) / "predictions.csv") for folder in group["folder"]]
        out[experiment] = (tables[0]["test"].to_numpy(),
                           ensemble_probabilities([probabilities_of(t, CALIBRATED) for t in tables]))
    return out


def leaderboard(runs: pd.DataFrame, ensembled: dict, class_names) -> pd.DataFrame:
    """One row per experiment, best mean accuracy first."""
    grouped = runs.groupby("experiment")
    board = grouped[["model", "parameters"]].first()
    board["seeds"] = grouped.size()
    for metric in SCORES:
        board[f"{metric}_mean"] = grouped[metric].mean()
        board[f"{metric}_std"] = grouped[metric].std(ddof=1).fillna(0.0)
    for column in ("ece_raw", "ece_calibrated"):
        board[f"{column}_mean"] = grouped[column].mean()
    for experiment, (labels, probabilities) in ensembled.items():
        scores = compute_metrics(labels, probabilities.argmax(axis=1), class_names)
        for metric in SCORES:
            board.loc[experiment, f"ensemble_{metric}"] = scores[metric]
        board.loc[experiment, "ensemble_ece"] = calibration_metrics(probabilities, labels)["ece"]
    board["collapsed_seeds"] = grouped["collapsed"].apply(lambda reasons: int(reasons.notna().sum()))
    board["train_seconds_mean"] = grouped["train_seconds"].mean()
    return board.sort_values("accuracy_mean", ascending=False)


def differences(ensembled: dict, against, n_resamples=2000) -> pd.DataFrame:
    """Every experiment's seed ensemble against each experiment in `against` (itself excepted), on the same
    test images: the difference in accuracy and balanced accuracy with its paired bootstrap interval, and
    McNemar's p-value. `significant` means the interval excludes zero."""
    rows = []
    for reference in dict.fromkeys(against):  # in order, once each
        y, reference_probabilities = ensembled[reference]
        for experiment, (_, probabilities) in ensembled.items():
            if experiment != reference:
                pair = compare_pair(y, probabilities.argmax(axis=1), reference_probabilities.argmax(axis=1),
                                    n_resamples=n_resamples)
                rows.append({"experiment": experiment, "against": reference, **pair})
    return pd.DataFrame(rows)


def _interval(row, metric) -> str:
    verdict = "significant" if row[f"{metric}_significant"] else "not significant"
    return f"{row[f'{metric}_diff']:+.3f} [{row[f'{metric}_low']:+.3f}, {row[f'{metric}_high']:+.3f}] {verdict}"


def write_comparison(records, reference, csv_out, differences_out, html_out, n_resamples=2000):
    """Write the leaderboard (CSV and HTML) and the differences table; return them and the per-class recalls.
    `reference` is the experiment every other is tested against besides the best one (skipped if not run)."""
    runs = load_runs(records)
    ensembled = ensembles(runs)
    class_names = read_record(records[0])["class_names"]
    board = leaderboard(runs, ensembled, class_names)
    against = [name for name in (reference, board.index[0]) if name in ensembled]
    diffs = differences(ensembled, against, n_resamples) if len(ensembled) > 1 else pd.DataFrame()
    with atomic_output(csv_out) as tmp:
        board.to_csv(tmp, float_format="%.4f")
    with atomic_output(differences_out) as tmp:
        diffs.to_csv(tmp, index=False, float_format="%.4f")

    shown = board[["model", "parameters", "seeds", "train_seconds_mean"]].copy()
    for metric in SCORES:
        shown[metric] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(board[f"{metric}_mean"], board[f"{metric}_std"])]
    for metric in ("accuracy", "balanced_accuracy"):
        shown[f"ensemble {metric}"] = board[f"ensemble_{metric}"].map("{:.3f}".format)
    shown["ECE raw → calibrated"] = [f"{r:.3f} → {c:.3f}" for r, c in zip(board["ece_raw_mean"],
                                                                          board["ece_calibrated_mean"])]
    shown["collapsed seeds"] = board["collapsed_seeds"]
    html = TABLE_STYLE + "<h3>Leaderboard</h3>\n" + shown.to_html(border=0, float_format="%.1f")
    if len(diffs):
        table = diffs[["experiment", "against"]].copy()
        for metric in ("accuracy", "balanced_accuracy"):
            table[f"Δ {metric} [95% interval]"] = [_interval(row, metric) for _, row in diffs.iterrows()]
        table["McNemar p"] = diffs["mcnemar_p"].map("{:.3g}".format)
        html += ("\n<h3>Differences between seed ensembles on the same test images</h3>\n"
                 + table.to_html(border=0, index=False))
    with atomic_output(html_out) as tmp, open(tmp, "w") as f:
        f.write(html)
    return board, diffs, per_class_recalls(runs, class_names).loc[board.index]
