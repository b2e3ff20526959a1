import pytest
from bad_inputs import BAD_FILES, GOOD_IMAGES, GOOD_LABELS, _h5

from galaxy10.data.galaxy10_file import DatasetError, check_galaxy10
from galaxy10.data.split import write_split


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_input_is_refused_clearly_and_leaves_no_output(tmp_path, case):
    make, problem = BAD_FILES[case]
    source = make(tmp_path / "Galaxy10.h5")
    with pytest.raises(DatasetError, match=problem) as error:
        check_galaxy10(source, image_size=69, n_classes=10)
    assert str(source) in str(error.value)
    assert "download or regenerate" in str(error.value) or "any_image_size" in str(error.value)
    out = tmp_path / "out" / "split.npz"
    with pytest.raises(DatasetError):
        write_split(source, out, image_size=69)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


def test_missing_file_says_which_stage_makes_it(tmp_path):
    with pytest.raises(DatasetError, match="no such file.*download or synthesize"):
        check_galaxy10(tmp_path / "absent.h5")


def test_good_file_passes(tmp_path):
    assert check_galaxy10(_h5(tmp_path / "ok.h5", GOOD_IMAGES, GOOD_LABELS), image_size=69) == (20, (69, 69, 3))


def test_any_image_size_is_accepted_when_none_is_asked_for(tmp_path):
    path = _h5(tmp_path / "small.h5", GOOD_IMAGES[:, :64, :64], GOOD_LABELS)
    assert check_galaxy10(path) == (20, (64, 64, 3))
