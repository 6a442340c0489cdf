"""Exports: personal data left out by one declaration, special codes kept missing, one
consistent snapshot under writes, the completion marker, full disks and read-only media.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd
import pytest
from _storekit import make_store, run_in_private_mount, sample_frame

from fieldsurvey.io.errors import StoreError
from fieldsurvey.questionnaire.model import DEFAULT_SPECIAL_ANSWERS
from fieldsurvey.store import FieldStore
from fieldsurvey.store import _writers as writers
from fieldsurvey.store.export import export_store
from fieldsurvey.store.personal import PERSONAL_COLUMNS

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FORM = REPO / "questionnaires" / "resident_survey.yaml"
DK, REF = DEFAULT_SPECIAL_ANSWERS

V1 = """
settings: {form_id: tiny, version: '1', default_language: zh}
languages: [zh, en]
special_answers:
- {code: -8, name: dont_know, label: {zh: 不知道, en: Don't know}}
- {code: -9, name: refused, label: {zh: 拒绝回答, en: Refused}}
choices:
  sat:
  - {name: '1', label: {zh: 不满意, en: Unsatisfied}}
  - {name: '2', label: {zh: 满意, en: Satisfied}}
  - {name: '8', label: {zh: 不了解, en: Do not know enough}, missing: 'yes'}
survey:
- {type: text, name: phone, label: {zh: 电话, en: Phone}, sensitive: true}
- {type: select_one sat, name: s1, label: {zh: 满意度, en: Satisfaction}}
- {type: text, name: remark, label: {zh: 备注, en: Remark}}
"""
V2 = V1.replace("version: '1'", "version: '2'").replace(", sensitive: true", "")


def _store_with_two_versions(path: Path) -> tuple[FieldStore, list[str]]:
    sample = sample_frame(6)
    sample["lon"], sample["lat"] = 116.3, 39.9
    sample["x"], sample["y"], sample["compound"] = 1000.0, 2000.0, "幸福小区"
    store = FieldStore.create(path, survey_id="S", device_id="dev-A", interviewer="w1")
    store.assign(sample, form_id="tiny", form_version="1")
    for v, text in (("1", V1), ("2", V2)):
        store.add_form(text.encode(), form_id="tiny", version=v, filename=f"tiny{v}.yaml")
    uuids = []
    for k, (did, ver) in enumerate((("C1-000", "1"), ("C2-001", "2"), ("C1-002", "2"))):
        u = store.start_interview(did, form_id="tiny", form_version=ver)
        store.set_answer(u, "phone", f"1380000{k:04d}")
        store.set_answer(u, "s1", ["1", "8", DK][k])
        store.set_answer(u, "remark", "邻居老张很热心")
        store.complete(u)
        uuids.append(u)
    store.record_attempt("C1-000", "2.24", note="住户姓王，电话13800000000")
    store.set_roster_member("C1-000", 1, name="王芳", sex="2", age=40, eligible=True)
    return store, uuids


@pytest.mark.parametrize("fmt", ["csv", "parquet", "sav"])
def test_personal_data_is_left_out_with_any_number_of_form_versions(tmp_path, fmt):
    store, _ = _store_with_two_versions(tmp_path / "central.sqlite")
    res = export_store(store, tmp_path / "out", format=fmt)
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    listed = set(manifest["personal_data"]["columns"])
    assert listed == set(res.pii_columns)
    full = export_store(store, tmp_path / "full", format=fmt, include_pii=True)
    for table in ("interviews", "cases", "attempts", "rosters"):
        kept = _read(res.files[table], fmt)
        every = _read(full.files[table], fmt)
        dropped = {f"{table}.{c}" for c in set(every.columns) - set(kept.columns)}
        # the summary lists exactly what the files left out
        assert dropped == {c for c in listed if c.startswith(f"{table}.")}, table
        assert not set(PERSONAL_COLUMNS.get(table, ())) & set(kept.columns), table
        text = kept.astype(str).to_string()
        for secret in ("1380000", "王芳", "老张", "幸福路", "幸福小区"):
            assert secret not in text, (table, secret)
    assert {"interviews.phone", "interviews.remark", "cases.lon", "cases.lat", "cases.x",
            "cases.y", "cases.compound", "cases.address", "rosters.name",
            "attempts.note"} <= listed
    assert "s1" in _read(res.files["interviews"], fmt).columns
    store.close()


def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pd.read_parquet(path)
    import pyreadstat

    return pyreadstat.read_sav(str(path))[0]


def test_safe_free_text_is_kept_when_named(tmp_path):
    store, _ = _store_with_two_versions(tmp_path / "central.sqlite")
    res = export_store(store, tmp_path / "out", format="csv", safe_text=["remark"])
    itv = pd.read_csv(res.files["interviews"])
    assert "remark" in itv.columns and "phone" not in itv.columns
    store.close()


def _satisfaction_store(path: Path) -> tuple[FieldStore, list[int]]:
    store = make_store(path, n=6)
    store.add_form(FORM.read_bytes(), form_id="resident_survey", version="2026.1",
                   filename=FORM.name)
    values = [1, 5, 8, -8, -9, 4]
    for k, did in enumerate(store.assignments()["dwelling_id"]):
        u = store.start_interview(did, form_id="resident_survey", form_version="2026.1")
        v = values[k]
        store.set_answer(u, "d1", DK if v == -8 else REF if v == -9 else str(v))
        store.complete(u)
    return store, values


def test_sav_declares_every_special_code_missing(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    store, values = _satisfaction_store(tmp_path / "dev.sqlite")
    res = export_store(store, tmp_path / "sav", format="sav", tables=["interviews"])
    df, meta = pyreadstat.read_sav(str(res.files["interviews"]), user_missing=True)
    declared: set[float] = set()
    for item in meta.missing_ranges["d1"]:
        declared |= {float(item["lo"]), float(item["hi"])} if item["lo"] == item["hi"] else \
            {float(v) for v in range(int(item["lo"]), int(item["hi"]) + 1)}
    assert {-8.0, -9.0, 8.0} <= declared  # 不知道, 拒绝回答, 不了解
    assert sorted(df["d1"].tolist()) == sorted(float(v) for v in values)  # codes kept
    plain, _ = pyreadstat.read_sav(str(res.files["interviews"]))  # as SPSS computes
    assert plain["d1"].mean() == pytest.approx((1 + 5 + 4) / 3)
    assert meta.variable_value_labels["d1"][8.0] == "不了解 / Do not know enough"
    store.close()


def test_dta_tags_special_codes_and_csv_codebook_says_they_are_missing(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    store, _ = _satisfaction_store(tmp_path / "dev.sqlite")
    res = export_store(store, tmp_path / "dta", format="dta", tables=["interviews"])
    tagged, meta = pyreadstat.read_dta(str(res.files["interviews"]), user_missing=True)
    tags = json.loads(res.manifest.read_text(encoding="utf-8"))["stata_tags"]
    assert set(tags) == {"-8", "-9", "8"}
    assert sorted(v for v in tagged["d1"] if isinstance(v, str)) == \
        sorted(tags[c].lstrip(".") for c in ("-8", "-9", "8"))
    assert meta.variable_value_labels["d1"][tags["8"].lstrip(".")].startswith("不了解")
    plain, _ = pyreadstat.read_dta(str(res.files["interviews"]))
    assert plain["d1"].mean() == pytest.approx((1 + 5 + 4) / 3)
    csv = export_store(store, tmp_path / "csv", format="csv", tables=["interviews"])
    book = pd.read_csv(csv.files["codebook_values"])
    d1 = book[book["variable"] == "d1"].set_index("code")
    assert d1.loc[[-8, -9, 8], "missing"].tolist() == ["yes"] * 3
    assert d1.loc[[1, 5], "missing"].tolist() == ["no"] * 2
    assert sorted(pd.read_csv(csv.files["interviews"])["d1"]) == [-9, -8, 1, 4, 5, 8]
    store.close()


def test_a_failed_export_leaves_no_new_table_and_no_marker(tmp_path, monkeypatch):
    store, _ = _store_with_two_versions(tmp_path / "central.sqlite")
    out = tmp_path / "out"
    export_store(store, out, format="csv")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    store.record_attempt("C2-003", "2.24")
    real = writers.write_table
    calls = []

    def failing(df, path, *a, **k):
        calls.append(path.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(df, path, *a, **k)

    monkeypatch.setattr("fieldsurvey.store.export.write_table", failing)
    with pytest.raises(StoreError, match="disk is full"):
        export_store(store, out, format="csv")
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "export.json" not in after  # the folder reads as unfinished
    assert {k: v for k, v in before.items() if k != "export.json"} == after  # no new table
    store.close()


def test_export_reads_one_snapshot_while_a_writer_goes_on(tmp_path, monkeypatch):
    store = make_store(tmp_path / "dev.sqlite", n=40)
    writer = FieldStore.open(tmp_path / "dev.sqlite")
    ids = list(store.assignments()["dwelling_id"])
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            k = 0
            while not stop.is_set():
                u = writer.start_interview(ids[k % len(ids)])
                writer.set_answer(u, "n", k)
                writer.set_answer(u, "m", k)
                k += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=write)
    t.start()
    import time

    while len(store.interviews()) < 5 and t.is_alive():
        time.sleep(0.05)
    try:
        for round_ in range(4):
            if round_ == 2:  # the large-store path: child readers, checked afterwards
                monkeypatch.setattr("fieldsurvey.store._arrow.CHILD_LIMIT", 0)
            res = export_store(tmp_path / "dev.sqlite", tmp_path / f"e{round_}", format="csv",
                               tables=["interviews", "paradata"])
            itv = pd.read_csv(res.files["interviews"])
            # one state: every interview but possibly the last has both answers, equal
            assert "n" in itv.columns
            both = itv.dropna(subset=["n", "m"]) if "m" in itv else itv.iloc[0:0]
            assert (both["n"] == both["m"]).all()
            assert len(itv) - len(both) <= 1
            para = pd.read_csv(res.files["paradata"])
            assert set(para["interview_uuid"]) <= set(itv["interview_uuid"])
    finally:
        stop.set()
        t.join()
        writer.close()
        store.close()
    assert not errors


READONLY_SETUP = r"""
import sys
sys.path.insert(0, sys.argv[2])
from _storekit import make_store
s = make_store(sys.argv[1] + "/dev.sqlite")
u = s.start_interview("C1-000")
s.set_answer(u, "q", 1)
s.close()
"""

READONLY_CHECK = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from fieldsurvey.cli.main import main
from fieldsurvey.store import FieldStore
from fieldsurvey.io.errors import StoreError
db = sys.argv[1] + "/dev.sqlite"
out = {}
try:
    FieldStore.open(db).set_answer("x", "q", 1)
except StoreError as exc:
    out["write"] = exc.paragraph()
out["progress"] = main(["progress", "--db", db, "--format", "json"])
out["export"] = main(["export", "--db", db, "--format", "csv", "--out", sys.argv[3]])
out["merge"] = main(["merge", db, "--into", sys.argv[3] + "/central.sqlite"])
print(json.dumps(out))
"""


def test_a_store_on_read_only_media_is_named_so_and_still_read(tmp_path):
    res = run_in_private_mount(tmp_path / "mnt", "4m", READONLY_SETUP, READONLY_CHECK,
                               readonly_after_first=True, args=(TESTS, tmp_path / "out"))
    found = json.loads(res[1].strip().splitlines()[-1])
    assert "read-only media" in found["write"] and "is damaged" not in found["write"]
    assert "not damaged" in found["write"]
    assert found["progress"] == 0 and found["export"] == 0 and found["merge"] == 0
    assert (tmp_path / "out" / "export.json").exists()


FULL_DISK = r"""
import json, sys, os
sys.path.insert(0, sys.argv[2])
from fieldsurvey.cli.main import main
import contextlib, io
err = io.StringIO()
with contextlib.redirect_stderr(err):
    rc = main(["export", "--db", sys.argv[3], "--format", sys.argv[4], "--out",
               sys.argv[1] + "/exp"])
files = sorted(os.listdir(sys.argv[1] + "/exp")) if os.path.exists(sys.argv[1] + "/exp") else []
print(json.dumps({"rc": rc, "err": err.getvalue(), "files": files}))
"""


@pytest.mark.parametrize("fmt", ["sav", "csv"])
def test_a_full_disk_during_export_is_one_paragraph_and_leaves_no_table(tmp_path, fmt):
    store = make_store(tmp_path / "dev.sqlite", n=200)
    for did in store.assignments()["dwelling_id"]:
        u = store.start_interview(did)
        for q in range(30):
            store.set_answer(u, f"q{q:02d}", "长的文本答案" * 20 if q % 2 else q)
    store.close()
    res = run_in_private_mount(tmp_path / "mnt", "256k", FULL_DISK,
                               args=(TESTS, tmp_path / "dev.sqlite", fmt))
    found = json.loads(res[0].strip().splitlines()[-1])
    assert found["rc"] == 2 and "Traceback" not in found["err"]
    assert "disk is full" in found["err"] and len(found["err"].strip().splitlines()) == 1
    assert found["files"] == []  # no table, no marker, no staging folder
