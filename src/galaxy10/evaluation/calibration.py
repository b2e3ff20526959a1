"""How far the predicted probabilities can be trusted: calibration metrics, temperature scaling and seed
ensembles. Everything works on softmax outputs (N, classes), since that is what the models and the predictions
CSV give; logits are recovered as log-probabilities, which differ from them only by a per-image constant."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.metrics import log_loss

TEMPERATURE_RANGE = (0.05, 20.0)


def _logits(probabilities) -> np.ndarray:
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, None))


def apply_temperature(probabilities, temperature: float) -> np.ndarray:
    """softmax(log(p) / T): T > 1 softens over-confident probabilities, T < 1 sharpens; the argmax never moves,
    so accuracy is untouched."""
    return softmax(_logits(probabilities) / temperature, axis=1)


def fit_temperature(probabilities, labels) -> float:
    """The temperature minimising the negative log-likelihood of `labels` (Guo et al. 2017). Fit it on the
    validation set, never the test set, or the calibration measured on test is flattered."""
    logits, labels = _logits(probabilities), np.asarray(labels)
    rows = np.arange(len(labels))

    def nll(log_t):
        return -log_softmax(logits / np.exp(log_t), axis=1)[rows, labels].mean()

    result = minimize_scalar(nll, bounds=np.log(TEMPERATURE_RANGE), method="bounded")
    return float(np.exp(result.x))


def reliability_table(probabilities, labels, bins: int = 15) -> pd.DataFrame:
    """Top-1 confidence against accuracy in equal-width confidence bins (lower, upper]; empty bins have count 0
    and NaN confidence and accuracy. The one place the binning lives, for ECE and the reliability diagram."""
    probabilities, labels = np.asarray(probabilities), np.asarray(labels)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    grouped = pd.DataFrame({"bin": index, "confidence": confidence, "accuracy": correct}).groupby("bin")
    table = pd.DataFrame({"lower": edges[:-1], "upper": edges[1:]})
    table["count"] = grouped.size().reindex(range(bins), fill_value=0).to_numpy()
    table["confidence"] = grouped["confidence"].mean().reindex(range(bins)).to_numpy()
    table["accuracy"] = grouped["accuracy"].mean().reindex(range(bins)).to_numpy(dtype=float)
    return table


def expected_calibration_error(table: pd.DataFrame) -> float:
    """Mean |accuracy - confidence| over the bins of a reliability table, weighted by how many images each holds."""
    filled = table[table["count"] > 0]
    return float((filled["count"] * (filled["accuracy"] - filled["confidence"]).abs()).sum() / filled["count"].sum())


def calibration_metrics(probabilities, labels, bins: int = 15) -> dict:
    """Negative log-likelihood, multi-class Brier score and expected calibration error: lower is better for all."""
    probabilities, labels = np.asarray(probabilities, dtype=np.float64), np.asarray(labels)
    probabilities /= probabilities.sum(axis=1, keepdims=True)  # float32 softmax sums are off by ~1e-7
    n_classes = probabilities.shape[1]
    onehot = np.eye(n_classes)[labels]
    return {
        "nll": float(log_loss(labels, probabilities, labels=range(n_classes))),
        "brier": float(((probabilities - onehot) ** 2).sum(axis=1).mean()),
        "ece": expected_calibration_error(reliability_table(probabilities, labels, bins)),
    }


def ensemble_probabilities(members) -> np.ndarray:
    """The mean of several models' probabilities for the same images (e.g. one experiment's seeds)."""
    members = [np.asarray(m) for m in members]
    if not members:
        raise ValueError("an ensemble needs at least one member")
    shapes = {m.shape for m in members}
    if len(shapes) != 1:
        raise ValueError(f"ensemble members must have identical shapes, got {sorted(shapes)}")
    return np.mean(members, axis=0)


def model_temperature(model_path) -> float | None:
    """The calibration temperature of a run's model (calibration.json beside it, written by predict), if any."""
    calibration = Path(model_path).with_name("calibration.json")
    return json.loads(calibration.read_text())["temperature"] if calibration.is_file() else None
