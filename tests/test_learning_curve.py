"""Learning curves: nested stratified subsets of the training part, and the curve's table and reading."""

import json

import numpy as np
import pandas as pd
import pytest

from galaxy10.data.split import load_split, write_split
from galaxy10.data.subsets import nested_subset, write_subset
from galaxy10.io import InputError
from galaxy10.study.learning_curve import images_to_reach, learning_curve_table


def test_subsets_are_nested_stratified_and_keep_every_class():
    labels = np.repeat(np.arange(10), [500, 300, 200, 100, 50, 3, 20, 10, 5, 1])
    smaller, larger = nested_subset(labels, 0.1, seed=4), nested_subset(labels, 0.4, seed=4)
    assert set(smaller) < set(larger)
    assert list(np.bincount(labels[smaller], minlength=10)) == [50, 30, 20, 10, 5, 1, 2, 1, 1, 1]
    assert list(np.bincount(labels[larger], minlength=10)) == [200, 120, 80, 40, 20, 1, 8, 4, 2, 1]
    assert not np.array_equal(nested_subset(labels, 0.1, seed=5), smaller)  # the seed draws them
    with pytest.raises(InputError, match="not in"):
        nested_subset(labels, 1.5, seed=4)


def test_a_subset_split_changes_only_the_training_part(small_h5, tmp_path):
    write_split(small_h5, tmp_path / "split.npz", seed=42)
    assert write_subset(tmp_path / "split.npz", tmp_path / "quarter.npz", 0.25, seed=42) == len(
        load_split(tmp_path / "quarter.npz", "train")[1])
    x_full, y_full, rows_full, _ = load_split(tmp_path / "split.npz", "train")
    x_part, y_part, rows_part, scale = load_split(tmp_path / "quarter.npz", "train")
    keep = nested_subset(y_full, 0.25, seed=42)
    assert np.array_equal(rows_part, rows_full[keep]) and np.array_equal(x_part, x_full[keep])
    assert np.array_equal(y_part, y_full[keep]) and scale == pytest.approx(1 / 255)
    for part in ("valid", "test"):
        full, sub = load_split(tmp_path / "split.npz", part), load_split(tmp_path / "quarter.npz", part)
        assert all(np.array_equal(a, b) for a, b in zip(full[:3], sub[:3]))
    with np.load(tmp_path / "quarter.npz") as npz:
        assert str(npz["dataset"]) == "sdss" and len(npz["class_names"]) == 10


def test_the_curve_table_and_the_images_needed_to_reach_a_score(tmp_path):
    records = []
    for experiment, images, accuracy in [("cnn", 100, 0.5), ("cnn", 1000, 0.7), ("cnn", 10000, 0.9),
                                         ("dnn", 1000, 0.4), ("dnn", 10000, 0.6)]:
        for seed, shift in ((1, -0.01), (2, 0.01)):
            folder = tmp_path / f"{experiment}{images}" / f"seed{seed}"
            folder.mkdir(parents=True)
            (folder / "run.json").write_text(json.dumps({"experiment": experiment, "seed": seed,
                                                          "train_images": images}))
            scores = {"accuracy": accuracy + shift, "balanced_accuracy": accuracy / 2, "macro_f1": accuracy / 3}
            (folder / "metrics.json").write_text(json.dumps(scores))
            records.append(folder / "run.json")
    table = learning_curve_table(records)
    assert list(table.columns) == ["experiment", "seed", "train_images", "fraction", "accuracy",
                                   "balanced_accuracy", "macro_f1"]
    assert list(table[table["experiment"] == "dnn"]["fraction"]) == [0.1, 0.1, 1.0, 1.0]
    assert images_to_reach(table, "cnn", 0.8) == pytest.approx(np.sqrt(1000 * 10000))  # halfway in log images
    assert images_to_reach(table, "cnn", 0.3) == 100 and images_to_reach(table, "dnn", 0.7) is None
    assert images_to_reach(table, "cnn", 0.25, "balanced_accuracy") == pytest.approx(100)
    assert isinstance(table, pd.DataFrame)


def test_time_to_accuracy_is_the_training_until_validation_first_reaches_the_target(tmp_path):
    from galaxy10.study.time_to_accuracy import seconds_to_reach, summary, time_to_accuracy

    history = pd.DataFrame({"val_accuracy": [0.5, 0.81, 0.79, 0.9], "seconds": [10.0, 20.0, 30.0, 40.0]})
    assert seconds_to_reach(history, 0.8) == 30 and seconds_to_reach(history, 0.85) == 100
    assert np.isnan(seconds_to_reach(history, 0.95))
    records = []
    for seed, shift in ((1, 0.0), (2, -0.05)):
        folder = tmp_path / "fast" / f"seed{seed}"
        folder.mkdir(parents=True)
        history.assign(val_accuracy=history["val_accuracy"] + shift, epoch=range(1, 5)).to_csv(
            folder / "history.csv", index=False)
        (folder / "run.json").write_text(json.dumps({"experiment": "fast", "seed": seed}))
        records.append(folder / "run.json")
    table = summary(time_to_accuracy(records, [0.8, 0.875]))
    assert table.loc["fast", "seconds_to_0.8"] == np.median([30, 100]) and table.loc["fast", "seeds_reaching_0.8"] == 2
    assert table.loc["fast", "seeds_reaching_0.875"] == 1 and table.loc["fast", "train_seconds"] == 100
