import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from galaxy10.data.synthetic import write_synthetic  # noqa: E402

UNDER_CI = os.environ.get("CI") == "true"


# The longest files, first, so that a run cut short by a time limit has tried the ones most likely to hit it.
LONGEST_FIRST = ("test_slurm.py", "test_workflow.py", "test_crash.py", "test_training.py")


def pytest_collection_modifyitems(items):
    """A test that runs Snakemake is slow too, so that `-m "not slow"` runs no Snakemake at all; the longest
    files run first."""
    for item in items:
        if item.get_closest_marker("workflow"):
            item.add_marker(pytest.mark.slow)
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def require(met, prerequisite: str, how: str) -> None:
    """Skip a test whose prerequisite is missing, saying how to get it; under CI, where every prerequisite is
    installed, fail instead."""
    if met:
        return
    message = f"needs {prerequisite}: {how}"
    if UNDER_CI:
        pytest.fail(f"{message} (under CI=true every prerequisite must be there, so this is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def small_h5(tmp_path_factory):
    """A 400-image synthetic Galaxy10 file, shared read-only by the tests."""
    path = tmp_path_factory.mktemp("data") / "Galaxy10.h5"
    write_synthetic(path, 400, seed=3)
    return path


@pytest.fixture(scope="session")
def split(small_h5, tmp_path_factory):
    """The default split of small_h5 (seed 0), shared read-only by the tests."""
    from galaxy10.data.split import write_split

    path = tmp_path_factory.mktemp("split") / "split.npz"
    write_split(small_h5, path, seed=0)
    return path
