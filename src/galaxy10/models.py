"""Model architectures, in Keras 3 so they run on any backend. Each takes uint8 images and scales them itself."""

import keras
from keras import layers

from .classes import N_CLASSES


def seed_dnn(input_shape, scale):
    """The notebook's dense network: Flatten → Dense(128, relu) → Dense(10, softmax); 1,829,642 parameters."""
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Rescaling(scale),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(N_CLASSES, activation="softmax"),
        ],
        name="seed_dnn",
    )


ARCHITECTURES = {"seed_dnn": seed_dnn}


def build_model(name: str, input_shape, scale: float) -> keras.Model:
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name](tuple(input_shape), scale)
