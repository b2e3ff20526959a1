"""Your own model: an experiment's `model: path/to/file.py:function` names a function that takes the input shape,
the number of classes and the experiment's `options` and returns a Keras model ending in a softmax over the
classes. build_model puts it behind the same uint8 scaling (and augmentation) as every architecture, so it takes
images as the data set stores them; a problem in the file is an InputError naming the file and line."""

import hashlib
import importlib.util
import re
import traceback
from pathlib import Path

from galaxy10.io import InputError

PATTERN = re.compile(r"^(?P<file>.+\.py):(?P<function>[A-Za-z_]\w*)$")


def is_custom(model: str) -> bool:
    return bool(PATTERN.match(model))


def model_file(model: str) -> Path | None:
    """The file a custom model is defined in; None for an architecture of the registry."""
    match = PATTERN.match(model)
    return Path(match["file"]) if match else None


def file_sha256(model: str) -> str | None:
    """The checksum of a custom model's file (part of its run's fingerprint); None for the registry's."""
    path = model_file(model)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.is_file() else None


def _where(path: Path, err: BaseException) -> str:
    """`file:line` of the deepest frame of the traceback inside `path`."""
    frames = [frame for frame in traceback.extract_tb(err.__traceback__) if Path(frame.filename) == path.resolve()]
    return f"{path}:{frames[-1].lineno}" if frames else str(path)


def build_custom(model: str, input_shape, n_classes: int, options: dict):
    """The Keras model the function named by `model` returns for these arguments, checked to give one probability
    per class."""
    path, function = model_file(model), PATTERN.match(model)["function"]
    if not path.is_file():
        raise InputError(f"model {model}: no such file {path}")
    spec = importlib.util.spec_from_file_location(f"galaxy10_model_{path.stem}", path.resolve())
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise InputError(f"{path}:{err.lineno}: {err.msg}; fix the model file") from err
    except Exception as err:  # any error while importing the user's file
        raise InputError(f"{_where(path, err)}: {type(err).__name__}: {err}; fix the model file") from err
    build = getattr(module, function, None)
    if not callable(build):
        raise InputError(f"{path}: no function {function!r}; the model is named `file.py:function`")
    try:
        net = build(tuple(input_shape), n_classes, **options)
    except Exception as err:  # any error in the user's function
        raise InputError(f"{_where(path, err)}: {function}{tuple(input_shape), n_classes} raised "
                         f"{type(err).__name__}: {err}") from err
    if not hasattr(net, "output_shape") or tuple(net.output_shape)[1:] != (n_classes,):
        shape = getattr(net, "output_shape", type(net).__name__)
        raise InputError(f"{path}: {function} must return a Keras model with {n_classes} outputs (a softmax over "
                         f"the classes), got {shape}")
    return net
