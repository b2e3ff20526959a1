"""How one experiment trains: every setting in one object, with its defaults, checks, JSON form and fingerprint."""

import dataclasses
import hashlib
import json

from galaxy10.data.corruptions import TRAINING
from galaxy10.io import InputError
from galaxy10.runtime import BACKENDS
from galaxy10.training.custom import is_custom

JIT_CHOICES = ("auto", True, False)
PRECISIONS = (False, True, "float16", "bfloat16")
CLASS_WEIGHTS = (None, "balanced", "sqrt")
OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("constant", "cosine")
MONITORS = ("loss", "accuracy", "val_loss", "val_accuracy")
APPLICATIONS = ("ResNet50V2", "EfficientNetV2B0", "ConvNeXtTiny")  # keras.applications bodies, by their names
DENSE_MODELS = ("seed_dnn", "deep_dnn")  # the dense networks; every other model is a CNN
# The settings only some architectures take, with their defaults (models.build_model takes them).
MODEL_OPTIONS = {
    "small_cnn": {"stem_stride": 1},
    "resnet": {"width": 32, "depth": 2},
    "d4_cnn": {"width": 4},
    **{name: {"image_size": 128, "weights": None} for name in APPLICATIONS},
}
ADAMW_WEIGHT_DECAY = 0.004  # keras.optimizers.AdamW's default


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """An experiment's settings (config `experiments.<name>`); config/README.md explains each.

    A default that depends on other settings (the architecture's options, AdamW's weight decay) is filled in on
    creation, so that the record and the fingerprint hold the values actually used."""

    model: str
    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 0.001
    reduce_lr: dict | None = None  # keras.callbacks.ReduceLROnPlateau arguments
    early_stopping: dict | None = None  # keras.callbacks.EarlyStopping arguments
    keep_best: bool = False
    augment: bool = False
    corrupt: list | tuple = ()  # data.corruptions.TRAINING's names: corruptions to train against
    corrupt_rate: float = 0.5
    class_weight: str | None = None
    jit_compile: bool | str = "auto"
    steps_per_execution: int = 16
    stem_stride: int | None = None  # small_cnn's
    width: int | None = None  # resnet's and d4_cnn's
    depth: int | None = None  # resnet's
    image_size: int | None = None  # keras.applications'
    weights: str | None = None  # keras.applications': null, imagenet or a .weights.h5 file
    label_smoothing: float = 0.0
    optimizer: str = "adam"
    weight_decay: float | None = None  # adamw's; null: Keras' default
    schedule: str = "constant"
    warmup_epochs: int = 0
    monitor: str = "val_loss"  # what keep_best and early stopping judge epochs by
    min_epochs: int = 0
    mixed_precision: bool | str = False  # true or float16, bfloat16
    init_from: str | None = None  # an experiment's name or a .keras file
    options: dict | None = None  # a file.py:function model's keyword arguments
    freeze_epochs: int = 0
    backend: str = "auto"  # the Keras backend this experiment trains on where the config's is auto (runtime)

    def __post_init__(self):
        for name in ("epochs", "batch_size", "steps_per_execution"):
            value = getattr(self, name)
            if not _whole(value) or value < 1:
                raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")
        for name, limit in {"warmup_epochs": self.epochs - 1, "min_epochs": self.epochs - 1,
                            "freeze_epochs": self.epochs}.items():
            value = getattr(self, name)
            if not _whole(value) or not 0 <= value <= limit:
                raise InputError(f"{name} must be a whole number from 0 to {limit} (epochs: {self.epochs}), "
                                 f"got {value!r}")
        if not self.learning_rate > 0:
            raise InputError(f"learning_rate must be positive, got {self.learning_rate!r}")
        choices = {"class_weight": CLASS_WEIGHTS, "jit_compile": JIT_CHOICES, "optimizer": OPTIMIZERS,
                   "schedule": SCHEDULES, "monitor": MONITORS, "backend": ("auto", *BACKENDS),
                   "mixed_precision": PRECISIONS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise InputError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        object.__setattr__(self, "corrupt", list(self.corrupt or []))  # as JSON and the config give it
        if unknown := sorted(set(self.corrupt) - set(TRAINING)):
            raise InputError(f"corrupt: {unknown} cannot be trained against; choose from {list(TRAINING)}")
        if not 0 < self.corrupt_rate <= 1:
            raise InputError(f"corrupt_rate must be in (0, 1], got {self.corrupt_rate!r}")
        if not 0 <= self.label_smoothing < 1:
            raise InputError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.reduce_lr and (self.schedule != "constant" or self.warmup_epochs):
            raise InputError("reduce_lr needs schedule: constant and no warmup_epochs (a schedule sets the rate)")
        if self.optimizer == "adam" and self.weight_decay:
            raise InputError("weight_decay needs optimizer: adamw (Adam's weight decay is not decoupled)")
        if self.weight_decay is not None and not self.weight_decay >= 0:
            raise InputError(f"weight_decay must be at least 0, got {self.weight_decay!r}")
        if self.weight_decay is None:
            object.__setattr__(self, "weight_decay", ADAMW_WEIGHT_DECAY if self.optimizer == "adamw" else 0.0)
        if self.freeze_epochs and not (self.init_from or self.weights):
            raise InputError("freeze_epochs needs a pre-trained body: init_from or weights")
        self._check_model_options()

    def _check_model_options(self):
        """Only the model's own options may be set; unset ones take their defaults. `options` is a custom model's."""
        if self.options is not None and not is_custom(self.model):
            raise InputError(f"options are for a file.py:function model, not {self.model}")
        if self.options is not None and not isinstance(self.options, dict):
            raise InputError(f"options must be a mapping of keyword arguments, got {self.options!r}")
        defaults = MODEL_OPTIONS.get(self.model, {})
        if foreign := [name for name in _ALL_OPTIONS if name not in defaults and getattr(self, name) is not None]:
            raise InputError(f"model {self.model} takes no {foreign}; only {sorted(defaults) or 'no options'}")
        for name, default in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)
        for name in ("stem_stride", "width", "depth"):
            if name in defaults and not (_whole(getattr(self, name)) and getattr(self, name) >= 1):
                raise InputError(f"{name} must be a whole number of at least 1, got {getattr(self, name)!r}")
        if "image_size" in defaults and not (_whole(self.image_size) and self.image_size >= 32):
            raise InputError(f"image_size must be a whole number of at least 32, got {self.image_size!r}")

    def model_options(self) -> dict:
        """The architecture's own options (a custom model's `options`), for models.build_model."""
        if is_custom(self.model):
            return dict(self.options or {})
        return {name: getattr(self, name) for name in MODEL_OPTIONS.get(self.model, {})}

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


_ALL_OPTIONS = sorted({name for options in MODEL_OPTIONS.values() for name in options})


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
