"""Exports: one row per interview, one column per question, labels, special codes, personal
data, every format; cases and progress tables; readers beside a writer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from _storekit import make_store

from fieldsurvey.io.errors import QuestionnaireError, StoreError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.model import DEFAULT_SPECIAL_ANSWERS
from fieldsurvey.store import FieldStore
from fieldsurvey.store.export import answers_frame, export_store, read_consistent
from fieldsurvey.store.fieldwork_status import progress_table

DK, REF = DEFAULT_SPECIAL_ANSWERS
TESTS = Path(__file__).resolve().parent

FORM_YAML = """
settings:
  form_id: tiny
  version: '1'
  default_language: zh
languages: [zh, en]
special_answers:
- {code: -8, name: dont_know, label: {zh: 不知道, en: Don't know}}
- {code: -9, name: refused, label: {zh: 拒绝回答, en: Refused}}
choices:
  sex:
  - {name: '1', label: {zh: 男, en: Male}}
  - {name: '2', label: {zh: 女, en: Female}}
  act:
  - {name: '1', label: {zh: 开会, en: Meetings}}
  - {name: '2', label: {zh: 志愿, en: Volunteering}}
  - {name: '0', label: {zh: 都没有, en: None}}
survey:
- type: begin repeat
  name: h
  label: {zh: 家庭成员, en: Household members}
  children:
  - {type: text, name: h_name, label: {zh: 称呼, en: Name}, sensitive: true}
  - {type: integer, name: h_age, label: {zh: 年龄, en: Age}}
- {type: select_one sex, name: a1, label: {zh: 性别, en: Sex}}
- {type: integer, name: a2, label: {zh: 出生年份, en: Year of birth}}
- {type: select_multiple act, name: b1, label: {zh: 参加过哪些, en: Which ones}}
- {type: text, name: f1, label: {zh: 意见, en: Suggestions}, sensitive: true}
"""


@pytest.fixture()
def form_path(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(FORM_YAML, encoding="utf-8")
    try:
        load_form(p)
    except QuestionnaireError as exc:  # pragma: no cover - depends on the loader's keys
        pytest.skip(f"YAML form loader does not accept the test form: {exc}")
    return p


@pytest.fixture()
def filled(tmp_path, form_path):
    store = make_store(tmp_path / "dev.sqlite", n=6)
    store.add_form(form_path.read_bytes(), form_id="tiny", version="1", filename="tiny.yaml")
    u1 = store.start_interview("C1-000", form_id="tiny", form_version="1")
    store.set_answer(u1, "h_name[1]", "老王")
    store.set_answer(u1, "h_age[1]", 70)
    store.set_answer(u1, "h_age[2]", 68)
    store.set_answer(u1, "a1", "1")
    store.set_answer(u1, "a2", DK)
    store.set_answer(u1, "b1", ("1", "2"))
    store.set_answer(u1, "f1", "多修路")
    store.complete(u1)
    u2 = store.start_interview("C2-001", form_id="tiny", form_version="1")
    store.set_answer(u2, "a1", REF)
    store.set_answer(u2, "a2", 1960)
    store.set_answer(u2, "b1", DK)
    store.set_roster_member("C1-000", 1, name="老王", sex="1", age=70, eligible=True)
    store.record_selection("C1-000", method="random", eligible_count=1, chosen_line=1)
    store.record_attempt("C1-000", "2.24")
    store.record_attempt("C1-002", "2.111")
    store.record_attempt("C2-003", "4.61")
    return store, u1, u2


def test_wide_table_columns_types_and_specials(filled):
    store, u1, u2 = filled
    w = answers_frame(store)
    df = w.frame.set_index("interview_uuid")
    assert list(df.index) == [u1, u2]
    assert df.loc[u1, "h_age_1"] == 70 and df.loc[u1, "h_age_2"] == 68
    assert pd.isna(df.loc[u2, "h_age_1"])  # unanswered: missing, not a code
    assert df.loc[u1, "a1"] == 1 and df.loc[u2, "a1"] == -9
    assert df.loc[u1, "a2"] == -8 and df.loc[u2, "a2"] == 1960
    assert df.loc[u1, "b1"] == "1 2"
    assert (df.loc[u1, "b1_1"], df.loc[u1, "b1_2"], df.loc[u1, "b1_0"]) == (1, 1, 0)
    assert df.loc[u2, "b1_1"] == -8 and df.loc[u2, "b1"] == "-8"
    assert "h_name_1" not in df.columns and "f1" not in df.columns  # personal data left out
    assert set(w.pii_columns) == {"h_name_1", "f1"}
    assert w.value_labels["a1"][1] == "男 / Male" and w.value_labels["a1"][-9].startswith("拒绝")
    assert w.variable_labels["a2"] == "出生年份 / Year of birth"
    assert w.variable_labels["h_age_2"].startswith("年龄 / Age")
    assert w.variable_labels["b1_2"].endswith("志愿 / Volunteering")
    assert w.special_columns["a2"] == [-9, -8]
    en = answers_frame(store, language="en")
    assert en.variable_labels["a1"] == "Sex" and en.value_labels["a1"][2] == "Female"


def test_pii_pseudonymised_stably_or_included(filled, tmp_path):
    store, u1, _ = filled
    assert "pii_salt" not in store.meta  # a device store never holds the key
    with pytest.raises(StoreError, match="pseudonymisation key"):
        answers_frame(store, pii="pseudonymise")
    key = tmp_path / "survey.key"
    key.write_text("0123456789abcdef0123456789abcdef", encoding="utf-8")
    p1 = answers_frame(store, pii="pseudonymise", key_file=key).frame.set_index(
        "interview_uuid")
    p2 = answers_frame(store, pii="pseudonymise", key_file=key).frame.set_index(
        "interview_uuid")
    assert p1.loc[u1, "f1"] == p2.loc[u1, "f1"] and p1.loc[u1, "f1"].startswith("P")
    assert "多修路" not in p1.to_string()
    full = answers_frame(store, include_pii=True).frame.set_index("interview_uuid")
    assert full.loc[u1, "f1"] == "多修路" and full.loc[u1, "h_name_1"] == "老王"
    with pytest.raises(StoreError, match="personal data"):
        answers_frame(store, pii="hide")


def test_without_form_types_come_from_values(tmp_path):
    store = make_store(tmp_path / "dev.sqlite")
    u = store.start_interview("C1-000")
    store.set_answer(u, "x", 1.5)
    store.set_answer(u, "m", ("b", "a"))
    store.set_answer(u, "t", "文本")
    w = answers_frame(store)
    row = w.frame.iloc[0]
    assert row["x"] == 1.5 and row["m"] == "b a" and row["m_a"] == 1
    # text no form declares is free text: personal unless said to be safe
    assert "t" not in w.frame.columns and w.pii_columns == ["t"]
    assert answers_frame(store, safe_text=["t"]).frame.iloc[0]["t"] == "文本"


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx", "sav", "dta"])
def test_every_format_writes_every_table(filled, tmp_path, fmt):
    store, *_ = filled
    res = export_store(store, tmp_path / fmt, format=fmt)
    for name in ("interviews", "cases", "attempts", "rosters", "paradata"):
        assert res.files[name].exists() and res.files[name].suffix == f".{fmt}"
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert manifest["personal_data"]["handling"] == "left out"
    assert "cases.address" in manifest["personal_data"]["columns"]
    assert manifest["rows"]["interviews"] == 2 and manifest["rows"]["cases"] == 6
    assert not list((tmp_path / fmt).glob("*.part"))
    if fmt == "sav":
        df, meta = pyreadstat.read_sav(str(res.files["interviews"]), user_missing=True)
        i = meta.column_names.index("a1")
        assert meta.column_labels[i] == "性别 / Sex"
        assert meta.variable_value_labels["a1"][-9.0].startswith("拒绝回答")
        assert {r["lo"] for r in meta.missing_ranges["a2"]} == {-8.0, -9.0}
        assert sorted(df["a2"].tolist()) == [-8.0, 1960.0]
    if fmt == "dta":
        df, meta = pyreadstat.read_dta(str(res.files["interviews"]))
        assert meta.variable_value_labels["a1"][1] == "男 / Male"
        assert df["h_age_1"].isna().sum() == 1
    if fmt == "parquet":
        cases = pd.read_parquet(res.files["cases"]).set_index("dwelling_id")
        assert cases.loc["C1-002", "disposition"] == "2.111"
        assert "address" not in cases.columns
        para = pd.read_parquet(res.files["paradata"])
        assert {"set", "start", "complete"} <= set(para["kind"])
        assert (para["seconds"].dropna() > 0).all()


def test_csv_with_bom_for_excel(filled, tmp_path):
    store, *_ = filled
    res = export_store(store, tmp_path / "bom", format="csv", bom=True, tables=["cases"])
    assert res.files["cases"].read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(StoreError, match="format"):
        export_store(store, tmp_path / "x", format="docx")


def test_cases_table_for_weights(filled):
    store, u1, _ = filled
    cases = store.cases().set_index("dwelling_id")
    row = cases.loc["C1-000"]
    assert row["disposition"] == "1.1" and row["category"] == "I"
    assert row["interview_uuid"] == u1 and row["pi_respondent"] == 1.0
    assert row["pi"] == 0.05 and row["base_weight"] == 20.0 and row["stratum"] == "S1"
    assert row["street"] == "东街" and row["n_attempts"] == 1
    assert cases.loc["C2-003", "category"] == "NE"
    assert cases.loc["C2-005", "disposition"] == "3.11"
    assert len(cases) == 6


def test_progress_counts_and_rate(filled):
    store, *_ = filled
    t = progress_table(store, by="community").set_index("community_id")
    assert t.loc["(all)", "issued"] == 6
    assert t.loc["C1", "completed"] == 1 and t.loc["C1", "refused"] == 1
    assert t.loc["C2", "ineligible"] == 1 and t.loc["(all)", "not_attempted"] == 2
    assert t.loc["(all)", "response_rate"] == pytest.approx(1 / 5)
    both = progress_table(store)
    assert {"community_id", "interviewer", "response_rate"} <= set(both.columns)
    with pytest.raises(StoreError, match="grouping"):
        progress_table(store, by="street")


WRITER = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from fieldsurvey.store import FieldStore
store = FieldStore.open(sys.argv[1])
uuid = store.start_interview("C1-000")
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[3])
i = 0
while time.monotonic() < end:
    store.set_answer(uuid, f"q{i % 200}", i)
    if i % 50 == 0:
        store.record_attempt("C2-001", "2.24")
    i += 1
print(i, flush=True)
"""


def test_readers_run_while_a_writer_writes(tmp_path):
    path = tmp_path / "dev.sqlite"
    make_store(path).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(TESTS), "3"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    reads = 0
    t_end = time.monotonic() + 2
    while time.monotonic() < t_end:
        t = progress_table(path)
        assert t.iloc[-1]["issued"] == 6
        res = export_store(path, tmp_path / "out", format="csv", tables=["interviews", "cases"])
        assert res.rows["interviews"] == 1
        reads += 1
    written = int(proc.stdout.readline())
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.returncode == 0 and written > 50 and reads >= 2
    store = FieldStore.open(path, check=True)
    assert len(store.answers(store.interviews()[0]["uuid"])) == min(written, 200)


def test_arrow_child_reader_gives_the_same_tables(filled, monkeypatch):
    pytest.importorskip("adbc_driver_sqlite")
    from fieldsurvey.store import _arrow
    from fieldsurvey.store.tables import paradata_frame

    store, *_ = filled
    small = answers_frame(store).frame
    para_small = read_consistent(store, paradata_frame)
    monkeypatch.setattr(_arrow, "CHILD_LIMIT", 0)  # force the ADBC child process
    big = answers_frame(store).frame
    pd.testing.assert_frame_equal(small, big)
    para_big = read_consistent(store, paradata_frame)
    assert para_big["seconds"].tolist() == pytest.approx(para_small["seconds"].tolist(),
                                                         nan_ok=True)
    assert para_big["kind"].tolist() == para_small["kind"].tolist()


def test_stata_long_names_are_a_clear_error(tmp_path):
    store = make_store(tmp_path / "dev.sqlite")
    u = store.start_interview("C1-000")
    store.set_answer(u, "a_question_name_much_longer_than_stata_allows", 1)
    with pytest.raises(StoreError, match="32 characters"):
        export_store(store, tmp_path / "dta", format="dta", tables=["interviews"])
    assert not (tmp_path / "dta" / "interviews.dta").exists()
