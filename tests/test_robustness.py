"""The robustness benchmark's arithmetic (ImageNet-C's mCE and relative mCE against a baseline), its place in the
leaderboard and the answer, and the corrupted accuracy of a real model."""

import numpy as np
import pandas as pd
import pytest

from galaxy10.study.robustness import (MIN_BASELINE_DROP, corruption_errors, relative_corruption_errors,
                                       robustness_curves, robustness_summary, worst_corruption)


def long_table(accuracies: dict) -> pd.DataFrame:
    """(experiment, seed) → {corruption: [clean, severity 1..]} as the runs' corrupted_accuracy.csv files hold it."""
    rows = []
    for (experiment, seed), by_corruption in accuracies.items():
        clean = next(iter(by_corruption.values()))[0]
        rows.append({"experiment": experiment, "seed": seed, "corruption": "clean", "severity": 0, "accuracy": clean})
        for name, values in by_corruption.items():
            rows += [{"experiment": experiment, "seed": seed, "corruption": name, "severity": s, "accuracy": a}
                     for s, a in enumerate(values[1:], start=1)]
    return pd.DataFrame(rows)


BASE = {"noise": [0.6, 0.5, 0.4], "blur": [0.6, 0.6, 0.5]}  # the baseline: clean 0.6, errors 0.5+0.6 and 0.4+0.5
ROBUST = {"noise": [0.9, 0.9, 0.8], "blur": [0.9, 0.85, 0.85]}  # errors 0.1+0.2 and 0.15+0.15, clean error 0.1


def test_mce_and_relative_mce_are_imagenet_cs():
    long = long_table({("base", 1): BASE, ("base", 2): BASE, ("robust", 1): ROBUST})
    runs = corruption_errors(long, "base").set_index(["experiment", "seed"])
    assert runs.loc[("base", 1), "mce"] == pytest.approx(1) and runs.loc[("base", 1), "relative_mce"] == pytest.approx(1)
    expected_mce = np.mean([(0.1 + 0.2) / (0.5 + 0.6), (0.15 + 0.15) / (0.4 + 0.5)])
    # drops from clean: robust (0.0 + 0.1, 0.05 + 0.05), base (0.1 + 0.2, 0.0 + 0.1)
    expected_relative = np.mean([0.1 / 0.3, 0.1 / 0.1])
    assert runs.loc[("robust", 1), "mce"] == pytest.approx(expected_mce)
    assert runs.loc[("robust", 1), "relative_mce"] == pytest.approx(expected_relative)
    assert runs.loc[("robust", 1), "corrupted_accuracy"] == pytest.approx(np.mean([0.9, 0.8, 0.85, 0.85]))
    summary = robustness_summary(long, "base")
    assert summary.loc["robust", "mce_mean"] == pytest.approx(expected_mce) and summary.loc["base", "mce_std"] == 0
    assert robustness_summary(long, "not_run")["mce_mean"].isna().all()
    terms = relative_corruption_errors(long, "base")  # what the relative mCE is the mean of
    assert terms.loc["robust", "noise"] == pytest.approx(0.1 / 0.3) and terms.loc["robust", "blur"] == pytest.approx(1)
    assert terms.loc["robust"].mean() == pytest.approx(expected_relative)


def test_a_corruption_the_baseline_shrugs_off_has_no_relative_error():
    flat = {"noise": [0.6, 0.6 - MIN_BASELINE_DROP / 4, 0.6], "blur": [0.6, 0.5, 0.4]}
    long = long_table({("base", 1): flat, ("robust", 1): ROBUST})
    robust = corruption_errors(long, "base").set_index("experiment").loc["robust"]
    assert robust["relative_mce"] == pytest.approx(0.1 / (0.1 + 0.2))  # blur's alone
    assert np.isnan(relative_corruption_errors(long, "base").loc["robust", "noise"])


def test_the_curves_start_from_the_clean_images_and_the_worst_corruption_is_found():
    long = long_table({("base", 1): BASE, ("base", 2): BASE, ("robust", 1): ROBUST})
    curves = robustness_curves(long)
    assert len(curves) == 2 * 2 * 3 and (curves.groupby(["experiment", "corruption"])["severity"].min() == 0).all()
    noise = curves[(curves["experiment"] == "base") & (curves["corruption"] == "noise")]
    assert list(noise["accuracy_mean"]) == [0.6, 0.5, 0.4] and list(noise["seeds"]) == [2, 2, 2]
    worst, drop = worst_corruption(curves)
    assert worst == "noise" and drop == pytest.approx(np.mean([0.1, 0.2, 0.0, 0.1]))
