"""The tally's fast path (store/tally_reads + estimate/tally_stats) gives the full read's figures.

A messy store: special answers (不知道 -8, 拒绝回答 -9, 不了解 8) on scale and
select_multiple items, cleared and never-given answers, partial and unfinished interviews,
a second interview of a case, an override, recorded Kish selections, several communities
(strata with one community: lonely PSUs), a community with one respondent. The fast path
must give the same rows as ``tally_full_read`` (``read_store_cases(answers=True)`` and
one ``indicator_table`` call per design), for every weighting, before and after the store
changes (the screen's incremental refresh).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _reports_data import make_store

from fieldsurvey.estimate.tally import (
    RESPONDENT_CODES,
    form_and_indicators,
    tally,
    tally_full_read,
)
from fieldsurvey.estimate.tally_session import TallySession
from fieldsurvey.questionnaire.model import SpecialAnswer
from fieldsurvey.store import FieldStore

DK, RF = SpecialAnswer(-8, "dont_know"), SpecialAnswer(-9, "refused")


def _mess(db: Path) -> None:
    """Special, missing and odd answers, partials, a reinterview, an override, selections."""
    from fieldsurvey.weights.io import read_store_cases

    cases = read_store_cases(db)
    done = cases[cases["disposition"] == "1.1"]
    rest = cases[cases["disposition"] != "1.1"]
    with FieldStore.open(db) as st:
        for k, row in enumerate(done.itertuples(index=False)):
            uid, who = row.interview_uuid, row.interviewer
            if k % 5 == 0 or k % 7 == 1 or k % 11 == 2:
                st.resume_interview(uid, interviewer=who, reopen=True)
            if k % 5 == 0:
                st.set_answer(uid, "d1", DK, interviewer=who)
                st.set_answer(uid, "b1", RF, interviewer=who)
            if k % 7 == 1:
                st.clear_answer(uid, "d2", interviewer=who)
                st.set_answer(uid, "c3", DK, interviewer=who)
            if k % 11 == 2:
                st.set_answer(uid, "d3", "4", interviewer=who)  # a code stored as text
            if k % 5 == 0 or k % 7 == 1 or k % 11 == 2:
                st.complete(uid, interviewer=who)
            if k % 4 == 3:
                st.record_selection(row.dwelling_id, method="kish", eligible_count=k % 3 + 2,
                                    chosen_line=1, interviewer=who)
        # partials and an unfinished interview; a case interviewed twice
        for k, row in enumerate(rest.head(6).itertuples(index=False)):
            uid = st.start_interview(row.dwelling_id, interviewer=row.interviewer)
            for q in ("d0", "d4", "d5", "d6", "d7", "d8", "d9"):
                st.set_answer(uid, q, (k + int(q[1:])) % 5 + 1, interviewer=row.interviewer)
            st.set_answer(uid, "b1", ("2", "5"), interviewer=row.interviewer)
            if k < 4:
                st.complete(uid, outcome="1.2", interviewer=row.interviewer)
        again = done.iloc[0]
        uid = st.start_interview(again.dwelling_id, interviewer=again.interviewer)
        st.set_answer(uid, "d0", 1, interviewer=again.interviewer)  # not closed: not the main
        st.override_disposition(str(done.iloc[1]["dwelling_id"]), "2.111", supervisor="陈主任",
                                reason="respondent withdrew")


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tally_fast")
    db = d / "central.sqlite"
    _, weights = make_store(db, n_comm=5, per=18, seed=7)
    _mess(db)
    wfile = d / "weights.csv"
    weights.to_csv(wfile, index=False)
    return db, wfile


def _same(fast: object, full: object) -> None:
    a, b = full.estimates, fast.estimates  # type: ignore[attr-defined]
    assert len(a) and list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(full.rates, fast.rates)  # type: ignore[attr-defined]
    for attr in ("completes", "names", "respondents", "weightings", "notes"):
        assert getattr(fast, attr) == getattr(full, attr), attr


def test_the_store_is_messy(messy) -> None:
    from fieldsurvey.weights.io import read_store_cases

    db, _ = messy
    cases = read_store_cases(db, answers=True)
    assert {"1.1", "1.2", "2.111"} <= set(cases["disposition"])
    assert (cases["d1"] == -8).any() and (cases["b1_1"] == -9).any() and cases["d2"].isna().any()
    assert (cases["d0"] == 8).any()  # 不了解, a missing code of the scale
    assert cases["pi_respondent"].notna().any() and cases["community_id"].nunique() == 5


def test_fast_path_equals_full_read(messy) -> None:
    db, wfile = messy
    _same(tally(db, weights=wfile), tally_full_read(db, weights=wfile))
    assert set(tally(db, weights=wfile).estimates["weighting"]) == {"unweighted", "design",
                                                                    "final"}


def test_scoring_on_arrays_equals_indicators_scored(messy) -> None:
    from fieldsurvey.estimate.tally_stats import scored
    from fieldsurvey.weights.io import read_store_cases

    db, _ = messy
    _, ind = form_and_indicators(db)
    cases = read_store_cases(db, answers=True)
    resp = cases[cases["disposition"].isin(RESPONDENT_CODES)].reset_index(drop=True)
    a, b = ind.scored(resp), scored(resp, ind)
    cols = [c for c in a.columns if c not in resp.columns or not a[c].equals(resp[c])]
    assert len(cols) > 30 and "b1_any" in cols
    for c in cols:
        np.testing.assert_array_equal(pd.to_numeric(a[c]).to_numpy(float),
                                      b[c].to_numpy(float), err_msg=c)


def test_refresh_reads_only_what_changed(messy, tmp_path: Path) -> None:
    from fieldsurvey.weights.io import read_store_cases

    db0, _ = messy
    db = tmp_path / "central.sqlite"
    shutil.copy(db0, db)
    session = TallySession(db)
    first = session.compute()
    assert session.compute() is first  # nothing written: nothing read, nothing recomputed
    cases = read_store_cases(db)
    todo = cases[cases["disposition"].astype(str).str.startswith(("2.2", "3", "4"))]
    done = cases[cases["disposition"] == "1.1"]
    with FieldStore.open(db) as st:  # what a merge or a sync brings
        row = todo.iloc[0]
        uid = st.start_interview(row["dwelling_id"], interviewer="王芳")
        for q in [f"d{i}" for i in range(13)]:
            st.set_answer(uid, q, 5, interviewer="王芳")
        st.set_answer(uid, "b1", ("1", "3"), interviewer="王芳")
        st.complete(uid, interviewer="王芳")
        changed = str(done.iloc[3]["interview_uuid"])
        st.resume_interview(changed, interviewer="李强", reopen=True)
        st.set_answer(changed, "d0", 1, interviewer="李强")
        st.complete(changed, interviewer="李强")
        st.override_disposition(str(done.iloc[4]["dwelling_id"]), "4.61",
                                supervisor="陈主任", reason="not a dwelling")
    again = session.compute()
    assert again is not first and session._reader._last.changed == 3
    _same(again, tally_full_read(db))
    assert again.respondents == first.respondents  # one more, one less


def test_refresh_estimates_only_the_communities_that_changed(messy, tmp_path: Path,
                                                             monkeypatch) -> None:
    """A refresh re-estimates the district and the changed cases' communities only, and its
    rows (order included) are the full computation's: also for a new community and for a
    community whose last respondent is gone."""
    from fieldsurvey.estimate import tally_stats
    from fieldsurvey.weights.io import read_store_cases

    db0, wfile = messy
    db = tmp_path / "central.sqlite"
    shutil.copy(db0, db)
    session = TallySession(db, weights=wfile)
    session.compute()
    estimated: list[int] = []
    real = tally_stats._communities

    def spy(w, columns, dom, count):  # type: ignore[no-untyped-def]
        estimated.append(count)
        return real(w, columns, dom, count)

    monkeypatch.setattr(tally_stats, "_communities", spy)
    cases = read_store_cases(db)
    done = cases[cases["disposition"] == "1.1"]
    one = done[done["community_id"] == done["community_id"].iloc[0]]
    with FieldStore.open(db) as st:
        uid = str(one.iloc[0]["interview_uuid"])
        st.resume_interview(uid, interviewer="李强", reopen=True)
        st.set_answer(uid, "d0", 2, interviewer="李强")
        st.complete(uid, interviewer="李强")
    again = session.compute()
    assert estimated and set(estimated) == {1}  # one community, every weighting
    _same(again, tally_full_read(db, weights=wfile))
    # a community's respondents all withdrawn; a new community with one complete
    gone = done[done["community_id"] == done["community_id"].iloc[-1]]
    with FieldStore.open(db) as st:
        for d in gone["dwelling_id"]:
            st.override_disposition(str(d), "2.111", supervisor="陈主任", reason="withdrew")
        fid, fver = st.connection.execute(
            "SELECT form_id, form_version FROM assignments LIMIT 1").fetchone()
        st.assign([{"dwelling_id": "NEW1", "community_id": "C_new", "stratum": "S_new",
                    "line": 0, "base_weight": 50.0}], interviewer="王芳", form_id=fid,
                  form_version=fver)
        uid = st.start_interview("NEW1", interviewer="王芳")
        for q in [f"d{i}" for i in range(13)]:
            st.set_answer(uid, q, 4, interviewer="王芳")
        st.complete(uid, interviewer="王芳")
    estimated.clear()
    third = session.compute(("unweighted", "design"))
    assert estimated == [1, 1]  # only the new community (the emptied one has no rows)
    full = tally_full_read(db)
    full_est = full.estimates[full.estimates["weighting"].isin(["unweighted", "design"])]
    pd.testing.assert_frame_equal(full_est.reset_index(drop=True),
                                  third.estimates[third.estimates["weighting"].isin(
                                      ["unweighted", "design"])].reset_index(drop=True),
                                  check_dtype=False, rtol=1e-10, atol=1e-12)
    assert "C_new" in set(third.estimates["community_id"])
    assert str(gone["community_id"].iloc[0]) not in set(third.estimates["community_id"])
