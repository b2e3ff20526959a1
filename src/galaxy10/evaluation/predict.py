"""Predictions of a saved model on the test part, raw and calibrated, with the source row of every image."""

import json

import pandas as pd

from galaxy10.training.batches import inference_batch
from galaxy10.evaluation.calibration import apply_temperature, calibration_metrics, fit_temperature
from galaxy10.evaluation.metrics import CALIBRATED, RAW, probability_columns
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.io import atomic_output
from galaxy10.training.models import load_model
from galaxy10.training.record import read_record
from galaxy10.data.split import load_split

def prediction_table(probabilities, temperature: float, labels, rows) -> pd.DataFrame:
    """Columns predict, test (the true class: the notebook's name for it), source_index, prob_k for every class k
    (the model's softmax) and cal_k (after temperature scaling)."""
    table = pd.DataFrame({"predict": probabilities.argmax(axis=1), "test": labels, "source_index": rows})
    for prefix, values in ((RAW, probabilities), (CALIBRATED, apply_temperature(probabilities, temperature))):
        for k, column in enumerate(probability_columns(prefix, values.shape[1])):
            table[column] = values[:, k]
    return table


def predict(model_path, record, split, out, calibration_out, tta=False, valid_out=None) -> pd.DataFrame:
    """Write the test part's predictions (prediction_table) to `out` and, with `valid_out`, the validation
    part's in the same form: what experiments are chosen by, never the test part's. The temperature is fitted on
    the validation part and written, with the validation scores before and after it, to `calibration_out`.

    The run's record gives the training batch, which bounds the inference batch from below; `tta` averages the
    probabilities over the eight D4 views of each image (for the validation part too)."""
    net = load_model(model_path)
    batch_size = read_record(record)["settings"]["batch_size"]
    x_valid, y_valid, valid_rows, _ = load_split(split, "valid")
    batch = inference_batch(batch_size, x_valid.shape[1:])
    valid = predict_probabilities(net, x_valid, batch, tta)
    temperature = fit_temperature(valid, y_valid)
    x_test, y_test, rows, _ = load_split(split, "test")
    table = prediction_table(predict_probabilities(net, x_test, batch, tta), temperature, y_test, rows)
    with atomic_output(out) as tmp:
        table.to_csv(tmp, index=False)
    if valid_out:
        with atomic_output(valid_out) as tmp:
            prediction_table(valid, temperature, y_valid, valid_rows).to_csv(tmp, index=False)
    calibration = {
        "temperature": temperature,
        "tta": tta,
        "valid_before": calibration_metrics(valid, y_valid),
        "valid_after": calibration_metrics(apply_temperature(valid, temperature), y_valid),
    }
    with atomic_output(calibration_out) as tmp, open(tmp, "w") as f:
        json.dump(calibration, f, indent=2)
    return table
