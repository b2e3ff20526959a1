"""How a run learns: loss, optimizer and schedule, class weights, precision, and the learning rate in the history."""

import contextlib

import keras
import numpy as np

from galaxy10.training.settings import TrainingSettings


class LearningRateLog(keras.callbacks.Callback):
    """Adds the learning rate to the logs (and so to the history) as `lr`: the rate the epoch ran with, or on a
    schedule the rate it reached at the epoch's end (optimizer.learning_rate evaluates it at the current step)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def class_weights(labels, kind: str | None, n_classes: int) -> np.ndarray | None:
    """Weight per class (0 if absent), normalised so that the training images' weights average 1: `balanced`
    inversely proportional to the class's frequency (scikit-learn's "balanced"), `sqrt` to its square root, a
    milder remedy: in SDSS's proportions the rarest class weighs 13 rather than 128, the commonest 0.66 rather
    than 0.31."""
    if kind is None:
        return None
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    weights = np.zeros(n_classes)
    present = counts > 0
    weights[present] = counts[present] ** (-1.0 if kind == "balanced" else -0.5)
    return (weights * counts.sum() / (weights * counts).sum()).astype(np.float32)


def mode(metric: str) -> str:
    """Whether a lower (a loss) or a higher (an accuracy) value of `metric` is better, as Keras' callbacks say it."""
    return "min" if metric.endswith("loss") else "max"


def make_optimizer(s: TrainingSettings, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """Adam or AdamW, at a constant rate or on Keras' cosine decay to 0 over the epochs after a linear warm-up from
    0 over `warmup_epochs` (a constant rate with a warm-up is a CosineDecay whose floor, alpha, is 1)."""
    rate = s.learning_rate
    if s.schedule == "cosine" or s.warmup_epochs:
        warmup = s.warmup_epochs * steps_per_epoch
        rate = keras.optimizers.schedules.CosineDecay(
            0.0 if warmup else s.learning_rate,
            decay_steps=(s.epochs - s.warmup_epochs) * steps_per_epoch,
            alpha=0.0 if s.schedule == "cosine" else 1.0,
            warmup_target=s.learning_rate if warmup else None,
            warmup_steps=warmup,
        )
    if s.optimizer == "adamw":
        return keras.optimizers.AdamW(learning_rate=rate, weight_decay=s.weight_decay)
    return keras.optimizers.Adam(learning_rate=rate)


def compile_model(net, s: TrainingSettings, steps_per_epoch: int) -> None:
    """Compile with a new optimizer. The labels come one-hot: Keras' sparse cross-entropy has no label smoothing."""
    net.compile(
        optimizer=make_optimizer(s, steps_per_epoch),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=s.label_smoothing),
        metrics=["accuracy"],
        # jit_compile is TensorFlow's choice: JAX without it runs eagerly, 4x slower for small_cnn (bench/pipeline.py)
        jit_compile=True if keras.backend.backend() == "jax" else s.jit_compile,
        steps_per_execution=s.steps_per_execution,
    )


@contextlib.contextmanager
def dtype_policy(mixed_precision: bool | str):
    """Keras' global dtype policy for one run: with `mixed_precision` true or "float16", mixed_float16 (float16
    compute, float32 weights; compile adds loss scaling), for GPUs with tensor cores; with "bfloat16",
    mixed_bfloat16 (no loss scaling needed), for CPUs with bfloat16 instructions (AMX, AVX512-BF16) and recent
    GPUs. The previous policy again afterwards."""
    previous = keras.mixed_precision.dtype_policy()
    if mixed_precision:
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16" if mixed_precision == "bfloat16" else "mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


