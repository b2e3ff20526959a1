"""Test-set metrics and the confusion matrix, from the predictions CSV."""

import json

import numpy as np
import pandas as pd
from sklearn import metrics

from .classes import N_CLASSES
from .io import atomic_output
from .settings import read_record

LABELS = list(range(N_CLASSES))


def compute_metrics(y_true, y_pred, class_names) -> dict:
    """Accuracy, balanced accuracy, macro-F1 (over the classes present) and a per-class table."""
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=LABELS, zero_division=0
    )
    return {
        "n_test": int(len(y_true)),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "macro_f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "majority_class_accuracy": float(np.bincount(y_true, minlength=N_CLASSES).max() / len(y_true)),
        "class_names": list(class_names),
        "per_class": [
            {
                "class": k,
                "name": class_names[k],
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k in LABELS
        ],
    }


def evaluate(predictions, record, metrics_out, confusion_out) -> dict:
    """Metrics of a run's test predictions, with the class names of its data set (from the run's record)."""
    table = pd.read_csv(predictions)
    y_true, y_pred = table["test"].to_numpy(), table["predict"].to_numpy()
    result = compute_metrics(y_true, y_pred, read_record(record)["class_names"])
    confusion = pd.DataFrame(
        metrics.confusion_matrix(y_true, y_pred, labels=LABELS),
        index=pd.Index(LABELS, name="true"),
        columns=LABELS,
    )
    with atomic_output(metrics_out) as tmp:
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
    with atomic_output(confusion_out) as tmp:
        confusion.to_csv(tmp)
    return result
