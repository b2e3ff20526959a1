"""Your own data set: a folder of labelled cutouts (a CSV, or a sub-folder per class) or an HDF5 file of any number
of classes becomes a Galaxy10-format file with your classes; every problem is named and leaves nothing behind."""

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from galaxy10.data.own import collect, own_facts
from galaxy10.data.split import load_split, split_facts, write_split
from galaxy10.data.synthetic import render
from galaxy10.io import InputError

NAMES = {1: "round", 4: "edge_on", 7: "spiral"}


@pytest.fixture(scope="module")
def galaxies():
    labels = np.repeat(list(NAMES), 12)
    return render(labels, np.random.default_rng(0)), labels


def image_folder(root, galaxies, size=69):
    """One sub-folder per class, PNGs (at another size than the data set's, if asked)."""
    images, labels = galaxies
    for k, (image, label) in enumerate(zip(images, labels)):
        (root / NAMES[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).resize((size, size)).save(root / NAMES[label] / f"g{k:03d}.png")
    return root


def test_a_folder_per_class_becomes_a_galaxy10_file_of_those_classes(tmp_path, galaxies):
    source = {"folder": str(image_folder(tmp_path / "cutouts", galaxies, size=90)), "image_size": 48}
    facts = own_facts(source)
    assert facts == {"class_names": ("edge_on", "round", "spiral"), "image_size": 48}
    assert collect(source, tmp_path / "own.h5", 48, facts["class_names"]) == 36
    with h5py.File(tmp_path / "own.h5") as f:
        assert f["images"].shape == (36, 48, 48, 3) and "split" not in f
        assert list(np.bincount(f["ans"][()])) == [12, 12, 12]  # edge_on, round, spiral
    sizes = write_split(tmp_path / "own.h5", tmp_path / "split.npz", dataset="mine", class_names=facts["class_names"],
                        image_size=48)
    assert sum(sizes.values()) == 36 and split_facts(tmp_path / "split.npz")["class_names"] == list(facts["class_names"])


def test_a_csv_gives_labels_and_the_split_to_keep(tmp_path, galaxies):
    images, labels = galaxies
    (tmp_path / "any").mkdir()
    rows = []
    for k, (image, label) in enumerate(zip(images, labels)):
        Image.fromarray(image).save(tmp_path / "any" / f"{k}.jpg", quality=95)
        rows.append({"file": f"any/{k}.jpg", "label": NAMES[label], "split": ["train", "train", "valid", "test"][k % 4]})
    pd.DataFrame(rows).to_csv(tmp_path / "labels.csv", index=False)
    source = {"folder": str(tmp_path), "labels": str(tmp_path / "labels.csv"), "class_names": ["spiral", "round",
                                                                                                 "edge_on"]}
    facts = own_facts(source)
    assert facts["class_names"] == ("spiral", "round", "edge_on") and facts["image_size"] == 69
    collect(source, tmp_path / "own.h5", 69, facts["class_names"])
    write_split(tmp_path / "own.h5", tmp_path / "split.npz", dataset="mine", class_names=facts["class_names"])
    for part, share in (("train", 0.5), ("valid", 0.25), ("test", 0.25)):
        _, y, rows_kept, _ = load_split(tmp_path / "split.npz", part)
        assert len(y) == share * 36 and all(rows[k]["split"] == part for k in rows_kept)
        assert [facts["class_names"][label] for label in y] == [rows[k]["label"] for k in rows_kept]


def write_csv(tmp_path, rows):
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(tmp_path / "labels.csv", index=False)
    return {"folder": str(tmp_path / "cutouts"), "labels": str(tmp_path / "labels.csv")}


@pytest.mark.parametrize("problem, message", [
    ("missing", "no such files: .*nope.png"),
    ("unknown", r"labels not among the class names .*: bar"),
    ("lonely", r"classes with fewer than 2 images .*: lonely \(1\)"),
    ("twice", "files listed twice: .*g000.png"),
    ("unreadable", r"1 files are no usable colour image: .*broken.png"),
])
def test_each_problem_is_named_and_nothing_is_written(tmp_path, galaxies, problem, message):
    image_folder(tmp_path / "cutouts", galaxies)
    rows = [(f"{NAMES[label]}/g{k:03d}.png", NAMES[label]) for k, label in enumerate(galaxies[1])]
    names = list(NAMES.values())
    if problem == "missing":
        rows.append(("nope.png", "round"))
    elif problem == "unknown":
        rows[0] = (rows[0][0], "bar")
    elif problem == "lonely":
        rows[0] = (rows[0][0], "lonely")
        names.append("lonely")
    elif problem == "twice":
        rows.append(rows[0])
    else:
        (tmp_path / "cutouts" / "broken.png").write_text("not a picture")
        rows.append(("broken.png", "round"))
    source = write_csv(tmp_path, rows)
    with pytest.raises(InputError, match=message):
        collect(source, tmp_path / "own.h5", 69, names)
    assert not (tmp_path / "own.h5").exists()


def test_an_hdf5_file_of_any_number_of_classes_names_them_by_number(tmp_path):
    with h5py.File(tmp_path / "four.h5", "w") as f:
        f["images"] = np.zeros((8, 32, 32, 3), np.uint8)
        f["ans"] = np.arange(8) % 4
    assert own_facts({"path": str(tmp_path / "four.h5")}) == {"class_names": ("0", "1", "2", "3"), "image_size": None}
