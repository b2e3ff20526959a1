"""An example of your own model for the workflow: in an experiment, `model: docs/examples/my_model.py:wide_cnn`
and, optionally, `options: {width: 48, dropout: 0.2}`.

The function gets the image shape (height, width, channels), the number of classes and the experiment's options,
and returns a Keras model that ends in a softmax over the classes. The workflow puts it behind the scaling of the
uint8 pixels to [0, 1] (and, with `augment: true`, random flips and rotations), so it sees the images as floats.
Use Keras 3 (`import keras`) and standard layers, so that the saved model loads anywhere, on any backend.
"""

import keras
from keras import layers


def wide_cnn(input_shape, n_classes, width=32, dropout=0.3):
    """Three 5×5 conv blocks with batch normalisation and max-pooling, then global average pooling."""
    inputs = keras.Input(input_shape)
    x = inputs
    for factor in (1, 2, 4):
        x = layers.Conv2D(width * factor, 5, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
        x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax")(x), name="wide_cnn")
