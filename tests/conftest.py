"""Shared fixtures: the real public inputs in ../shared/data (skipped when absent), one demo run."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The directory of real public test inputs; the test is skipped when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (for maps/ and questionnaires/)."""
    return REPO


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``fieldsurvey demo --scale 0.15 --seed 7``, run once for the whole session.

    Tests read its outputs; a test that changes them (syncs a store, say) copies it first.
    """
    from fieldsurvey.cli.main import main

    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(out), "--scale", "0.15", "--seed", "7"]) == 0
    return out
