"""Figures and tables of one run, and of the comparison across experiments (matplotlib, Agg)."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from .calibration import apply_temperature, expected_calibration_error, reliability_table  # noqa: E402
from .classes import N_CLASSES  # noqa: E402
from .compare import METRICS, TABLE_STYLE  # noqa: E402
from .evaluate import probabilities_of  # noqa: E402
from .io import atomic_output  # noqa: E402
from .split import load_split  # noqa: E402


def _class_names(metrics_json) -> list[str]:
    return json.loads(Path(metrics_json).read_text())["class_names"]


def _save(fig, out):
    with atomic_output(out) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def learning_curves(history_csv, out):
    """Loss and accuracy, train against validation, and the learning rate, per epoch."""
    history = pd.read_csv(history_csv, index_col="epoch")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, metric in zip(axes, ("loss", "accuracy")):
        ax.plot(history.index, history[metric], "o-", label="train")
        ax.plot(history.index, history[f"val_{metric}"], "s-", label="validation")
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        ax.legend()
    axes[2].semilogy(history.index, history["lr"], "o-", color="black")
    axes[2].set(xlabel="epoch", ylabel="learning rate", title="learning rate")
    _save(fig, out)


def confusion_figure(predictions_csv, metrics_json, out):
    """Confusion matrix normalised by true class: each row shows where that class's test images went."""
    table = pd.read_csv(predictions_csv)
    fig, ax = plt.subplots(figsize=(9, 8))
    names = [f"{k} {name}" for k, name in enumerate(_class_names(metrics_json))]
    ConfusionMatrixDisplay.from_predictions(
        table["test"], table["predict"], labels=range(N_CLASSES), display_labels=names,
        normalize="true", values_format=".2f", cmap="Blues", colorbar=False, ax=ax, xticks_rotation=90,
    )
    ax.set(xlabel="predicted class", ylabel="true class", title="test set, normalised by true class")
    _save(fig, out)


def misclassified_gallery(predictions_csv, split, metrics_json, out, n=24, columns=6):
    """The most confidently misclassified test images, read from the split (predictions are in test order),
    titled with their true and predicted class names."""
    names = _class_names(metrics_json)
    table = pd.read_csv(predictions_csv)
    probabilities = probabilities_of(table)
    table["confidence"] = probabilities[np.arange(len(table)), table["predict"]]
    wrong = table[table["predict"] != table["test"]].sort_values("confidence", ascending=False).head(n)
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 2.5 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    if len(wrong):
        images = load_split(split, "test")[0][wrong.index.to_numpy()]
        for ax, image, row in zip(axes.flat, images, wrong.itertuples()):
            ax.imshow(image)
            title = f"#{row.source_index}: {names[row.test]}\n→ {names[row.predict]} ({row.confidence:.0%})"
            ax.set_title(title, fontsize=7)
    else:
        axes.flat[0].text(0.5, 0.5, "no misclassified test images", ha="center")
    _save(fig, out)


def per_class_table(metrics_json, out):
    """Precision, recall, F1 and support of every class, as an HTML table."""
    metrics = json.loads(Path(metrics_json).read_text())
    table = pd.DataFrame(metrics["per_class"]).set_index("class")
    with atomic_output(out) as tmp, open(tmp, "w") as f:
        f.write(TABLE_STYLE + table.to_html(float_format="%.3f", border=0))


def leaderboard_plot(leaderboard_csv, out):
    """Mean ± std over seeds of accuracy, balanced accuracy and macro-F1 for every experiment."""
    board = pd.read_csv(leaderboard_csv, index_col="experiment")
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(board)), 4))
    width = 0.8 / len(METRICS)
    for k, metric in enumerate(METRICS):
        x = np.arange(len(board)) + (k - 1) * width
        ax.bar(x, board[f"{metric}_mean"], width, yerr=board[f"{metric}_std"], capsize=3, label=metric)
    ax.set_xticks(np.arange(len(board)), [f"{name}\n{p:,} params" for name, p in zip(board.index, board["parameters"])])
    ax.set(ylabel="test score (mean ± std over seeds)", ylim=(0, 1))
    ax.legend(loc="upper left", ncols=3, fontsize=8)
    _save(fig, out)


def reliability_diagram(probabilities, labels, out, temperature=None):
    """Accuracy against confidence per confidence bin: on the diagonal the probabilities mean what they say,
    below it the model is over-confident. With `temperature`, also after temperature scaling."""
    curves = {"as predicted": probabilities}
    if temperature is not None:
        curves[f"temperature {temperature:.2f}"] = apply_temperature(probabilities, temperature)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], ":", color="gray", label="perfect calibration")
    for (name, p), marker in zip(curves.items(), "os"):
        table = reliability_table(p, labels)
        filled = table[table["count"] > 0]
        ece = expected_calibration_error(table)
        ax.plot(filled["confidence"], filled["accuracy"], marker + "-", label=f"{name} (ECE {ece:.3f})")
    ax.set(xlabel="confidence (top-1 probability)", ylabel="accuracy", xlim=(0, 1), ylim=(0, 1), aspect="equal")
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, out)


def run_reliability(predictions_csv, calibration_json, out):
    """A run's reliability diagram on its test predictions, raw and with the temperature fitted on validation."""
    table = pd.read_csv(predictions_csv)
    temperature = json.loads(Path(calibration_json).read_text())["temperature"]
    reliability_diagram(probabilities_of(table), table["test"].to_numpy(), out, temperature)


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
    _save(fig, out)


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
        ax.set(xlabel=f"difference to {reference} (95% paired bootstrap interval)")
        ax.legend(loc="best", fontsize=8)
    _save(fig, out)
