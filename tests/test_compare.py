"""The comparison: seed ensembles, collapsed runs, and differences whose verdicts are known by construction."""

import json

import numpy as np
import pandas as pd
import pytest

from galaxy10.data.facts import SDSS_CLASS_NAMES
from galaxy10.evaluation.metrics import compute_metrics
from galaxy10.study.compare import write_comparison
from galaxy10.study.tables import main as print_tables

N = 2000


def fake_run(folder, experiment, seed, labels, correct_share, rng):
    """A run folder whose calibrated predictions are right on `correct_share` of the images, wrong elsewhere."""
    folder.mkdir(parents=True)
    right = rng.random(len(labels)) < correct_share
    predicted = np.where(right, labels, (labels + 1 + rng.integers(0, 9, len(labels))) % 10)
    probabilities = np.full((len(labels), 10), 0.3 / 9)
    probabilities[np.arange(len(labels)), predicted] = 0.7
    table = pd.DataFrame({"predict": predicted, "test": labels, "source_index": np.arange(len(labels))})
    for prefix in ("prob_", "cal_"):
        for k in range(10):
            table[f"{prefix}{k}"] = probabilities[:, k]
    table.to_csv(folder / "predictions.csv", index=False)
    metrics = compute_metrics(labels, predicted, SDSS_CLASS_NAMES)
    metrics["calibration"] = {"raw": {"ece": 0.2}, "calibrated": {"ece": 0.05}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    record = {"experiment": experiment, "seed": seed, "model": "seed_dnn", "parameters": 1, "train_seconds": 1.0,
              "class_names": list(SDSS_CLASS_NAMES), "dataset": "synthetic", "backend": "jax",
              "provenance": {"source": {"n_images": 5 * len(labels)}}}
    (folder / "run.json").write_text(json.dumps(record))
    return folder / "run.json", probabilities


def compare_three(tmp_path):
    """Two seeds each of a strong and a weak experiment, and a copy of the weak one: the comparison's outputs."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, N)
    records, members = [], {}
    for experiment, share in (("strong", 0.9), ("weak", 0.6)):
        for seed in (1, 2):
            record, probabilities = fake_run(tmp_path / experiment / f"seed{seed}", experiment, seed, labels, share, rng)
            records.append(record)
            members.setdefault(experiment, []).append(probabilities)
    # a copy of weak's runs under another name: it cannot differ from weak
    for seed in (1, 2):
        folder = tmp_path / "weak_copy" / f"seed{seed}"
        folder.mkdir(parents=True)
        for name in ("predictions.csv", "metrics.json"):
            (folder / name).write_text((tmp_path / "weak" / f"seed{seed}" / name).read_text())
        record = json.loads((tmp_path / "weak" / f"seed{seed}" / "run.json").read_text()) | {"experiment": "weak_copy"}
        (folder / "run.json").write_text(json.dumps(record))
        records.append(folder / "run.json")

    board, diffs, recalls = write_comparison(
        records, "weak", tmp_path / "leaderboard.csv", tmp_path / "differences.csv", tmp_path / "board.html",
        n_resamples=500,
    )
    return board, diffs, recalls, labels, members


def test_differences_are_significant_only_where_they_were_built_in(tmp_path):
    board, diffs, recalls, labels, members = compare_three(tmp_path)
    assert list(board.index)[0] == "strong" and list(recalls.index) == list(board.index)
    ensemble = np.mean(members["strong"], axis=0).argmax(axis=1)  # the mean of the seeds' probabilities
    assert board.loc["strong", "ensemble_accuracy"] == pytest.approx(np.mean(ensemble == labels))
    verdict = diffs.set_index(["experiment", "against"])
    assert verdict.loc[("strong", "weak"), "accuracy_significant"]
    assert verdict.loc[("strong", "weak"), "balanced_accuracy_significant"]
    assert verdict.loc[("strong", "weak"), "accuracy_low"] > 0.2
    assert verdict.loc[("strong", "weak"), "mcnemar_p"] < 1e-6
    assert not verdict.loc[("weak_copy", "weak"), "accuracy_significant"]
    assert verdict.loc[("weak_copy", "weak"), "accuracy_diff"] == 0 and verdict.loc[("weak_copy", "weak"), "mcnemar_p"] == 1
    assert set(verdict.index) == {(e, r) for r in ("weak", "strong") for e in ("strong", "weak", "weak_copy") if e != r}
    html = (tmp_path / "board.html").read_text()
    assert "not significant" in html and "+0.000 [+0.000, +0.000]" in html


def test_the_docs_tables_are_written_from_the_results_folder(tmp_path, capsys):
    board, diffs, *_ = compare_three(tmp_path)
    print_tables([str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"Data set `synthetic` ({5 * N:,} images), {N:,} test images, seeds [1, 2]; backends: "
                        "strong: jax, weak: jax, weak_copy: jax.")
    leaderboard = lines[2 : lines.index("", 2)]
    assert leaderboard[0].startswith("| experiment | parameters | accuracy |") and len(leaderboard) == 2 + 3
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in leaderboard[2:]}
    strong = board.loc["strong"]
    assert rows["strong"][2] == f"{strong['accuracy_mean']:.3f} ± {strong['accuracy_std']:.3f}"
    assert rows["strong"][5] == f"{strong['ensemble_accuracy']:.3f} / {strong['ensemble_balanced_accuracy']:.3f}"
    assert rows["strong"][6] == "0.200 → 0.050"
    differences = [line for line in lines if line.startswith("| strong | weak |")]
    expected = pd.read_csv(tmp_path / "differences.csv").set_index(["experiment", "against"]).loc[("strong", "weak")]
    assert diffs.set_index(["experiment", "against"]).loc[("strong", "weak"), "mcnemar_p"] < 1e-4
    assert differences == [
        f"| strong | weak | {expected['accuracy_diff']:+.3f} [{expected['accuracy_low']:+.3f}, "
        f"{expected['accuracy_high']:+.3f}] | {expected['balanced_accuracy_diff']:+.3f} "
        f"[{expected['balanced_accuracy_low']:+.3f}, {expected['balanced_accuracy_high']:+.3f}] | "
        "< 1e-4 |"
    ]


def test_collapsed_runs_are_counted(tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 300)
    record, _ = fake_run(tmp_path / "one" / "seed1", "one", 1, labels, 0.5, rng)
    metrics = json.loads((tmp_path / "one" / "seed1" / "metrics.json").read_text())
    (tmp_path / "one" / "seed1" / "metrics.json").write_text(json.dumps(metrics | {"collapsed": "predicts only 1 class"}))
    board, diffs, _ = write_comparison([record], "seed_dnn", tmp_path / "b.csv", tmp_path / "d.csv", tmp_path / "b.html")
    assert board.loc["one", "collapsed_seeds"] == 1 and diffs.empty


def test_a_run_on_one_or_two_classes_is_flagged():
    y = np.arange(100) % 10
    assert "only 1 class" in compute_metrics(y, np.zeros(100, int), SDSS_CLASS_NAMES)["collapsed"]
    assert "only 2 classes" in compute_metrics(y, y % 2, SDSS_CLASS_NAMES)["collapsed"]
    three = np.where(y < 3, y, 0)  # right on three classes of ten: balanced accuracy 0.3 ≥ 1.5 × 0.1
    assert compute_metrics(y, three, SDSS_CLASS_NAMES)["collapsed"] is None
    weak = np.where(y < 1, y, (y + 1) % 10)  # right on one class of ten only: 0.1 < 0.15
    assert "below 1.5 × chance" in compute_metrics(y, weak, SDSS_CLASS_NAMES)["collapsed"]
