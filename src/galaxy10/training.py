"""Training one run (an experiment with one seed): model, optimizer, callbacks, saved model, history, record."""

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
from sklearn.utils.class_weight import compute_class_weight

from .batches import ImageBatches, inference_batch
from .classes import N_CLASSES
from .download import sha256sum
from .io import atomic_output
from .models import build_model
from .settings import TrainingSettings
from .split import load_split, split_facts

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
    the model with its optimizer state, with `keep_best` also the best model so far, and `state.json`, which
    names them and holds the history and the other callbacks' counters. The state file is written last and
    atomically, so it always names complete files; it is what a resumed run trusts."""

    COUNTERS = ("wait", "best", "cooldown_counter", "best_epoch", "stopped_epoch")  # Keras callbacks' state

    def __init__(self, folder, fingerprint: str, keep_best: bool, model_callbacks=()):
        super().__init__()
        self.folder, self.fingerprint, self.keep_best = Path(folder), fingerprint, keep_best
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
        if self.keep_best and row["val_loss"] < self.state.get("best_val_loss", np.inf):
            self.state["best"], self.state["best_val_loss"], self.state["best_epoch"] = (
                self._save(f"best-{done:04d}.keras"), row["val_loss"], done)
        self.state["seconds"] += time.perf_counter() - self._started  # the epoch and its checkpoint
        self.state["epochs_done"] = done
        self.state["finished"] = done == self.params["epochs"] or self.model.stop_training
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

    def _save(self, name) -> str:
        with atomic_output(self.folder / name) as tmp:
            self.model.save(tmp)
        return name


def train(split, model_out, history_out, record_out=None, *, settings, seed, experiment=None, provenance=None):
    """Fit the model of `settings` (a TrainingSettings, or a dict of them) on the split's train part, validating
    on its valid part.

    Writes the model (the last epoch's, or with `keep_best` the one with the lowest validation loss), the
    history CSV (epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds the epoch took) and, if
    `record_out` is given, the run's record (JSON): experiment name, settings, data set and class names,
    package versions, input checksums, parameter count and training time.

    Training checkpoints every epoch into `checkpoint/` beside the model; a call with the same settings and
    split after an interrupted one goes on from the last completed epoch. The checkpoint is deleted once the
    outputs are written.
    """
    if isinstance(settings, dict):
        settings = TrainingSettings.from_dict(settings)
    s = settings
    callbacks = [LearningRateLog()]  # first, so it logs the rate the epoch ran with, before any reduction
    if s.reduce_lr:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**s.reduce_lr))
    if s.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(**s.early_stopping))
    split_sha256 = sha256sum(split)
    checkpoint = Checkpoint(
        Path(model_out).parent / "checkpoint", s.fingerprint(seed, split_sha256), s.keep_best,
        model_callbacks=callbacks[1:],
    )
    resumed = checkpoint.load()
    first_epoch = checkpoint.state["epochs_done"]
    x_train, y_train, _, scale = load_split(split, "train")
    x_valid, y_valid, _, _ = load_split(split, "valid")
    if resumed:
        print(f"Resuming from the checkpoint after epoch {first_epoch} in {checkpoint.folder}")
        keras.utils.set_random_seed(seed * 100_003 + first_epoch)  # fresh dropout/augmentation draws
        net = keras.saving.load_model(checkpoint.saved_model())
    else:
        keras.utils.set_random_seed(seed)
        net = build_model(s.model, x_train.shape[1:], scale, s.augment)
        net.compile(
            optimizer=keras.optimizers.Adam(learning_rate=s.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            jit_compile=s.jit_compile,
            steps_per_execution=s.steps_per_execution,
        )
    if not checkpoint.finished:
        weights = balanced_class_weights(y_train) if s.class_weight == "balanced" else None
        batches = ImageBatches(x_train, y_train, s.batch_size, shuffle=True, seed=seed, class_weights=weights)
        net.fit(
            batches,
            shuffle=False,  # the batches come in their own seeded order
            epochs=s.epochs,
            initial_epoch=first_epoch,
            validation_data=ImageBatches(x_valid, y_valid, inference_batch(s.batch_size, x_valid.shape[1:])),
            # the checkpoint last: it saves what the others changed
            callbacks=[batches.follow_epochs(), *callbacks, checkpoint],
            verbose=2,
        )
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
