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


def small_cnn(input_shape, scale):
    """Four 3×3 conv blocks (32-64-128-128, batch-norm, ReLU) with max-pooling, global average pooling,
    dropout; random flips while training, since galaxies have no preferred orientation. 243,178 parameters."""

    def block(filters):
        return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]

    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Rescaling(scale),
            layers.RandomFlip("horizontal_and_vertical"),
            *block(32),
            layers.MaxPooling2D(2),
            *block(64),
            layers.MaxPooling2D(2),
            *block(128),
            layers.MaxPooling2D(2),
            *block(128),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.3),
            layers.Dense(N_CLASSES, activation="softmax"),
        ],
        name="small_cnn",
    )


ARCHITECTURES = {"seed_dnn": seed_dnn, "small_cnn": small_cnn}


def build_model(name: str, input_shape, scale: float) -> keras.Model:
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(ARCHITECTURES)}")
    return ARCHITECTURES[name](tuple(input_shape), scale)
