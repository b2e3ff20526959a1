"""Predictions of a saved model on the test part, with the source row of every image."""

import keras
import pandas as pd

from .batches import inference_batch
from .classes import N_CLASSES
from .inference import predict_probabilities
from .io import atomic_output
from .models import ARCHITECTURES  # noqa: F401  (registers the custom layers that saved models use)
from .split import load_split


def predict(model_path, split, out, batch_size=32, tta=False) -> pd.DataFrame:
    """Write columns predict, test (the seed's), source_index, and prob_0..prob_9; `batch_size` is the
    training batch, which bounds the inference batch from below. `tta` averages over the eight D4 views."""
    net = keras.saving.load_model(model_path)
    x_test, y_test, rows, _ = load_split(split, "test")
    probabilities = predict_probabilities(net, x_test, inference_batch(batch_size, x_test.shape[1:]), tta)
    table = pd.DataFrame({"predict": probabilities.argmax(axis=1), "test": y_test, "source_index": rows})
    for k in range(N_CLASSES):
        table[f"prob_{k}"] = probabilities[:, k]
    with atomic_output(out) as tmp:
        table.to_csv(tmp, index=False)
    return table
