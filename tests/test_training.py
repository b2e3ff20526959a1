import json
import os
import subprocess
import sys
from importlib.util import find_spec

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import require

from galaxy10.batches import ImageBatches
from galaxy10.calibration import apply_temperature
from galaxy10.classes import CLASS_NAMES
from galaxy10.inference import predict_probabilities
from galaxy10.io import InputError
from galaxy10.predict import predict
from galaxy10.runtime import use_backend
from galaxy10.settings import TrainingSettings
from galaxy10.split import load_split, write_split
from galaxy10.training import train


@pytest.fixture(scope="module")
def split(small_h5, tmp_path_factory):
    path = tmp_path_factory.mktemp("split") / "split.npz"
    write_split(small_h5, path, seed=0)
    return path


def test_plateau_callback_cuts_the_rate_and_history_records_it(split, tmp_path):
    # min_delta 1.0 can never be met: after the first epoch (which improves on nothing) every epoch cuts the rate
    plateau = {"monitor": "accuracy", "factor": 0.001, "patience": 0, "min_delta": 1.0}
    settings = TrainingSettings("seed_dnn", epochs=3, batch_size=32, learning_rate=0.001, reduce_lr=plateau)
    history = train(split, tmp_path / "m.keras", tmp_path / "h.csv", settings=settings, seed=0)
    assert list(history["lr"]) == pytest.approx([1e-3, 1e-3, 1e-6], rel=1e-5)  # the rate each epoch ran with
    written = pd.read_csv(tmp_path / "h.csv", index_col="epoch")
    assert list(written.index) == [1, 2, 3] and written["lr"].iloc[2] == pytest.approx(1e-6, rel=1e-5)


class Preempted(Exception):
    pass


@pytest.fixture
def preempt_in_epoch(monkeypatch):
    """Makes training fail as it reads the first training batch of the given (0-based) epoch."""

    def arm(epoch):
        order = ImageBatches.epoch_order

        def epoch_order(self, number):
            if self.shuffle and number == epoch:
                raise Preempted("Preempted")
            return order(self, number)

        monkeypatch.setattr(ImageBatches, "epoch_order", epoch_order)

    yield arm
    monkeypatch.undo()


# the rate is cut after every epoch from the second on, so a resumed run that lost the callback's state would differ
RESUMABLE = dict(
    settings=TrainingSettings(
        "seed_dnn", epochs=4, batch_size=32, learning_rate=0.001,
        reduce_lr={"monitor": "accuracy", "factor": 0.5, "patience": 0, "min_delta": 1.0},
    ),
    seed=3,
)


def test_interrupted_training_goes_on_from_its_last_checkpoint(split, tmp_path, preempt_in_epoch, monkeypatch):
    whole = train(split, tmp_path / "whole" / "m.keras", tmp_path / "whole" / "h.csv", **RESUMABLE)
    run = tmp_path / "run"
    preempt_in_epoch(2)
    with pytest.raises(Exception, match="Preempted"):  # the backend may wrap it
        train(split, run / "m.keras", run / "h.csv", run / "run.json", **RESUMABLE)
    assert not (run / "m.keras").exists()
    assert json.loads((run / "checkpoint" / "state.json").read_text())["epochs_done"] == 2
    monkeypatch.undo()

    resumed = train(split, run / "m.keras", run / "h.csv", run / "run.json", **RESUMABLE)
    assert list(resumed.index) == [1, 2, 3, 4]
    results = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    pd.testing.assert_frame_equal(resumed[results], whole[results], rtol=1e-4)  # as if never interrupted
    assert list(resumed["lr"]) == pytest.approx([1e-3, 1e-3, 5e-4, 2.5e-4])
    record = json.loads((run / "run.json").read_text())
    assert record["resumed_after_epochs"] == [2] and record["epochs_run"] == 4
    assert not (run / "checkpoint").exists()


def test_a_checkpoint_made_with_other_settings_is_not_resumed(split, tmp_path, preempt_in_epoch, monkeypatch, capsys):
    preempt_in_epoch(1)
    with pytest.raises(Exception, match="Preempted"):  # the backend may wrap it
        train(split, tmp_path / "m.keras", tmp_path / "h.csv", **RESUMABLE)
    monkeypatch.undo()
    train(split, tmp_path / "m.keras", tmp_path / "h.csv", tmp_path / "run.json", **{**RESUMABLE, "seed": 4})
    assert "Discarding the checkpoint" in capsys.readouterr().out
    assert json.loads((tmp_path / "run.json").read_text())["resumed_after_epochs"] == []


def test_same_seed_same_training(split, tmp_path):
    settings = {"model": "seed_dnn", "epochs": 2}  # a dict is taken too
    runs = [train(split, tmp_path / f"m{k}.keras", tmp_path / f"h{k}.csv", settings=settings, seed=5) for k in range(2)]
    pd.testing.assert_frame_equal(runs[0].drop(columns="seconds"), runs[1].drop(columns="seconds"), rtol=1e-4)


def test_predictions_come_from_the_saved_model_with_the_runs_batch(split, tmp_path, monkeypatch):
    settings = TrainingSettings("seed_dnn", epochs=1, batch_size=300)  # above the inference batch of 256
    train(split, tmp_path / "m.keras", tmp_path / "h.csv", tmp_path / "run.json", settings=settings, seed=0,
          experiment="notebook")
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["experiment"] == "notebook" and record["settings"] == settings.to_dict()
    assert record["class_names"] == list(CLASS_NAMES) and record["dataset"] == "sdss"
    calls = []
    model = keras.saving.load_model(tmp_path / "m.keras")
    original = type(model).predict_on_batch
    monkeypatch.setattr(keras.Model, "predict_on_batch", lambda self, x: calls.append(len(x)) or original(self, x))
    table = predict(tmp_path / "m.keras", tmp_path / "run.json", split, tmp_path / "p.csv", tmp_path / "cal.json")
    monkeypatch.undo()
    assert calls == [64, 80]  # validation, test: one batch each, as the record's batch of 300 bounds it from below
    x_test, y_test, rows, _ = load_split(split, "test")
    expected = model.predict(np.asarray(x_test), verbose=0)
    probabilities = table[[f"prob_{k}" for k in range(10)]].to_numpy()
    assert np.allclose(probabilities, expected, atol=1e-5)
    assert np.array_equal(table["test"], y_test) and np.array_equal(table["source_index"], rows)

    calibration = json.loads((tmp_path / "cal.json").read_text())
    assert calibration["valid_after"]["nll"] < calibration["valid_before"]["nll"]  # fitted there, so it must help
    calibrated = table[[f"cal_{k}" for k in range(10)]].to_numpy()
    assert np.allclose(calibrated, apply_temperature(probabilities, calibration["temperature"]), atol=1e-5)


def test_test_time_augmentation_averages_the_eight_views(split, tmp_path):
    train(split, tmp_path / "m.keras", tmp_path / "h.csv", tmp_path / "run.json",
          settings=TrainingSettings("small_cnn", epochs=1, batch_size=64), seed=0)
    model = keras.saving.load_model(tmp_path / "m.keras")
    images = np.asarray(load_split(split, "test")[0][:6])
    plain = predict_probabilities(model, images, 4)
    augmented = predict_probabilities(model, images, 4, tta=True)
    views = [np.rot90(v, k, axes=(1, 2)) for v in (images, images[:, :, ::-1]) for k in range(4)]
    expected = np.mean([model.predict(np.ascontiguousarray(v), verbose=0) for v in views], axis=0)
    assert np.allclose(augmented, expected, atol=1e-4) and not np.allclose(augmented, plain, atol=1e-4)
    symmetric = np.zeros((2, 69, 69, 3), np.uint8)  # the same in every view: the same class with and without
    symmetric[:, 30:39, 30:39] = 200
    assert np.allclose(predict_probabilities(model, symmetric, 2, tta=True), predict_probabilities(model, symmetric, 2),
                       atol=1e-4)
    table = predict(tmp_path / "m.keras", tmp_path / "run.json", split, tmp_path / "p.csv", tmp_path / "c.json", tta=True)
    full = predict_probabilities(model, load_split(split, "test")[0], 256, tta=True)
    assert np.allclose(table[[f"prob_{k}" for k in range(10)]].to_numpy(), full, atol=1e-5)


def test_settings_are_checked_and_named():
    with pytest.raises(InputError, match="epochz"):
        TrainingSettings.from_dict({"model": "seed_dnn", "epochz": 3})
    with pytest.raises(InputError, match="epochs"):
        TrainingSettings("seed_dnn", epochs=0)
    with pytest.raises(InputError, match="class_weight"):
        TrainingSettings("seed_dnn", class_weight="inverse")
    same = TrainingSettings("seed_dnn").fingerprint(1, "abc")
    assert same == TrainingSettings.from_dict({"model": "seed_dnn", "epochs": 10}).fingerprint(1, "abc")
    assert same != TrainingSettings("seed_dnn", epochs=11).fingerprint(1, "abc")
    assert same != TrainingSettings("seed_dnn").fingerprint(2, "abc")


def test_backend_is_chosen_before_keras_is_imported():
    code = "from galaxy10.runtime import use_backend; use_backend('tensorflow', 1); import keras; print(keras.backend.backend())"
    # another backend preset in the environment: only use_backend can make it TensorFlow
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.strip().splitlines()[-1] == "tensorflow"
    with pytest.raises(RuntimeError, match="before the backend was chosen"):
        use_backend("jax", 1)  # keras is already imported in this process
    with pytest.raises(ValueError, match="theano"):
        use_backend("theano", 1)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("KERAS_BACKEND") == "jax", reason="runs this module's tests on JAX")
def test_training_resume_and_prediction_also_pass_on_jax():
    """This module's tests once more, with JAX as Keras' backend (fixed when keras is imported: a new process)."""
    require(find_spec("jax"), "JAX", "pip install -r requirements.txt (it installs jax and jaxlib)")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", "not backend_is_chosen"],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
