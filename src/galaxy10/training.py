"""Training one run (an experiment with one seed): model, optimizer, callbacks, saved model, history, record."""

import contextlib
import json
import os
import platform
import shutil
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from .batches import ImageBatches, inference_batch
from .classes import N_CLASSES
from .download import sha256sum
from .io import InputError, atomic_output
from .models import build_model
from .settings import APPLICATIONS, TrainingSettings
from .split import load_split, split_facts

PACKAGES = ("galaxy10", "keras", "tensorflow", "jax", "torch", "numpy", "h5py", "scikit-learn", "snakemake")


class LearningRateLog(keras.callbacks.Callback):
    """Adds the learning rate to the logs (and so to the history) as `lr`: the rate the epoch ran with, or on a
    schedule the rate it reached at the epoch's end (optimizer.learning_rate evaluates it at the current step)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def class_weights(labels, kind: str | None) -> np.ndarray | None:
    """Weight per class (0 if absent), normalised so that the training images' weights average 1: `balanced`
    inversely proportional to the class's frequency (scikit-learn's "balanced"), `sqrt` to its square root, a
    milder remedy: in SDSS's proportions the rarest class weighs 13 rather than 128, the commonest 0.66 rather
    than 0.31."""
    if kind is None:
        return None
    counts = np.bincount(labels, minlength=N_CLASSES).astype(np.float64)
    weights = np.zeros(N_CLASSES)
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


def set_body_trainable(net, trainable: bool) -> None:
    """Freeze or unfreeze every layer but the head (the last Dense); frozen batch-norm layers use their moving
    statistics, as fine-tuning wants."""
    for layer in net.layers[:-1]:
        layer.trainable = trainable


def unfreeze(net, s: TrainingSettings, steps_per_epoch: int) -> None:
    """Make the body trainable after the frozen epochs. Its new variables need a new optimizer; it goes on from the
    old one's step (so a schedule goes on where it was) and, at a constant rate, from its rate (ReduceLROnPlateau
    may have cut it)."""
    old = net.optimizer
    step, rate = (keras.ops.convert_to_numpy(value) for value in (old.iterations, old.learning_rate))
    set_body_trainable(net, True)
    compile_model(net, s, steps_per_epoch)
    net.optimizer.iterations.assign(step)
    if s.schedule == "constant" and not s.warmup_epochs:
        net.optimizer.learning_rate = float(rate)


def load_body(net, source, s: TrainingSettings) -> None:
    """Copy every weight but the head's (the last Dense) from the saved model `source`, which must be the same
    architecture with the same options. Images of another size are allowed only where the model resizes them
    itself (the keras.applications ones); for the others a body learnt at one scale does not fit another."""
    donor = keras.saving.load_model(source)
    if donor.name != net.name:
        raise InputError(f"init_from: {source} is a {donor.name} model; this experiment trains {net.name}")
    if donor.input_shape[1:] != net.input_shape[1:] and s.model not in APPLICATIONS:
        raise InputError(
            f"init_from: {source} was trained on images of {donor.input_shape[1:]}, these are {net.input_shape[1:]}; "
            f"only the keras.applications models ({', '.join(APPLICATIONS)}) resize their input"
        )
    bodies = [[layer for layer in model.layers[:-1] if layer.weights] for model in (net, donor)]
    try:
        for mine, theirs in zip(*bodies, strict=True):
            mine.set_weights(theirs.get_weights())
    except ValueError as err:
        raise InputError(f"init_from: the body of {source} does not fit this experiment's {s.model}: {err}") from None


@contextlib.contextmanager
def dtype_policy(mixed_precision: bool):
    """Keras' global dtype policy for one run: mixed_float16 (float16 compute, float32 weights; compile adds loss
    scaling) with `mixed_precision`, for GPUs with tensor cores; the previous policy again afterwards."""
    previous = keras.mixed_precision.dtype_policy()
    if mixed_precision:
        keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_dtype_policy(previous)


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


class Checkpoint(keras.callbacks.Callback):
    """After every epoch, saves what training needs to go on from there after it is killed, into `folder`:
    the model with its optimizer state, with a `monitor` also the best model so far by that metric, and
    `state.json`, which names them and holds the history and the other callbacks' counters. The state file is
    written last and atomically, so it always names complete files; it is what a resumed run trusts.

    Training may take several `fit` calls (frozen epochs, then the rest): `epochs` is the whole run's. The first
    `min_epochs` epochs are never the best: early on, a model may do well on the monitored metric by chance."""

    COUNTERS = ("wait", "best", "cooldown_counter", "best_epoch", "stopped_epoch")  # Keras callbacks' state

    def __init__(self, folder, fingerprint: str, epochs: int, monitor: str | None = None, min_epochs: int = 0,
                 model_callbacks=()):
        super().__init__()
        self.folder, self.fingerprint, self.epochs = Path(folder), fingerprint, epochs
        self.monitor, self.min_epochs = monitor, min_epochs
        self.model_callbacks = list(model_callbacks)  # the callbacks whose counters are saved and restored
        self.state = {"fingerprint": fingerprint, "epochs_done": 0, "history": [], "seconds": 0.0, "resumed_at": []}
    @property
    def state_file(self):
        return self.folder / "state.json"

    def load(self) -> bool:
        """Take up the saved state if it was made with the same settings; otherwise start afresh."""
        try:
            saved = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return False
        if saved.get("fingerprint") != self.fingerprint:
            print(f"Discarding the checkpoint in {self.folder}: it was made with other settings or data.")
            shutil.rmtree(self.folder)
            return False
        self.state = saved
        self.state["resumed_at"].append(saved["epochs_done"])
        return True

    @property
    def finished(self) -> bool:
        return bool(self.state.get("finished"))

    def saved_model(self, best=False) -> Path:
        return self.folder / self.state["best" if best else "model"]

    def on_train_begin(self, logs=None):
        # runs after the other callbacks' on_train_begin, which reset their counters
        for callback, counters in zip(self.model_callbacks, self.state.get("callbacks", [])):
            for name, value in counters.items():
                setattr(callback, name, value)

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        now = time.perf_counter()
        row = {"epoch": done, **{key: float(value) for key, value in logs.items()}, "seconds": now - self._started}
        self.state["history"].append(row)
        self.state["model"] = self._save(f"model-{done:04d}.keras")
        if self.monitor and done > self.min_epochs and self._improves(row[self.monitor]):
            self.state["best"], self.state["best_value"], self.state["best_epoch"] = (
                self._save(f"best-{done:04d}.keras"), row[self.monitor], done)
        self.state["seconds"] += time.perf_counter() - self._started  # the epoch and its checkpoint
        self.state["epochs_done"] = done
        self.state["finished"] = done == self.epochs or self.model.stop_training
        self.state["callbacks"] = [
            {name: getattr(callback, name) for name in self.COUNTERS if hasattr(callback, name)}
            for callback in self.model_callbacks
        ]
        with atomic_output(self.state_file) as tmp:
            Path(tmp).write_text(json.dumps(self.state, indent=1, default=float))
        keep = {self.state_file.name, self.state["model"], self.state.get("best")}
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink()

    def _improves(self, value) -> bool:
        best = self.state.get("best_value")
        return best is None or (value < best if mode(self.monitor) == "min" else value > best)

    def _save(self, name) -> str:
        with atomic_output(self.folder / name) as tmp:
            self.model.save(tmp)
        return name


def train(split, model_out, history_out, record_out=None, *, settings, seed, experiment=None, provenance=None,
          init_model=None):
    """Fit the model of `settings` (a TrainingSettings, or a dict of them) on the split's train part, validating
    on its valid part.

    Writes the model (the last epoch's, or with `keep_best` the best one by `monitor`), the history CSV (epoch,
    loss, accuracy, val_loss, val_accuracy, lr, seconds the epoch took) and, if `record_out` is given, the run's
    record (JSON): experiment name, settings, data set and class names, package versions, input checksums,
    parameter count and training time.

    `init_model` is the saved model whose body the run starts from (the workflow resolves `init_from`, an
    experiment's name, to that experiment's model with the same seed); by default `init_from` itself, if it names
    a .keras file.

    Training checkpoints every epoch into `checkpoint/` beside the model; a call with the same settings and
    inputs after an interrupted one goes on from the last completed epoch. The checkpoint is deleted once the
    outputs are written.
    """
    if isinstance(settings, dict):
        settings = TrainingSettings.from_dict(settings)
    s = settings
    if s.init_from and not init_model:
        if not s.init_from.endswith(".keras"):
            raise InputError(f"init_from: {s.init_from!r} is no .keras file; an experiment's name needs the workflow")
        init_model = s.init_from
    callbacks = [LearningRateLog()]  # first, so it logs the rate the epoch ran with, before any reduction
    if s.reduce_lr:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**s.reduce_lr))
    if s.early_stopping:
        stopping = {"monitor": s.monitor, "start_from_epoch": s.min_epochs, **s.early_stopping}
        callbacks.append(keras.callbacks.EarlyStopping(mode=mode(stopping["monitor"]), **stopping))
    split_sha256 = sha256sum(split)
    init_sha256 = sha256sum(init_model) if init_model else None
    checkpoint = Checkpoint(
        Path(model_out).parent / "checkpoint", s.fingerprint(seed, split_sha256, init_sha256), s.epochs,
        s.monitor if s.keep_best else None, s.min_epochs, model_callbacks=callbacks[1:],
    )
    resumed = checkpoint.load()
    x_train, y_train, _, scale = load_split(split, "train")
    x_valid, y_valid, _, _ = load_split(split, "valid")
    batches = ImageBatches(x_train, y_train, s.batch_size, shuffle=True, seed=seed,
                           class_weights=class_weights(y_train, s.class_weight), classes=N_CLASSES)
    valid = ImageBatches(x_valid, y_valid, inference_batch(s.batch_size, x_valid.shape[1:]), classes=N_CLASSES)

    def fit(epochs):
        net.fit(
            batches,
            shuffle=False,  # the batches come in their own seeded order
            epochs=epochs,
            initial_epoch=checkpoint.state["epochs_done"],
            validation_data=valid,
            # the checkpoint last: it saves what the others changed
            callbacks=[batches.follow_epochs(), *callbacks, checkpoint],
            verbose=2,
        )

    with dtype_policy(s.mixed_precision):
        if resumed:
            first_epoch = checkpoint.state["epochs_done"]
            print(f"Resuming from the checkpoint after epoch {first_epoch} in {checkpoint.folder}")
            keras.utils.set_random_seed(seed * 100_003 + first_epoch)  # fresh dropout/augmentation draws
            net = keras.saving.load_model(checkpoint.saved_model())
        else:
            keras.utils.set_random_seed(seed)
            net = build_model(s.model, x_train.shape[1:], scale, s.augment, **s.model_options())
            if init_model:
                load_body(net, init_model, s)
            set_body_trainable(net, not s.freeze_epochs)
            compile_model(net, s, len(batches))
        if not checkpoint.finished and checkpoint.state["epochs_done"] < s.freeze_epochs:
            fit(s.freeze_epochs)
        if not checkpoint.finished and not net.layers[0].trainable:  # after the frozen epochs, or resumed there
            unfreeze(net, s, len(batches))
        if not checkpoint.finished:
            fit(s.epochs)
    with atomic_output(model_out) as tmp:
        if s.keep_best:
            shutil.copyfile(checkpoint.saved_model(best=True), tmp)
        else:
            net.save(tmp)  # not the checkpoint: EarlyStopping may have restored its best weights

    history = pd.DataFrame(checkpoint.state["history"]).set_index("epoch")
    history = history[["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]]
    with atomic_output(history_out) as tmp:
        history.to_csv(tmp)
    if record_out:
        record = {
            "experiment": experiment or s.model,
            "model": s.model,
            "seed": seed,
            "settings": s.to_dict(),
            **split_facts(split),  # dataset, class_names, source_sha256
            "split_sha256": split_sha256,
            "init_model": None if init_model is None else str(init_model),
            "init_sha256": init_sha256,
            "backend": keras.backend.backend(),
            "host": platform.node(),
            "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),  # set by SLURM for a GPU job
            "parameters": net.count_params(),
            "train_seconds": round(checkpoint.state["seconds"], 2),
            "epochs_run": len(history),
            "saved_epoch": checkpoint.state["best_epoch"] if s.keep_best else len(history),
            "resumed_after_epochs": checkpoint.state["resumed_at"],
            "provenance": provenance or {},
            "versions": package_versions(),
        }
        with atomic_output(record_out) as tmp, open(tmp, "w") as f:
            json.dump(record, f, indent=2)
    shutil.rmtree(checkpoint.folder)
    return history
