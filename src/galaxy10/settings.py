"""How one experiment trains: every setting in one object, with its defaults, checks, JSON form and fingerprint."""

import dataclasses
import hashlib
import json
from pathlib import Path

from .io import InputError

JIT_CHOICES = ("auto", True, False)
CLASS_WEIGHTS = (None, "balanced")


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """An experiment's settings (config `experiments.<name>`); config/README.md explains each."""

    model: str
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 0.001
    reduce_lr: dict | None = None  # keras.callbacks.ReduceLROnPlateau arguments
    early_stopping: dict | None = None  # keras.callbacks.EarlyStopping arguments
    keep_best: bool = False
    augment: bool = False
    class_weight: str | None = None
    jit_compile: bool | str = "auto"
    steps_per_execution: int = 16

    def __post_init__(self):
        for name in ("epochs", "batch_size", "steps_per_execution"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if self.class_weight not in CLASS_WEIGHTS:
            raise InputError(f"class_weight must be one of {CLASS_WEIGHTS}, got {self.class_weight!r}")
        if self.jit_compile not in JIT_CHOICES:
            raise InputError(f"jit_compile must be one of {JIT_CHOICES}, got {self.jit_compile!r}")

    @classmethod
    def from_dict(cls, values: dict) -> "TrainingSettings":
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown training settings {unknown}; known ones: {sorted(known)}")
        if "model" not in values:
            raise InputError("an experiment needs a `model`")
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def fingerprint(self, *context) -> str:
        """sha256 of these settings and `context` (seed, input checksums): equal only for the same training."""
        text = json.dumps([self.to_dict(), *context], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def read_record(path) -> dict:
    """A run's record (run.json), as training wrote it: the experiment, its settings, the data set's facts."""
    return json.loads(Path(path).read_text())


def model_temperature(model_path) -> float | None:
    """The calibration temperature of a run's model (calibration.json beside it, written by predict), if any."""
    calibration = Path(model_path).with_name("calibration.json")
    return json.loads(calibration.read_text())["temperature"] if calibration.is_file() else None
