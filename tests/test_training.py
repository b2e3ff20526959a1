import json
import subprocess
import sys

import keras
import pandas as pd
import pytest

from galaxy10.batches import ImageBatches
from galaxy10.predict import predict
from galaxy10.runtime import use_backend
from galaxy10.split import write_split
from galaxy10.training import train


@pytest.fixture(scope="module")
def split(small_h5, tmp_path_factory):
    path = tmp_path_factory.mktemp("split") / "split.npz"
    write_split(small_h5, path, seed=0)
    return path


def test_plateau_callback_cuts_the_rate_and_history_records_it(split, tmp_path):
    # min_delta 1.0 can never be met: after the first epoch (which improves on nothing) every epoch cuts the rate
    plateau = {"monitor": "accuracy", "factor": 0.001, "patience": 0, "min_delta": 1.0}
    history = train(
        split, tmp_path / "m.keras", tmp_path / "h.csv",
        model="seed_dnn", epochs=3, batch_size=32, learning_rate=0.001, seed=0, reduce_lr=plateau,
    )
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
    model="seed_dnn", epochs=4, batch_size=32, learning_rate=0.001, seed=3,
    reduce_lr={"monitor": "accuracy", "factor": 0.5, "patience": 0, "min_delta": 1.0},
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
    runs = [
        train(split, tmp_path / f"m{k}.keras", tmp_path / f"h{k}.csv",
              model="seed_dnn", epochs=2, batch_size=32, learning_rate=0.001, seed=5)
        for k in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].drop(columns="seconds"), runs[1].drop(columns="seconds"), rtol=1e-4)


def test_predictions_come_from_the_saved_model(split, tmp_path):
    train(split, tmp_path / "m.keras", tmp_path / "h.csv",
          model="seed_dnn", epochs=1, batch_size=32, learning_rate=0.001, seed=0)
    table = predict(tmp_path / "m.keras", split, tmp_path / "p.csv")
    assert len(table) == 80 and (tmp_path / "p.csv").exists()
    model = keras.saving.load_model(tmp_path / "m.keras")
    assert model.count_params() == 1_829_642


def test_backend_is_chosen_before_keras_is_imported():
    code = "from galaxy10.runtime import use_backend; use_backend('tensorflow', 1); import keras; print(keras.backend.backend())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "tensorflow"
    with pytest.raises(RuntimeError, match="before the backend was chosen"):
        use_backend("jax", 1)  # keras is already imported in this process
    with pytest.raises(ValueError, match="theano"):
        use_backend("theano", 1)
