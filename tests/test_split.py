from pathlib import Path

import h5py
import numpy as np
import pytest

from galaxy10.data.facts import DECALS_CLASS_NAMES, SDSS_SIZE
from galaxy10.data.split import SCALE, load_split, split_facts, split_indices, write_split
from galaxy10.data.synthetic import make_labels


def test_default_reproduces_the_seed_sizes():
    parts = split_indices(make_labels(SDSS_SIZE, 0), seed=42)
    assert {name: len(rows) for name, rows in parts.items()} == {"train": 13942, "valid": 3486, "test": 4357}


@pytest.mark.parametrize("stratify", [False, True])
def test_parts_are_disjoint_and_cover_every_row(stratify):
    labels = make_labels(2000, 1)
    parts = split_indices(labels, seed=7, stratify=stratify)
    rows = np.concatenate(list(parts.values()))
    assert len(rows) == len(labels) and len(np.unique(rows)) == len(labels)


def test_same_seed_same_split_other_seed_other_split():
    labels = make_labels(2000, 1)
    a, b, c = (split_indices(labels, seed=s) for s in (5, 5, 6))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])


def test_stratify_keeps_class_proportions():
    labels = make_labels(5000, 1)
    parts = split_indices(labels, seed=0, stratify=True)
    whole = np.bincount(labels, minlength=10) / len(labels)
    for rows in parts.values():
        assert np.abs(np.bincount(labels[rows], minlength=10) / len(rows) - whole).max() < 0.005


def test_impossible_stratified_split_says_what_to_change():
    labels = np.array([0] * 10 + [1])
    with pytest.raises(ValueError, match="stratify: false"):
        split_indices(labels, stratify=True)


def test_npz_holds_uint8_images_of_the_recorded_rows(small_h5, tmp_path):
    out = tmp_path / "split.npz"
    sizes = write_split(small_h5, out, seed=1)
    assert sizes == {"train": 256, "valid": 64, "test": 80}
    with h5py.File(small_h5) as f:
        images, labels = f["images"][()], f["ans"][()]
    with np.load(out) as npz:
        assert float(npz["scale"]) == pytest.approx(SCALE)
        assert "scale" in str(npz["normalization"])
        for part in ("train", "valid", "test"):
            assert npz[f"x_{part}"].dtype == np.uint8
            assert np.array_equal(npz[f"x_{part}"], images[npz[f"idx_{part}"]])
            assert np.array_equal(npz[f"y_{part}"], labels[npz[f"idx_{part}"]])
    in_memory, _, _, _ = load_split(out, "test")
    assert isinstance(in_memory, np.ndarray)  # small parts are held in memory
    stored, y, rows, scale = load_split(out, "test", in_memory=False)  # large ones are read batch by batch
    assert not isinstance(stored, np.ndarray)
    assert stored.shape == (80, 69, 69, 3) and len(stored) == 80 and stored.nbytes == 80 * 69 * 69 * 3
    assert np.array_equal(stored[[7, 2, 79]], images[rows[[7, 2, 79]]])
    assert np.array_equal(stored[5:17], images[rows[5:17]]) and stored[5:17].flags.writeable
    assert np.array_equal(np.asarray(stored), images[rows]) and np.array_equal(in_memory, images[rows])


def test_split_records_the_data_sets_name_and_class_names(small_h5, tmp_path):
    out = tmp_path / "split.npz"
    write_split(small_h5, out, dataset="decals", class_names=DECALS_CLASS_NAMES)
    facts = split_facts(out)
    assert facts["dataset"] == "decals" and facts["class_names"] == list(DECALS_CLASS_NAMES)


def test_an_output_left_half_written_by_a_killed_process_is_cleared_on_the_next_write(tmp_path):
    from galaxy10.io import atomic_output

    stale = tmp_path / ".split.a1b2c3d4.npz"  # as mkstemp names it for split.npz
    stale.write_bytes(b"half")
    other = tmp_path / ".other.a1b2c3d4.npz"
    other.write_bytes(b"someone else's")
    with atomic_output(tmp_path / "split.npz") as tmp:
        Path(tmp).write_bytes(b"whole")
    assert (tmp_path / "split.npz").read_bytes() == b"whole" and not stale.exists() and other.exists()
