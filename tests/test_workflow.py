"""The real `snakemake` on a small synthetic set: every output's content, partial re-runs, bad config and input."""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import keras
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image
from bad_inputs import BAD_CONFIGS, BAD_FILES
from conftest import require

from galaxy10.evaluation.calibration import apply_temperature
from galaxy10.data.facts import SDSS_CLASS_NAMES, DECALS_CLASS_NAMES
from galaxy10.data.download import sha256sum
from galaxy10.training.models import RandomTranspose  # noqa: F401  (lets keras load the saved models)
from galaxy10.runtime import choose_backend
from galaxy10.data.synthetic import render

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2"]
SMALL = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
EXPERIMENTS = SMALL["run"]
SEEDS = SMALL["seeds"]
RUNS = len(EXPERIMENTS) * len(SEEDS)
OUT = Path(SMALL["results"]) / "synthetic"
PARAMETERS = {"seed_dnn": 1_829_642, "small_cnn": 243_178}
DEFAULT_SPLIT = {"test_size": 0.2, "valid_size": 0.2, "seed": 42, "stratify": False, "bootstrap_per_seed": False}
workflow = pytest.mark.workflow  # conftest marks these slow too


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


def rerun(runs: int) -> dict:
    """The jobs that re-training `runs` runs plans: each run's stages, then the comparison, robustness and answer."""
    return {"train": runs, "predict": runs, "evaluate": runs, "figures": runs, "saliency": runs,
            "corrupted_accuracy": runs, "compare": 1, "robustness": 1, "answer": 1, "all": 1}


# for the tests of something else: the robustness benchmark's jobs (check_robustness) would add half a minute each
NO_ROBUSTNESS = {"images": 0}


def small_config(experiments=None, **changes) -> dict:
    """A copy of the small config, with only the given experiments (name → changes to tiny_cnn/seed_dnn)."""
    config = json.loads(json.dumps(SMALL))
    if experiments is not None:
        config["experiments"] = experiments
        config["run"] = list(experiments)
    config.update(changes)
    return config


def write_config(workdir, config):
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # about a minute
    """A workflow folder in which the whole small pipeline has run once."""
    workdir = tmp_path_factory.mktemp("workflow")
    write_config(workdir, SMALL)
    snakemake(workdir)
    return workdir


@workflow
def test_every_output_holds_what_it_should(run):
    check_outputs(run)


def check_outputs(run, gpus=0, robustness=True, seeds=SEEDS):
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
        for seed in seeds:
            check_run(run / OUT / name / f"seed{seed}", settings, seed, split, labels, gpus)

    board = pd.read_csv(run / OUT / "leaderboard.csv", index_col="experiment")
    assert sorted(board.index) == sorted(EXPERIMENTS) and (board["seeds"] == len(seeds)).all()
    for name in EXPERIMENTS:
        accuracies = [
            json.loads((run / OUT / name / f"seed{seed}" / "metrics.json").read_text())["accuracy"] for seed in seeds
        ]
        assert board.loc[name, "accuracy_mean"] == pytest.approx(np.mean(accuracies), abs=1e-4)
        spread = np.std(accuracies, ddof=1) if len(seeds) > 1 else 0.0  # one seed: no spread, shown as 0
        assert board.loc[name, "accuracy_std"] == pytest.approx(spread, abs=1e-4)
        assert board.loc[name, "parameters"] == PARAMETERS[SMALL["experiments"][name]["model"]]
        tables = [pd.read_csv(run / OUT / name / f"seed{seed}" / "predictions.csv") for seed in seeds]
        ensemble = np.mean([t[[f"cal_{k}" for k in range(10)]].to_numpy() for t in tables], axis=0)
        expected = np.mean(ensemble.argmax(axis=1) == tables[0]["test"])  # the mean of the seeds' probabilities
        assert board.loc[name, "ensemble_accuracy"] == pytest.approx(expected, abs=1e-4)
        collapsed = [json.loads((run / OUT / name / f"seed{s}" / "metrics.json").read_text())["collapsed"]
                     for s in seeds]
        assert board.loc[name, "collapsed_seeds"] == sum(reason is not None for reason in collapsed)
    # ordered by the seed ensembles' validation score (compare.select_by's default), never a test score
    assert (board["selection_criterion"] == "valid_balanced_accuracy").all()
    assert list(board["valid_balanced_accuracy"]) == sorted(board["valid_balanced_accuracy"], reverse=True)
    differences = pd.read_csv(run / OUT / "differences.csv")
    pairs = {(row.experiment, row.against) for row in differences.itertuples()}
    references = {"seed_dnn", board.index[0]}  # compare.reference's default and the chosen experiment
    assert {frozenset(pair) for pair in pairs} == {frozenset((a, b)) for a in EXPERIMENTS for b in references if a != b}
    assert len(pairs) == len(differences)  # each pair once
    assert (differences["accuracy_low"] <= differences["accuracy_high"]).all()
    html = (run / OUT / "leaderboard.html").read_text()
    assert all(name in html for name in EXPERIMENTS) and "±" in html and "significant" in html
    assert "Holm-adjusted p" in html and "ordered by the seed ensembles' valid balanced accuracy" in html
    for figure in ("leaderboard", "differences", "per_class_recall", "robustness")[: 4 if robustness else 3]:
        assert_png(run / OUT / f"{figure}.png", min_width=400)
    for name in EXPERIMENTS:
        assert_png(run / OUT / name / "seed1" / "saliency.png", min_width=400)
    if robustness:
        check_robustness(run, board, images)
    else:
        assert not list((run / OUT).glob("corrupted_*.npz"))


def check_robustness(run, board, images):
    """The corrupted test set holds the test part's images, the corrupted validation set the validation part's; each
    run's accuracy on them clean is what its own predictions of that part say; the leaderboard's mCE is 1 for the
    reference it is normalised by, and it holds each experiment's accuracy on the corrupted validation set."""
    sources = {}
    for part, csv, predicted in (("test", "corrupted_accuracy.csv", "predictions.csv"),
                                 ("valid", "valid_corrupted_accuracy.csv", "valid_predictions.csv")):
        with np.load(run / OUT / f"corrupted_{part}.npz") as npz:
            source, clean = npz["source_index"], npz["x_clean"]
        assert np.array_equal(clean, images[source]) and len(source) >= SMALL["robustness"]["images"]
        sources[part] = set(source)
        for name in EXPERIMENTS:
            tables = [pd.read_csv(run / OUT / name / f"seed{seed}" / csv) for seed in SEEDS]
            for seed, table in zip(SEEDS, tables):
                assert len(table) == 1 + 5 * 10 and list(table["corruption"][:2]) == ["clean", "jpeg"]
                predictions = pd.read_csv(run / OUT / name / f"seed{seed}" / predicted).set_index("source_index")
                right = (predictions.loc[source, "predict"] == predictions.loc[source, "test"]).sum()
                assert abs(table["correct"].iloc[0] - right) <= 1  # a near tie may fall the other way in another batch
            if part == "valid":  # the criterion compare.select_by: corrupted_accuracy would choose by
                mean = np.mean([table["accuracy"][1:].mean() for table in tables])
                assert board.loc[name, "valid_corrupted_accuracy"] == pytest.approx(mean, abs=1e-4)
    assert not sources["test"] & sources["valid"]
    assert board.loc["seed_dnn", "mce_mean"] == pytest.approx(1, abs=1e-3)
    curves = pd.read_csv(run / OUT / "robustness.csv")
    assert len(curves) == len(EXPERIMENTS) * 10 * 6


def assert_png(path, min_width):
    """A real PNG image of a sensible size, with more than one colour in it."""
    from PIL import Image

    with Image.open(path) as image:
        assert image.format == "PNG" and image.width >= min_width
        assert len(image.convert("L").getcolors(maxcolors=1 << 16) or range(2)) > 1


def metrics_of(folder) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def check_run(folder, settings, seed, split, labels, gpus):
    history = pd.read_csv(folder / "history.csv", index_col="epoch")
    assert list(history.columns) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert (history["seconds"] > 0).all()
    assert list(history.index) == list(range(1, settings["epochs"] + 1))
    assert history["lr"].iloc[0] == pytest.approx(settings["learning_rate"])
    assert history.notna().all().all() and (history["loss"] > 0).all()

    record = json.loads((folder / "run.json").read_text())
    model = keras.saving.load_model(folder / "model.keras")
    assert record["seed"] == seed and record["model"] == settings["model"]
    assert model.count_params() == record["parameters"] == PARAMETERS[settings["model"]]
    assert record["provenance"]["split"] == DEFAULT_SPLIT and record["versions"]["keras"] == keras.__version__
    assert record["experiment"] == folder.parent.name and record["class_names"] == list(SDSS_CLASS_NAMES)
    # JAX: dense networks, GPU jobs and experiments that name it
    assert record["backend"] == choose_backend("auto", settings["model"], gpus, settings.get("backend", "auto"))
    assert record["split_sha256"] == sha256sum(folder.parents[1] / "split.npz")
    assert record["source_sha256"] == sha256sum(folder.parents[1] / "Galaxy10.h5")
    if settings.get("keep_best"):
        assert record["saved_epoch"] == history["val_loss"].idxmin()

    predictions = pd.read_csv(folder / "predictions.csv")
    probabilities = predictions[[f"prob_{k}" for k in range(10)]].to_numpy()
    calibrated = predictions[[f"cal_{k}" for k in range(10)]].to_numpy()
    temperature = json.loads((folder / "calibration.json").read_text())["temperature"]
    assert np.allclose(calibrated, apply_temperature(probabilities, temperature), atol=1e-5)
    assert list(predictions.columns[:3]) == ["predict", "test", "source_index"]
    valid = pd.read_csv(folder / "valid_predictions.csv")
    assert np.array_equal(valid["source_index"], split["idx_valid"])
    assert metrics_of(folder)["validation"]["accuracy"] == pytest.approx((valid["predict"] == valid["test"]).mean())
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

    assert set(metrics["calibration"]) == {"raw", "calibrated"}
    for figure in ("learning_curves", "confusion_matrix", "misclassified", "reliability"):
        assert_png(folder / f"{figure}.png", min_width=400)
    per_class = (folder / "per_class.html").read_text()
    for row in metrics["per_class"]:
        assert row["name"] in per_class and f"<td>{row['support']}</td>" in per_class


@workflow
def test_nothing_left_to_do_after_a_full_run(run):
    assert planned_jobs(run) == {}


@workflow
def test_adding_an_experiment_trains_only_that_experiment(run):
    config = small_config(run=[*EXPERIMENTS, "seed_dnn_batch64"])
    config["experiments"]["seed_dnn_batch64"] = {**SMALL["experiments"]["seed_dnn"], "batch_size": 64}
    write_config(run, config)
    try:
        n = len(SEEDS)
        assert planned_jobs(run) == rerun(n)
    finally:
        write_config(run, SMALL)


@workflow
def test_deleting_a_model_reruns_train_and_what_follows(run):
    (run / OUT / EXPERIMENTS[0] / "seed2" / "model.keras").unlink()
    assert planned_jobs(run) == rerun(1)
    snakemake(run)
    assert planned_jobs(run) == {}


@workflow
def test_changing_the_split_reruns_what_follows_it_and_never_the_data(run):
    write_config(run, small_config(split={"seed": 99}))
    try:
        assert planned_jobs(run) == {"split": 1, "corrupt": 1, **rerun(RUNS)}
    finally:
        write_config(run, SMALL)


@workflow
def test_asking_for_one_stage_builds_only_up_to_it(tmp_path):
    write_config(tmp_path, SMALL)
    snakemake(tmp_path, str(OUT / "split.npz"))
    made = sorted(p.name for p in (tmp_path / OUT).iterdir())  # nothing but what the split needs
    assert made == ["Galaxy10.h5", "benchmarks", "logs", "split.npz"]


@workflow
def test_a_learning_curve_trains_each_run_again_on_nested_subsets_only(tmp_path):
    notebook = {"seed_dnn": SMALL["experiments"]["seed_dnn"]}
    write_config(tmp_path, small_config(notebook, seeds=[1], learning_curve={"fractions": [0.25, 0.5]},
                                        robustness=NO_ROBUSTNESS))
    jobs = planned_jobs(tmp_path)
    assert jobs["train"] == 1 and jobs["train_on_subset"] == 2 and jobs["subsample"] == 2  # the full part once
    snakemake(tmp_path)
    curve = pd.read_csv(tmp_path / OUT / "learning_curve.csv")
    with np.load(tmp_path / OUT / "split.npz") as npz:
        full = len(npz["y_train"])
    assert list(curve["experiment"]) == ["seed_dnn"] * 3
    quarter, half, whole = sorted(set(curve["train_images"]))  # per-class rounding moves them by a few images
    assert whole == full and quarter == pytest.approx(full / 4, abs=10) and half == pytest.approx(full / 2, abs=10)
    for fraction in ("0.25", "0.5"):
        with np.load(tmp_path / OUT / "learning_curve" / fraction / "split.npz") as npz:
            assert len(npz["y_train"]) == pytest.approx(float(fraction) * full, abs=10)
            assert len(npz["y_test"]) == len(pd.read_csv(tmp_path / OUT / "seed_dnn/seed1/predictions.csv"))
        metrics = metrics_of(tmp_path / OUT / "learning_curve" / fraction / "seed_dnn/seed1")
        row = curve[(curve["experiment"] == "seed_dnn") & (curve["train_images"] == (quarter, half)[fraction == "0.5"])]
        assert row["accuracy"].item() == pytest.approx(metrics["accuracy"], abs=1e-4)
    assert_png(tmp_path / OUT / "learning_curve.png", min_width=400)
    assert planned_jobs(tmp_path) == {}


@workflow
def test_gpu_jobs_take_turns_under_the_default_profile(tmp_path):
    config = small_config({"seed_dnn": {**SMALL["experiments"]["seed_dnn"], "epochs": 1}})
    config["resources"]["train"].update(gpu=1, threads=1)
    write_config(tmp_path, config)
    result = snakemake(tmp_path, *(str(OUT / "seed_dnn" / f"seed{seed}" / "model.keras") for seed in SEEDS))
    assert 'Provided resources: gpu=Resource("gpu", 1)' in result.stderr  # from profiles/default
    # two 1-thread jobs on 2 cores would run side by side; one GPU makes them start and finish in turn
    events = re.findall(r"^(?:local)?rule (train):|^Finished jobid: \d+ \(Rule: (train)\)", result.stderr, re.M)
    assert [("train", ""), ("", "train")] * 2 == events



@workflow
def test_a_gpu_jobs_other_cores_draw_the_training_corruptions(tmp_path):
    # the feed processes import the job's script again: it must not train a second time in them
    settings = {**SMALL["experiments"]["seed_dnn"], "epochs": 1, "corrupt": ["jpeg", "seeing"]}
    config = small_config({"seed_dnn": settings}, seeds=[1])
    config["resources"]["train"].update(gpu=1, threads=2)
    write_config(tmp_path, config)
    snakemake(tmp_path, str(OUT / "seed_dnn" / "seed1" / "model.keras"))
    log = (tmp_path / OUT / "seed_dnn" / "seed1" / "logs" / "train.log").read_text()
    assert log.count("1 feed processes draw the training corruptions") == 1 and log.count("val_accuracy:") == 1


# Every bad config and file is refused in-process (test_config.py, test_dataset.py); through Snakemake, two of each
# show that the message reaches the console whole: the path is the same for all.
@workflow
@pytest.mark.parametrize("key", ["epochz", "test_size"])
def test_bad_config_is_an_error_naming_the_key(tmp_path, key):
    config = json.loads(json.dumps(SMALL))
    BAD_CONFIGS[key](config)
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--dry-run", check=False)
    assert result.returncode != 0
    assert key in result.stdout + result.stderr
    assert not (tmp_path / "Results").exists()


@workflow
@pytest.mark.parametrize("case", ["not hdf5", "label too big"])
def test_bad_input_file_fails_on_the_console_naming_file_and_problem(tmp_path, case):
    make, problem = BAD_FILES[case]
    broken = make(tmp_path / "Galaxy10.h5")
    write_config(tmp_path, small_config(dataset="sdss", data={"sdss": {"path": str(broken)}}))
    result = snakemake(tmp_path, "Results/test/sdss/split.npz", check=False)
    assert result.returncode != 0
    console = (result.stdout + result.stderr).splitlines()
    first_error = next(line for line in console if "rror" in line)  # the first error line the user sees
    assert f"Error: {broken}: " in first_error and re.search(problem, first_error), first_error
    assert "Traceback" not in result.stdout + result.stderr
    data = tmp_path / "Results/test/sdss"
    assert [p.name for p in data.iterdir() if p.name not in ("logs", "benchmarks")] == []  # no split.npz


@workflow
def test_a_file_of_another_image_size_is_taken_when_the_config_says_so(tmp_path):
    with h5py.File(tmp_path / "small.h5", "w") as f:
        f["images"] = np.random.default_rng(0).integers(0, 255, (200, 32, 32, 3), dtype=np.uint8)
        f["ans"] = np.arange(200, dtype=np.uint8) % 10
    source = {"path": str(tmp_path / "small.h5"), "any_image_size": True}
    write_config(tmp_path, small_config(dataset="sdss", data={"sdss": source}))
    snakemake(tmp_path, "Results/test/sdss/split.npz")
    with np.load(tmp_path / "Results/test/sdss/split.npz") as npz:
        assert npz["x_test"].shape == (40, 32, 32, 3)


@workflow
@pytest.mark.parametrize("config_file, trainings", [("quick.yaml", 4), ("test.yaml", 4), ("zoo.yaml", 27),
                                                    ("robust.yaml", 24), ("side_by_side.yaml", 15), ("sweep.yaml", 11),
                                                    ("survey_jpeg.yaml", 12)])
def test_a_config_file_given_on_the_command_line_runs_only_its_experiments(tmp_path, config_file, trainings):
    shutil.copytree(REPO / "config", tmp_path / "config")  # config.yaml (its four experiments) and the others
    jobs = planned_jobs(tmp_path, "--configfile", f"config/{config_file}")
    assert jobs["train"] == trainings


@workflow
def test_config_values_on_the_command_line_are_typed_and_checked(tmp_path):
    shutil.copytree(REPO / "config", tmp_path / "config")
    assert planned_jobs(tmp_path, "--config", "run=[seed_dnn,small_cnn]", "seeds=[1]")["train"] == 2
    # nested values typed as YAML types them (Snakemake leaves them strings, which the schema refuses)
    assert planned_jobs(tmp_path, "--config", "predict={tta: true}", "compare={bootstrap: 500}")["predict"] == 12
    result = snakemake(tmp_path, "--dry-run", "--config", "run=[seed_dnn,resnet9000]", check=False)
    assert result.returncode != 0 and "run: ['resnet9000'] not in experiments" in result.stdout + result.stderr
    # choosing by the corrupted validation set needs the benchmark that makes it
    result = snakemake(tmp_path, "--dry-run", "--config", "compare={select_by: corrupted_accuracy}",
                       "robustness={images: 0}", check=False)
    assert result.returncode != 0 and "robustness.images: 0 turns off" in result.stdout + result.stderr


@workflow
def test_a_decals_like_run_names_decals_classes_everywhere(tmp_path):
    config = small_config({"seed_dnn": {"model": "seed_dnn", "epochs": 1}}, seeds=[1])  # robustness at 48 px too
    config["synthetic"] = {"like": "decals", "n_images": 300, "image_size": 48}
    write_config(tmp_path, config)
    snakemake(tmp_path)
    folder = tmp_path / OUT / "seed_dnn" / "seed1"
    assert json.loads((folder / "run.json").read_text())["class_names"] == list(DECALS_CLASS_NAMES)
    assert json.loads((folder / "metrics.json").read_text())["per_class"][0]["name"] == "Disturbed"
    assert "Edge-on with Bulge" in (folder / "per_class.html").read_text()
    snakemake(tmp_path, "--report", "report.html")
    embedded = re.findall(r"base64,([A-Za-z0-9+/=]+)", (tmp_path / "report.html").read_text())  # its files
    assert any(b"Barred Spiral" in base64.b64decode(blob) for blob in embedded)


@pytest.mark.slow
def test_training_killed_mid_run_goes_on_from_its_checkpoint(tmp_path):
    epochs = 8
    config = small_config({"tiny_cnn": {**SMALL["experiments"]["tiny_cnn"], "epochs": epochs, "early_stopping": None}},
                          seeds=[1])
    write_config(tmp_path, config)
    snakemake(tmp_path, str(OUT / "split.npz"))
    model = OUT / "tiny_cnn" / "seed1" / "model.keras"
    run = tmp_path / model.parent
    state = run / "checkpoint" / "state.json"

    # like a preempted node: SIGKILL to snakemake and the training job at once, two epochs or more into training
    job = subprocess.Popen(
        [*SNAKEMAKE, "--directory", str(tmp_path), str(model)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not (state.exists() and json.loads(state.read_text())["epochs_done"] >= 2):
        assert job.poll() is None and time.monotonic() < deadline, "training ended before it could be killed"
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    killed_after = json.loads(state.read_text())["epochs_done"]
    assert 2 <= killed_after < epochs and not (run / "model.keras").exists()

    snakemake(tmp_path, "--unlock")  # snakemake itself was killed, so its lock remains
    snakemake(tmp_path, str(model))
    assert f"Resuming from the checkpoint after epoch {killed_after}" in (run / "logs" / "train.log").read_text()
    history = pd.read_csv(run / "history.csv")
    assert list(history["epoch"]) == list(range(1, epochs + 1))
    record = json.loads((run / "run.json").read_text())
    assert record["resumed_after_epochs"] == [killed_after] and record["epochs_run"] == epochs
    assert not (run / "checkpoint").exists()


@workflow
def test_classify_builds_what_it_needs_from_a_clean_folder(tmp_path):
    cutouts = tmp_path / "my_galaxies"
    cutouts.mkdir()
    images = render(np.arange(10) % 10, np.random.default_rng(0))
    for k, image in enumerate(images):
        Image.fromarray(image).save(cutouts / f"galaxy{k}.png")
    (cutouts / "notes.txt").write_text("not an image")
    config = small_config({"seed_dnn": {"model": "seed_dnn", "epochs": 1}}, seeds=[1])
    config["classify"] = {"inputs": [str(cutouts)]}
    write_config(tmp_path, config)
    target = OUT / "classify" / "my_galaxies" / "classes.csv"
    jobs = planned_jobs(tmp_path, str(target))
    assert jobs["train"] == 1 and jobs["classify"] == 1 and "figures" not in jobs  # only what it needs
    snakemake(tmp_path, str(target))
    table = pd.read_csv(tmp_path / target)
    assert len(table) == 11 and table["error"].notna().sum() == 1
    assert "notes.txt" in table.loc[table["error"].notna(), "file"].item()
    assert set(table["predicted_name"].dropna()) <= set(SDSS_CLASS_NAMES)
    assert_png(tmp_path / target.with_name("contact_sheet.png"), min_width=400)
    assert planned_jobs(tmp_path, str(target)) == {}


@workflow
def test_report_holds_every_figure_with_its_caption(run):
    snakemake(run, "--report", "report.html")
    html = (run / "report.html").read_text()
    assert html.count("iVBORw0KGgo") >= 4 * RUNS + 3  # every PNG figure embedded (base64 of the PNG signature)
    figures = ("learning_curves.png", "confusion_matrix.png", "misclassified.png", "reliability.png", "per_class.html",
               "leaderboard", "differences.png", "per_class_recall.png")
    for name in figures:
        assert name in html
    captions = ("normalised by true class", "most confidently misclassified", "standard deviation over the seeds",
                "no evidence of a difference", "temperature scaling", "Pareto front")
    for caption in captions:
        assert caption in html
    # the first page is the answer, the same words as answer.md beside the leaderboard
    answer = (run / OUT / "answer.md").read_text()
    chosen = pd.read_csv(run / OUT / "leaderboard.csv", index_col="experiment").index[0]
    assert f"**The chosen method** is `{chosen}`" in answer
    assert "The answer</h1>" in html and f"<strong>The chosen method</strong> is <tt class=" in html


@pytest.mark.slow
def test_report_shows_the_leaderboard_in_a_browser(run):
    """Headless Chromium (Debian's `chromium`) opens the report, goes to the leaderboard and keeps a screenshot."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    require(chromium, "Debian's chromium", "apt-get install chromium (as root), then run the tests again")
    if not (run / "report.html").exists():
        snakemake(run, "--report", "report.html")
    screenshot = REPO / "Results" / "test-artifacts" / "report-leaderboard.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    offline = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=offline)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto((run / "report.html").as_uri())
        page.get_by_role("link", name="Comparison").click()
        page.locator("tr", has_text="leaderboard table").locator("a[iconname=eye]").click()
        shown = page.frame_locator("iframe").locator("table").first  # the leaderboard; the differences follow
        text = shown.inner_text(timeout=10_000)
        page.screenshot(path=screenshot)
        browser.close()
    board = pd.read_csv(run / OUT / "leaderboard.csv", index_col="experiment")
    for name in EXPERIMENTS:
        assert name in text
        assert f"{board.loc[name, 'accuracy_mean']:.3f} ± {board.loc[name, 'accuracy_std']:.3f}" in text
    assert screenshot.stat().st_size > 10_000


@workflow
def test_your_own_model_runs_through_the_workflow_and_a_change_to_its_file_retrains_it_alone(tmp_path):
    shutil.copy(REPO / "docs" / "examples" / "my_model.py", tmp_path / "mine.py")
    mine = {"model": "mine.py:wide_cnn", "options": {"width": 4}, "epochs": 1, "batch_size": 64}
    write_config(tmp_path, small_config({"seed_dnn": SMALL["experiments"]["seed_dnn"], "mine": mine}, seeds=[1],
                                        robustness=NO_ROBUSTNESS))
    snakemake(tmp_path)
    board = pd.read_csv(tmp_path / OUT / "leaderboard.csv", index_col="experiment")
    assert set(board.index) == {"seed_dnn", "mine"} and board.loc["mine", "model"] == "mine.py:wide_cnn"
    with open(tmp_path / "mine.py", "a") as source:
        source.write("\n# a change\n")
    jobs = planned_jobs(tmp_path)
    assert jobs == {"train": 1, "predict": 1, "evaluate": 1, "figures": 1, "saliency": 1, "compare": 1, "answer": 1,
                    "all": 1}


@workflow
def test_your_own_folder_of_cutouts_runs_from_a_three_line_config(tmp_path):
    """A folder with a sub-folder per class, three classes of PNGs: the whole workflow, with those classes."""
    from PIL import Image

    from galaxy10.data.synthetic import render

    names = {1: "round", 4: "edge_on", 7: "spiral"}
    labels = np.repeat(list(names), 30)
    for k, (image, label) in enumerate(zip(render(labels, np.random.default_rng(0)), labels)):
        (tmp_path / "cutouts" / names[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(tmp_path / "cutouts" / names[label] / f"g{k:03d}.png")
    write_config(tmp_path, small_config(seeds=[1], robustness=NO_ROBUSTNESS))  # the data set: the three lines below
    (tmp_path / "mine.yaml").write_text("dataset: mine\ndata:\n  mine: {folder: cutouts}\n")
    snakemake(tmp_path, "--configfile", str(tmp_path / "mine.yaml"))
    out = tmp_path / "Results" / "test" / "mine"
    board = pd.read_csv(out / "leaderboard.csv", index_col="experiment")
    assert sorted(board.index) == sorted(EXPERIMENTS) and (board["test_images"] == 18).all()
    record = json.loads((out / EXPERIMENTS[0] / "seed1" / "run.json").read_text())
    assert record["class_names"] == ["edge_on", "round", "spiral"] and record["dataset"] == "mine"
    predictions = pd.read_csv(out / EXPERIMENTS[0] / "seed1" / "predictions.csv")
    assert [column for column in predictions if column.startswith("cal_")] == ["cal_0", "cal_1", "cal_2"]
    assert (out / "answer.md").read_text().startswith("# The answer\n\n**Data**: `mine`, ")


@workflow
def test_a_sweep_trains_each_point_with_the_first_seed_then_the_experiment_with_the_choice(tmp_path):
    swept = {**SMALL["experiments"]["seed_dnn"], "sweep": {"learning_rate": [1e-3, 2e-3], "batch_size": [32, 64]},
             "sweep_points": 3}
    write_config(tmp_path, small_config({"seed_dnn": SMALL["experiments"]["seed_dnn"], "swept": swept}))
    jobs = planned_jobs(tmp_path)
    assert jobs["train"] == 2 * len(SEEDS) + 3 and jobs["sweep"] == 1
    result = snakemake(tmp_path, "--dry-run", "--printshellcmds", str(OUT / "swept" / "seed2" / "model.keras"))
    planned = result.stdout + result.stderr
    assert "swept/chosen.json" in planned and "swept-sweep03/seed1/run.json" in planned
    assert "swept-sweep01/seed2" not in planned  # the points train with the first seed only
    assert jobs["corrupted_accuracy"] == 2 * len(SEEDS)  # the leaderboard's runs; the points need none...
    by_robustness = planned_jobs(tmp_path, "--config", "compare={select_by: corrupted_accuracy}")
    assert by_robustness["corrupted_accuracy"] == 2 * len(SEEDS) + 3  # ...unless they are chosen by it


# The last test on the module's `run`: it leaves the dense network trained with another learning rate.
@workflow
def test_changing_one_training_value_reruns_only_that_experiment(run):
    second, first = EXPERIMENTS  # the dense network is changed: it trains in seconds
    untouched = (run / OUT / first / "seed1" / "model.keras").stat().st_mtime
    config = json.loads(json.dumps(SMALL))
    config["experiments"][second]["learning_rate"] *= 2
    write_config(run, config)
    try:
        n = len(SEEDS)
        assert planned_jobs(run) == rerun(n)
        snakemake(run)
        history = pd.read_csv(run / OUT / second / "seed1" / "history.csv")
        assert history["lr"].iloc[0] == pytest.approx(config["experiments"][second]["learning_rate"])
        assert (run / OUT / first / "seed1" / "model.keras").stat().st_mtime == untouched
    finally:
        write_config(run, SMALL)  # its outputs are not made again: no test on `run` follows this one
