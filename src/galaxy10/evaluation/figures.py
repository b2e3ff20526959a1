"""Figures and tables of one run (matplotlib, Agg), and the helpers the comparison's figures share."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from galaxy10.evaluation.calibration import apply_temperature, expected_calibration_error, reliability_table  # noqa: E402
from galaxy10.evaluation.metrics import probabilities_of  # noqa: E402
from galaxy10.io import atomic_output  # noqa: E402
from galaxy10.data.split import load_split  # noqa: E402


TABLE_STYLE = (
    "<style>table{border-collapse:collapse;font-family:sans-serif;font-size:14px}"
    "th,td{padding:4px 12px;text-align:right;border-bottom:1px solid #ddd}</style>\n"
)


def _class_names(metrics_json) -> list[str]:
    return json.loads(Path(metrics_json).read_text())["class_names"]


def save(fig, out):
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
    save(fig, out)


def confusion_figure(predictions_csv, metrics_json, out):
    """Confusion matrix normalised by true class: each row shows where that class's test images went."""
    table = pd.read_csv(predictions_csv)
    fig, ax = plt.subplots(figsize=(9, 8))
    names = [f"{k} {name}" for k, name in enumerate(_class_names(metrics_json))]
    ConfusionMatrixDisplay.from_predictions(
        table["test"], table["predict"], labels=range(len(names)), display_labels=names,
        normalize="true", values_format=".2f", cmap="Blues", colorbar=False, ax=ax, xticks_rotation=90,
    )
    ax.set(xlabel="predicted class", ylabel="true class", title="test set, normalised by true class")
    save(fig, out)


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
    save(fig, out)


def per_class_table(metrics_json, out):
    """Precision, recall, F1 and support of every class, as an HTML table."""
    metrics = json.loads(Path(metrics_json).read_text())
    table = pd.DataFrame(metrics["per_class"]).set_index("class")
    with atomic_output(out) as tmp, open(tmp, "w") as f:
        f.write(TABLE_STYLE + table.to_html(float_format="%.3f", border=0))


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
    save(fig, out)


def run_reliability(predictions_csv, calibration_json, out):
    """A run's reliability diagram on its test predictions, raw and with the temperature fitted on validation."""
    table = pd.read_csv(predictions_csv)
    temperature = json.loads(Path(calibration_json).read_text())["temperature"]
    reliability_diagram(probabilities_of(table), table["test"].to_numpy(), out, temperature)
