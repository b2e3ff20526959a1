"""Choosing the best experiment on the validation part only. The test part is for reporting the choice: a
method chosen on the test set and reported on it is flattered by the choice (selection on held-out data)."""

import pandas as pd

from galaxy10.evaluation.metrics import selection_scores

# what an experiment may be chosen by (config compare.select_by), and whether higher or lower is better;
# corrupted_accuracy is the runs' accuracy on the corrupted validation set (the robustness benchmark's)
CRITERIA = {"balanced_accuracy": "max", "accuracy": "max", "macro_f1": "max", "nll": "min", "corrupted_accuracy": "max"}


def validation_scores(valid_ensembles: dict, corrupted: pd.Series | None = None) -> pd.DataFrame:
    """Experiments × selection scores of each seed ensemble's calibrated probabilities on the validation part, and
    with `corrupted` (experiment → its seeds' mean accuracy on the corrupted validation set) that one too."""
    rows = {name: selection_scores(labels, probabilities) for name, (labels, probabilities) in valid_ensembles.items()}
    scores = pd.DataFrame.from_dict(rows, orient="index").drop(columns="n")
    if corrupted is not None:
        scores["corrupted_accuracy"] = corrupted
    return scores


def rank(scores: pd.DataFrame, select_by: str) -> list[str]:
    """The experiments, best first by `select_by` on validation; ties keep the experiments' names in order."""
    if select_by not in CRITERIA:
        raise ValueError(f"compare.select_by: {select_by!r} is none of {sorted(CRITERIA)}")
    if select_by not in scores:
        raise ValueError(f"compare.select_by: {select_by!r} needs the robustness benchmark (robustness.images > 0)")
    ordered = scores.sort_index().sort_values(select_by, ascending=CRITERIA[select_by] == "min", kind="stable")
    return list(ordered.index)
