"""Broken Galaxy10-format files, each with a phrase its error message must contain, and broken configs, each
named by the key the error must name."""

import h5py
import numpy as np


def _h5(path, images=None, labels=None):
    with h5py.File(path, "w") as f:
        if images is not None:
            f["images"] = images
        if labels is not None:
            f["ans"] = labels
    return path


def _bytes(path, data):
    path.write_bytes(data)
    return path


GOOD_IMAGES = np.zeros((20, 69, 69, 3), np.uint8)
GOOD_LABELS = np.arange(20, dtype=np.uint8) % 10

BAD_FILES = {
    "not hdf5": (lambda p: _bytes(p, b"<html>404 Not Found</html>"), "not an HDF5 file"),
    "truncated": (lambda p: _bytes(p, _h5(p, GOOD_IMAGES, GOOD_LABELS).read_bytes()[:3000]), "HDF5"),
    "no labels": (lambda p: _h5(p, GOOD_IMAGES), "no dataset `ans`"),
    "wrong shape": (lambda p: _h5(p, np.zeros((20, 64, 69, 3), np.uint8), GOOD_LABELS), r"shape \(20, 64, 69, 3\)"),
    "grey images": (lambda p: _h5(p, np.zeros((20, 69, 69), np.uint8), GOOD_LABELS), r"shape \(20, 69, 69\)"),
    "float images": (lambda p: _h5(p, GOOD_IMAGES.astype(np.float32), GOOD_LABELS), "float32"),
    "label too big": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS + 1), r"integers 0..9, found uint8 in \[1, 10\]"),
    "negative label": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS.astype(int) - 1), r"in \[-1, 8\]"),
    "float labels": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS.astype(float)), "must be integers"),
    "empty": (lambda p: _h5(p, GOOD_IMAGES[:0], GOOD_LABELS[:0]), "holds no images"),
    "length mismatch": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS[:5]), "20 images"),
    "wrong image size": (lambda p: _h5(p, np.zeros((20, 64, 64, 3), np.uint8), GOOD_LABELS), "are 69×69"),
}

BAD_CONFIGS = {  # the key: how to break a config with it
    "epochz": lambda c: c["experiments"]["seed_dnn"].update(epochz=3),
    "epochs": lambda c: c["experiments"]["seed_dnn"].update(epochs="ten"),
    "backend": lambda c: c.update(backend="theano"),
    "test_size": lambda c: c.update(split={"test_size": 1.5}),
    "colour": lambda c: c.update(colour="red"),
}
