"""Predictions of a saved model on the test part, raw and calibrated, with the source row of every image."""

import json

import keras
import pandas as pd

from galaxy10.training.batches import inference_batch
from galaxy10.evaluation.calibration import apply_temperature, calibration_metrics, fit_temperature
from galaxy10.evaluation.metrics import CALIBRATED, RAW, probability_columns
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.io import atomic_output
from galaxy10.training.models import ARCHITECTURES  # noqa: F401  (registers the custom layers that saved models use)
from galaxy10.training.record import read_record
from galaxy10.data.split import load_split

def predict(model_path, record, split, out, calibration_out, tta=False) -> pd.DataFrame:
    """Write the test part's predictions: columns predict, test (the seed's), source_index, prob_0..prob_9 (the
    model's softmax) and cal_0..cal_9 (after temperature scaling). The temperature is fitted on the validation
    part and written, with the validation scores before and after it, to `calibration_out`.

    The run's record gives the training batch, which bounds the inference batch from below; `tta` averages the
    probabilities over the eight D4 views of each image (for the validation part too)."""
    net = keras.saving.load_model(model_path)
    batch_size = read_record(record)["settings"]["batch_size"]
    x_valid, y_valid, _, _ = load_split(split, "valid")
    batch = inference_batch(batch_size, x_valid.shape[1:])
    valid = predict_probabilities(net, x_valid, batch, tta)
    temperature = fit_temperature(valid, y_valid)
    x_test, y_test, rows, _ = load_split(split, "test")
    probabilities = predict_probabilities(net, x_test, batch, tta)
    calibrated = apply_temperature(probabilities, temperature)

    table = pd.DataFrame({"predict": probabilities.argmax(axis=1), "test": y_test, "source_index": rows})
    for prefix, values in ((RAW, probabilities), (CALIBRATED, calibrated)):
        for k, column in enumerate(probability_columns(prefix, values.shape[1])):
            table[column] = values[:, k]
    with atomic_output(out) as tmp:
        table.to_csv(tmp, index=False)
    calibration = {
        "temperature": temperature,
        "tta": tta,
        "valid_before": calibration_metrics(valid, y_valid),
        "valid_after": calibration_metrics(apply_temperature(valid, temperature), y_valid),
    }
    with atomic_output(calibration_out) as tmp, open(tmp, "w") as f:
        json.dump(calibration, f, indent=2)
    return table
