"""The corruptions of the robustness benchmark: physical in what they change, seeded, graded by severity, and the
training augmentations kept apart from the benchmark's settings."""

import numpy as np
import pytest

from galaxy10.data.corrupted_set import read_variants, write_corrupted_set
from galaxy10.data.corruptions import CORRUPTIONS, SEVERITIES, TRAINING, augment, corrupt
from galaxy10.data.split import load_split, write_split
from galaxy10.data.stretch import display, flux, sky_sigma
from galaxy10.data.synthetic import render, write_synthetic
from galaxy10.io import InputError


@pytest.fixture(scope="module")
def galaxies():
    return render(np.arange(40) % 10, np.random.default_rng(5))


def change(a, b) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_is_seeded_keeps_the_images_form_and_grows_with_severity(galaxies, name):
    mildest, strongest = corrupt(galaxies, name, 1), corrupt(galaxies, name, 5)
    assert mildest.shape == galaxies.shape and mildest.dtype == np.uint8
    assert np.array_equal(corrupt(galaxies, name, 3, seed=7), corrupt(galaxies, name, 3, seed=7))
    assert change(strongest, galaxies) > change(mildest, galaxies) > 0


def test_the_stretch_is_undone_exactly():
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    assert np.array_equal(display(flux(pixels)), pixels)


def test_a_shorter_exposure_and_dimming_act_on_flux_as_physics_says(galaxies):
    before = sky_sigma(flux(galaxies))
    eighth = sky_sigma(flux(corrupt(galaxies, "exposure", 3)))  # 1/8 of the time: √8 × the sky noise
    assert np.median(eighth / before) == pytest.approx(np.sqrt(8), rel=0.15)
    dimmed = flux(corrupt(galaxies, "dimming", 2))  # 0.4 × the flux, the sky noise kept
    assert np.median(sky_sigma(dimmed) / before) == pytest.approx(1, rel=0.15)
    centre = (slice(None), slice(30, 39), slice(30, 39))
    assert flux(galaxies)[centre].sum() * 0.4 == pytest.approx(dimmed[centre].sum(), rel=0.1)


def test_worse_seeing_spreads_the_light_and_keeps_the_sky_noise(galaxies):
    blurred = flux(corrupt(galaxies, "seeing", 5))
    peaks = flux(galaxies).max(axis=(1, 2, 3))
    assert np.median(blurred.max(axis=(1, 2, 3)) / peaks) < 0.7
    assert np.median(sky_sigma(blurred) / sky_sigma(flux(galaxies))) == pytest.approx(1, rel=0.2)


def test_geometry_stays_centred():
    square = np.zeros((1, 69, 69, 3), np.uint8)
    square[0, 30:39, 30:39] = [200, 100, 50]  # 9 pixels wide about the centre, one colour
    zoomed = CORRUPTIONS["zoom"].apply(square, 1.5, None)[0]
    assert list(zoomed[34, 34]) == [200, 100, 50]
    row = zoomed[34, :, 0]
    assert np.array_equal(row, row[::-1]) and (row == 200).sum() == 13  # 9 × 1.5 = 13.5
    quarter = CORRUPTIONS["rotation"].apply(square, 90, np.random.default_rng(0))
    assert np.array_equal(quarter[0], square[0])  # a centred square turned by 90° either way


def test_training_augmentation_is_seeded_and_never_uses_the_benchmarks_settings(galaxies):
    assert np.array_equal(augment(galaxies, TRAINING, 0.0, np.random.default_rng(0)), galaxies)
    every = augment(galaxies, TRAINING, 1.0, np.random.default_rng(0))
    assert all(change(a[None], b[None]) > 0 for a, b in zip(every, galaxies))
    assert np.array_equal(every, augment(galaxies, TRAINING, 1.0, np.random.default_rng(0)))
    rng = np.random.default_rng(1)
    for name in TRAINING:
        draws = {CORRUPTIONS[name].train(rng) for _ in range(2000)}
        assert not draws & set(CORRUPTIONS[name].severities), name
    assert {"resolution", "dimming", "shift"}.isdisjoint(TRAINING)  # never trained against


@pytest.mark.parametrize("part", ["test", "valid"])
def test_a_corrupted_set_is_a_stratified_sample_of_its_part_only(tmp_path, part):
    write_synthetic(tmp_path / "g.h5", 500, seed=1)
    write_split(tmp_path / "g.h5", tmp_path / "split.npz", seed=0, stratify=True)
    x_part, y_part, rows, _ = load_split(tmp_path / "split.npz", part)
    n = write_corrupted_set(tmp_path / "split.npz", tmp_path / "c.npz", 50, seed=0, names=["jpeg", "shift"], part=part)
    labels, stack = read_variants(tmp_path / "c.npz")
    assert n == len(labels) and abs(n - 50) <= 10 and set(labels) == set(y_part)
    assert [(name, severity) for name, severity, _ in stack] == [("clean", 0), *[(c, s) for c in ("jpeg", "shift")
                                                                               for s in SEVERITIES]]
    with np.load(tmp_path / "c.npz") as npz:
        source = npz["source_index"]
    assert set(source) <= set(rows)  # the validation sample never holds a test galaxy, nor the other way round
    clean = stack[0][2][:]
    position = {row: k for k, row in enumerate(rows)}
    assert np.array_equal(clean, x_part[[position[row] for row in source]])
    assert np.array_equal(stack[1][2][:], corrupt(clean, "jpeg", 1, seed=0))
    with pytest.raises(InputError, match="unknown.*blur"):
        write_corrupted_set(tmp_path / "split.npz", tmp_path / "bad.npz", 50, seed=0, names=["blur"], part=part)
    assert not (tmp_path / "bad.npz").exists()
