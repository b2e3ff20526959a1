"""What a killed training run needs to go on where it stopped: saved after every epoch, trusted only when whole."""

import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np

from galaxy10.io import atomic_output
from galaxy10.training.optimization import mode


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
        self.state["history"].append(
            {"epoch": done, **{key: float(value) for key, value in logs.items()},
             "seconds": time.perf_counter() - self._started}
        )
        self._save_models(done)
        self.state["seconds"] += time.perf_counter() - self._started  # the epoch and its checkpoint
        self.state["epochs_done"] = done
        self.state["finished"] = done == self.epochs or self.model.stop_training
        self.state["callbacks"] = [
            {name: getattr(callback, name) for name in self.COUNTERS if hasattr(callback, name)}
            for callback in self.model_callbacks
        ]
        self._write_state()

    def _save_models(self, done: int) -> None:
        """This epoch's model, and with a monitor the best one so far (never one of the first min_epochs)."""
        self.state["model"] = self._save(f"model-{done:04d}.keras")
        value = self.state["history"][-1].get(self.monitor)
        if self.monitor and done > self.min_epochs and self._improves(value):
            self.state["best"], self.state["best_value"], self.state["best_epoch"] = (
                self._save(f"best-{done:04d}.keras"), value, done)

    def _write_state(self) -> None:
        """state.json last and atomically, so that it names only whole files; then the files it no longer names."""
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




class EpochSeeds(keras.callbacks.Callback):
    """At the start of every epoch, sets the state of every random layer (augmentation, dropout) from (seed, epoch):
    Keras saves no seed state with a model, so a run resumed from its checkpoint would otherwise draw other
    augmentations and dropout masks than the run that was never stopped."""

    def __init__(self, seed: int):
        super().__init__()
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        states = [v for v in self.model.variables if v.path.endswith("seed_generator_state")]
        draws = np.random.default_rng([self.seed, epoch]).integers(0, 2**31 - 1, len(states))
        for state, draw in zip(states, draws):
            state.assign(keras.ops.cast([int(draw), 0], state.dtype))
