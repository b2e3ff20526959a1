"""Training one run (an experiment with one seed): model, optimizer, callbacks, saved model, history, record."""

import json
import platform
import time
from importlib.metadata import PackageNotFoundError, version

import keras
import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_class_weight

from .batches import ImageBatches
from .classes import N_CLASSES
from .download import sha256sum
from .io import atomic_output
from .models import build_model
from .split import load_split

PACKAGES = ("galaxy10", "keras", "tensorflow", "jax", "torch", "numpy", "h5py", "scikit-learn", "snakemake")


class LearningRateLog(keras.callbacks.Callback):
    """Adds the learning rate used in each epoch to the logs (and so to the history) as `lr`."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def balanced_class_weights(labels) -> np.ndarray:
    """Weight per class, inversely proportional to its frequency (scikit-learn's "balanced"); 0 if absent."""
    present = np.unique(labels)
    weights = np.zeros(N_CLASSES, np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    return weights


def _source_checksum(split) -> str:
    with np.load(split) as npz:
        return str(npz["source_sha256"])


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def train(
    split, model_out, history_out, record_out=None, *, model, seed, epochs, batch_size, learning_rate,
    reduce_lr=None, early_stopping=None, keep_best=False, augment=False, class_weight=None, provenance=None,
):
    """Fit `model` on the split's train part, validating on its valid part.

    Writes the model (the last epoch's, or with `keep_best` the one with the lowest validation loss), the
    history CSV (epoch, loss, accuracy, val_loss, val_accuracy, lr) and, if `record_out` is given, a JSON
    record of the settings, package versions, input checksum, parameter count and training time.
    """
    keras.utils.set_random_seed(seed)
    x_train, y_train, _, scale = load_split(split, "train")
    x_valid, y_valid, _, _ = load_split(split, "valid")
    weights = balanced_class_weights(y_train) if class_weight == "balanced" else None
    net = build_model(model, x_train.shape[1:], scale, augment)
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    with atomic_output(model_out) as tmp_model:
        callbacks = [LearningRateLog()]  # first, so it logs the rate the epoch ran with, before any reduction
        if reduce_lr:
            callbacks.append(keras.callbacks.ReduceLROnPlateau(**reduce_lr))
        if early_stopping:
            callbacks.append(keras.callbacks.EarlyStopping(**early_stopping))
        if keep_best:
            callbacks.append(keras.callbacks.ModelCheckpoint(tmp_model, monitor="val_loss", save_best_only=True))
        fitted = net.fit(
            ImageBatches(x_train, y_train, batch_size, shuffle=True, seed=seed, class_weights=weights),
            epochs=epochs,
            validation_data=ImageBatches(x_valid, y_valid, batch_size),
            callbacks=callbacks,
            verbose=2,
        )
        if not keep_best:
            net.save(tmp_model)
    seconds = time.perf_counter() - started

    history = pd.DataFrame(fitted.history)[["loss", "accuracy", "val_loss", "val_accuracy", "lr"]]
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    with atomic_output(history_out) as tmp:
        history.to_csv(tmp)
    if record_out:
        record = {
            "model": model,
            "seed": seed,
            "settings": {
                "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate, "reduce_lr": reduce_lr,
                "early_stopping": early_stopping, "keep_best": keep_best, "augment": augment,
                "class_weight": class_weight,
            },
            "backend": keras.backend.backend(),
            "parameters": net.count_params(),
            "train_seconds": round(seconds, 2),
            "epochs_run": len(history),
            "saved_epoch": int(history["val_loss"].idxmin()) if keep_best else len(history),
            "split_sha256": sha256sum(split),
            "source_sha256": _source_checksum(split),
            "provenance": provenance or {},
            "versions": package_versions(),
        }
        with atomic_output(record_out) as tmp, open(tmp, "w") as f:
            json.dump(record, f, indent=2)
    return history
