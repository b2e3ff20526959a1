"""The real `snakemake` on a small synthetic set: every output's content, partial re-runs, bad config and input."""

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
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2"]
SMALL = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
EXPERIMENTS = list(SMALL["experiments"])
OUT = Path("Results/synthetic")


def snakemake(workdir, *args, check=True):
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), *args], capture_output=True, text=True, timeout=900
    )
    if check and result.returncode != 0:
        pytest.fail(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def planned_jobs(workdir, *args) -> dict:
    """Rule name → job count that a dry run would execute; empty when nothing is left to do."""
    result = snakemake(workdir, "--dry-run", *args)
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:")[1].split("total")[0]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)}


def write_config(workdir, config):
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A workflow folder in which the whole small pipeline has run once."""
    workdir = tmp_path_factory.mktemp("workflow")
    write_config(workdir, SMALL)
    snakemake(workdir)
    return workdir


def test_every_output_holds_what_it_should(run):
    n = SMALL["synthetic"]["n_images"]
    with h5py.File(run / OUT / "Galaxy10.h5") as f:
        images, labels = f["images"][()], f["ans"][()]
    assert images.shape == (n, 69, 69, 3) and images.dtype == np.uint8
    assert set(np.unique(labels)) == set(range(10))

    with np.load(run / OUT / "split.npz") as npz:
        split = {key: npz[key] for key in npz.files}
    rows = np.concatenate([split["idx_train"], split["idx_valid"], split["idx_test"]])
    assert sorted(rows) == list(range(n))
    assert len(split["idx_test"]) == round(0.2 * n)
    assert np.array_equal(split["x_test"], images[split["idx_test"]])

    for name in EXPERIMENTS:
        settings = SMALL["experiments"][name]
        folder = run / OUT / name
        history = pd.read_csv(folder / "history.csv", index_col="epoch")
        assert list(history.columns) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
        assert list(history.index) == list(range(1, settings["epochs"] + 1))
        assert history["lr"].iloc[0] == pytest.approx(settings["learning_rate"])
        assert history.notna().all().all() and (history["loss"] > 0).all()

        model = keras.saving.load_model(folder / "model.keras")
        assert model.count_params() == 1_829_642

        predictions = pd.read_csv(folder / "predictions.csv")
        probabilities = predictions[[f"prob_{k}" for k in range(10)]].to_numpy()
        assert list(predictions.columns[:3]) == ["predict", "test", "source_index"]
        assert np.array_equal(predictions["source_index"], split["idx_test"])
        assert np.array_equal(predictions["test"], labels[predictions["source_index"]])
        assert np.array_equal(predictions["predict"], probabilities.argmax(axis=1))
        assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
        again = model.predict(split["x_test"][:16], verbose=0)
        assert np.allclose(again, probabilities[:16], atol=1e-4)  # the saved model is the one that predicted

        metrics = json.loads((folder / "metrics.json").read_text())
        correct = predictions["predict"] == predictions["test"]
        assert metrics["accuracy"] == pytest.approx(correct.mean())
        assert metrics["n_test"] == len(predictions)
        assert sum(row["support"] for row in metrics["per_class"]) == len(predictions)
        confusion = pd.read_csv(folder / "confusion_matrix.csv", index_col="true").to_numpy()
        assert confusion.sum() == len(predictions) and np.trace(confusion) == correct.sum()
        assert (folder / "logs" / "train.log").read_text().count("Epoch") == settings["epochs"]


def test_nothing_left_to_do_after_a_full_run(run):
    assert planned_jobs(run) == {}


def test_changing_one_training_value_reruns_only_that_experiment(run):
    first, second = EXPERIMENTS
    untouched = (run / OUT / first / "model.keras").stat().st_mtime
    config = json.loads(json.dumps(SMALL))
    config["experiments"][second]["learning_rate"] *= 2
    write_config(run, config)
    try:
        assert planned_jobs(run) == {"train": 1, "predict": 1, "evaluate": 1, "all": 1}
        snakemake(run)
        history = pd.read_csv(run / OUT / second / "history.csv")
        assert history["lr"].iloc[0] == pytest.approx(config["experiments"][second]["learning_rate"])
        assert (run / OUT / first / "model.keras").stat().st_mtime == untouched
    finally:
        write_config(run, SMALL)
        snakemake(run)


def test_deleting_a_model_reruns_train_and_what_follows(run):
    (run / OUT / EXPERIMENTS[0] / "model.keras").unlink()
    assert planned_jobs(run) == {"train": 1, "predict": 1, "evaluate": 1, "all": 1}
    snakemake(run)
    assert planned_jobs(run) == {}


def test_changing_the_split_reruns_what_follows_it_and_never_the_data(run):
    n = len(EXPERIMENTS)
    write_config(run, {**SMALL, "split": {**SMALL["split"], "seed": 99}})
    try:
        assert planned_jobs(run) == {"split": 1, "train": n, "predict": n, "evaluate": n, "all": 1}
    finally:
        write_config(run, SMALL)


def test_asking_for_one_stage_builds_only_up_to_it(tmp_path):
    write_config(tmp_path, SMALL)
    snakemake(tmp_path, str(OUT / "split.npz"))
    made = sorted(p.name for p in (tmp_path / OUT).iterdir())
    assert made == ["Galaxy10.h5", "benchmarks", "logs", "split.npz"]


BAD_CONFIGS = {
    "epochz": lambda c: c["experiments"]["seed_dnn"].update(epochz=3),
    "epochs": lambda c: c["experiments"]["seed_dnn"].update(epochs="ten"),
    "backend": lambda c: c.update(backend="theano"),
    "test_size": lambda c: c["split"].update(test_size=1.5),
    "colour": lambda c: c.update(colour="red"),
}


@pytest.mark.parametrize("key", BAD_CONFIGS)
def test_bad_config_is_an_error_naming_the_key(tmp_path, key):
    config = json.loads(json.dumps(SMALL))
    BAD_CONFIGS[key](config)
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--dry-run", check=False)
    assert result.returncode != 0
    assert key in result.stdout + result.stderr
    assert not (tmp_path / "Results").exists()


def test_corrupt_local_copy_fails_clearly_without_partial_output(tmp_path):
    broken = tmp_path / "Galaxy10.h5"
    broken.write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(5000))
    config = {**SMALL, "dataset": "sdss", "data": {**SMALL["data"], "path": str(broken)}}
    write_config(tmp_path, config)
    result = snakemake(tmp_path, check=False)
    assert result.returncode != 0
    log = (tmp_path / "Results/sdss/logs/split.log").read_text()
    assert "cannot be read as HDF5" in log and str(broken) in log
    assert log.count("Traceback") == 1  # one error, not a chain of them
    assert not (tmp_path / "Results/sdss/split.npz").exists()
    leftovers = [p.name for p in (tmp_path / "Results/sdss").iterdir() if p.name not in ("logs", "benchmarks")]
    assert leftovers == []
    shutil.rmtree(tmp_path / "Results")
