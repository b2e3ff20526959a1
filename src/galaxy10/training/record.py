"""A run's record (run.json): what was trained, on what, with which packages, and how long it took."""

import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


PACKAGES = ("galaxy10", "keras", "tensorflow", "jax", "torch", "numpy", "h5py", "scikit-learn", "snakemake")


def package_versions() -> dict:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    return versions


def run_record(net, settings, state: dict, *, experiment, seed, data: dict, provenance, backend: str) -> dict:
    """The record of a finished run: `state` is its checkpoint's, `data` the split's facts and the checksums of
    the split and of the model it started from."""
    epochs_run = len(state["history"])
    return {
        "experiment": experiment or settings.model,
        "model": settings.model,
        "seed": seed,
        "settings": settings.to_dict(),
        **data,  # dataset, class_names, source_sha256, split_sha256, init_model, init_sha256, train_images
        "backend": backend,
        "host": platform.node(),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),  # set by SLURM for a GPU job
        "parameters": net.count_params(),
        "train_seconds": round(state["seconds"], 2),
        "epochs_run": epochs_run,
        "saved_epoch": state["best_epoch"] if settings.keep_best else epochs_run,
        "resumed_after_epochs": state["resumed_at"],
        "provenance": provenance or {},
        "versions": package_versions(),
    }


def read_record(path) -> dict:
    """A run's record (run.json), as training wrote it: the experiment, its settings, the data set's facts."""
    return json.loads(Path(path).read_text())
