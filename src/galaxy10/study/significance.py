"""Whether one experiment really beats another on the same test images, or only by the luck of the test set:
paired bootstrap intervals on the difference of a metric, and McNemar's exact test on the disagreements."""

import numpy as np
from scipy import stats


def accuracy(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true, y_pred) -> float:
    """The mean recall over the classes in `y_true`, as scikit-learn's balanced_accuracy_score, in two bincounts:
    the bootstrap calls it thousands of times."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    counts = np.bincount(y_true)
    hits = np.bincount(y_true[y_true == y_pred], minlength=len(counts))
    present = counts > 0
    return float(np.mean(hits[present] / counts[present]))


PAIR_METRICS = {"accuracy": accuracy, "balanced_accuracy": balanced_accuracy}


def _percentile_interval(data, statistic, n_resamples, seed, confidence) -> tuple[float, float]:
    """scipy's paired percentile bootstrap of `statistic` over the rows (test images) of `data`."""
    # a resample can miss a rare class entirely; balanced accuracy then averages over the classes present
    result = stats.bootstrap(
        data, statistic, n_resamples=n_resamples, paired=True, vectorized=False, confidence_level=confidence,
        method="percentile", rng=np.random.default_rng(seed),
    )
    low, high = result.confidence_interval
    return float(low), float(high)


def score_interval(y_true, pred, metric, n_resamples=2000, seed=0, confidence=0.95) -> tuple[float, float]:
    """The percentile interval of one model's `metric` on the test images, resampled with replacement."""
    return _percentile_interval((np.asarray(y_true), np.asarray(pred)), metric, n_resamples, seed, confidence)


def paired_bootstrap(y_true, pred_a, pred_b, metric, n_resamples=2000, seed=0, confidence=0.95) -> dict:
    """metric(a) - metric(b) and its percentile interval, resampling test images with replacement; both models
    are scored on the same resample, so the interval reflects how they differ, not how hard the resample is."""
    data = tuple(np.asarray(x) for x in (y_true, pred_a, pred_b))

    def difference(y, a, b):
        return metric(y, a) - metric(y, b)

    low, high = _percentile_interval(data, difference, n_resamples, seed, confidence)
    return {
        "difference": float(difference(*data)), "low": low, "high": high, "significant": bool(low > 0 or high < 0),
    }


def mcnemar(y_true, pred_a, pred_b) -> dict:
    """Exact McNemar test: of the images exactly one model gets right, is the split far from 50:50?"""
    y_true, pred_a, pred_b = (np.asarray(x) for x in (y_true, pred_a, pred_b))
    right_a, right_b = pred_a == y_true, pred_b == y_true
    a_only, b_only = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    p_value = stats.binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    return {"a_only": a_only, "b_only": b_only, "p_value": float(p_value)}


def compare_pair(y_true, pred_a, pred_b, seed=0, n_resamples=2000, confidence=0.95) -> dict:
    """Model a against model b on one test set, as one flat row: a bootstrap interval per metric (at `confidence`)
    and McNemar."""
    row = {"n_test": int(len(y_true))}
    for name, metric in PAIR_METRICS.items():
        result = paired_bootstrap(y_true, pred_a, pred_b, metric, n_resamples, seed, confidence)
        row |= {
            f"{name}_diff": result["difference"], f"{name}_low": result["low"], f"{name}_high": result["high"],
            f"{name}_significant": result["significant"],
        }
    test = mcnemar(y_true, pred_a, pred_b)
    return row | {"mcnemar_a_only": test["a_only"], "mcnemar_b_only": test["b_only"], "mcnemar_p": test["p_value"]}
