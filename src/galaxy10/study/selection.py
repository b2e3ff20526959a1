"""Choosing the best experiment on the validation part only. The test part is for reporting the choice: a
method chosen on the test set and reported on it is flattered by the choice (selection on held-out data)."""

import pandas as pd

from galaxy10.evaluation.metrics import selection_scores

# what an experiment may be chosen by (config compare.select_by), and whether higher or lower is better
CRITERIA = {"balanced_accuracy": "max", "accuracy": "max", "macro_f1": "max", "nll": "min"}


def validation_scores(valid_ensembles: dict) -> pd.DataFrame:
    """Experiments × selection scores of each seed ensemble's calibrated probabilities on the validation part."""
    rows = {name: selection_scores(labels, probabilities) for name, (labels, probabilities) in valid_ensembles.items()}
    return pd.DataFrame.from_dict(rows, orient="index").drop(columns="n")


def rank(scores: pd.DataFrame, select_by: str) -> list[str]:
    """The experiments, best first by `select_by` on validation; ties keep the experiments' names in order."""
    if select_by not in CRITERIA:
        raise ValueError(f"compare.select_by: {select_by!r} is none of {sorted(CRITERIA)}")
    ordered = scores.sort_index().sort_values(select_by, ascending=CRITERIA[select_by] == "min", kind="stable")
    return list(ordered.index)
