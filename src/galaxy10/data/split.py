"""Train / validation / test split into one .npz, kept as uint8 with the scaling recorded beside it."""

import os
import struct
import zipfile

import h5py
import numpy as np
from sklearn.model_selection import train_test_split

from galaxy10.data.facts import DATASETS
from galaxy10.data.galaxy10_file import load_labels
from galaxy10.data.download import sha256sum
from galaxy10.io import InputError, atomic_output

PARTS = ("train", "valid", "test")
SCALE = 1 / 255  # the seed's normalisation; the models apply it, so no float copy of the data is ever made
READ_BYTES = 64 << 20  # source bytes read at a time
IN_MEMORY_BYTES = 1 << 30  # a part this small is held in memory: SDSS's train part is 0.2 GB, DECaLS's 2.2 GB


def split_indices(labels, test_size=0.2, valid_size=0.2, seed=0, stratify=False) -> dict:
    """Source row indices of each part: test first, then validation out of the rest, as the seed did."""
    rows = np.arange(len(labels))
    try:
        rest, test = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=labels if stratify else None
        )
        train, valid = train_test_split(
            rest, test_size=valid_size, random_state=seed, stratify=labels[rest] if stratify else None
        )
    except ValueError as err:
        raise InputError(
            f"cannot split {len(labels)} images with test_size={test_size}, valid_size={valid_size}, "
            f"stratify={stratify}: {err}. Use more images, smaller fractions, or split.stratify: false."
        ) from None
    return {"train": train, "valid": valid, "test": test}


def write_split(
    source, out, test_size=0.2, valid_size=0.2, seed=0, stratify=False, *, dataset="sdss", class_names=None,
    image_size=None,
) -> dict:
    """Write x_/y_/idx_ arrays for train, valid and test to `out`, with the data set's name and class names;
    return the part sizes. `class_names` default to the named Galaxy10 data set's; the labels must name one of them.
    `image_size`, if given, is the image side the source must have. A source with a `split` dataset (0 train,
    1 valid, 2 test per image) keeps that split; the sizes, seed and stratification are then unused.

    Each part's rows are kept in source order, so that its images are copied in one sequential pass over the
    source, block by block, straight into the archive: memory stays flat whatever the data set's size.
    """
    class_names = DATASETS[dataset].class_names if class_names is None else class_names
    labels = load_labels(source, image_size, len(class_names))  # checks the file first
    with h5py.File(source, "r") as f:
        given = f["split"][()] if "split" in f else None  # the parts your own data set came with (data.own)
    if given is None:
        parts = split_indices(labels, test_size, valid_size, seed, stratify)
    else:
        parts = {name: np.flatnonzero(given == code) for code, name in enumerate(PARTS)}
    parts = {name: np.sort(rows) for name, rows in parts.items()}
    with h5py.File(source, "r") as f, atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as npz:
        for name in PARTS:
            copy_rows(f["images"], parts[name], npz, f"x_{name}")
            add_array(npz, f"y_{name}", labels[parts[name]])
            add_array(npz, f"idx_{name}", parts[name])
        add_array(npz, "scale", np.float64(SCALE))
        add_array(npz, "normalization", np.array("x * scale, applied inside the model"))
        add_array(npz, "source_sha256", np.array(sha256sum(source)))
        add_array(npz, "dataset", np.array(dataset))
        add_array(npz, "class_names", np.array(class_names))
    return {name: len(parts[name]) for name in PARTS}


def add_array(npz: zipfile.ZipFile, key: str, array: np.ndarray) -> None:
    with npz.open(key + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array(member, array, allow_pickle=False)


def copy_rows(images, rows, npz: zipfile.ZipFile, key: str) -> None:
    """Stream images[rows] (rows ascending) into the archive as the uncompressed member `key`.npy."""
    header = {"descr": np.lib.format.dtype_to_descr(images.dtype), "fortran_order": False,
              "shape": (len(rows), *images.shape[1:])}
    window = max(1, READ_BYTES // (images.dtype.itemsize * int(np.prod(images.shape[1:]))))
    with npz.open(key + ".npy", "w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(member, header)
        for start in range(0, len(images), window):  # one contiguous read per window, then this part's rows
            first, last = np.searchsorted(rows, [start, start + window])
            if last > first:
                member.write(images[start : start + window][rows[first:last] - start].tobytes())


class StoredImages:
    """Rows of an image array stored uncompressed inside an .npz, read on demand with pread.

    Reads go through the page cache rather than into the process, so a stage's memory stays flat however
    large the data set is, and the operating system still keeps hot data in memory.
    """

    def __init__(self, npz_path, member: str):
        with zipfile.ZipFile(npz_path) as archive:
            info = archive.getinfo(member + ".npy")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"{npz_path}: {member} is compressed; write the split with np.savez, not savez_compressed")
        self._file = open(npz_path, "rb")
        self._file.seek(info.header_offset + 26)  # the zip local header: the member's bytes follow its names
        name_length, extra_length = struct.unpack("<HH", self._file.read(4))
        self._file.seek(info.header_offset + 30 + name_length + extra_length)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        shape, fortran_order, self.dtype = read_header[np.lib.format.read_magic(self._file)](self._file)
        if fortran_order:
            raise ValueError(f"{npz_path}: {member} is stored in Fortran order")
        self.shape = shape
        self._offset = self._file.tell()
        self._row_bytes = int(np.prod(shape[1:])) * self.dtype.itemsize

    def __len__(self):
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self._row_bytes

    def __getitem__(self, rows) -> np.ndarray:
        if isinstance(rows, slice) and rows.step in (None, 1):  # contiguous rows: one read
            start, stop, _ = rows.indices(self.shape[0])
            count = max(0, stop - start)
            data = os.pread(self._file.fileno(), count * self._row_bytes, self._offset + start * self._row_bytes)
            return np.frombuffer(data, self.dtype).reshape((count,) + self.shape[1:]).copy()
        rows = np.arange(self.shape[0])[rows]  # any index numpy accepts, checked against the length
        out = np.empty((len(rows),) + self.shape[1:], self.dtype)
        buffer = out.reshape(len(rows), -1).view(np.uint8)
        for k, row in enumerate(rows):
            start = self._offset + int(row) * self._row_bytes
            buffer[k] = np.frombuffer(os.pread(self._file.fileno(), self._row_bytes, start), np.uint8)
        return out

    def __array__(self, dtype=None, copy=None):
        return self[:] if dtype is None else self[:].astype(dtype)


def split_facts(path) -> dict:
    """The data set's name and class names, and the source file's checksum, as the split recorded them."""
    with np.load(path) as npz:
        return {"dataset": str(npz["dataset"]), "class_names": [str(name) for name in npz["class_names"]],
                "source_sha256": str(npz["source_sha256"])}


def load_split(path, part: str, in_memory: bool | None = None):
    """(images, labels, source rows) of one part, plus the scale the model must apply.

    The images are read into memory as one uint8 array when they take at most IN_MEMORY_BYTES (or `in_memory` is
    true): batches are then slices of an array, with no reads. Larger parts (DECaLS) come as `StoredImages`, read
    from disk batch by batch, so memory stays flat. Labels and rows are arrays.
    """
    with np.load(path) as npz:
        labels, rows, scale = npz[f"y_{part}"], npz[f"idx_{part}"], float(npz["scale"])
    images = StoredImages(path, f"x_{part}")
    if in_memory or (in_memory is None and images.nbytes <= IN_MEMORY_BYTES):
        images = images[:]
    return images, labels, rows, scale
