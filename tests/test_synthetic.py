import h5py
import numpy as np
import pytest

from galaxy10.data.facts import DATASETS, DECALS_COUNTS, SDSS_COUNTS

from galaxy10.data.galaxy10_file import check_galaxy10
from galaxy10.data.synthetic import SHAPES, class_counts, make_labels, render, write_synthetic

SDSS_SIDE = DATASETS["sdss"].image_size


def test_file_has_galaxy10_format(small_h5):
    assert check_galaxy10(small_h5) == (400, (SDSS_SIDE, SDSS_SIDE, 3))
    with h5py.File(small_h5) as f:
        images, labels = f["images"][()], f["ans"][()]
    assert images.dtype == np.uint8 and labels.dtype == np.uint8
    assert 0 < images.mean() < 100  # a dark sky with galaxies on it, neither blank nor saturated
    assert images.max() == 255


def test_documented_counts_are_reproduced_at_their_total():
    assert tuple(class_counts(sum(SDSS_COUNTS))) == SDSS_COUNTS
    assert tuple(class_counts(sum(DECALS_COUNTS), like="decals")) == DECALS_COUNTS


def test_a_decals_like_set_has_decals_proportions_and_one_shape_per_class(tmp_path):
    assert sorted(SHAPES["decals"]) == list(range(10))  # no two classes drawn alike
    path = tmp_path / "decals.h5"
    write_synthetic(path, 300, seed=1, image_size=32, like="decals")
    with h5py.File(path) as f:
        assert f["images"].shape == (300, 32, 32, 3) and f.attrs["like"] == "decals"
        counts = np.bincount(f["ans"][()], minlength=10)
    assert np.all(np.abs(counts - np.array(DECALS_COUNTS) * 300 / sum(DECALS_COUNTS)) <= 1)


@pytest.mark.parametrize("n", [200, 1000, 5000])
def test_class_proportions_follow_the_real_set(n):
    counts = class_counts(n)
    assert counts.sum() == n
    expected = np.array(SDSS_COUNTS) * n / sum(SDSS_COUNTS)
    assert np.all(np.abs(counts - expected) <= 3)  # 2 of the rarest class come from the largest
    assert counts.min() >= 2  # every class present, so stratified splits work


def test_same_seed_same_file_whatever_the_process_count(tmp_path, small_h5):
    again = tmp_path / "again.h5"
    write_synthetic(again, 400, seed=3, processes=2)
    with h5py.File(small_h5) as a, h5py.File(again) as b:
        assert np.array_equal(a["images"][()], b["images"][()])
        assert np.array_equal(a["ans"][()], b["ans"][()])


def test_different_seed_different_images():
    labels = make_labels(64, 0)
    assert not np.array_equal(render(labels, np.random.default_rng(1)), render(labels, np.random.default_rng(2)))


def _elongation(image):
    """Ratio of the principal axes of the light distribution above the sky."""
    light = np.clip(image.astype(float).sum(-1) - 60, 0, None)
    y, x = np.indices(light.shape)
    w = light / light.sum()
    mx, my = (w * x).sum(), (w * y).sum()
    cov = np.cov(np.stack([x.ravel() - mx, y.ravel() - my]), aweights=w.ravel())
    low, high = np.linalg.eigvalsh(cov)
    return np.sqrt(high / low)


def test_classes_differ_as_their_names_say():
    """Round, in-between, cigar-shaped and edge-on galaxies are ever more elongated."""
    rng = np.random.default_rng(0)
    median = {k: np.median([_elongation(im) for im in render(np.full(40, k), rng)]) for k in (1, 2, 3, 6)}
    assert median[1] < median[2] < median[3] < median[6]
    assert median[6] > 1.5 * median[1]


def test_larger_images_show_the_same_galaxies_in_finer_pixels():
    """DECaLS-like 138×138 renders of the same draws: same shapes, same surface brightness, twice the pixels."""
    labels = make_labels(64, 0)
    coarse = render(labels, np.random.default_rng(5))
    fine = render(labels, np.random.default_rng(5), size=2 * SDSS_SIDE)
    assert fine.shape == (64, 138, 138, 3) and fine.dtype == np.uint8
    binned = fine.reshape(64, 69, 2, 69, 2, 3).astype(float).mean(axis=(2, 4))
    assert abs(binned.mean() - coarse.mean()) < 0.1 * coarse.mean()
    def correlation(a, b):
        return np.median([np.corrcoef(x.ravel(), y.ravel())[0, 1] for x, y in zip(a, b.astype(float))])

    # each image matches its own coarse twin far better than another galaxy (all are centred, so those match too)
    assert correlation(binned, coarse) > correlation(binned, np.roll(coarse, 1, axis=0)) + 0.2


def test_written_file_has_the_asked_image_size(tmp_path):
    write_synthetic(tmp_path / "big.h5", 20, seed=1, image_size=96)
    assert check_galaxy10(tmp_path / "big.h5") == (20, (96, 96, 3))


def test_the_survey_history_leaves_smoothed_jpeg_artefacts_and_the_same_classes(tmp_path):
    """Rendered 3 times larger, saved as JPEG and scaled down: images of the same size and classes, but no longer
    the plain renderer's; and the history is seeded like the rest."""
    plain, history = tmp_path / "plain.h5", tmp_path / "history.h5"
    write_synthetic(plain, 60, seed=3)
    write_synthetic(history, 60, seed=3, survey_jpeg={"quality": 40, "scale": 3})
    write_synthetic(tmp_path / "again.h5", 60, seed=3, survey_jpeg={"quality": 40, "scale": 3})
    with h5py.File(plain) as a, h5py.File(history) as b, h5py.File(tmp_path / "again.h5") as c:
        assert b["images"].shape == a["images"].shape and np.array_equal(b["ans"][()], a["ans"][()])
        assert np.array_equal(b["images"][()], c["images"][()])
        assert not np.array_equal(b["images"][()], a["images"][()])
        # the pixel noise, averaged over 3×3 finer pixels, is smaller than the plain renderer's
        noise = [np.std(np.diff(f["images"][()].astype(float), axis=2)) for f in (a, b)]
        assert noise[1] < noise[0]
