"""Reading a Galaxy10-format HDF5 file, with checks that say what is wrong and what to do."""

from pathlib import Path

import h5py
import numpy as np

from galaxy10.io import InputError


class DatasetError(InputError):
    """The input data file cannot be used as it is."""


def _fail(path, problem):
    raise DatasetError(
        f"{path}: {problem}. Galaxy10 files hold `images` (uint8, N×H×W×3) and `ans` (integer class labels from 0); "
        "delete the file and download or regenerate it, or point data.<dataset>.path at a good copy."
    )


def check_galaxy10(
    path, image_size: int | None = None, n_classes: int | None = None
) -> tuple[int, tuple[int, int, int]]:
    """Validate the file's layout and labels without loading the images; return (N, image shape).

    `image_size`, if given, is the side the data set's images must have (69 for SDSS, 256 for DECaLS); `n_classes`,
    if given, how many classes its labels may name (the data set's class names)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file; run the download or synthesize stage first, or fix data.<dataset>.path.")
    if not h5py.is_hdf5(path):
        _fail(path, "not an HDF5 file (corrupt or truncated download?)")
    try:
        with h5py.File(path, "r") as f:
            missing = [name for name in ("images", "ans") if name not in f]
            if not missing:
                shape, dtype, labels = f["images"].shape, f["images"].dtype, f["ans"][()]
    except OSError as err:
        unreadable = str(err)
    else:
        unreadable = None
    if unreadable:
        _fail(path, f"cannot be read as HDF5 ({unreadable}); it may be truncated or corrupt")
    if missing:
        _fail(path, f"no dataset `{missing[0]}`")
    if dtype != np.uint8 or len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2]:
        _fail(path, f"`images` is {dtype} with shape {shape}, expected uint8 (N, H, H, 3)")
    if image_size is not None and shape[1] != image_size:
        raise DatasetError(
            f"{path}: its images are {shape[1]}×{shape[2]} pixels, but this data set's are {image_size}×{image_size}. "
            "Point data.<dataset>.path at the right file, or set data.<dataset>.any_image_size: true if you mean "
            "to train on images of this size."
        )
    if shape[0] == 0:
        _fail(path, "it holds no images")
    if labels.shape != (shape[0],):
        _fail(path, f"`ans` has shape {labels.shape} but there are {shape[0]} images")
    top = "" if n_classes is None else n_classes - 1
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or (n_classes and labels.max() >= n_classes):
        _fail(path, f"`ans` must be integers 0..{top}, found {labels.dtype} in [{labels.min()}, {labels.max()}]")
    return shape[0], shape[1:]


def load_labels(path, image_size: int | None = None, n_classes: int | None = None) -> np.ndarray:
    check_galaxy10(path, image_size, n_classes)
    with h5py.File(path, "r") as f:
        return f["ans"][()].astype(np.uint8)
