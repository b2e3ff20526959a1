"""The corrupted sets of a data set: a fixed, stratified sample of the split's test part (for reporting) and one of
its validation part (for choosing by robustness, never the test part), clean and under every corruption at every
severity (data.corruptions), made once and stored as one uncompressed .npz each whose members are read one at a
time (`x_clean`, `x_<corruption>_<severity>`), so memory holds one variant, however large the images."""

import zipfile

import numpy as np

from galaxy10.data.corruptions import CORRUPTIONS, SEVERITIES, corrupt
from galaxy10.data.split import StoredImages, add_array, load_split
from galaxy10.data.subsets import nested_subset
from galaxy10.io import InputError, atomic_output


def variants(names) -> list[tuple[str, int]]:
    """(corruption, severity) of every variant, the clean images first as ("clean", 0)."""
    return [("clean", 0)] + [(name, severity) for name in names for severity in SEVERITIES]


def member(name: str, severity: int) -> str:
    return "x_clean" if name == "clean" else f"x_{name}_{severity}"


def write_corrupted_set(split, out, n_images: int, seed: int, names=tuple(CORRUPTIONS), part: str = "test") -> int:
    """Write the corrupted `part` (test or valid) of `split` to `out`: `n_images` of that part (each class in its
    share, at least one of each; all when it has fewer) under every corruption in `names`; return how many."""
    if unknown := sorted(set(names) - set(CORRUPTIONS)):
        raise InputError(f"robustness.corruptions: unknown {unknown}; choose from {sorted(CORRUPTIONS)}")
    x, y, rows, _ = load_split(split, part)
    keep = nested_subset(y, min(1.0, n_images / len(y)), seed)
    images = np.asarray(x[keep])
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        add_array(archive, "y", y[keep])
        add_array(archive, "source_index", rows[keep])
        add_array(archive, "corruptions", np.array(list(names)))
        for name, severity in variants(names):
            add_array(archive, member(name, severity), images if name == "clean" else corrupt(images, name, severity,
                                                                                              seed))
    return len(keep)


def read_variants(path):
    """(labels, [(corruption, severity, images)]) of a corrupted set; the images are read when sliced."""
    with np.load(path) as npz:
        labels, names = npz["y"], [str(name) for name in npz["corruptions"]]
    return labels, [(name, severity, StoredImages(path, member(name, severity))) for name, severity in variants(names)]
