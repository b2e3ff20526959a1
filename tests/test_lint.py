"""The workflow stays clean under Snakemake's linter and snakefmt."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_snakemake_lint_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--config", "dataset=synthetic"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_snakefmt_would_change_nothing():
    result = subprocess.run(
        [BIN / "snakefmt", "--check", "Snakefile", "workflow"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
