"""A CNN equivariant to the eight rotations by 90° and reflections of the square (the dihedral group D4), in Keras 3:
group convolutions (Cohen & Welling 2016), the family Pandya et al. (2023) took to the Galaxy10 DECaLS record.

Every feature is a field over D4: a channel for each of the group's eight elements. The first layer "lifts" an image
by convolving it with the eight rotated and reflected copies of each kernel; later layers convolve fields with
kernels that are rotated and whose group axis is permuted, so that turning or mirroring the input turns or mirrors
every feature map and permutes its group channels, exactly. Pooling over the group at the end makes the prediction
invariant: a galaxy seen from any side gets the same probabilities, by construction rather than by augmentation.
Spatial pooling keeps the symmetry only when its windows are placed symmetrically: `symmetric_pool` picks a window
of 2 on even sides and 3 on odd ones (69 → 34 → 17 → 8).
"""

import numpy as np
import keras
from keras import layers, ops

ORDER = 8
ELEMENTS = tuple((flip, turns) for flip in (0, 1) for turns in range(4))  # mirror first, then quarter turns


def act(array, element):
    """The group element acting on the first two (spatial) axes of a numpy array or a Keras tensor."""
    flip, turns = element
    if flip:
        array = ops.flip(array, axis=1)
    return ops.rot90(array, turns, axes=(0, 1)) if turns else array


def _inverse_products() -> np.ndarray:
    """table[g, h] = the index of g⁻¹h: which kernel slice output element g takes for input element h."""
    def key(array):  # a backend may hand back another integer type
        return np.asarray(array, np.int64).tobytes()

    probe = np.arange(9).reshape(3, 3)  # a pattern no element but the identity leaves alone
    index = {key(act(probe, e)): k for k, e in enumerate(ELEMENTS)}
    product = np.array([[index[key(act(act(probe, h), g))] for h in ELEMENTS] for g in ELEMENTS])
    inverse = [int(np.flatnonzero(row == 0)[0]) for row in product]
    return np.array([[product[inverse[g], h] for h in range(ORDER)] for g in range(ORDER)])


INVERSE_PRODUCTS = _inverse_products()


@keras.saving.register_keras_serializable(package="galaxy10")
class D4Conv(layers.Layer):
    """A 'same'-padded group convolution. With `lift`, from images (…, channels) to fields (…, filters × 8);
    otherwise from fields (…, channels × 8) to fields (…, filters × 8), the group axis last."""

    def __init__(self, filters: int, kernel_size: int = 3, lift: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.lift = filters, kernel_size, lift

    def build(self, input_shape):
        k, channels = self.kernel_size, input_shape[-1] if self.lift else input_shape[-1] // ORDER
        shape = (k, k, channels, self.filters) if self.lift else (k, k, channels, ORDER, self.filters)
        self.kernel = self.add_weight(shape=shape, initializer="he_normal", name="kernel")

    def full_kernel(self):
        """The ordinary convolution kernel (k, k, in, filters × 8) that applies every group element's kernel."""
        k, kernel = self.kernel_size, ops.convert_to_tensor(self.kernel)  # a tensor: JAX traces no variables
        if self.lift:
            stacked = ops.stack([act(kernel, e) for e in ELEMENTS], axis=-1)
            return ops.reshape(stacked, (k, k, -1, self.filters * ORDER))
        slices = [ops.take(act(kernel, e), INVERSE_PRODUCTS[g], axis=3) for g, e in enumerate(ELEMENTS)]
        return ops.reshape(ops.stack(slices, axis=-1), (k, k, -1, self.filters * ORDER))

    def call(self, inputs):
        return ops.conv(inputs, ops.cast(self.full_kernel(), inputs.dtype), padding="same")

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters * ORDER)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size, "lift": self.lift}


@keras.saving.register_keras_serializable(package="galaxy10")
class GroupMax(layers.Layer):
    """Fields (…, channels × 8) → (…, channels): the largest response over the eight orientations, invariant."""

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.max(ops.reshape(inputs, (*shape[:-1], shape[-1] // ORDER, ORDER)), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // ORDER)


def group_batch_norm(x):
    """Batch normalisation with one mean, variance, scale and shift per field, shared by its eight channels: per
    channel would treat the orientations differently and break the symmetry."""
    height, width, channels = x.shape[1:]
    fields = layers.Reshape((height, width, channels // ORDER, ORDER))(x)
    normalised = layers.BatchNormalization(axis=-2, momentum=0.9)(fields)
    return layers.Reshape((height, width, channels))(normalised)


def symmetric_pool(x):
    """2×2 max-pooling on even sides, 3×3 (stride 2) on odd ones: windows placed symmetrically about the centre."""
    return layers.MaxPooling2D(2 if x.shape[1] % 2 == 0 else 3, strides=2)(x)


def d4_cnn(input_shape, width: int = 4):
    """small_cnn's plan as group convolutions: four blocks of `width`, 2×, 4×, 4× `width` fields (each eight
    channels), max over the group, global average pooling. Width 4 costs about small_cnn's multiply-adds (32 channels
    a field of 8 wide) with an eighth of the weights per channel."""
    inputs = keras.Input(tuple(input_shape))
    x = inputs
    for k, filters in enumerate((width, 2 * width, 4 * width, 4 * width)):
        x = layers.ReLU()(group_batch_norm(D4Conv(filters, lift=k == 0)(x)))
        if k < 3:
            x = symmetric_pool(x)
    x = layers.Dropout(0.3)(layers.GlobalAveragePooling2D()(GroupMax()(x)))
    return [keras.Model(inputs, x, name="d4_body")]
