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
