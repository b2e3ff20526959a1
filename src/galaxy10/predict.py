"""Predictions of a saved model on the test part, with the source row of every image."""

import keras
import pandas as pd

from .batches import inference_batch
from .classes import N_CLASSES
from .inference import predict_probabilities
from .io import atomic_output
from .models import ARCHITECTURES  # noqa: F401  (registers the custom layers that saved models use)
from .split import load_split
from .settings import read_record


def predict(model_path, record, split, out, tta=False) -> pd.DataFrame:
    """Write columns predict, test (the seed's), source_index, and prob_0..prob_9 for the split's test part.
    The run's record gives the training batch, which bounds the inference batch from below; `tta` averages
    the probabilities over the eight D4 views of each image."""
    net = keras.saving.load_model(model_path)
    batch_size = read_record(record)["settings"]["batch_size"]
    x_test, y_test, rows, _ = load_split(split, "test")
    probabilities = predict_probabilities(net, x_test, inference_batch(batch_size, x_test.shape[1:]), tta)
    table = pd.DataFrame({"predict": probabilities.argmax(axis=1), "test": y_test, "source_index": rows})
    for k in range(N_CLASSES):
        table[f"prob_{k}"] = probabilities[:, k]
    with atomic_output(out) as tmp:
        table.to_csv(tmp, index=False)
    return table
