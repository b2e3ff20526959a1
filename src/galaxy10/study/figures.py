"""The comparison's figures: scores per experiment, recall per class, and the differences between experiments."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from galaxy10.evaluation.figures import save  # noqa: E402
from galaxy10.evaluation.metrics import SCORES  # noqa: E402
from galaxy10.study.differences import level_text  # noqa: E402


def leaderboard_plot(leaderboard_csv, out):
    """Mean ± std over seeds of accuracy, balanced accuracy and macro-F1 for every experiment."""
    board = pd.read_csv(leaderboard_csv, index_col="experiment")
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(board)), 4))
    width = 0.8 / len(SCORES)
    for k, metric in enumerate(SCORES):
        x = np.arange(len(board)) + (k - 1) * width
        ax.bar(x, board[f"{metric}_mean"], width, yerr=board[f"{metric}_std"], capsize=3, label=metric)
    ax.set_xticks(np.arange(len(board)), [f"{name}\n{p:,} params" for name, p in zip(board.index, board["parameters"])])
    ax.set(ylabel="test score (mean ± std over seeds)", ylim=(0, 1))
    ax.legend(loc="upper left", ncols=3, fontsize=8)
    save(fig, out)


def per_class_recall_plot(recalls: pd.DataFrame, class_names, out):
    """Recall of every class (columns) for every experiment (rows), as an annotated heatmap: where the
    experiments differ is usually a few hard classes, which one overall number hides."""
    values = recalls.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 * values.shape[1] + 3, 0.5 * values.shape[0] + 2.5))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for (row, column), value in np.ndenumerate(values):
        color = "white" if value < 0.6 else "black"
        ax.text(column, row, f"{value:.2f}", ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(values.shape[1]), list(class_names), rotation=90)
    ax.set_yticks(range(values.shape[0]), [str(name) for name in recalls.index])
    ax.set(xlabel="true class", title="test recall per class")
    fig.colorbar(image, ax=ax, label="recall")
    save(fig, out)


def differences_plot(differences: pd.DataFrame, out):
    """One panel per reference experiment (column `against`): every other experiment's difference to it in
    accuracy and balanced accuracy, with its paired bootstrap interval (columns as from
    significance.compare_pair); an interval crossing zero is no evidence."""
    references = list(dict.fromkeys(differences["against"])) if len(differences) else []
    rows = max(1, differences["experiment"].nunique()) if len(differences) else 1
    fig, axes = plt.subplots(1, max(1, len(references)), figsize=(6.5 * max(1, len(references)), 1.2 + 0.6 * rows),
                             squeeze=False, layout="constrained")
    if not references:
        axes[0, 0].text(0.5, 0.5, "one experiment only: nothing to compare", ha="center")
        axes[0, 0].axis("off")
    for ax, reference in zip(axes.flat, references):
        table = differences[differences["against"] == reference]
        y = np.arange(len(table))
        for k, metric in enumerate(("accuracy", "balanced_accuracy")):
            diff, low, high = (table[f"{metric}_{end}"].to_numpy(dtype=float) for end in ("diff", "low", "high"))
            error = np.clip([diff - low, high - diff], 0, None)  # a percentile interval need not hold the estimate
            ax.errorbar(diff, y + (k - 0.5) * 0.3, xerr=error, fmt="os"[k], capsize=3, label=metric.replace("_", " "))
        ax.axvline(0, color="gray", linestyle=":")
        ax.set_yticks(y, list(table["experiment"]))
        ax.invert_yaxis()
        level = table["interval_level"].iloc[0] if "interval_level" in table else 0.95
        ax.set(xlabel=f"difference to {reference} ({level_text(level)} paired bootstrap interval)")
        ax.legend(loc="best", fontsize=8)
    save(fig, out)


def learning_curve_plot(table: pd.DataFrame, out):
    """Test accuracy and balanced accuracy against the number of training images (log axis): a line per
    experiment through the seeds' mean, the band from the lowest to the highest seed."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    for ax, score in zip(axes, ("accuracy", "balanced_accuracy")):
        for experiment, runs in table.groupby("experiment", sort=False):
            by_size = runs.groupby("train_images")[score]
            sizes = by_size.mean().index
            (line,) = ax.plot(sizes, by_size.mean(), "o-", label=experiment)
            ax.fill_between(sizes, by_size.min(), by_size.max(), color=line.get_color(), alpha=0.2)
        ax.set_xscale("log")
        ax.set(xlabel="training images", ylabel=f"test {score.replace('_', ' ')}", ylim=(0, 1))
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize=8)
    save(fig, out)


def cost_plot(board: pd.DataFrame, facts: pd.DataFrame, out):
    """Test accuracy (mean ± std over seeds) against training seconds per seed (log axis), the Pareto front as a
    line through the experiments no other beats on both, the chosen experiment (the board's first) ringed."""
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    for name, row in board.iterrows():
        ax.errorbar(row["train_seconds_mean"], row["accuracy_mean"], yerr=row["accuracy_std"], fmt="o", capsize=3)
        ax.annotate(f"{name} ({facts.loc[name, 'family']})", (row["train_seconds_mean"], row["accuracy_mean"]),
                    textcoords="offset points", xytext=(6, 4), fontsize=8)
    front = board.loc[facts.index[facts["pareto"]]].sort_values("train_seconds_mean")
    ax.plot(front["train_seconds_mean"], front["accuracy_mean"], "--", color="gray", label="Pareto front")
    chosen = board.iloc[0]
    ax.plot(chosen["train_seconds_mean"], chosen["accuracy_mean"], "o", markersize=14, fillstyle="none",
            color="black", label=f"chosen on validation: {board.index[0]}")
    ax.set_xscale("log")
    ax.set(xlabel="training seconds per seed", ylabel="test accuracy (mean ± std over seeds)")
    ax.legend(loc="lower right", fontsize=8)
    save(fig, out)


def robustness_plot(curves: pd.DataFrame, out):
    """A panel per corruption: test accuracy against severity (0: the same galaxies clean), a line per experiment
    through the seeds' mean, error bars their std."""
    names = list(dict.fromkeys(curves["corruption"]))
    columns = min(5, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.8 * rows + 0.6), sharey=True, squeeze=False,
                             layout="constrained")
    for ax, name in zip(axes.flat, names):
        for experiment, curve in curves[curves["corruption"] == name].groupby("experiment", sort=False):
            ax.errorbar(curve["severity"], curve["accuracy_mean"], yerr=curve["accuracy_std"], fmt="o-",
                        markersize=3, capsize=2, label=experiment)
        ax.set(title=name, xlabel="severity", ylim=(0, 1), xticks=range(6))
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy")
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(loc="lower left", fontsize=7)
    save(fig, out)


def sweep_plot(table: pd.DataFrame, swept, out):
    """A panel per swept setting: each point's validation score (the criterion's) against the setting's value, a
    log axis for positive numbers spanning more than tenfold, the chosen point ringed."""
    criterion = table["selection_criterion"].iloc[0]
    fig, axes = plt.subplots(1, len(swept), figsize=(4.2 * len(swept), 3.6), squeeze=False, layout="constrained")
    for ax, key in zip(axes.flat, swept):
        values = table[key]
        numeric = pd.api.types.is_numeric_dtype(values)
        x = values if numeric else values.astype(str)
        ax.plot(x, table[criterion], "o", alpha=0.8)
        ax.plot(x[table["chosen"]], table.loc[table["chosen"], criterion], "o", markersize=14, fillstyle="none",
                color="black", label="chosen")
        if numeric and (values > 0).all() and values.max() > 10 * values.min():
            ax.set_xscale("log")
        ax.set(xlabel=key, ylabel=criterion.replace("_", " "))
        ax.grid(alpha=0.3)
    axes.flat[0].legend(loc="best", fontsize=8)
    save(fig, out)
