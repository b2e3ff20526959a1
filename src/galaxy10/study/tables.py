"""The comparison's tables as Markdown, written from a results folder, so that the tables in the docs are
regenerated, never typed:

    python -m galaxy10.study.tables Results/quick/synthetic

prints where the numbers come from (data set, images, seeds, backends), the leaderboard, the differences and, with
the robustness benchmark, the accuracy under each corruption and each corruption's relative CE, and each sweep's
points."""

import argparse
import json
from pathlib import Path

import pandas as pd

from galaxy10.study.differences import level_text, read_differences, verdicts
from galaxy10.study.robustness import MIN_BASELINE_DROP, load_robustness, relative_corruption_errors
from galaxy10.training.record import read_record


def _cell(value) -> str:
    return f"{value:,.0f}" if isinstance(value, (int, float)) and float(value).is_integer() else str(value)


def markdown(table: pd.DataFrame) -> str:
    """A pipe table of `table`'s columns (its index is not shown)."""
    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def _mean_std(board: pd.DataFrame, metric: str) -> list[str]:
    return [f"{m:.3f} ± {s:.3f}" for m, s in zip(board[f"{metric}_mean"], board[f"{metric}_std"])]


def leaderboard_table(folder) -> str:
    """The leaderboard of `folder` (a `<results>/<dataset>` folder) in its own order, the validation criterion's:
    that score of the seed ensemble, then the test scores (mean ± std over the seeds' single models, the seed
    ensemble's), calibration and training time."""
    board = pd.read_csv(Path(folder) / "leaderboard.csv")
    criterion = board["selection_criterion"].iloc[0]
    shown = pd.DataFrame({"experiment": board["experiment"], "parameters": board["parameters"]})
    shown[f"ensemble {criterion.replace('_', ' ')}"] = board[criterion].map("{:.3f}".format)
    shown["accuracy"] = _mean_std(board, "accuracy")
    shown["balanced accuracy"] = _mean_std(board, "balanced_accuracy")
    shown["macro-F1"] = _mean_std(board, "macro_f1")
    shown["ensemble acc. / bal. acc."] = [
        f"{a:.3f} / {b:.3f}" for a, b in zip(board["ensemble_accuracy"], board["ensemble_balanced_accuracy"])
    ]
    shown["ECE raw → calibrated"] = [
        f"{r:.3f} → {c:.3f}" for r, c in zip(board["ece_raw_mean"], board["ece_calibrated_mean"])
    ]
    shown["collapsed seeds"] = board["collapsed_seeds"]
    shown["training s"] = board["train_seconds_mean"].round()
    return markdown(shown)


def differences_table(folder) -> str:
    """Each seed ensemble against the reference experiments: differences with their paired bootstrap intervals
    (at the family's Bonferroni level), McNemar's p raw and Holm-adjusted, and the verdict."""
    diffs = read_differences(Path(folder) / "differences.csv")
    if diffs.empty:
        return "(one experiment only: no differences)"
    shown = diffs[["experiment", "against"]].copy()
    level = level_text(diffs["interval_level"].iloc[0])
    for metric, title in (("accuracy", "Δ accuracy"), ("balanced_accuracy", "Δ balanced accuracy")):
        shown[f"{title} [{level} interval]"] = [
            f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
            for d, lo, hi in zip(diffs[f"{metric}_diff"], diffs[f"{metric}_low"], diffs[f"{metric}_high"])
        ]
    shown["McNemar p"] = diffs["mcnemar_p"].map("{:.2g}".format)
    shown["Holm-adjusted p"] = diffs["mcnemar_p_holm"].map("{:.2g}".format)
    shown["verdict"] = verdicts(diffs)
    return markdown(shown)


def robustness_table(folder) -> str:
    """Per experiment: clean accuracy on the corrupted set's galaxies, the accuracy under each corruption (mean
    over its five severities and the seeds), mCE and relative mCE (the leaderboard's); empty without the benchmark."""
    path = Path(folder) / "robustness.csv"
    if not path.is_file():
        return ""
    curves = pd.read_csv(path)
    clean = curves[curves["severity"] == 0].groupby("experiment")["accuracy_mean"].first()
    by_corruption = curves[curves["severity"] > 0].pivot_table(index="experiment", columns="corruption",
                                                              values="accuracy_mean", sort=False)
    board = pd.read_csv(Path(folder) / "leaderboard.csv", index_col="experiment")
    shown = pd.DataFrame({"experiment": board.index, "clean": clean.reindex(board.index).map("{:.3f}".format).values})
    for name in by_corruption.columns:
        shown[name] = by_corruption[name].reindex(board.index).map("{:.2f}".format).values
    shown["mCE"] = board["mce_mean"].map("{:.2f}".format).values
    shown["relative mCE"] = board["relative_mce_mean"].map("{:.2f}".format).values
    return markdown(shown)


def relative_errors_table(folder, reference: str) -> str:
    """Per experiment, the relative CE of each corruption against `reference` (the terms whose mean is the relative
    mCE, mean over the seeds), so that one sees which corruptions make it; empty without the benchmark or the
    reference's runs."""
    if not (Path(folder) / "robustness.csv").is_file():
        return ""
    long = load_robustness(_records(folder))
    if reference not in set(long["experiment"]):
        return ""
    relative = relative_corruption_errors(long, reference).dropna(axis=1, how="all")
    order = pd.read_csv(Path(folder) / "leaderboard.csv", index_col="experiment").index
    shown = relative.reindex(order).map("{:.2f}".format).reset_index()
    return (f"Relative CE per corruption against `{reference}` (corruptions that cost it less than {MIN_BASELINE_DROP} "
            f"in summed error have none and are left out):\n\n{markdown(shown)}")


def sweep_tables(folder) -> str:
    """Each swept experiment's points (`<name>/sweep.csv`), best on validation first: the swept settings and the
    points' validation scores, the winner marked; no test score, since the test part chose nothing."""
    parts = []
    for path in sorted(Path(folder).glob("*/sweep.csv")):
        table = pd.read_csv(path)
        shown = table.drop(columns="selection_criterion")
        for column in [name for name in shown if name.startswith("valid_")]:
            shown[column] = shown[column].map("{:.3f}".format)
        shown["chosen"] = shown["chosen"].map({True: "chosen", False: ""})
        criterion = table["selection_criterion"].iloc[0].replace("_", " ")
        parts.append(f"Sweep of `{path.parent.name}` ({len(table)} points, chosen by {criterion}):\n\n{markdown(shown)}")
    return "\n\n".join(parts)


def _records(folder) -> list[Path]:
    return sorted(Path(folder).glob("*/seed*/run.json"))


def provenance(folder) -> str:
    """One sentence on what the tables were made from, read from the runs' records and metrics."""
    records = [read_record(path) for path in _records(folder)]
    if not records:
        raise FileNotFoundError(f"{folder}: no runs (<experiment>/seed<seed>/run.json); run the workflow first")
    metrics = json.loads((Path(folder) / records[0]["experiment"] / f"seed{records[0]['seed']}" / "metrics.json")
                         .read_text())
    source = records[0].get("provenance", {}).get("source", {})
    images = f"{source['n_images']:,} images" if source.get("n_images") else "all its images"
    seeds = sorted({record["seed"] for record in records})
    backends = sorted({f"{record['experiment']}: {record['backend']}" for record in records})
    return (f"Data set `{records[0]['dataset']}` ({images}), {metrics['n_test']:,} test images, seeds {seeds}; "
            f"backends: {', '.join(backends)}.")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="a <results>/<dataset> folder with a leaderboard.csv")
    parser.add_argument("--reference", default="seed_dnn", help="the relative CEs' baseline: compare.reference")
    args = parser.parse_args(argv)
    print(provenance(args.folder), "", leaderboard_table(args.folder), "", differences_table(args.folder), "",
          robustness_table(args.folder), "", relative_errors_table(args.folder, args.reference), "",
          sweep_tables(args.folder), sep="\n")


if __name__ == "__main__":
    main()
