"""The comparison of experiments: the leaderboard (mean ± std over seeds, each experiment's seed ensemble,
calibration, collapsed runs), ordered by the validation criterion, and the differences between experiments on the
same test images (study.differences)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.evaluation.calibration import calibration_metrics, ensemble_probabilities
from galaxy10.evaluation.figures import TABLE_STYLE
from galaxy10.evaluation.metrics import CALIBRATED, SCORES, compute_metrics, probabilities_of
from galaxy10.io import InputError, atomic_output
from galaxy10.training.record import read_record
from galaxy10.study.differences import differences, differences_html
from galaxy10.study.robustness import load_robustness, robustness_summary, valid_corrupted_accuracy
from galaxy10.study.selection import rank, validation_scores
from galaxy10.study.significance import PAIR_METRICS, score_interval

PREDICTIONS = {"test": "predictions.csv", "valid": "valid_predictions.csv"}


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
            "train_images": record.get("train_images"), "test_images": metrics["n_test"],
            "valid_images": metrics.get("validation", {}).get("n"),
            "recalls": [row["recall"] for row in metrics["per_class"]],
        })
    return pd.DataFrame(rows)


def per_class_recalls(runs: pd.DataFrame, class_names) -> pd.DataFrame:
    """Experiments × classes: each class's test recall, mean over the seeds."""
    means = runs.groupby("experiment")["recalls"].apply(lambda lists: np.mean(np.stack(lists.to_list()), axis=0))
    return pd.DataFrame(np.stack(means.to_list()), index=means.index, columns=list(class_names))


def ensembles(runs: pd.DataFrame, part: str = "test") -> dict:
    """Experiment → (labels, the mean of its seeds' calibrated probabilities) on the test part (predictions.csv)
    or the validation part (valid_predictions.csv): the deployable model."""
    out = {}
    for experiment, group in runs.groupby("experiment"):
        paths = [Path(folder) / PREDICTIONS[part] for folder in group["folder"]]
        if missing := [str(path) for path in paths if not path.is_file()]:
            raise InputError(f"{missing[0]}: no such file; re-run predict (snakemake --forcerun predict)")
        tables = [pd.read_csv(path) for path in paths]
        out[experiment] = (tables[0]["test"].to_numpy(),
                           ensemble_probabilities([probabilities_of(t, CALIBRATED) for t in tables]))
    return out


def leaderboard(runs: pd.DataFrame, ensembled: dict, valid_scores: pd.DataFrame, select_by: str,
                class_names, n_resamples=2000) -> pd.DataFrame:
    """One row per experiment: test scores (mean ± std over the seeds, and the seed ensemble's), calibration,
    cost, and the seed ensemble's validation scores (`valid_<score>`), ordered by the validation score
    `select_by`: the first row is the chosen experiment. No test score orders it."""
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
        for metric, score in PAIR_METRICS.items():  # 95 % intervals over the test images
            board.loc[experiment, [f"ensemble_{metric}_low", f"ensemble_{metric}_high"]] = score_interval(
                labels, probabilities.argmax(axis=1), score, n_resamples)
        board.loc[experiment, "ensemble_ece"] = calibration_metrics(probabilities, labels)["ece"]
    board["collapsed_seeds"] = grouped["collapsed"].apply(lambda reasons: int(reasons.notna().sum()))
    board["train_seconds_mean"] = grouped["train_seconds"].mean()
    for part in ("train", "valid", "test"):
        board[f"{part}_images"] = grouped[f"{part}_images"].first()
    for score in valid_scores:
        board[f"valid_{score}"] = valid_scores[score]
    board["selection_criterion"] = f"valid_{select_by}"
    return board.loc[rank(valid_scores, select_by)]


def leaderboard_html(board: pd.DataFrame, diffs: pd.DataFrame) -> str:
    criterion = board["selection_criterion"].iloc[0]
    shown = board[["model", "parameters", "seeds", "train_seconds_mean"]].copy()
    shown[f"ensemble {criterion}"] = board[criterion].map("{:.3f}".format)
    for metric in SCORES:
        shown[metric] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(board[f"{metric}_mean"], board[f"{metric}_std"])]
    for metric in ("accuracy", "balanced_accuracy"):
        shown[f"ensemble {metric}"] = board[f"ensemble_{metric}"].map("{:.3f}".format)
    shown["ECE raw → calibrated"] = [f"{r:.3f} → {c:.3f}" for r, c in zip(board["ece_raw_mean"],
                                                                          board["ece_calibrated_mean"])]
    if "mce_mean" in board:
        shown["mCE, relative mCE"] = [f"{m:.2f}, {r:.2f}"
                                      for m, r in zip(board["mce_mean"], board["relative_mce_mean"])]
    shown["collapsed seeds"] = board["collapsed_seeds"]
    html = (TABLE_STYLE + f"<h3>Leaderboard, ordered by the seed ensembles' {criterion.replace('_', ' ')} (validation "
            "part); every other score is the test part's</h3>\n" + shown.to_html(border=0, float_format="%.1f"))
    return html + (differences_html(diffs) if len(diffs) else "")


def write_comparison(records, reference, csv_out, differences_out, html_out, n_resamples=2000,
                     select_by="balanced_accuracy", robustness=False):
    """Write the leaderboard (CSV and HTML) and the differences table; return them and the per-class recalls.
    The chosen experiment is the best by `select_by` on validation; every other is tested against it and against
    `reference` (skipped if not run). With `robustness`, the leaderboard has each experiment's mean corruption
    errors on the corrupted test set (study.robustness), normalised by `reference`'s, and its accuracy on the
    corrupted validation set (`valid_corrupted_accuracy`, a criterion), from the CSVs beside every record."""
    runs = load_runs(records)
    ensembled = ensembles(runs)
    class_names = read_record(records[0])["class_names"]
    corrupted = valid_corrupted_accuracy(records) if robustness else None
    board = leaderboard(runs, ensembled, validation_scores(ensembles(runs, "valid"), corrupted), select_by,
                        class_names, n_resamples)
    if robustness:
        board = board.join(robustness_summary(load_robustness(records), reference))
    against = [name for name in (reference, board.index[0]) if name in ensembled]
    diffs = differences(ensembled, against, n_resamples)
    with atomic_output(csv_out) as tmp:
        board.to_csv(tmp, float_format="%.4f")
    with atomic_output(differences_out) as tmp:
        diffs.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_output(html_out) as tmp, open(tmp, "w") as f:
        f.write(leaderboard_html(board, diffs))
    return board, diffs, per_class_recalls(runs, class_names).loc[board.index]
