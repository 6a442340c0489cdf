"""The store's commands: assign, merge (and --conflicts), progress, export."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pandas as pd
import pytest
from _storekit import sample_frame

from fieldsurvey.cli.main import main
from fieldsurvey.store import FieldStore

FORM = "src/fieldsurvey/example/questionnaires/resident_survey.xlsx"


@pytest.fixture()
def field(tmp_path, repo_root, capsys):
    sample = sample_frame(12, communities=("C1", "C2", "C3"))
    sample.loc[11, "released"] = False  # an unreleased reserve line
    sample.to_csv(tmp_path / "sample.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame({"interviewer": ["w1", "w2"], "name": ["张三", "李四"]}).to_csv(
        tmp_path / "team.csv", index=False)
    rc = main(["assign", "--sample", str(tmp_path / "sample.csv"), "--interviewers",
               str(tmp_path / "team.csv"), "--by", "community", "--form",
               str(repo_root / FORM), "--out", str(tmp_path / "field")])
    assert rc == 0
    return tmp_path / "field"


def test_assign_writes_one_store_per_interviewer(field, repo_root, capsys):
    out = capsys.readouterr().out
    assert "w1.sqlite" in out and "11 cases issued" in out
    central = FieldStore.open(field / "central.sqlite")
    assert len(central.assignments()) == 11
    assert central.forms()[0]["form_id"] == "resident_survey"
    pinned = (repo_root / FORM).read_bytes()
    total = 0
    for name in ("w1", "w2"):
        dev = FieldStore.open(field / f"{name}.sqlite")
        a = dev.assignments()
        assert set(a["interviewer"]) == {name} and dev.meta["interviewer"] == name
        assert dev.survey_id == central.survey_id
        assert "pii_salt" not in dev.meta and central.meta["pii_salt"]  # key only at HQ
        assert (field / f"{name}.sqlite").stat().st_mode & 0o777 == 0o600
        assert dev.form_file("resident_survey", "2026.1")[1] == pinned
        assert set(a["community_id"]).isdisjoint(
            set(central.assignments(interviewer="w2" if name == "w1" else "w1")
                ["community_id"]))  # whole communities
        total += len(a)
        dev.close()
    assert total == 11


def test_assign_refuses_to_overwrite_and_bad_team(field, tmp_path, capsys):
    rc = main(["assign", "--sample", str(tmp_path / "sample.csv"), "--interviewers",
               str(tmp_path / "team.csv"), "--out", str(field)])
    assert rc == 2 and "never overwritten" in capsys.readouterr().err
    pd.DataFrame({"who": ["x"]}).to_csv(tmp_path / "bad.csv", index=False)
    rc = main(["assign", "--sample", str(tmp_path / "sample.csv"), "--interviewers",
               str(tmp_path / "bad.csv"), "--out", str(tmp_path / "f2")])
    assert rc == 2 and "'interviewer'" in capsys.readouterr().err
    assert not (tmp_path / "f2" / "central.sqlite").exists()


def test_field_cycle_merge_progress_export(field, tmp_path, capsys):
    for name, code in (("w1", "2.24"), ("w2", "2.111")):
        dev = FieldStore.open(field / f"{name}.sqlite")
        first = dev.assignments()["dwelling_id"].iloc[0]
        dev.record_attempt(first, code)
        second = dev.assignments()["dwelling_id"].iloc[1]
        u = dev.start_interview(second)
        dev.set_answer(u, "a1", "2")
        dev.set_answer(u, "f1", "很满意")
        dev.complete(u)
        dev.close()
    args = ["merge", str(field / "w1.sqlite"), str(field / "w2.sqlite"), "--into",
            str(field / "central.sqlite")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "new" in out and "merged 2 store(s)" in out
    assert main(args) == 0  # again: nothing new
    assert "all already merged" in capsys.readouterr().out
    assert main(["merge", "--conflicts", "--db", str(field / "central.sqlite")]) == 0
    assert "no conflicting edits" in capsys.readouterr().out
    assert main(["progress", "--db", str(field / "central.sqlite"), "--by", "interviewer",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    total = rows[-1]
    assert total["issued"] == 11 and total["completed"] == 2 and total["refused"] == 1
    assert main(["progress", "--db", str(field / "central.sqlite")]) == 0
    assert "fieldwork progress" in capsys.readouterr().out
    # rates from one device's store are that interviewer's only: said, not silently done
    assert main(["rates", "--db", str(field / "w1.sqlite"), "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "one device's store of interviewer w1" in err and "merge" in err
    assert main(["rates", "--db", str(field / "central.sqlite"), "--format", "json"]) == 0
    assert "warning" not in capsys.readouterr().err
    out_dir = tmp_path / "exp"
    assert main(["export", "--db", str(field / "central.sqlite"), "--format", "csv", "--out",
                 str(out_dir), "--bom", "--language", "zh"]) == 0
    assert "personal data left out" in capsys.readouterr().out
    itv = pd.read_csv(out_dir / "interviews.csv", encoding="utf-8-sig")
    assert len(itv) == 2 and "f1" not in itv.columns and set(itv["a1"]) == {2}
    manifest = json.loads((out_dir / "export.json").read_text(encoding="utf-8"))
    assert "interviews.f1" in manifest["personal_data"]["columns"]
    assert main(["export", "--db", str(field / "central.sqlite"), "--format", "dta", "--out",
                 str(tmp_path / "dta"), "--include-pii", "--tables", "interviews"]) == 0
    assert "included" in capsys.readouterr().out


def test_merge_errors_are_one_paragraph(field, tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    shutil.copy(field / "w1.sqlite", other)
    c = sqlite3.connect(other)
    c.execute("UPDATE meta SET value = 'ANOTHER' WHERE key = 'survey_id'")
    c.commit()
    c.close()
    rc = main(["merge", str(other), "--into", str(field / "central.sqlite")])
    err = capsys.readouterr().err
    assert rc == 2 and "another survey" in err and "Traceback" not in err
    rc = main(["merge", "--into", str(field / "central.sqlite")])
    assert rc == 2 and "--into" in capsys.readouterr().err
    rc = main(["merge", "--conflicts"])
    assert rc == 2
    capsys.readouterr()
    central = str(field / "central.sqlite")
    rc = main(["merge", str(field / "w1.sqlite"), "--into", central, "--format", "csv"])
    err = capsys.readouterr().err
    assert rc == 2 and "--format goes with --conflicts" in err and "Traceback" not in err
    rc = main(["merge", str(field / "w1.sqlite"), "--conflicts", "--db", central])
    assert rc == 2 and "merges nothing" in capsys.readouterr().err
    c = sqlite3.connect(central)  # every refused merge merged nothing
    assert c.execute("SELECT count(*) FROM merge_log").fetchone() == (0,)
    c.close()
    rc = main(["progress", "--db", str(tmp_path / "sample.csv")])
    assert rc == 2 and "not an SQLite" in capsys.readouterr().err
