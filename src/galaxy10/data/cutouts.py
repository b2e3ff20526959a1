"""New galaxy cutouts as the uint8 (H, W, 3) images a model takes, with an error per unreadable item, never an
exception, so that one bad file does not stop a catalogue.

An input is a file, a folder (its files, recursively, in sorted order, hidden ones skipped) or a list of these. Each
file is recognised by its content, not its name:

- a colour picture Pillow reads (PNG, JPEG, ...): one item; RGBA loses its alpha; a grey-scale picture is an error,
  not converted, since the models learned from colour;
- a Galaxy10-format HDF5 file (`images`, uint8 N×H×W×3; `ans` is not needed): one item per row, read in slices;
- a FITS cube of three bands (3×H×W or H×W×3): one item. Its planes are g, r, i unless the header names them
  (BANDS = 'grz', or BAND0, BAND1, BAND2, as Legacy Survey cutouts do);
- three single-band FITS files of one object, `<stem>_g.fits`, `<stem>_r.fits`, `<stem>_i.fits` (or `-g`, `.g`;
  any three of u, g, r, i, z, y; g, r, i when there are more): one item, labelled `<stem>_{g,r,i}.fits`.

FITS bands become a colour image as galaxy10.data.fits says.
Every image is checked first (galaxy10.data.quality): one that is no picture of a galaxy is an error, one that is
odd is classified with flags. Every image whose size is not the model's is centre-cropped to the model's aspect ratio and resized (`fit_to_size`).
"""

import itertools
import os
import re
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
from PIL import Image, UnidentifiedImageError

from galaxy10.data.fits import (BANDS_BY_WAVELENGTH, LUPTON, SDSS_BANDS, CutoutError, FitsDisplay, read_fits_bands,
                                read_fits_cube)
from galaxy10.data.quality import UnusableImage, inspect

FITS_SUFFIX = re.compile(r"\.(fits|fit|fts)(\.gz)?$", re.IGNORECASE)
BAND_FILE = re.compile(r"^(?P<stem>.+)(?P<sep>[_.-])(?P<band>[ugrizy])(?P<suffix>\.(fits|fit|fts)(\.gz)?)$", re.I)
GREY = "grey-scale image: need 3 colour channels"


class Item(NamedTuple):
    """One image to classify: a picture file, a FITS cube, one row of an HDF5 file, or an object's band files."""

    file: str  # as the table shows it
    row: int | None = None  # HDF5 row
    kind: str = "error"  # "picture", "fits", "bands", "hdf5" or "error"
    paths: tuple = ()  # band files, reddest first
    error: str | None = None


def input_files(inputs) -> list[Path]:
    """Files named and the files under folders named, in the order given; folders recursively, sorted, without
    hidden files. A path that does not exist is kept, to become an item with an error."""
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
    files = []
    for entry in map(Path, inputs):
        if entry.is_dir():
            found = (p for p in entry.rglob("*") if p.is_file())
            files += sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(entry).parts))
        else:
            files.append(entry)
    return files


def expand(inputs) -> list[Item]:
    """The items of `inputs` in order; an object's band files make one item where the first of them is."""
    files = input_files(inputs)
    groups = {}
    for path in files:
        if band := _band_of(path):
            groups.setdefault(band[0], {})[band[1]] = path
    items, grouped = [], set()
    for path in files:
        key = (_band_of(path) or [None])[0]
        if key is None or len(groups[key]) == 1:  # a lone `x_g.fits` may well be a cube
            items += _file_items(path)
        elif key not in grouped:
            grouped.add(key)
            items.append(_band_item(key, groups[key]))
    return items


def _band_of(path: Path):
    """((folder, stem, separator, suffix), band) of a single-band FITS file's name, `<stem>_g.fits` say; else None."""
    if match := BAND_FILE.match(path.name):
        return (path.parent, match["stem"], match["sep"], match["suffix"].lower()), match["band"].lower()
    return None


def _band_item(key, bands: dict) -> Item:
    parent, stem, sep, suffix = key
    found = "".join(sorted(bands, key=BANDS_BY_WAVELENGTH.index))
    chosen = SDSS_BANDS if set(SDSS_BANDS) <= set(found) else found
    label = str(parent / f"{stem}{sep}{{{','.join(chosen)}}}{suffix}")
    if len(chosen) != 3:
        return Item(label, error=f"found bands {', '.join(found)}: need three single-band files (e.g. g, r, i)")
    return Item(label, kind="bands", paths=tuple(str(bands[band]) for band in reversed(chosen)))


def _file_items(path: Path) -> list[Item]:
    name = str(path)
    try:
        if not path.is_file():
            return [Item(name, error="no such file")]
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError as err:
        return [Item(name, error=f"cannot open: {err.strerror or err}")]
    if not head:
        return [Item(name, error="empty file")]
    if h5py.is_hdf5(path):
        return _hdf5_items(path)
    if head.startswith(b"SIMPLE  =") or FITS_SUFFIX.search(path.name):
        return [Item(name, kind="fits")]
    return [Item(name, kind="picture")]


def _hdf5_items(path: Path) -> list[Item]:
    """One item per row of `images`, after checking its layout without reading it."""
    try:
        with h5py.File(path, "r") as f:
            images = f.get("images")
            shape, dtype = (images.shape, images.dtype) if isinstance(images, h5py.Dataset) else (None, None)
    except OSError as err:
        return [Item(str(path), error=f"cannot read as HDF5 ({err}); truncated or corrupt?")]
    if shape is None:
        return [Item(str(path), error="HDF5 file without an `images` dataset")]
    if dtype != np.uint8 or len(shape) != 4 or shape[3] != 3:
        return [Item(str(path), error=f"`images` is {dtype} of shape {shape}, expected uint8 N×H×W×3")]
    if shape[0] == 0:
        return [Item(str(path), error="HDF5 `images` holds no images")]
    return [Item(str(path), row, "hdf5") for row in range(shape[0])]


def fit_to_size(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """The image at the model's size: the largest centred crop of the model's aspect ratio, resized with Pillow's
    Lanczos filter (which averages over the source pixels when it shrinks). A square cutout is kept whole, as
    Galaxy10's own images are whole cutouts scaled down, and no galaxy is stretched out of shape."""
    h, w = image.shape[:2]
    if (h, w) == (height, width):
        return image
    crop_h, crop_w = (round(w * height / width), w) if h * width > w * height else (h, round(h * width / height))
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    crop = Image.fromarray(np.ascontiguousarray(image[top : top + crop_h, left : left + crop_w]))
    return np.asarray(crop.resize((width, height), Image.Resampling.LANCZOS))


def _read_picture(path) -> np.ndarray:
    with Image.open(path) as picture:
        picture.load()
        if picture.mode not in ("P", "PA") and len(picture.getbands()) < 3:
            raise CutoutError(GREY)
        return np.asarray(picture.convert("RGB"))


def _read_image(item: Item, shown: FitsDisplay) -> tuple[np.ndarray, float]:
    """The image (FITS under the display `shown`) and the share of its pixels that were not finite (FITS only)."""
    if item.kind == "picture":
        return _read_picture(item.file), 0.0
    return read_fits_cube(item.file, shown) if item.kind == "fits" else read_fits_bands(item.paths, shown)


def _checked(image, height: int, width: int, not_finite_share: float = 0.0):
    """(the image at the model's size, None, its flags), or (None, why it is refused, [])."""
    try:
        flags = inspect(image, min(height, width), not_finite_share)
    except UnusableImage as err:
        return None, str(err), []
    return fit_to_size(image, height, width), None, flags


def _read_one(item: Item, height: int, width: int, shown: FitsDisplay):
    """_checked's triple for one item that is not an HDF5 row; (None, error, []) if it cannot be read."""
    if item.kind == "error":
        return None, item.error, []
    try:
        image, not_finite_share = _read_image(item, shown)
    except CutoutError as err:
        return None, str(err), []
    except UnidentifiedImageError:
        return None, "not a picture Pillow reads (PNG, JPEG, ...), nor HDF5 or FITS", []
    except Exception as err:  # a damaged file fails in its library in many ways: each is this item's error
        return None, f"cannot read: {err}", []
    return _checked(image, height, width, not_finite_share)


def _read_rows(path: str, first: int, count: int, height: int, width: int):
    """_checked's triple for `count` consecutive HDF5 rows, read in one slice; an error for each if that fails."""
    try:
        with h5py.File(path, "r") as f:
            block = f["images"][first : first + count]
    except Exception as err:  # a truncated file can open and still fail on the rows that are missing
        return [(None, f"cannot read rows {first}–{first + count - 1}: {err}", [])] * count
    return [_checked(image, height, width) for image in block]


def read_batches(items: list[Item], height: int, width: int, batch_size: int, shown: FitsDisplay = LUPTON):
    """Yield (items, images, errors, flags) per `batch_size` items: the images (n, height, width, 3) uint8 of the
    items that were read, in order (FITS under the display `shown`), and per item its error or None and its flags
    (data.quality), a list. Consecutive HDF5 rows are read in one slice."""
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]

        def run_key(indexed):  # consecutive rows of one file share (file, row - position)
            position, item = indexed
            return (item.file, item.row - position) if item.kind == "hdf5" else position

        results = []
        for _, run in itertools.groupby(enumerate(batch), run_key):
            run = [item for _, item in run]
            if run[0].kind == "hdf5":
                results += _read_rows(run[0].file, run[0].row, len(run), height, width)
            else:
                results += [_read_one(item, height, width, shown) for item in run]
        images = [image for image, _, _ in results if image is not None]
        images = np.stack(images) if images else np.zeros((0, height, width, 3), np.uint8)
        yield batch, images, [error for _, error, _ in results], [flags for _, _, flags in results]
