"""Your own data set: labelled cutouts in a folder, made into a Galaxy10-format HDF5 file that the workflow then
splits, trains on and compares like Galaxy10, with your classes.

Three forms (config `data.<name>`):
- `folder` and `labels`: a CSV with columns `file` (a path relative to the folder), `label` (a class name) and,
  optionally, `split` (train, valid or test: the split to keep instead of drawing one);
- `folder` alone: one sub-folder per class, named after it (Keras' `image_dataset_from_directory` and
  torchvision's `ImageFolder` layout);
- `path`: a Galaxy10-format HDF5 file (`images`, `ans`) with any number of classes.
Images are read as the classify stage reads cutouts (PNG, JPEG, FITS; data.cutouts) and brought to `image_size`.
Class names are `class_names` when given, else the labels or sub-folders in sorted order (for an HDF5 file, the
label numbers). Anything wrong (a missing, unreadable or duplicate file, an unknown label, a class with fewer than
two images) is an InputError that names it, and nothing is written.
"""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from galaxy10.data.cutouts import FITS_SUFFIX, Item, input_files, read_batches
from galaxy10.data.fits import LUPTON
from galaxy10.io import InputError, atomic_output

PART_CODES = {"train": 0, "valid": 1, "test": 2}
SHOWN = 5  # problems named in one error


def _names(problems) -> str:
    problems = list(problems)
    more = f" and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return ", ".join(map(str, problems[:SHOWN])) + more


def listing(source: dict) -> pd.DataFrame:
    """Columns file (absolute), label (a class name, a string) and split (or None) of a folder source."""
    folder = Path(source["folder"])
    if not folder.is_dir():
        raise InputError(f"data folder {folder}: no such folder")
    if source.get("labels"):
        table = pd.read_csv(source["labels"], dtype=str, keep_default_na=False)
        if missing := sorted({"file", "label"} - set(table.columns)):
            raise InputError(f"{source['labels']}: no column {missing}; it needs file,label and optionally split")
        if dupes := sorted(table["file"][table["file"].duplicated()]):
            raise InputError(f"{source['labels']}: files listed twice: {_names(dupes)}")
        table["file"] = [str(folder / name) for name in table["file"]]
    else:
        classes = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
        if not classes:
            raise InputError(f"data folder {folder}: no sub-folders (one per class) and no `labels` CSV")
        table = pd.DataFrame([(str(path), each.name) for each in classes for path in input_files([each])],
                             columns=["file", "label"])
    table["split"] = table["split"].replace("", None) if "split" in table else None
    return table


def own_facts(source: dict) -> dict:
    """Class names and image side (None: any) of your data set, before reading its images."""
    if source.get("path"):
        with h5py.File(source["path"], "r") as f:
            n_classes = int(f["ans"][()].max()) + 1
        names = source.get("class_names") or [str(k) for k in range(n_classes)]
        return {"class_names": tuple(names), "image_size": source.get("image_size")}
    labels = sorted(set(listing(source)["label"]))
    return {"class_names": tuple(source.get("class_names") or labels), "image_size": source.get("image_size") or 69}


def _checked_table(table: pd.DataFrame, class_names, where: str) -> pd.DataFrame:
    if missing := [name for name in table["file"] if not Path(name).is_file()]:
        raise InputError(f"{where}: no such files: {_names(missing)}")
    if unknown := sorted(set(table["label"]) - set(class_names)):
        raise InputError(f"{where}: labels not among the class names {list(class_names)}: {_names(unknown)}")
    counts = table["label"].value_counts()
    if rare := [f"{name} ({counts.get(name, 0)})" for name in class_names if counts.get(name, 0) < 2]:
        raise InputError(f"{where}: classes with fewer than 2 images cannot be both trained on and tested: "
                         f"{_names(rare)}; add images or leave the class out of class_names and the labels")
    given = table["split"].notna()
    if given.any():
        odd = sorted(set(table["split"][given]) - set(PART_CODES))
        if odd or not given.all() or set(table["split"]) != set(PART_CODES):
            raise InputError(f"{where}: the split column must give every file one of train, valid, test, and each "
                             f"part at least one file{f'; found {_names(odd)}' if odd else ''}")
    return table


def collect(source: dict, out, image_size: int, class_names) -> int:
    """Write your folder's images (at `image_size`), labels and given split to `out` in Galaxy10's format; return
    how many images."""
    where = source.get("labels") or source["folder"]
    table = _checked_table(listing(source), class_names, str(where))
    items = [Item(name, kind="fits" if FITS_SUFFIX.search(name) else "picture") for name in table["file"]]
    with atomic_output(out) as tmp, h5py.File(tmp, "w") as f:
        images = f.create_dataset("images", (len(items), image_size, image_size, 3), np.uint8)
        start, unreadable = 0, []
        for batch, read, errors, _ in read_batches(items, image_size, image_size, 256, LUPTON):
            unreadable += [f"{item.file} ({error})" for item, error in zip(batch, errors) if error]
            if not unreadable:
                images[start : start + len(read)] = read
            start += len(batch)
        if unreadable:
            raise InputError(f"{where}: {len(unreadable)} files are no usable colour image: {_names(unreadable)}")
        index = {name: k for k, name in enumerate(class_names)}
        f.create_dataset("ans", data=np.array([index[label] for label in table["label"]], np.uint8))
        if table["split"].notna().any():
            f.create_dataset("split", data=np.array([PART_CODES[part] for part in table["split"]], np.uint8))
        f.attrs["class_names"] = list(class_names)
    return len(items)
