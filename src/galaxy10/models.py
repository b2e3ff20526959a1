"""Model architectures, in Keras 3 so they run on any backend. Each takes uint8 images and scales them itself."""

import keras
from keras import layers, ops, regularizers

from .classes import N_CLASSES


def seed_dnn():
    """The notebook's dense network: Flatten → Dense(128, relu) → Dense(10, softmax); 1,829,642 parameters."""
    return [layers.Flatten(), layers.Dense(128, activation="relu")]


def deep_dnn():
    """How far dense networks go: three batch-normalised hidden layers (512-256-128) with dropout."""
    hidden = []
    for units in (512, 256, 128):
        hidden += [layers.Dense(units, use_bias=False), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.3)]
    return [layers.Flatten(), *hidden]


def galaxy10_cnn():
    """astroNN's Galaxy10CNN (its Cifar10CNN with Galaxy10 targets), rebuilt layer for layer; 1,219,578 parameters.

    Conv 8 → Conv 16 (3×3, same padding) → MaxPool 4×4 → Dropout 0.1 → Dense 256 → Dropout 0.1 → Dense 128
    (MaxNorm 2); he_normal initialisation and L2 1e-4 on every kernel but the last. Its published training
    settings (Adam 0.005, batch 64, ReduceLROnPlateau on val_loss by 0.5) belong in the experiment config.
    """
    settings = {"kernel_initializer": "he_normal", "kernel_regularizer": regularizers.L2(1e-4)}
    return [
        layers.Conv2D(8, 3, padding="same", activation="relu", **settings),
        layers.Conv2D(16, 3, padding="same", activation="relu", **settings),
        layers.MaxPooling2D(4),
        layers.Flatten(),
        layers.Dropout(0.1),
        layers.Dense(256, activation="relu", **settings),
        layers.Dropout(0.1),
        layers.Dense(128, activation="relu", kernel_constraint=keras.constraints.MaxNorm(2), **settings),
    ]


def small_cnn():
    """Four batch-normalised 3×3 conv blocks (32-64-128-128) with max-pooling, then global average pooling
    and dropout: few parameters (243,178), no dense layer on the full image, so it learns shapes wherever
    they are."""

    def block(filters):
        return [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(), layers.ReLU()]

    return [
        *block(32),
        layers.MaxPooling2D(2),
        *block(64),
        layers.MaxPooling2D(2),
        *block(128),
        layers.MaxPooling2D(2),
        *block(128),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.3),
    ]


ARCHITECTURES = {"seed_dnn": seed_dnn, "deep_dnn": deep_dnn, "galaxy10_cnn": galaxy10_cnn, "small_cnn": small_cnn}


@keras.saving.register_keras_serializable(package="galaxy10")
class RandomTranspose(layers.Layer):
    """Swaps the image axes of a random half of each training batch. With random horizontal and vertical flips
    this draws from all eight rotations by 90° and reflections of the image, exactly and without interpolation."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        swap = keras.random.uniform((ops.shape(images)[0], 1, 1, 1), seed=self.seed_generator) < 0.5
        return ops.where(swap, ops.transpose(images, (0, 2, 1, 3)), images)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def augmentation():
    """Random flips and 90° rotations, in training only: a galaxy seen from any side is the same galaxy."""
    return [layers.RandomFlip("horizontal"), layers.RandomFlip("vertical"), RandomTranspose()]


def build_model(name: str, input_shape, scale: float, augment: bool = False) -> keras.Model:
    """uint8 input → scaling → (augmentation) → the architecture's body → softmax over the classes."""
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(ARCHITECTURES)}")
    return keras.Sequential(
        [
            keras.Input(tuple(input_shape)),
            layers.Rescaling(scale),
            *(augmentation() if augment else []),
            *ARCHITECTURES[name](),
            layers.Dense(N_CLASSES, activation="softmax"),
        ],
        name=name,
    )
