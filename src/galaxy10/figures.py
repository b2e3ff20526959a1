"""Figures and tables of one run, and of the comparison across experiments (matplotlib, Agg)."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from .classes import N_CLASSES  # noqa: E402
from .compare import METRICS, TABLE_STYLE  # noqa: E402
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
    probabilities = table[[f"prob_{k}" for k in range(N_CLASSES)]].to_numpy()
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
