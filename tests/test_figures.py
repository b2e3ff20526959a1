"""The per-run figures name the classes of the run's data set and show the right test images."""

import json

import numpy as np
import pandas as pd
from matplotlib.container import BarContainer

from galaxy10.evaluation import figures
from galaxy10.data.facts import DECALS_CLASS_NAMES
from galaxy10.evaluation.metrics import compute_metrics
from galaxy10.data.split import load_split, write_split


def test_confusion_matrix_and_gallery_use_the_runs_class_names_and_split_images(small_h5, tmp_path, monkeypatch):
    split = tmp_path / "split.npz"
    write_split(small_h5, split, dataset="decals", class_names=DECALS_CLASS_NAMES)
    x_test, y_test, rows, _ = load_split(split, "test")
    predicted = (y_test + 1) % 10  # every image wrong, the last one most confidently
    probabilities = np.full((len(y_test), 10), 0.05)
    probabilities[np.arange(len(y_test)), predicted] = np.linspace(0.2, 0.55, len(y_test))
    table = pd.DataFrame({"predict": predicted, "test": y_test, "source_index": rows})
    for k in range(10):
        table[f"prob_{k}"] = probabilities[:, k]
    table.to_csv(tmp_path / "predictions.csv", index=False)
    (tmp_path / "metrics.json").write_text(json.dumps(compute_metrics(y_test, predicted, DECALS_CLASS_NAMES)))

    drawn = []
    monkeypatch.setattr(figures, "save", lambda fig, out: drawn.append(fig))
    figures.confusion_figure(tmp_path / "predictions.csv", tmp_path / "metrics.json", tmp_path / "c.png")
    figures.misclassified_gallery(tmp_path / "predictions.csv", split, tmp_path / "metrics.json", tmp_path / "g.png")
    confusion, gallery = drawn
    ticks = [label.get_text() for label in confusion.axes[0].get_yticklabels()]
    assert ticks == [f"{k} {name}" for k, name in enumerate(DECALS_CLASS_NAMES)]
    first = gallery.axes[0]
    last = len(y_test) - 1
    assert first.get_title().startswith(f"#{rows[last]}: {DECALS_CLASS_NAMES[y_test[last]]}\n→ ")
    assert np.array_equal(first.get_images()[0].get_array(), np.asarray(x_test[[last]])[0])


def test_learning_curves_plot_the_history_and_the_leaderboard_plot_its_means(tmp_path, monkeypatch):
    from galaxy10.study import figures as study_figures

    drawn = []
    for module in (figures, study_figures):
        monkeypatch.setattr(module, "save", lambda fig, out: drawn.append(fig))
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [2.0, 1.5, 1.2], "accuracy": [0.3, 0.5, 0.6],
                            "val_loss": [2.1, 1.7, 1.6], "val_accuracy": [0.25, 0.45, 0.5], "lr": [1e-3, 1e-3, 1e-4]})
    history.to_csv(tmp_path / "history.csv", index=False)
    figures.learning_curves(tmp_path / "history.csv", "unused.png")
    loss, accuracy, rate = drawn[0].axes
    assert list(loss.get_lines()[1].get_ydata()) == [2.1, 1.7, 1.6]  # validation loss
    assert list(accuracy.get_lines()[0].get_ydata()) == [0.3, 0.5, 0.6]  # training accuracy
    assert list(rate.get_lines()[0].get_ydata()) == [1e-3, 1e-3, 1e-4]

    board = pd.DataFrame({"experiment": ["cnn", "dnn"], "parameters": [1000, 2000],
                          **{f"{m}_{s}": v for m in ("accuracy", "balanced_accuracy", "macro_f1")
                             for s, v in (("mean", [0.8, 0.6]), ("std", [0.01, 0.02]))}})
    board["accuracy_mean"] = [0.85, 0.65]
    board.to_csv(tmp_path / "leaderboard.csv", index=False)
    study_figures.leaderboard_plot(tmp_path / "leaderboard.csv", "unused.png")
    bars = [c for c in drawn[1].axes[0].containers if isinstance(c, BarContainer)]
    assert [bar.get_height() for bar in bars[0]] == [0.85, 0.65]  # accuracy, in the leaderboard's order
    assert [bar.get_height() for bar in bars[-1]] == [0.8, 0.6]  # macro-F1
