"""Reading a Galaxy10-format HDF5 file, with checks that say what is wrong and what to do."""

from pathlib import Path

import h5py
import numpy as np

from .classes import N_CLASSES
from .io import InputError


class DatasetError(InputError):
    """The input data file cannot be used as it is."""


def _fail(path, problem):
    raise DatasetError(
        f"{path}: {problem}. Galaxy10 files hold `images` (uint8, N×H×W×3) and `ans` (labels 0..{N_CLASSES - 1}); "
        "delete the file and download or regenerate it, or point data.<dataset>.path at a good copy."
    )


def check_galaxy10(path, image_size: int | None = None) -> tuple[int, tuple[int, int, int]]:
    """Validate the file's layout and labels without loading the images; return (N, image shape).

    `image_size`, if given, is the side the data set's images must have (69 for SDSS, 256 for DECaLS)."""
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
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= N_CLASSES:
        _fail(path, f"`ans` must be integers 0..{N_CLASSES - 1}, found {labels.dtype} in [{labels.min()}, {labels.max()}]")
    return shape[0], shape[1:]


def load_labels(path, image_size: int | None = None) -> np.ndarray:
    check_galaxy10(path, image_size)
    with h5py.File(path, "r") as f:
        return f["ans"][()].astype(np.uint8)
