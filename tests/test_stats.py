import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import softmax
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from galaxy10.evaluation.calibration import (
    apply_temperature, calibration_metrics, ensemble_probabilities, fit_temperature, reliability_table,
)
from galaxy10.evaluation.figures import reliability_diagram
from galaxy10.study.figures import differences_plot, per_class_recall_plot
from galaxy10.study.significance import accuracy, balanced_accuracy, compare_pair, mcnemar, paired_bootstrap


def _calibrated(n=4000, classes=10, seed=0):
    """Probabilities and labels drawn from them: calibrated by construction."""
    rng = np.random.default_rng(seed)
    p = softmax(rng.normal(0, 2.0, (n, classes)), axis=1)
    labels = np.minimum((rng.random(n)[:, None] > p.cumsum(axis=1)).sum(axis=1), classes - 1)
    return p, labels


def _sharpened(p, power=3):
    """Over-confident probabilities: temperature 1/power applied to calibrated ones."""
    sharp = p**power
    return sharp / sharp.sum(axis=1, keepdims=True)


def _predictions(n=2000, right_a=0.9, right_b=0.6, seed=1):
    """Labels and two prediction vectors, right on exactly the given fractions of images, chosen independently."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    wrong = (y + 1 + rng.integers(0, 9, n)) % 10
    a = np.where(rng.permutation(n) < right_a * n, y, wrong)
    b = np.where(rng.permutation(n) < right_b * n, y, wrong)
    return y, a, b


def test_temperature_scaling_recovers_the_sharpening_and_lowers_nll():
    p, labels = _calibrated()
    sharp = _sharpened(p)
    temperature = fit_temperature(sharp, labels)
    assert temperature == pytest.approx(3, rel=0.1)
    before = calibration_metrics(sharp, labels)
    after = calibration_metrics(apply_temperature(sharp, temperature), labels)
    assert after["nll"] < before["nll"] - 0.3
    assert after["brier"] < before["brier"]
    assert before["ece"] > 0.2 and after["ece"] < 0.03
    assert fit_temperature(p, labels) == pytest.approx(1, abs=0.1)  # nothing to correct


def test_temperature_one_is_the_identity_and_rows_stay_normalised():
    p, _ = _calibrated(n=50)
    np.testing.assert_allclose(apply_temperature(p, 1.0), p, rtol=1e-6)
    softened = apply_temperature(p, 2.5)
    np.testing.assert_allclose(softened.sum(axis=1), 1)
    assert (softened.argmax(axis=1) == p.argmax(axis=1)).all()
    assert (softened.max(axis=1) < p.max(axis=1)).all()


def test_ece_small_when_calibrated_and_large_when_over_confident():
    p, labels = _calibrated()
    assert calibration_metrics(p, labels)["ece"] < 0.03
    assert calibration_metrics(_sharpened(p), labels)["ece"] > 0.2


def test_metrics_match_a_hand_computation():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    labels = np.array([0, 1, 0])
    m = calibration_metrics(p, labels)
    assert m["nll"] == pytest.approx(-(np.log(0.7) + np.log(0.8) + np.log(0.3)) / 3)
    brier = [0.3**2 + 0.2**2 + 0.1**2, 0.1**2 + 0.2**2 + 0.1**2, 0.7**2 + 0.3**2 + 0.4**2]
    assert m["brier"] == pytest.approx(np.mean(brier))
    # each image alone in its bin: |1 - 0.7|, |1 - 0.8|, |0 - 0.4| (the third picks class 2, truth is 0)
    assert m["ece"] == pytest.approx((0.3 + 0.2 + 0.4) / 3)


def test_reliability_table_bins():
    p = np.array([[0.95, 0.05], [0.55, 0.45], [0.5, 0.5], [0.52, 0.48]])
    table = reliability_table(p, np.array([0, 1, 0, 0]), bins=10)
    assert len(table) == 10 and table["count"].sum() == 4
    assert table["lower"].iloc[0] == 0 and table["upper"].iloc[-1] == 1
    assert table.loc[4, "count"] == 1 and table.loc[4, "confidence"] == 0.5  # 0.5 lies in (0.4, 0.5]
    assert table.loc[5, "count"] == 2 and table.loc[5, "accuracy"] == 0.5  # 0.55 wrong, 0.52 right
    assert table.loc[5, "confidence"] == pytest.approx(0.535)
    assert table.loc[9, "accuracy"] == 1
    assert table.loc[0, "count"] == 0 and np.isnan(table.loc[0, "accuracy"])


def test_bootstrap_finds_a_real_difference_and_covers_it():
    y, a, b = _predictions()
    result = paired_bootstrap(y, a, b, accuracy, n_resamples=1000)
    assert result["difference"] == pytest.approx(0.3)
    assert result["significant"] and result["low"] < 0.3 < result["high"]
    assert result["high"] - result["low"] < 0.1
    reverse = paired_bootstrap(y, b, a, accuracy, n_resamples=1000)
    assert reverse["significant"] and reverse["high"] < 0


def test_bootstrap_of_identical_predictions_is_zero_and_not_significant():
    y, a, _ = _predictions(n=300)
    result = paired_bootstrap(y, a, a, balanced_accuracy, n_resamples=200)
    assert result == {"difference": 0, "low": 0, "high": 0, "significant": False}


def test_bootstrap_is_reproducible_and_not_fooled_by_noise():
    y, a, b = _predictions(n=400, right_a=0.7, right_b=0.69)
    first = paired_bootstrap(y, a, b, balanced_accuracy, n_resamples=500, seed=4)
    assert first == paired_bootstrap(y, a, b, balanced_accuracy, n_resamples=500, seed=4)
    assert not first["significant"] and first["low"] < first["difference"] < first["high"]


def test_balanced_accuracy_bootstrap_is_quiet_when_a_resample_misses_a_rare_class():
    y, a, b = _predictions(n=200)
    y[y == 9] = 8
    y[0], a[0], b[0] = 9, 9, 0  # class 9 now has one image, missing from about a third of the resamples
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = paired_bootstrap(y, a, b, balanced_accuracy, n_resamples=200)
    assert not caught
    assert np.isfinite([result["low"], result["high"]]).all() and result["significant"]


def test_the_bootstraps_scores_are_scikit_learns():
    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.integers(0, 10, 300)
        y[y == 4] = 5  # a class that is never true, but predicted
        pred = np.where(rng.random(300) < 0.6, y, rng.integers(0, 10, 300))
        assert accuracy(y, pred) == pytest.approx(accuracy_score(y, pred))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scikit-learn warns of the predicted class that is never true
            assert balanced_accuracy(y, pred) == pytest.approx(balanced_accuracy_score(y, pred))


def test_mcnemar_matches_a_hand_computed_binomial():
    y = np.zeros(12, int)
    a = np.array([0] * 8 + [1] * 4)  # right on the first 8
    b = np.array([1] * 6 + [0] * 6)  # right on the last 6: a alone on images 0-5, b alone on images 8-11
    result = mcnemar(y, a, b)
    assert (result["a_only"], result["b_only"]) == (6, 4)
    # two-sided exact: P(X <= 4) + P(X >= 6) for X ~ Binomial(10, 1/2)
    expected = (1 + 10 + 45 + 120 + 210 + 210 + 120 + 45 + 10 + 1) / 2**10
    assert result["p_value"] == pytest.approx(expected)
    lopsided = mcnemar(np.zeros(3, int), np.zeros(3, int), np.ones(3, int))
    assert lopsided["a_only"] == 3 and lopsided["p_value"] == pytest.approx(2 / 2**3)
    assert mcnemar(y, a, a) == {"a_only": 0, "b_only": 0, "p_value": 1.0}


def test_compare_pair_gives_one_flat_row():
    y, a, b = _predictions(n=500)
    row = compare_pair(y, a, b, n_resamples=300)
    assert row["n_test"] == 500
    assert row["accuracy_diff"] == pytest.approx(0.3) and row["accuracy_significant"]
    assert row["balanced_accuracy_low"] < row["balanced_accuracy_diff"] < row["balanced_accuracy_high"]
    assert row["mcnemar_a_only"] > row["mcnemar_b_only"] and row["mcnemar_p"] < 1e-6
    assert all(np.isscalar(v) for v in row.values())


def test_ensemble_is_the_mean_and_rejects_mismatched_members():
    first, second = np.array([[0.8, 0.2], [0.4, 0.6]]), np.array([[0.6, 0.4], [0.0, 1.0]])
    np.testing.assert_allclose(ensemble_probabilities([first, second]), [[0.7, 0.3], [0.2, 0.8]])
    np.testing.assert_allclose(ensemble_probabilities([first]), first)
    with pytest.raises(ValueError, match="identical shapes"):
        ensemble_probabilities([first, second[:1]])
    with pytest.raises(ValueError, match="at least one"):
        ensemble_probabilities([])


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plotting functions draw, captured instead of saved, so their data can be checked."""
    from galaxy10.evaluation import figures as run_figures
    from galaxy10.study import figures as study_figures

    figures = []
    for module in (run_figures, study_figures):
        monkeypatch.setattr(module, "save", lambda fig, out: figures.append(fig))
    return figures


def test_reliability_diagram_plots_the_tables_bins_and_ece(drawn):
    p, labels = _calibrated(n=500)
    sharp = _sharpened(p)
    reliability_diagram(sharp, labels, "unused.png", temperature=3.0)
    lines = drawn[0].axes[0].get_lines()
    assert [line.get_label() for line in lines][0] == "perfect calibration"
    for line, probabilities in zip(lines[1:], (sharp, apply_temperature(sharp, 3.0))):
        table = reliability_table(probabilities, labels)
        filled = table[table["count"] > 0]
        np.testing.assert_allclose(line.get_xdata(), filled["confidence"])
        np.testing.assert_allclose(line.get_ydata(), filled["accuracy"])
        assert f"ECE {calibration_metrics(probabilities, labels)['ece']:.3f}" in line.get_label()


def test_recall_heatmap_shows_each_experiments_recall_per_class(drawn):
    names = [f"class {k}" for k in range(10)]
    recalls = pd.DataFrame(np.random.default_rng(0).random((3, 10)), index=["cnn", "resnet", "vit"])
    per_class_recall_plot(recalls, names, "unused.png")
    ax = drawn[0].axes[0]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), recalls.to_numpy())
    assert [label.get_text() for label in ax.get_xticklabels()] == names
    assert [label.get_text() for label in ax.get_yticklabels()] == ["cnn", "resnet", "vit"]
    assert ax.texts[11].get_text() == f"{recalls.iloc[1, 1]:.2f}"  # row 1, column 1


def test_differences_plot_puts_each_difference_inside_its_interval(drawn):
    y, a, b = _predictions(n=300)
    table = pd.DataFrame([compare_pair(y, a, b, n_resamples=100), compare_pair(y, b, a, n_resamples=100)])
    table["experiment"], table["against"] = ["cnn", "dnn"], ["dnn", "cnn"]
    differences_plot(table, "unused.png")
    panels = drawn[0].axes
    assert [ax.get_xlabel() for ax in panels] == [f"difference to {r} (95% paired bootstrap interval)"
                                                  for r in ("dnn", "cnn")]
    for ax, (_, row) in zip(panels, table.iterrows()):
        accuracy = ax.containers[0]  # the accuracy errorbar: its marker at the difference, its bar the interval
        assert accuracy.lines[0].get_xdata()[0] == pytest.approx(row["accuracy_diff"])
        bar = accuracy.lines[2][0].get_segments()[0]
        assert [bar[0][0], bar[1][0]] == pytest.approx([row["accuracy_low"], row["accuracy_high"]])
