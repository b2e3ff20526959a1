"""Model architectures, in Keras 3 so they run on any backend. Each takes uint8 images and scales them itself."""

import zipfile
from functools import partial
from pathlib import Path

import keras
from keras import layers, ops, regularizers

from galaxy10.io import InputError
from galaxy10.training.custom import build_custom, is_custom
from galaxy10.training.equivariant import d4_cnn
from galaxy10.training.settings import APPLICATIONS, MODEL_OPTIONS


def batch_norm():
    """Batch normalisation whose moving statistics, used in validation and prediction, follow the last ~10 steps
    (Keras' default momentum, 0.99, follows ~100: on a small data set several epochs of a fast-changing network,
    whose validation then sees features normalised with stale statistics and predicts one class)."""
    return layers.BatchNormalization(momentum=0.9)


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


def small_cnn(input_shape, stem_stride: int):
    """Four batch-normalised 3×3 conv blocks (32-64-128-128) with max-pooling, then global average pooling
    and dropout: few parameters (243,178), no dense layer on the full image, so it learns shapes wherever
    they are. With `stem_stride` 2 the first convolution samples every other pixel, so that every later block sees
    a quarter of the pixels: 13.5 M multiply-adds per 69×69 image instead of 56 M, the same parameters."""

    def block(filters, stride=1):
        return [layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False), batch_norm(), layers.ReLU()]

    return [
        *block(32, stem_stride),
        layers.MaxPooling2D(2),
        *block(64),
        layers.MaxPooling2D(2),
        *block(128),
        layers.MaxPooling2D(2),
        *block(128),
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.3),
    ]


def resnet(input_shape, width: int, depth: int):
    """A pre-activation ResNet (He et al. 2016, "Identity mappings") sized for small cutouts: a 3×3 stem at full
    resolution, then three stages of `depth` residual blocks each, `width`, 2×`width` and 4×`width` filters wide,
    each stage halving the image in its first block (69 → 35 → 18 → 9), then global average pooling. Halving in
    the first stage too keeps it cheap enough for a CPU; the stem still sees every pixel. Width 32, depth 2:
    699,114 parameters with the head and 135 M multiply-adds per image, against 510 M with a first stage at
    full resolution."""

    def block(x, filters, stride):
        # BN → ReLU → conv, twice; the shortcut projects the pre-activated input when the shape changes
        activated = layers.ReLU()(batch_norm()(x))
        shortcut = x if stride == 1 and x.shape[-1] == filters else conv(filters, 1, stride)(activated)
        y = conv(filters, 3, stride)(activated)
        y = conv(filters, 3, 1)(layers.ReLU()(batch_norm()(y)))
        return layers.Add()([shortcut, y])

    def conv(filters, size, stride):
        return layers.Conv2D(filters, size, strides=stride, padding="same", use_bias=False,
                             kernel_initializer="he_normal")

    inputs = keras.Input(tuple(input_shape))
    x = conv(width, 3, 1)(inputs)
    for stage in range(3):
        for k in range(depth):
            x = block(x, width * 2**stage, 2 if k == 0 else 1)
    x = layers.GlobalAveragePooling2D()(layers.ReLU()(batch_norm()(x)))
    return [keras.Model(inputs, x, name="resnet_body")]


# keras.applications bodies and the range of pixel values each expects: ResNet50V2 wants [-1, 1] (its
# preprocess_input is "tf" mode, not part of the model); EfficientNetV2 (include_preprocessing, on by default) and
# ConvNeXt (its PreStem normalisation) take raw 0-255 pixels and scale them themselves.
APPLICATION_INPUT = {"ResNet50V2": (-1.0, 1.0), "EfficientNetV2B0": (0.0, 255.0), "ConvNeXtTiny": (0.0, 255.0)}


def application(name: str, input_shape, image_size: int, weights):
    """A keras.applications network without its top, pooled to one vector, on images resized to `image_size`
    (bilinear, inside the model, so the saved model takes the data set's images as they are). `weights`: None
    (from scratch), "imagenet" (Keras downloads them on first use) or a .weights.h5 file of the same body."""
    body = getattr(keras.applications, name)(
        include_top=False, weights=weights, input_shape=(image_size, image_size, input_shape[-1]), pooling="avg"
    )
    return [layers.Resizing(image_size, image_size), body]


ARCHITECTURES = {"seed_dnn": seed_dnn, "deep_dnn": deep_dnn, "galaxy10_cnn": galaxy10_cnn, "small_cnn": small_cnn,
                 "resnet": resnet, "d4_cnn": d4_cnn, **{name: partial(application, name) for name in APPLICATIONS}}


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


def build_model(
    name: str, input_shape, n_classes: int, scale: float, augment: bool = False, **options
) -> keras.Model:
    """uint8 input → scaling → (augmentation) → the architecture's body → softmax over the data set's `n_classes`.

    `options` are the architecture's own (settings.MODEL_OPTIONS: resnet's width and depth, an application's
    image_size and weights); unset ones take their defaults there. A `file.py:function` model (training.custom)
    gets `options` as its function's keyword arguments, and pixels scaled to [0, 1]. `scale` maps pixel values to [0, 1]; an
    application expecting another range gets it from the same Rescaling layer. The softmax is float32 even
    under a mixed-precision policy, so that the loss and the probabilities keep their precision."""
    if is_custom(name):
        return keras.Sequential([keras.Input(tuple(input_shape)), layers.Rescaling(scale),
                                 *(augmentation() if augment else []),
                                 build_custom(name, input_shape, n_classes, options)], name="custom")
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(ARCHITECTURES)} or file.py:function")
    defaults = MODEL_OPTIONS.get(name, {})
    if unknown := sorted(set(options) - set(defaults)):
        raise InputError(f"model {name} takes no {unknown}")
    body = ARCHITECTURES[name](tuple(input_shape), **{**defaults, **options}) if defaults else ARCHITECTURES[name]()
    low, high = APPLICATION_INPUT[name] if name in APPLICATIONS else (0.0, 1.0)
    return keras.Sequential(
        [
            keras.Input(tuple(input_shape)),
            layers.Rescaling(scale * (high - low), offset=low),
            *(augmentation() if augment else []),
            *body,
            layers.Dense(n_classes, activation="softmax", dtype="float32"),
        ],
        name=name,
    )


def load_model(path, compile: bool = True) -> keras.Model:
    """A saved .keras model; a missing, truncated or corrupt file is an InputError that says which, with the
    file's size (Keras' own message for a truncated archive is "File not found", which misleads)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such model file")
    size = path.stat().st_size
    if not zipfile.is_zipfile(path):
        raise InputError(f"{path}: {size:,} bytes that are not a .keras model (a zip archive): truncated or corrupt; "
                         "copy it again, or re-train it (snakemake --forcerun train)")
    try:
        return keras.saving.load_model(path, compile=compile)
    except Exception as err:  # a damaged archive fails in zipfile, h5py or Keras
        raise InputError(f"{path}: a .keras archive of {size:,} bytes that Keras cannot load ({err}); corrupt, or "
                         "saved by another version of the package") from err
