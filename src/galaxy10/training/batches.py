"""Batches served straight from the uint8 arrays, so the data set is never copied whole by any backend."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import keras
import numpy as np

from galaxy10.data.corruptions import augment


def inference_batch(batch_size: int, image_shape) -> int:
    """Batch for validation and prediction. Results do not depend on it and larger batches cost fewer Python
    calls, but memory grows with it: at most as many pixels as 256 SDSS images, or the training batch."""
    sdss_images = 256 * 69 * 69 // (image_shape[0] * image_shape[1])
    return max(batch_size, min(256, sdss_images))


class ImageBatches(keras.utils.PyDataset):
    """(images, labels) batches; (images, labels, sample weights) when `class_weights` (one per class) is given.
    With `classes`, the labels come one-hot over that many classes, as Keras' label-smoothing loss needs them.

    `sample` (positions, repeats allowed) is what an epoch goes through: by default every image once.
    With `shuffle`, each epoch has its own order, seeded by (seed, epoch), so that training resumed at some
    epoch sees the batches it would have seen without the interruption. Training sets `epoch` from a
    callback (`follow_epochs`): Keras calls a PyDataset's own epoch hooks more often than once per epoch.
    With `corrupt` (names of data.corruptions.TRAINING), each image is corrupted with probability `corrupt_rate`,
    seeded by (seed, epoch, batch) for the same reason. With `multiple_of` (the devices of a data-parallel run),
    the last batch is cut to a multiple of it, so that every device gets as many images: an epoch leaves out up to
    `multiple_of` - 1 of them. With `feed_processes`, that many processes corrupt the coming batches ahead of the
    training (a GPU waits for the corruptions otherwise); the batches are the same either way.
    """

    def __init__(
        self, images, labels, batch_size: int, shuffle: bool = False, seed: int = 0, class_weights=None, classes=None,
        sample=None, corrupt=(), corrupt_rate=0.5, multiple_of=1, feed_processes=0,
    ):
        super().__init__()
        self.images, self.labels, self.batch_size, self.shuffle, self.seed = images, labels, batch_size, shuffle, seed
        self.targets = labels if classes is None else np.eye(classes, dtype=np.float32)[labels]
        self.class_weights = None if class_weights is None else np.asarray(class_weights, np.float32)
        self.epoch = 0
        self.sample = np.arange(len(images)) if sample is None else np.asarray(sample)
        self._ordered_epoch, self._order = None, self.sample
        self.corrupt, self.corrupt_rate = tuple(corrupt), corrupt_rate
        self.multiple_of = multiple_of
        self.feed_processes, self._pool, self._coming = feed_processes, None, {}

    def __len__(self):
        last = len(self.sample) % self.batch_size
        return len(self.sample) // self.batch_size + (last - last % self.multiple_of > 0)

    def epoch_order(self, epoch):
        if self.shuffle and epoch != self._ordered_epoch:
            self._order = self.sample[np.random.default_rng((self.seed, epoch)).permutation(len(self.sample))]
            self._ordered_epoch = epoch
        return self._order

    def _rows(self, index):
        rows = self.epoch_order(self.epoch)[index * self.batch_size : (index + 1) * self.batch_size]
        return rows[: len(rows) - len(rows) % self.multiple_of]

    def _corruption_args(self, index):
        rng = np.random.default_rng((self.seed, self.epoch, index, 0xC0))
        return self.images[self._rows(index)], self.corrupt, self.corrupt_rate, rng

    def _corrupted(self, index):
        """Batch `index`'s images, corrupted here or, with feed processes, by the pool, which is given the next
        batches of the epoch as it goes (each depends only on its seed, epoch and index, so the order is free)."""
        if not self.feed_processes:
            return augment(*self._corruption_args(index))
        if self._pool is None:  # forkserver: a fork of a process running JAX or TensorFlow can hang
            self._pool = ProcessPoolExecutor(self.feed_processes, multiprocessing.get_context("forkserver"))
        self._coming = {key: job for key, job in self._coming.items() if key[0] == self.epoch}
        for ahead in range(index, min(index + 2 * self.feed_processes + 1, len(self))):
            if (self.epoch, ahead) not in self._coming:
                self._coming[self.epoch, ahead] = self._pool.submit(augment, *self._corruption_args(ahead))
        return self._coming.pop((self.epoch, index)).result()

    def __getitem__(self, index):
        rows = self._rows(index)
        images = self._corrupted(index) if self.corrupt else self.images[rows]
        if self.class_weights is None:
            return images, self.targets[rows]
        return images, self.targets[rows], self.class_weights[self.labels[rows]]

    def close(self) -> None:
        """Stop the feed processes, if any."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool, self._coming = None, {}

    def follow_epochs(self) -> keras.callbacks.Callback:
        """A callback that tells these batches which epoch is starting."""
        return keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: setattr(self, "epoch", epoch))
