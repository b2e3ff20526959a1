"""Smaller training parts for learning curves: nested, stratified subsets of a split's training part, with the
validation and test parts unchanged, so that every point of a curve is scored on the same images."""

import zipfile

import numpy as np

from galaxy10.data.split import PARTS, StoredImages, add_array, copy_rows
from galaxy10.io import InputError, atomic_output


def nested_subset(labels, fraction: float, seed: int) -> np.ndarray:
    """Positions (ascending) of `fraction` of each class's images, at least one of each class present. Each class
    is put in one seeded order and the first ones are taken, so a smaller fraction's images are all in a larger
    one's: the curve's points differ by the images added, not by a new draw."""
    if not 0 < fraction <= 1:
        raise InputError(f"learning_curve.fractions: {fraction} is not in (0, 1]")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        positions = rng.permutation(np.flatnonzero(labels == label))
        chosen.append(positions[: max(1, round(fraction * len(positions)))])
    return np.sort(np.concatenate(chosen))


def write_subset(split, out, fraction: float, seed: int) -> int:
    """Write `split` to `out` with its training part cut to nested_subset(fraction, seed); return its size."""
    with np.load(split) as npz:
        members = {key: npz[key] for key in npz.files if not key.startswith("x_")}
    keep = nested_subset(members["y_train"], fraction, seed)
    members["y_train"], members["idx_train"] = members["y_train"][keep], members["idx_train"][keep]
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        for part in PARTS:
            images = StoredImages(split, f"x_{part}")
            copy_rows(images, keep if part == "train" else np.arange(len(images)), archive, f"x_{part}")
        for key, array in members.items():
            add_array(archive, key, array)
    return len(keep)
