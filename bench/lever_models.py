"""The CNN lever that small_cnn has no option for, as a `file.py:function` model (bench/levers.py trains it):
small_cnn's four batch-normalised 3×3 conv blocks with max-pooling, then global average pooling and dropout, with
`width` the first block's filters (the others 2×, 4×, 4× of it; small_cnn's is 32) and `stem_stride` the first
convolution's stride, as small_cnn's option. With the defaults it is small_cnn layer for layer (243,178 weights).
"""

import keras
from keras import layers


def knobbed_cnn(input_shape, n_classes, stem_stride=1, width=32):
    inputs = keras.Input(input_shape)
    x = inputs
    for k, factor in enumerate((1, 2, 4, 4)):
        x = layers.Conv2D(width * factor, 3, strides=stem_stride if k == 0 else 1, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(x))
        if k < 3:
            x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, layers.Dense(n_classes, activation="softmax", dtype="float32")(x), name="knobbed_cnn")
