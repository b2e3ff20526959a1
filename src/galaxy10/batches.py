"""Batches served straight from the uint8 arrays, so the data set is never copied whole by any backend."""

import math

import keras
import numpy as np


class ImageBatches(keras.utils.PyDataset):
    """(images, labels) batches; (images, labels, sample weights) when `class_weights` (one per class) is given.

    With `shuffle` the batches never end: batch `i` belongs to epoch `first_epoch + i // batches_per_epoch`,
    whose order is seeded by (seed, epoch). So the order does not depend on when Keras calls its epoch hooks
    or prefetches, and training resumed at `first_epoch` sees the batches it would have seen without the
    interruption. `fit` then needs `steps_per_epoch=batches_per_epoch`.
    """

    def __init__(
        self, images, labels, batch_size: int, shuffle: bool = False, seed: int = 0, class_weights=None,
        first_epoch: int = 0,
    ):
        super().__init__()
        self.images, self.labels, self.batch_size, self.shuffle = images, labels, batch_size, shuffle
        self.seed, self.first_epoch = seed, first_epoch
        self.class_weights = None if class_weights is None else np.asarray(class_weights, np.float32)
        self.batches_per_epoch = math.ceil(len(images) / batch_size)
        self._epoch, self._order = None, np.arange(len(images))

    @property
    def num_batches(self):
        return None if self.shuffle else self.batches_per_epoch

    def epoch_order(self, epoch):
        if self.shuffle and epoch != self._epoch:
            self._epoch, self._order = epoch, np.random.default_rng((self.seed, epoch)).permutation(len(self.images))
        return self._order

    def __getitem__(self, index):
        epoch, position = divmod(index, self.batches_per_epoch)
        rows = self.epoch_order(self.first_epoch + epoch)[position * self.batch_size : (position + 1) * self.batch_size]
        if self.class_weights is None:
            return self.images[rows], self.labels[rows]
        return self.images[rows], self.labels[rows], self.class_weights[self.labels[rows]]
