"""Batches served straight from the uint8 arrays, so the data set is never copied whole by any backend."""

import math

import keras
import numpy as np


class ImageBatches(keras.utils.PyDataset):
    """(images, labels) batches in a seeded order that is reshuffled after every epoch when `shuffle`;
    (images, labels, sample weights) when `class_weights` (one weight per class) is given."""

    def __init__(self, images, labels, batch_size: int, shuffle: bool = False, seed: int = 0, class_weights=None):
        super().__init__()
        self.images, self.labels, self.batch_size, self.shuffle = images, labels, batch_size, shuffle
        self.class_weights = None if class_weights is None else np.asarray(class_weights, np.float32)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(images)) if shuffle else np.arange(len(images))

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        if self.class_weights is None:
            return self.images[rows], self.labels[rows]
        return self.images[rows], self.labels[rows], self.class_weights[self.labels[rows]]

    def on_epoch_end(self):
        if self.shuffle:
            self._order = self._rng.permutation(len(self.images))
