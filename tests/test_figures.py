"""The per-run figures name the classes of the run's data set and show the right test images."""

import json

import numpy as np
import pandas as pd

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
