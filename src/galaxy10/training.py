"""Training one experiment: the model, the seed's optimizer and callbacks, a saved model and its history."""

import keras
import pandas as pd

from .batches import ImageBatches
from .io import atomic_output
from .models import build_model
from .split import load_split


class LearningRateLog(keras.callbacks.Callback):
    """Adds the learning rate used in each epoch to the logs (and so to the history) as `lr`."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def train(split, model_out, history_out, *, model, epochs, batch_size, learning_rate, seed, reduce_lr=None):
    """Fit `model` on the split's train part, validating on its valid part; write the model and history CSV."""
    keras.utils.set_random_seed(seed)
    x_train, y_train, _, scale = load_split(split, "train")
    x_valid, y_valid, _, _ = load_split(split, "valid")
    net = build_model(model, x_train.shape[1:], scale)
    net.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [LearningRateLog()]  # first, so it logs the rate the epoch ran with, before any reduction
    if reduce_lr:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**reduce_lr))
    fitted = net.fit(
        ImageBatches(x_train, y_train, batch_size, shuffle=True, seed=seed),
        epochs=epochs,
        validation_data=ImageBatches(x_valid, y_valid, batch_size),
        callbacks=callbacks,
        verbose=2,
    )
    history = pd.DataFrame(fitted.history)[["loss", "accuracy", "val_loss", "val_accuracy", "lr"]]
    history.index = pd.RangeIndex(1, len(history) + 1, name="epoch")
    with atomic_output(model_out) as tmp:
        net.save(tmp)
    with atomic_output(history_out) as tmp:
        history.to_csv(tmp)
    return history
