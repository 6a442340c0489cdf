"""The README's merge: device stores from `assign` into a NEW central store (issue 18 item 8)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from _storekit import StepClock, sample_frame
from test_store_merge import snapshot

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import FieldStore
from fieldsurvey.store.issue import issue_stores
from fieldsurvey.store.merge import merge_stores


def issued(tmp_path: Path, n: int = 24) -> Path:
    """Stores of three interviewers whose lines interleave in the central numbering."""
    sample = sample_frame(n, communities=("C1", "C2", "C3"))
    team = pd.DataFrame({"interviewer": ["int01", "int02", "int03"],
                         "community_id": ["C1", "C2", "C3"]})
    issue_stores(sample.sample(frac=1.0, random_state=3), team, tmp_path / "stores",
                 clock=StepClock())
    return tmp_path / "stores"


def work(store: Path) -> None:
    """An attempt and a completed interview on the first household of a device."""
    s = FieldStore.open(store)
    try:
        dwelling = str(s.assignments()["dwelling_id"].iloc[0])
        s.record_attempt(dwelling, "1.1")
        uuid = s.start_interview(dwelling, form_id="f", form_version="1")
        s.set_answer(uuid, "q1", 3)
        s.complete(uuid)
    finally:
        s.close()


def test_device_stores_merge_into_a_new_central_store_as_into_the_issued_one(tmp_path):
    stores = issued(tmp_path)
    for p in sorted(stores.glob("int*.sqlite")):
        work(p)
    devices = sorted(stores.glob("int*.sqlite"))
    fresh = tmp_path / "central.sqlite"
    merge_stores(devices, fresh)
    merge_stores(devices, stores / "central.sqlite")
    a, b = snapshot(fresh), snapshot(stores / "central.sqlite")
    assert a == b
    assert len(a["assignments"]) == 24 and len(a["interviews"]) == 3
    # again, in another order: nothing new, nothing changed
    merge_stores(devices[::-1], fresh)
    assert snapshot(fresh) == a


def test_the_readme_merge_line_works_on_issued_stores(tmp_path):
    stores = issued(tmp_path)
    work(stores / "int02.sqlite")
    cmd = f"{Path(sys.executable).parent / 'fieldsurvey'} merge stores/int*.sqlite --into central.sqlite"
    run = subprocess.run(cmd, shell=True, cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "merged 3 store(s)" in run.stdout
    assert snapshot(tmp_path / "central.sqlite")["interviews"] == \
        snapshot(stores / "int02.sqlite")["interviews"]


def test_a_copied_device_store_is_named_with_the_other_file(tmp_path):
    stores = issued(tmp_path)
    shutil.copy(stores / "int01.sqlite", tmp_path / "int01-copy.sqlite")
    work(stores / "int01.sqlite")
    s = FieldStore.open(tmp_path / "int01-copy.sqlite")
    s.record_attempt(str(s.assignments()["dwelling_id"].iloc[1]), "2.20")
    s.close()
    with pytest.raises(StoreError) as err:
        merge_stores([stores / "int01.sqlite", tmp_path / "int01-copy.sqlite"],
                     tmp_path / "central.sqlite")
    text = str(err.value)
    assert "int01-copy.sqlite" in text and str(stores / "int01.sqlite") in text
    assert "same device id" in text and "rekey" in text
    assert not (tmp_path / "central.sqlite").exists()
