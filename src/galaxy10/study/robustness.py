"""The robustness benchmark across experiments: accuracy on every corruption and severity (mean and std over the
seeds), and ImageNet-C's mean corruption error (Hendrycks & Dietterich 2019) normalised by a baseline experiment,
the notebook's network by default:

    CE_c = Σ_s E_c,s / Σ_s E_c,s(baseline)                          mCE = mean over corruptions c of CE_c
    relative CE_c = Σ_s (E_c,s − E_clean) / Σ_s (E_c,s − E_clean)(baseline)        relative mCE: its mean

E is the error (1 − accuracy) on the same corrupted galaxies, E_clean on those galaxies uncorrupted; each run is
scored against the baseline's mean over its seeds. A corruption the baseline does not degrade (its summed drop under
MIN_BASELINE_DROP) has no relative CE: the ratio would divide by noise."""

from pathlib import Path

import numpy as np
import pandas as pd

from galaxy10.io import InputError, atomic_output
from galaxy10.training.record import read_record

MIN_BASELINE_DROP = 0.01
SUMMARY = ("mce", "relative_mce", "corrupted_accuracy")


FILES = {"test": "corrupted_accuracy.csv", "valid": "valid_corrupted_accuracy.csv"}  # beside each run's run.json


def load_robustness(records, part: str = "test") -> pd.DataFrame:
    """Every run's accuracy on the corrupted `part` (test or valid; FILES, beside its record, run.json) as one long
    table with its experiment and seed."""
    tables = []
    for record_path in records:
        record, path = read_record(record_path), Path(record_path).parent / FILES[part]
        if not path.is_file():
            raise InputError(f"{path}: no such file; run the workflow with robustness.images above 0 (the default)")
        tables.append(pd.read_csv(path).assign(experiment=record["experiment"], seed=record["seed"]))
    return pd.concat(tables, ignore_index=True)


def _errors(long: pd.DataFrame) -> pd.DataFrame:
    """Runs × (corruption, severity) errors; the clean error as ("clean", 0)."""
    return 1 - long.pivot_table(index=["experiment", "seed"], columns=["corruption", "severity"], values="accuracy")


def _corruption_sums(long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per run: the errors under every corruption and severity, and per corruption Σ_s E_c,s and
    Σ_s (E_c,s − E_clean)."""
    errors = _errors(long)
    corrupted = errors.drop(columns="clean", level="corruption")
    summed = corrupted.T.groupby(level="corruption").sum().T
    severities = corrupted.T.groupby(level="corruption").size()
    clean = np.outer(errors[("clean", 0)], severities.reindex(summed.columns))
    return corrupted, summed, summed - clean


def _relative_errors(drops: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per run × corruption: relative CE_c against `baseline`'s mean over its seeds; NaN where it does not degrade."""
    base_drops = drops.loc[baseline].mean()
    return drops / base_drops.where(base_drops >= MIN_BASELINE_DROP)


def corruption_errors(long: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per run (experiment, seed): mCE and relative mCE against `baseline` (NaN when it was not run), and the
    mean accuracy over every corrupted variant."""
    corrupted, summed, drops = _corruption_sums(long)
    out = pd.DataFrame({"corrupted_accuracy": 1 - corrupted.mean(axis=1)})
    if baseline in summed.index.get_level_values("experiment"):
        out["mce"] = (summed / summed.loc[baseline].mean()).mean(axis=1)
        out["relative_mce"] = _relative_errors(drops, baseline).mean(axis=1)
    else:
        out["mce"] = out["relative_mce"] = np.nan
    return out.reset_index()


def relative_corruption_errors(long: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Experiments × corruptions: relative CE_c, mean over the seeds: the terms whose mean is the relative mCE,
    so that one sees which corruptions make it (NaN where the baseline does not degrade)."""
    return _relative_errors(_corruption_sums(long)[2], baseline).groupby(level="experiment").mean()


def valid_corrupted_accuracy(records) -> pd.Series:
    """Per experiment, the mean over its seeds of the accuracy over every corrupted variant of the validation part:
    the validation criterion `corrupted_accuracy` (study.selection)."""
    runs = corruption_errors(load_robustness(records, "valid"), baseline=None)
    return runs.groupby("experiment")["corrupted_accuracy"].mean()


def robustness_summary(long: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per experiment: mean and std over seeds of mCE, relative mCE and accuracy over the corrupted variants."""
    grouped = corruption_errors(long, baseline).groupby("experiment")
    summary = pd.DataFrame(index=grouped.size().index)
    for column in SUMMARY:
        summary[f"{column}_mean"] = grouped[column].mean()
        summary[f"{column}_std"] = grouped[column].std(ddof=1).fillna(0.0)
    return summary


def robustness_curves(long: pd.DataFrame) -> pd.DataFrame:
    """Experiment × corruption × severity: accuracy mean and std over seeds; severity 0 is the clean images, listed
    under every corruption so that each curve starts from it."""
    clean = long[long["corruption"] == "clean"]
    names = [name for name in dict.fromkeys(long["corruption"]) if name != "clean"]
    rows = pd.concat([long[long["corruption"] != "clean"], *[clean.assign(corruption=name) for name in names]])
    grouped = rows.groupby(["experiment", "corruption", "severity"], sort=False)["accuracy"]
    curves = pd.DataFrame({"accuracy_mean": grouped.mean(), "accuracy_std": grouped.std(ddof=1).fillna(0.0),
                           "seeds": grouped.size()}).reset_index()
    order = {name: k for k, name in enumerate(names)}
    return curves.sort_values(["experiment", "corruption", "severity"], key=lambda c: c.map(order) if
                              c.name == "corruption" else c, kind="stable").reset_index(drop=True)


def worst_corruption(curves: pd.DataFrame) -> tuple[str, float]:
    """The corruption with the largest accuracy drop from clean, averaged over experiments and severities."""
    clean = curves[curves["severity"] == 0].set_index(["experiment", "corruption"])["accuracy_mean"]
    corrupted = curves[curves["severity"] > 0].join(clean.rename("clean"), on=["experiment", "corruption"])
    drops = (corrupted["clean"] - corrupted["accuracy_mean"]).groupby(corrupted["corruption"]).mean()
    return drops.idxmax(), float(drops.max())


def write_robustness(records, out) -> pd.DataFrame:
    """Write and return robustness_curves of the runs whose records are given."""
    curves = robustness_curves(load_robustness(records))
    with atomic_output(out) as tmp:
        curves.to_csv(tmp, index=False, float_format="%.4f")
    return curves
