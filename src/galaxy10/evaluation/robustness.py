"""A run's accuracy on the corrupted sets (data.corrupted_set), corrupted_accuracy.csv (test part) and
valid_corrupted_accuracy.csv (validation part): one row per corruption and severity, the clean images as severity 0,
all on the same galaxies, so that every drop is the corruption's alone."""

import numpy as np
import pandas as pd

from galaxy10.data.corrupted_set import read_variants
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.io import atomic_output
from galaxy10.training.batches import inference_batch
from galaxy10.training.models import load_model
from galaxy10.training.record import read_record


def corrupted_accuracy(model_path, record, sets: dict, tta: bool = False) -> dict:
    """Write, for each corrupted set in `sets` (output CSV → corrupted set), and return (output CSV → table) columns
    corruption, severity, images, correct, accuracy for the model at `model_path` (predicted as predict does: the
    same batch, with `tta` the mean over the eight D4 views). The model is loaded once for all the sets."""
    net = load_model(model_path, compile=False)
    batch_size = read_record(record)["settings"]["batch_size"]
    tables = {}
    for out, corrupted in sets.items():
        labels, stack = read_variants(corrupted)
        batch = inference_batch(batch_size, stack[0][2].shape[1:])
        rows = []
        for name, severity, images in stack:
            correct = int(np.sum(predict_probabilities(net, images, batch, tta).argmax(axis=1) == labels))
            rows.append({"corruption": name, "severity": severity, "images": len(labels), "correct": correct,
                         "accuracy": correct / len(labels)})
        tables[out] = pd.DataFrame(rows)
    for out, table in tables.items():  # written after every set is scored, so that a failure leaves none
        with atomic_output(out) as tmp:
            table.to_csv(tmp, index=False, float_format="%.6g")
    return tables
