"""The differences between experiments as one family of tests: every seed ensemble against the reference
experiments on the same test images, McNemar's p corrected for the family by Holm's method (statsmodels), and
paired bootstrap intervals at the Bonferroni level that matches it."""

from pathlib import Path

import pandas as pd
from statsmodels.stats.multitest import multipletests

from galaxy10.study.significance import compare_pair

ALPHA = 0.05  # the family-wise error rate


def differences(ensembled: dict, against, n_resamples=2000, alpha=ALPHA) -> pd.DataFrame:
    """Every experiment's seed ensemble (experiment → (labels, probabilities)) against each experiment in
    `against` (itself excepted), each pair once. Each row: the difference in accuracy and balanced accuracy with its paired
    bootstrap interval at the level 1 - alpha / (number of pairs), so that all intervals hold together with
    probability 1 - alpha; McNemar's p raw and Holm-adjusted over all pairs (`mcnemar_p_holm`); `significant`,
    the verdict on accuracy: the adjusted p is below alpha. `<metric>_significant`: that metric's interval
    excludes zero."""
    pairs, seen = [], []
    for reference in dict.fromkeys(against):
        for experiment in ensembled:
            if experiment != reference and {experiment, reference} not in seen:  # a pair once, whichever way round
                pairs.append((experiment, reference))
                seen.append({experiment, reference})
    if not pairs:
        return pd.DataFrame()
    level = 1 - alpha / len(pairs)
    rows = []
    for experiment, reference in pairs:
        y, reference_probabilities = ensembled[reference]
        pair = compare_pair(y, ensembled[experiment][1].argmax(axis=1), reference_probabilities.argmax(axis=1),
                            n_resamples=n_resamples, confidence=level)
        rows.append({"experiment": experiment, "against": reference, **pair, "interval_level": level})
    table = pd.DataFrame(rows)
    table["mcnemar_p_holm"] = multipletests(table["mcnemar_p"], alpha=alpha, method="holm")[1]
    table["significant"] = table["mcnemar_p_holm"] < alpha
    return table


def read_differences(path) -> pd.DataFrame:
    """differences.csv as `differences` wrote it; with one experiment only, an empty table (the file has no header)."""
    return pd.read_csv(path) if Path(path).stat().st_size > 1 else pd.DataFrame()


def verdicts(diffs: pd.DataFrame) -> list[str]:
    """The verdict of each row, from its Holm-adjusted p."""
    return ["different" if significant else "no evidence of a difference" for significant in diffs["significant"]]


def level_text(level: float) -> str:
    """A confidence level as a percentage: 95%, 98.75%."""
    return f"{100 * level:.4g}%"


def _interval(row, metric) -> str:
    verdict = "significant" if row[f"{metric}_significant"] else "not significant"
    return f"{row[f'{metric}_diff']:+.3f} [{row[f'{metric}_low']:+.3f}, {row[f'{metric}_high']:+.3f}] {verdict}"


def differences_html(diffs: pd.DataFrame) -> str:
    table = diffs[["experiment", "against"]].copy()
    level = level_text(diffs["interval_level"].iloc[0])
    for metric in ("accuracy", "balanced_accuracy"):
        table[f"Δ {metric} [{level} interval]"] = [_interval(row, metric) for _, row in diffs.iterrows()]
    table["McNemar p"] = diffs["mcnemar_p"].map("{:.3g}".format)
    table["Holm-adjusted p"] = diffs["mcnemar_p_holm"].map("{:.3g}".format)
    table["verdict"] = verdicts(diffs)
    return (f"\n<h3>Differences between seed ensembles on the same test images ({len(diffs)} tests; intervals at "
            f"{level}, p adjusted by Holm's method)</h3>\n" + table.to_html(border=0, index=False))
