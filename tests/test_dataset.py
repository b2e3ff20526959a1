import h5py
import numpy as np
import pytest

from galaxy10.dataset import DatasetError, check_galaxy10, load_images
from galaxy10.split import write_split


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
    "wrong dtype": (lambda p: _h5(p, GOOD_IMAGES.astype(np.float32), GOOD_LABELS), "float32"),
    "label too big": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS + 1), r"found uint8 in \[1, 10\]"),
    "negative label": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS.astype(int) - 1), r"in \[-1, 8\]"),
    "float labels": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS.astype(float)), "must be integers"),
    "empty": (lambda p: _h5(p, GOOD_IMAGES[:0], GOOD_LABELS[:0]), "holds no images"),
    "length mismatch": (lambda p: _h5(p, GOOD_IMAGES, GOOD_LABELS[:5]), "20 images"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_input_is_refused_clearly_and_leaves_no_output(tmp_path, case):
    make, problem = BAD_FILES[case]
    source = make(tmp_path / "Galaxy10.h5")
    with pytest.raises(DatasetError, match=problem) as error:
        check_galaxy10(source)
    assert str(source) in str(error.value) and "download or regenerate" in str(error.value)
    out = tmp_path / "out" / "split.npz"
    with pytest.raises(DatasetError):
        write_split(source, out)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_missing_file_says_which_stage_makes_it(tmp_path):
    with pytest.raises(DatasetError, match="no such file.*download or synthesize"):
        check_galaxy10(tmp_path / "absent.h5")


def test_good_file_passes(tmp_path):
    assert check_galaxy10(_h5(tmp_path / "ok.h5", GOOD_IMAGES, GOOD_LABELS)) == (20, (69, 69, 3))


def test_images_come_back_in_the_order_asked_for(small_h5):
    with h5py.File(small_h5) as f:
        every = f["images"][()]
    assert np.array_equal(load_images(small_h5, [17, 3, 250]), every[[17, 3, 250]])
