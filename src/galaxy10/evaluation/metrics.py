"""A run's scores: test-set metrics, the validation scores experiments are chosen by, and the confusion matrix."""

import json

import numpy as np
import pandas as pd
from sklearn import metrics

from galaxy10.evaluation.calibration import calibration_metrics
from galaxy10.io import atomic_output
from galaxy10.training.record import read_record

SCORES = ("accuracy", "balanced_accuracy", "macro_f1")  # the headline scores of a run, and of an experiment
RAW, CALIBRATED = "prob_", "cal_"  # column prefixes of the probabilities in predictions.csv


def probability_columns(prefix: str, n_classes: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(n_classes)]


def probabilities_of(table: pd.DataFrame, prefix: str = RAW) -> np.ndarray:
    """The (N, classes) probabilities of a predictions table: raw (`prob_k`) or calibrated (`cal_k`), as many
    classes as the table has columns for."""
    n_classes = sum(1 for column in table.columns if column.startswith(prefix))
    return table[probability_columns(prefix, n_classes)].to_numpy()


def collapse(y_true, y_pred, balanced_accuracy: float) -> str | None:
    """Why a model counts as collapsed (its predictions fall on one or two classes, or its balanced accuracy is
    below 1.5 × chance), or None."""
    predicted, chance = len(np.unique(y_pred)), 1 / len(np.unique(y_true))
    if predicted <= 2:
        return f"predicts only {predicted} class{'es' if predicted > 1 else ''} for the whole test set"
    if balanced_accuracy < 1.5 * chance:
        return f"balanced accuracy {balanced_accuracy:.3f} is below 1.5 × chance ({1.5 * chance:.3f})"
    return None


def compute_metrics(y_true, y_pred, class_names) -> dict:
    """Accuracy, balanced accuracy, macro-F1, the collapse check and a per-class table, over the data set's classes
    (`class_names`). Macro-F1 averages over the classes that are in the test set or predicted (scikit-learn's
    labels=None); a class that is neither adds nothing."""
    labels = list(range(len(class_names)))
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    balanced = metrics.balanced_accuracy_score(y_true, y_pred)
    return {
        "n_test": int(len(y_true)),
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced,
        "macro_f1": metrics.f1_score(y_true, y_pred, average="macro", zero_division=0),
        "majority_class_accuracy": float(np.bincount(y_true, minlength=len(labels)).max() / len(y_true)),
        "class_names": list(class_names),
        "collapsed": collapse(y_true, y_pred, balanced),
        "per_class": [
            {
                "class": k,
                "name": class_names[k],
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k in labels
        ],
    }


def selection_scores(labels, probabilities) -> dict:
    """What experiments may be chosen by (config compare.select_by), for a run's or a seed ensemble's calibrated
    probabilities on the validation part: the headline scores (higher is better) and the NLL (lower is better)."""
    labels, predicted = np.asarray(labels), np.asarray(probabilities).argmax(axis=1)
    return {
        "n": int(len(labels)),
        "accuracy": metrics.accuracy_score(labels, predicted),
        "balanced_accuracy": metrics.balanced_accuracy_score(labels, predicted),
        "macro_f1": metrics.f1_score(labels, predicted, average="macro", zero_division=0),
        "nll": calibration_metrics(probabilities, labels)["nll"],
    }


def evaluate(predictions, record, metrics_out, confusion_out, valid_predictions=None) -> dict:
    """Metrics of a run's test predictions, with the class names of its data set (from the run's record), and
    the calibration of its probabilities before and after temperature scaling (NLL, Brier, ECE). With
    `valid_predictions`, also the validation part's selection_scores, under `validation`."""
    table = pd.read_csv(predictions)
    y_true, y_pred = table["test"].to_numpy(), table["predict"].to_numpy()
    class_names = read_record(record)["class_names"]
    result = compute_metrics(y_true, y_pred, class_names)
    if valid_predictions:
        valid = pd.read_csv(valid_predictions)
        result["validation"] = selection_scores(valid["test"], probabilities_of(valid, CALIBRATED))
    labels = list(range(len(class_names)))
    if f"{CALIBRATED}0" in table:
        result["calibration"] = {
            "raw": calibration_metrics(probabilities_of(table, RAW), y_true),
            "calibrated": calibration_metrics(probabilities_of(table, CALIBRATED), y_true),
        }
    confusion = pd.DataFrame(
        metrics.confusion_matrix(y_true, y_pred, labels=labels),
        index=pd.Index(labels, name="true"),
        columns=labels,
    )
    with atomic_output(metrics_out) as tmp:
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
    with atomic_output(confusion_out) as tmp:
        confusion.to_csv(tmp)
    return result
