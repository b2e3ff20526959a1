"""Classifying new cutouts: every input format gives the classes of the same images predicted directly, broken
inputs become rows with errors, and the console entry point works."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import keras
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from PIL import Image

from galaxy10.data.facts import SDSS_CLASS_NAMES, DECALS_CLASS_NAMES
from galaxy10.evaluation.calibration import apply_temperature
from galaxy10.classify.ensemble import model_probabilities
from galaxy10.classify.table import NoImagesError, classify, probability_columns
from galaxy10.classify.cli import main
from galaxy10.data.cutouts import expand, fit_to_size, read_batches
from galaxy10.data.fits import LUPTON_Q, LUPTON_STRETCH
from galaxy10.evaluation.inference import predict_probabilities
from galaxy10.training.models import build_model
from galaxy10.data.synthetic import render

SRC = Path(__file__).resolve().parents[1] / "src"
N = 30
PROBABILITIES = probability_columns(SDSS_CLASS_NAMES)


@pytest.fixture(scope="module")
def model(tmp_path_factory, small_h5):
    """The notebook's network after two epochs on the shared synthetic set, saved as .keras."""
    keras.utils.set_random_seed(0)
    net = build_model("seed_dnn", (69, 69, 3), 10, 1 / 255)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with h5py.File(small_h5) as f:
        net.fit(f["images"][()], f["ans"][()], epochs=2, batch_size=32, verbose=0)
    path = tmp_path_factory.mktemp("model") / "model.keras"
    net.save(path)
    return path


@pytest.fixture(scope="module")
def net(model):
    return keras.saving.load_model(model)


@pytest.fixture(scope="module")
def images():
    return render(np.arange(N) % 10, np.random.default_rng(7))


def write_pictures(folder, images, suffix=".png", **options):
    folder.mkdir(parents=True, exist_ok=True)
    for k, image in enumerate(images):
        Image.fromarray(image).save(folder / f"galaxy{k:02d}{suffix}", **options)
    return folder


def write_h5(path, images):
    with h5py.File(path, "w") as f:
        f.create_dataset("images", data=images)
    return path


def lupton_bands(target):
    """Band images (g, r, i) in nanomaggies that make_lupton_rgb, with the reader's parameters, turns into `target`
    (uint8, RGB = i, r, g; at most 254 so that no pixel saturates): each level's midpoint, un-stretched."""
    mapped = (target.astype(np.float64) + 0.5) / 255  # the stretch's output, which astropy truncates to uint8
    mean = mapped.mean(axis=-1, keepdims=True)
    intensity = LUPTON_STRETCH / LUPTON_Q * np.sinh(mean * np.arcsinh(0.1 * LUPTON_Q) / 0.1)
    bands = (mapped * intensity / mean)[::-1]  # FITS rows run upwards
    return bands[..., 2], bands[..., 1], bands[..., 0]


def table(out) -> pd.DataFrame:
    return pd.read_csv(out / "classes.csv", keep_default_na=False, dtype=str)


def probabilities_of(rows: pd.DataFrame) -> np.ndarray:
    return rows[PROBABILITIES].to_numpy(float)


def test_png_and_hdf5_give_the_direct_prediction(tmp_path, model, net, images):
    expected = predict_probabilities(net, images, 256)
    out = tmp_path / "out"
    result = classify([(model, None)], [write_pictures(tmp_path / "png", images), write_h5(tmp_path / "c.h5", images)],
                      out, SDSS_CLASS_NAMES)
    rows = table(out)
    assert result["items"] == len(rows) == 2 * N and result["errors"] == 0
    assert list(rows.columns) == ["file", "row", "predicted", "predicted_name", *PROBABILITIES, "flags", "error"]
    assert list(rows["file"][:N]) == [str(tmp_path / "png" / f"galaxy{k:02d}.png") for k in range(N)]
    assert list(rows["row"][:N]) == [""] * N and list(rows["row"][N:]) == [str(k) for k in range(N)]
    for part in (rows[:N], rows[N:]):
        assert list(part["predicted"].astype(int)) == list(expected.argmax(axis=1))
        np.testing.assert_allclose(probabilities_of(part), expected, atol=1e-6)
    assert list(rows["predicted_name"]) == [SDSS_CLASS_NAMES[int(k)] for k in rows["predicted"]]
    assert set(rows["error"]) == {""} and set(rows["flags"]) == {""}  # normal cutouts: nothing odd
    assert Image.open(out / "contact_sheet.png").size[0] > 500


def test_embeddings_are_the_vectors_before_the_classifier_a_row_per_table_row(tmp_path, model, net, images):
    folder = write_pictures(tmp_path / "png", images[:4])
    (folder / "galaxy02.png").write_bytes(b"not a picture")  # a row of the table without an embedding
    result = classify([(model, None)], folder, tmp_path / "out", SDSS_CLASS_NAMES, embeddings=True, batch_size=3)
    vectors = np.load(result["embeddings"])
    expected = np.asarray(keras.Model(net.inputs, net.layers[-1].input).predict_on_batch(images[:4]))
    assert vectors.shape == (4, 128) == expected.shape and len(table(tmp_path / "out")) == 4
    assert np.isnan(vectors[2]).all() and table(tmp_path / "out")["error"][2] != ""
    np.testing.assert_allclose(vectors[[0, 1, 3]], expected[[0, 1, 3]], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="no embedding"):  # a model that does not end in a classifier
        classify([(_headless(tmp_path), None)], folder, tmp_path / "none", SDSS_CLASS_NAMES, embeddings=True)
    assert not (tmp_path / "none").exists()


def _headless(tmp_path):
    net = keras.Sequential([keras.Input((69, 69, 3)), keras.layers.Conv2D(10, 69), keras.layers.Reshape((10,)),
                            keras.layers.Softmax()])
    net.save(tmp_path / "headless.keras")
    return tmp_path / "headless.keras"


def test_jpeg_gives_mostly_the_same_classes(tmp_path, model, net, images):
    classify([(model, None)], write_pictures(tmp_path / "jpg", images, ".jpg", quality=95), tmp_path / "out",
             SDSS_CLASS_NAMES)
    agree = table(tmp_path / "out")["predicted"].astype(int) == predict_probabilities(net, images, 256).argmax(axis=1)
    assert agree.mean() >= 0.8


def test_fits_cubes_and_band_files_reproduce_the_image_they_encode(tmp_path, model, net, images):
    target = np.minimum(images, 254)
    cubes, bands = tmp_path / "cubes", tmp_path / "bands"
    cubes.mkdir()
    bands.mkdir()
    for k, image in enumerate(target):
        g, r, i = lupton_bands(image)
        fits.PrimaryHDU(np.stack([g, r, i])).writeto(cubes / f"a{k:02d}.fits")  # planes g, r, i by default
        named = fits.PrimaryHDU(np.stack([i, r, g], axis=-1))
        named.header["BANDS"] = "irg"
        named.writeto(cubes / f"b{k:02d}.fits")  # H×W×3, named
        for band, data in zip("gri", (g, r, i)):
            fits.PrimaryHDU(data).writeto(bands / f"obj{k:02d}_{band}.fits")
    items = expand([cubes, bands])
    assert len(items) == 3 * N
    assert items[2 * N].file == str(bands / "obj00_{g,r,i}.fits") and items[2 * N].kind == "bands"
    (_, read, errors, flags), = read_batches(items, 69, 69, 3 * N)
    assert errors == [None] * 3 * N and flags == [[]] * 3 * N
    for part in (read[:N], read[N : 2 * N], read[2 * N :]):  # a*.fits, b*.fits, the band files
        np.testing.assert_array_equal(part, target)

    classify([(model, None)], [cubes, bands], tmp_path / "out", SDSS_CLASS_NAMES)
    rows = table(tmp_path / "out")
    np.testing.assert_allclose(probabilities_of(rows[2 * N :]), predict_probabilities(net, target, 256), atol=1e-6)


def test_fits_in_the_stand_ins_counts_come_back_as_its_images_under_its_display(tmp_path, model, images):
    """FITS cubes of the synthetic stand-in's flux (its renderer's counts, before the stretch) are shown with that
    stretch when the models' run.json names the data set, and read back as the images they encode."""
    from galaxy10.classify.options import fits_display
    from galaxy10.data.fits import DISPLAYS, LUPTON
    from galaxy10.data.stretch import flux

    counts = flux(images)[:, ::-1]  # RGB = i, r, g; FITS rows run upwards
    (tmp_path / "cubes").mkdir()
    for k, cube in enumerate(counts):
        fits.PrimaryHDU(np.stack([cube[..., 2], cube[..., 1], cube[..., 0]])).writeto(tmp_path / "cubes" / f"{k}.fits")
    run = tmp_path / "run" / "model.keras"
    run.parent.mkdir()
    shutil.copy(model, run)
    assert fits_display(None, [run]) == LUPTON  # no run.json: SDSS's look
    (run.parent / "run.json").write_text(json.dumps({"dataset": "synthetic"}))
    shown = fits_display(None, [run])
    assert shown == DISPLAYS["synthetic"] and str(shown) == "asinh:6:3000"
    (_, read, errors, _), = read_batches(expand([tmp_path / "cubes"]), 69, 69, N, shown)
    assert errors == [None] * N
    assert np.abs(read.astype(int) - images[np.argsort([str(k) for k in range(N)])]).max() <= 1  # files sort as text
    (_, lupton, _, _), = read_batches(expand([tmp_path / "cubes"]), 69, 69, N)
    assert np.abs(lupton.astype(int) - read).mean() > 20  # SDSS's look on these counts is another picture


def test_band_files_make_one_item_per_object(tmp_path):
    names = "a-g a-r a-i b.g b.r b.z c_g c_r c_i c_z d_g d_r e_g".split()
    for name in names:
        (tmp_path / f"{name}.fits").touch()
    items = [(Path(item.file).name, [Path(path).name for path in item.paths], item.error) for item in expand(tmp_path)]
    assert items == [
        ("a-{g,r,i}.fits", ["a-i.fits", "a-r.fits", "a-g.fits"], None),  # red, green, blue
        ("b.{g,r,z}.fits", ["b.z.fits", "b.r.fits", "b.g.fits"], None),
        ("c_{g,r,i}.fits", ["c_i.fits", "c_r.fits", "c_g.fits"], None),  # SDSS's bands from four
        ("d_{g,r}.fits", [], "found bands g, r: need three single-band files (e.g. g, r, i)"),
        ("e_g.fits", [], "empty file"),  # a lone file is read as it is
    ]


def test_sky_in_nanomaggies_makes_a_colour_image(tmp_path):
    """A red galaxy on sky noise: dark sky, a bright, redder-than-grey centre."""
    y, x = np.mgrid[:80, :80] - 40
    profile = 30 * np.exp(-np.hypot(x, y) / 5)
    noise = np.random.default_rng(0).normal(0, 0.03, (3, 80, 80))
    cube = np.stack([profile * 0.5, profile, profile * 1.4]) + noise  # g, r, i
    fits.PrimaryHDU(cube.astype(np.float32)).writeto(tmp_path / "red.fits")
    (_, (image,), (error,), _), = read_batches(expand(tmp_path / "red.fits"), 69, 69, 8)
    assert error is None and image.dtype == np.uint8 and image.shape == (69, 69, 3)
    centre, corner = image[34, 34].astype(int), image[:10, :10].astype(int)
    assert corner.mean() < 40 and centre.max() > 150
    assert centre[0] > centre[1] > centre[2]  # i > r > g: red


def test_a_folder_of_mixed_files_gives_a_row_each(tmp_path, model, images):
    folder = write_pictures(tmp_path / "mixed", images[:3])
    (folder / "broken.png").write_text("not an image\n")
    (folder / "empty.jpg").touch()
    Image.fromarray(images[0, :, :, 0]).save(folder / "grey.png")
    good = (folder / "galaxy00.png").read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    write_h5(tmp_path / "h5.h5", images[:4])
    (folder / "truncated.h5").write_bytes((tmp_path / "h5.h5").read_bytes()[:3000])
    (folder / ".hidden.png").write_text("skipped")
    classify([(model, None)], folder, tmp_path / "out", SDSS_CLASS_NAMES)
    rows = table(tmp_path / "out").set_index(table(tmp_path / "out")["file"].map(lambda f: Path(f).name))
    assert list(rows.index) == ["broken.png", "empty.jpg", "galaxy00.png", "galaxy01.png", "galaxy02.png", "grey.png",
                                "truncated.h5", "truncated.png"]
    errors = rows["error"]
    assert "not a picture" in errors["broken.png"] and errors["empty.jpg"] == "empty file"
    assert errors["grey.png"] == "grey-scale image: need 3 colour channels"
    assert "HDF5" in errors["truncated.h5"] and "truncated" in errors["truncated.png"]
    classified = errors == ""
    assert list(classified.index[classified]) == ["galaxy00.png", "galaxy01.png", "galaxy02.png"]
    assert (rows["predicted"][~classified] == "").all() and (rows["predicted"][classified] != "").all()


def test_only_broken_inputs_raise_and_write_nothing(tmp_path, model):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "a.png").write_text("text")
    (folder / "b.jpg").touch()
    out = tmp_path / "out" / "deeper"
    with pytest.raises(NoImagesError, match=r"no image could be read from 3 items; first errors: .*a\.png: not a"):
        classify([(model, None)], [folder, tmp_path / "missing.png"], out, SDSS_CLASS_NAMES)
    assert not out.parent.exists()


def test_a_larger_cutout_is_shrunk_as_averaging_its_pixels_would(tmp_path):
    """Checked against an independent reference: the same galaxies rendered at twice the size and shrunk by a
    plain 2×2 block mean, which fit_to_size's Lanczos filter must come close to (and a 3-pixel shift must not)."""
    big = render(np.array([1, 7, 4, 9]), np.random.default_rng(1), size=138)
    for image in big:
        shrunk = fit_to_size(image, 69, 69).astype(float)
        block_mean = image.reshape(69, 2, 69, 2, 3).astype(float).mean(axis=(1, 3))
        error = np.abs(shrunk - block_mean).mean()
        assert error < 2.5 and np.abs(shrunk - np.roll(block_mean, 3, axis=0)).mean() > 2 * error


def test_other_sizes_are_cropped_and_resized(tmp_path, model, net, images):
    padded = np.pad(images[:2], ((0, 0), (0, 0), (10, 10), (0, 0)))  # 69×89: the centred 69×69 crop is the image
    np.testing.assert_array_equal(fit_to_size(padded[0], 69, 69), images[0])
    tall = np.pad(images[2], ((7, 7), (0, 0), (0, 0)))  # 83×69: so is this one's
    np.testing.assert_array_equal(fit_to_size(tall, 69, 69), images[2])
    big = render(np.array([1, 7]), np.random.default_rng(1), size=138)
    write_pictures(tmp_path / "sizes", [*big, *padded])
    classify([(model, None)], tmp_path / "sizes", tmp_path / "out", SDSS_CLASS_NAMES)
    rows = table(tmp_path / "out")
    assert set(rows["error"]) == {""}
    block_means = big.reshape(2, 69, 2, 69, 2, 3).astype(float).mean(axis=(2, 4)).round().astype(np.uint8)
    reference = predict_probabilities(net, block_means, 256)
    assert (probabilities_of(rows[:2]).argmax(axis=1) == reference.argmax(axis=1)).all()
    np.testing.assert_allclose(probabilities_of(rows[:2]), reference, atol=0.05)
    np.testing.assert_allclose(probabilities_of(rows[2:]), predict_probabilities(net, images[:2], 256), atol=1e-6)


def test_ensemble_is_the_mean_of_tempered_probabilities(net, images):
    p = predict_probabilities(net, images, 256)
    flat = apply_temperature(p, 3.0)
    assert (flat.max(axis=1) < p.max(axis=1)).all() and (flat.argmax(axis=1) == p.argmax(axis=1)).all()
    mean = model_probabilities([(net, None), (net, 3.0)], images, 256)
    np.testing.assert_allclose(mean, (p + flat) / 2, atol=1e-6)


def test_console_entry_point_writes_the_table_with_tta_probabilities(tmp_path, model, net, images):
    folder = write_pictures(tmp_path / "png", images[:5])
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get(
        "PYTHONPATH", "")])}
    command = [sys.executable, "-m", "galaxy10.classify.cli", str(model), "--input", str(folder), "--out", str(tmp_path / "out")]
    done = subprocess.run([*command, "--tta", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "5 of 5 images classified" in done.stdout
    assert len(table(tmp_path / "out")) == 5 and (tmp_path / "out" / "contact_sheet.png").is_file()
    done = subprocess.run([*command[:-1], str(tmp_path / "maps"), "--saliency", "--quiet"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    plain, with_maps = (Image.open(tmp_path / out / "contact_sheet.png").size for out in ("out", "maps"))
    assert 1.8 < with_maps[0] / plain[0] < 2.2 and with_maps[1] == plain[1]  # a map beside each thumbnail
    with_tta, without = (predict_probabilities(net, images[:5], 256, tta=tta) for tta in (True, False))
    assert np.abs(with_tta - without).max() > 1e-3  # so that the comparison below can tell them apart
    np.testing.assert_allclose(probabilities_of(table(tmp_path / "out")), with_tta, atol=1e-5)
    installed = Path(sys.executable).with_name("galaxy10-classify")  # the console script pip installs
    helped = subprocess.run([installed, "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--input" in helped.stdout and "--class-names" in helped.stdout


def test_the_runs_calibration_beside_the_model_is_applied_unless_told_not_to(tmp_path, model, net, images):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(model, run / "model.keras")
    (run / "calibration.json").write_text(json.dumps({"temperature": 3.0}))
    folder = write_pictures(tmp_path / "png", images[:4])
    raw = predict_probabilities(net, images[:4], 256)
    assert main([str(run / "model.keras"), "--input", str(folder), "--out", str(tmp_path / "cal"), "-q"]) == 0
    np.testing.assert_allclose(probabilities_of(table(tmp_path / "cal")), apply_temperature(raw, 3.0), atol=1e-6)
    assert main([str(run / "model.keras"), "--input", str(folder), "--out", str(tmp_path / "raw"), "-q",
                 "--uncalibrated"]) == 0
    np.testing.assert_allclose(probabilities_of(table(tmp_path / "raw")), raw, atol=1e-6)


def test_console_errors_are_one_line(tmp_path, model, capsys):
    (tmp_path / "a.png").write_text("text")
    assert main([str(tmp_path / "nope.keras"), "--input", str(tmp_path), "--out", str(tmp_path / "o1")]) == 1
    assert main([str(model), "--input", str(tmp_path / "a.png"), "--out", str(tmp_path / "o2"), "-q"]) == 1
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(Path(model).read_bytes()[:5000])
    assert main([str(truncated), "--input", str(tmp_path / "a.png"), "--out", str(tmp_path / "o3")]) == 1
    damaged = tmp_path / "damaged.keras"  # a zip archive, but not a model's
    shutil.make_archive(str(damaged.with_suffix("")), "zip", tmp_path, "a.png")
    damaged.with_suffix(".zip").rename(damaged)
    assert main([str(damaged), "--input", str(tmp_path / "a.png"), "--out", str(tmp_path / "o4")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"galaxy10-classify: error: {tmp_path / 'nope.keras'}: no such model file"
    assert err[1].startswith("galaxy10-classify: error: no image could be read")
    assert err[2] == (f"galaxy10-classify: error: {truncated}: 5,000 bytes that are not a .keras model (a zip "
                      "archive): truncated or corrupt; copy it again, or re-train it (snakemake --forcerun train)")
    assert err[3].startswith(f"galaxy10-classify: error: {damaged}: a .keras archive of ")
    assert "bytes that Keras cannot load" in err[3] and len(err) == 4
    assert not any((tmp_path / f"o{k}").exists() for k in range(1, 5))


def test_class_names_come_from_run_json_or_the_option(tmp_path, model, images):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(model, run / "model.keras")
    names = [f"class {k}" for k in range(10)]
    (run / "run.json").write_text(json.dumps({"class_names": names}))
    write_pictures(tmp_path / "png", images[:3])
    argv = [str(run / "model.keras"), "--input", str(tmp_path / "png"), "-q", "--out"]
    assert main([*argv, str(tmp_path / "a")]) == 0
    assert set(table(tmp_path / "a")["predicted_name"]) <= set(names)
    assert "p_3_class_3" in table(tmp_path / "a").columns
    assert main([*argv, str(tmp_path / "b"), "--class-names", "decals"]) == 0
    assert set(table(tmp_path / "b")["predicted_name"]) <= set(DECALS_CLASS_NAMES)
    assert "p_9_edge_on_with_bulge" in table(tmp_path / "b").columns


def test_degenerate_cutouts_are_refused_or_flagged_and_normal_ones_are_not(tmp_path, model, images):
    folder = tmp_path / "odd"
    folder.mkdir()
    fits.PrimaryHDU(np.zeros((3, 69, 69), np.float32)).writeto(folder / "zeros.fits")  # all one value
    Image.fromarray(images[0, 30:31, 30:31]).save(folder / "one_pixel.png")  # 1×1, would be enlarged to 69×69
    edge = np.stack(lupton_bands(images[1])).astype(np.float32)
    edge[:, :, :23] = np.nan  # the left third off the survey's edge
    fits.PrimaryHDU(edge).writeto(folder / "edge.fits")
    Image.fromarray(images[2, 20:44, 20:44]).save(folder / "small.png")  # 24×24: enlarged almost 3 times
    saturated = images[3].copy()
    saturated[10:40, 10:40] = 255
    Image.fromarray(saturated).save(folder / "saturated.png")
    Image.fromarray(np.full((69, 69, 3), 40, np.uint8) + (np.arange(69) % 2)[:, None, None].astype(np.uint8)
                    ).save(folder / "flat.png")  # stripes of 40 and 41
    write_pictures(folder / "normal", images)
    classify([(model, None)], folder, tmp_path / "out", SDSS_CLASS_NAMES)
    rows = table(tmp_path / "out").set_index(table(tmp_path / "out")["file"].map(lambda f: Path(f).name))
    assert rows.loc["zeros.fits", "error"] == "every pixel has the value 0: an empty image"
    assert rows.loc["one_pixel.png", "error"] == "1×1 pixels: smaller than 8 pixels a side, no galaxy to classify"
    blank = re.fullmatch(r"blank: (\d+)% of the pixels black or not finite", rows.loc["edge.fits", "flags"])
    assert blank and 33 <= int(blank[1]) < 50  # the NaN third, and the image's own black sky
    assert rows.loc["small.png", "flags"] == "upscaled: 24×24 pixels enlarged to 69"
    assert rows.loc["saturated.png", "flags"].startswith("saturated: 19% of the pixels at 255")
    assert rows.loc["flat.png", "flags"] == "flat: pixel values vary by 0.5 of 255 (standard deviation)"
    for name in ("edge.fits", "small.png", "saturated.png", "flat.png"):
        assert rows.loc[name, "error"] == "" and rows.loc[name, "predicted"] != ""  # classified all the same
    normal = rows[rows.index.str.startswith("galaxy")]
    assert len(normal) == N and set(normal["flags"]) == {""} and set(normal["error"]) == {""}


def test_every_option_error_says_what_was_wrong(tmp_path, model, images, capsys):
    folder = write_pictures(tmp_path / "png", images[:2])
    other = tmp_path / "other" / "model.keras"  # a model for 32×32 images
    other.parent.mkdir()
    build_model("seed_dnn", (32, 32, 3), 10, 1 / 255).save(other)
    (tmp_path / "three.txt").write_text("a\nb\nc\n")
    runs = {}
    for name, names in (("one", SDSS_CLASS_NAMES), ("two", DECALS_CLASS_NAMES)):
        runs[name] = tmp_path / name / "model.keras"
        runs[name].parent.mkdir()
        shutil.copy(model, runs[name])
        (runs[name].parent / "run.json").write_text(json.dumps({"class_names": list(names)}))
    broken = tmp_path / "broken" / "model.keras"
    broken.parent.mkdir()
    shutil.copy(model, broken)
    (broken.parent / "run.json").write_text("[1, 2]")
    cases = {
        "takes one value or one per model (1), got 3": [str(model), "--temperature", "1", "2", "3"],
        "--class-names nope.txt: not sdss, decals or a file": [str(model), "--class-names", "nope.txt"],
        "3 class names for models with 10 classes": [str(model), "--class-names", str(tmp_path / "three.txt")],
        "temperature must be positive, got -1.0": [str(model), "--temperature", "-1"],
        "the models differ in input shape or number of classes": [str(model), str(other)],
        "the models' run.json files name different classes": [str(runs["one"]), str(runs["two"])],
        "run.json: not a JSON object": [str(broken)],
        "FITS display 'gamma:2': need lupton[:STRETCH:Q] or asinh:SOFTENING:MAXIMUM": [
            str(model), "--fits-display", "gamma:2"],
        "FITS display asinh needs its SOFTENING and MAXIMUM": [str(model), "--fits-display", "asinh"],
    }
    for expected, arguments in cases.items():
        assert main([*arguments, "--input", str(folder), "--out", str(tmp_path / "out"), "-q"]) == 1, expected
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("galaxy10-classify: error: ") and expected in err[0], err
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        main([str(model), "--input", str(folder), "--out", str(tmp_path / "out"), "--batch-size", "0"])
    assert "need a positive whole number, got '0'" in capsys.readouterr().err
