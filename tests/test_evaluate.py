import json

import numpy as np
import pandas as pd
import pytest

from galaxy10.data.facts import SDSS_CLASS_NAMES, DECALS_CLASS_NAMES
from galaxy10.evaluation.metrics import compute_metrics, evaluate

Y_TRUE = np.array([0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0])


def test_metrics_match_values_worked_by_hand():
    m = compute_metrics(Y_TRUE, Y_PRED, SDSS_CLASS_NAMES)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["balanced_accuracy"] == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)  # mean recall
    f1 = [2 * (1 / 2 * 1 / 2) / 1, 2 * (2 / 3 * 1) / (2 / 3 + 1), 2 * (1 * 1 / 2) / (1 + 1 / 2)]
    assert m["macro_f1"] == pytest.approx(np.mean(f1))
    assert m["majority_class_accuracy"] == pytest.approx(2 / 6)
    by_class = {row["class"]: row for row in m["per_class"]}
    assert by_class[1]["precision"] == pytest.approx(2 / 3) and by_class[1]["recall"] == 1
    assert by_class[2]["f1"] == pytest.approx(f1[2]) and by_class[2]["support"] == 2
    assert by_class[5] == {
        "class": 5, "name": "Disk, Edge-on, Boxy Bulge", "precision": 0, "recall": 0, "f1": 0, "support": 0
    }


def test_evaluate_writes_metrics_and_confusion_matrix_with_the_runs_class_names(tmp_path):
    predictions = tmp_path / "predictions.csv"
    pd.DataFrame({"predict": Y_PRED, "test": Y_TRUE}).to_csv(predictions, index=False)
    record = tmp_path / "run.json"
    record.write_text(json.dumps({"class_names": DECALS_CLASS_NAMES}))
    evaluate(predictions, record, tmp_path / "metrics.json", tmp_path / "confusion.csv")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["class_names"] == list(DECALS_CLASS_NAMES) and metrics["per_class"][0]["name"] == "Disturbed"
    confusion = pd.read_csv(tmp_path / "confusion.csv", index_col="true")
    assert confusion.shape == (10, 10)
    assert confusion.loc[0, "1"] == 1 and confusion.loc[2, "0"] == 1 and confusion.loc[1, "1"] == 2
    assert confusion.to_numpy().sum() == 6


def test_the_validation_scores_are_the_calibrated_validation_predictions(tmp_path):
    labels = np.array([0, 1, 2, 2, 1, 0, 0, 0])
    probabilities = np.full((8, 10), 0.02)
    probabilities[np.arange(8), [0, 1, 2, 1, 1, 0, 3, 0]] = 0.82  # two wrong: rows 3 and 6
    valid = pd.DataFrame({"predict": probabilities.argmax(axis=1), "test": labels})
    for k in range(10):
        valid[f"prob_{k}"], valid[f"cal_{k}"] = 0.1, probabilities[:, k]  # raw ones must not be read
    valid.to_csv(tmp_path / "valid.csv", index=False)
    pd.DataFrame({"predict": Y_PRED, "test": Y_TRUE}).to_csv(tmp_path / "predictions.csv", index=False)
    (tmp_path / "run.json").write_text(json.dumps({"class_names": SDSS_CLASS_NAMES}))
    evaluate(tmp_path / "predictions.csv", tmp_path / "run.json", tmp_path / "m.json", tmp_path / "c.csv",
             tmp_path / "valid.csv")
    scores = json.loads((tmp_path / "m.json").read_text())["validation"]
    assert scores["n"] == 8 and scores["accuracy"] == pytest.approx(6 / 8)
    assert scores["balanced_accuracy"] == pytest.approx((3 / 4 + 2 / 2 + 1 / 2) / 3)  # recall of classes 0, 1, 2
    assert scores["nll"] == pytest.approx(-np.mean(np.log([0.82, 0.82, 0.82, 0.02, 0.82, 0.82, 0.02, 0.82])))
