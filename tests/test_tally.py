"""The tally: same numbers as ``fieldsurvey estimate``; the tally screen at 80x24 in zh and en."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _reports_data import make_store

from fieldsurvey.cli.main import main
from fieldsurvey.estimate.tally import RESPONDENT_CODES, form_and_indicators, tally
from fieldsurvey.io.errors import InputError


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    d = tmp_path_factory.mktemp("tally")
    db = d / "central.sqlite"
    _, weights = make_store(db, n_comm=4, per=20)
    return db, weights


def _scored(db: Path) -> pd.DataFrame:
    """The respondents as a user would build them: answers, scored by the form's indicators."""
    from fieldsurvey.weights.io import read_store_cases

    cases = read_store_cases(db, answers=True)
    _, ind = form_and_indicators(db)
    resp = ind.scored(cases[cases["disposition"].astype(str).isin(RESPONDENT_CODES)])
    pr = pd.to_numeric(resp["pi_respondent"], errors="coerce").fillna(1.0)
    resp["design_w"] = resp["base_weight"] / pr
    # the composite score, written out from its definition (12 items, at least 6 answered)
    items = ind.headline.items
    scores = (resp[list(items)] - 1) / 4 * 100
    ok = scores.notna().sum(axis=1) >= ind.headline.min_items
    resp["composite"] = scores.mean(axis=1).where(ok)
    return resp.reset_index(drop=True)


def _cli(tmp: Path, data: pd.DataFrame, *args: str) -> pd.DataFrame:
    src = tmp / "resp.csv"
    data.to_csv(src, index=False)
    out = tmp / "est.json"
    assert main(["estimate", "--data", str(src), "--lonely-psu", "adjust", *args,
                 "--output", str(out)]) == 0
    return pd.DataFrame(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.parametrize("weighting", ["unweighted", "design"])
def test_tally_equals_fieldsurvey_estimate(survey, tmp_path: Path, weighting: str) -> None:
    db, _ = survey
    res = tally(db)
    est = res.estimates[res.estimates["weighting"] == weighting]
    data = _scored(db)
    w = ["--weights", "design_w"] if weighting == "design" else []
    # the district: strata x community PSUs
    cli = _cli(tmp_path, data, "--strata", "stratum", "--psu", "community_id", "--nest", *w,
               "--mean", "composite,d0,d5", "--prop", "b1_any")
    for var, stat, cvar in (("satisfaction_index", "index", "composite"),
                            ("d0", "mean_score", "d0"), ("d5", "mean_score", "d5")):
        mine = est[(est["variable"] == var) & (est["statistic"] == stat)
                   & (est["community_id"] == "")].iloc[0]
        ref = cli[(cli["variable"] == cvar) & (cli["statistic"] == "mean")].iloc[0]
        assert mine["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
        assert mine["se"] == pytest.approx(ref["se"], rel=1e-8)
        assert mine["n"] == ref["n"]
    mine = est[(est["variable"] == "b1_any") & (est["community_id"] == "")].iloc[0]
    ref = cli[(cli["variable"] == "b1_any") & (cli["level"].astype(str) == "1")].iloc[0]
    assert mine["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert mine["ci_low"] == pytest.approx(ref["ci_low"], rel=1e-8)
    # each community: the community a stratum, its respondents the units
    cli = _cli(tmp_path, data, "--strata", "community_id", *w, "--mean", "composite",
               "--by", "community_id")
    for cid, grp in est[(est["variable"] == "satisfaction_index")
                        & (est["community_id"] != "")].groupby("community_id"):
        ref = cli[cli["domain"] == f"community_id={cid}"].iloc[0]
        assert grp["estimate"].iloc[0] == pytest.approx(ref["estimate"], rel=1e-10)
        assert grp["se"].iloc[0] == pytest.approx(ref["se"], rel=1e-8)
        assert 0 < grp["se"].iloc[0]  # not the degenerate 0 of a community-as-PSU domain


def test_estimate_satisfaction_reads_the_form(survey, tmp_path: Path) -> None:
    """``fieldsurvey estimate --satisfaction FORM`` on the raw answers gives the tally's rows."""
    from fieldsurvey.weights.io import read_store_cases

    db, _ = survey
    res = tally(db)
    cases = read_store_cases(db, answers=True)
    raw = cases[cases["disposition"].astype(str).isin(RESPONDENT_CODES)]
    form = Path(__file__).resolve().parents[1] / "src" / "fieldsurvey" / "example" / \
        "questionnaires" / "resident_survey.yaml"
    cli = _cli(tmp_path, raw, "--satisfaction", str(form), "--strata", "stratum", "--psu",
               "community_id", "--nest")
    est = res.estimates[(res.estimates["weighting"] == "unweighted")
                        & (res.estimates["community_id"] == "")]
    for var, stat in (("satisfaction_index", "index"), ("d0", "top2box"), ("b1_any", "prop"),
                      ("c3_1", "prop")):
        mine = est[(est["variable"] == var) & (est["statistic"] == stat)].iloc[0]
        ref = cli[(cli["variable"] == var) & (cli["statistic"] == stat)].iloc[0]
        assert mine["estimate"] == pytest.approx(ref["estimate"], rel=1e-10), var
        assert mine["ci_high"] == pytest.approx(ref["ci_high"], rel=1e-8), var
        assert mine["n"] == ref["n"]


def test_rates_by_group_with_counts(survey) -> None:
    db, _ = survey
    res = tally(db)
    from fieldsurvey.rates import aapor_rates
    from fieldsurvey.weights.io import read_store_cases

    cases = read_store_cases(db)
    ref = aapor_rates(cases, disposition="disposition", by="interviewer").groups
    got = res.rates[res.rates["by"] == "interviewer"].set_index("group")
    for who in ref.index:
        assert got.loc[str(who), "RR1"] == pytest.approx(ref.loc[who, "RR1"])
        assert got.loc[str(who), "n"] == ref.loc[who, "n"]
    assert sum(res.completes.values()) == int((cases["disposition"] == "1.1").sum())


def test_final_weights_and_weights_of_another_sample(survey, tmp_path: Path) -> None:
    db, weights = survey
    good = tmp_path / "w.csv"
    weights.to_csv(good, index=False)
    res = tally(db, weights=good)
    assert res.weightings == ("unweighted", "design", "final")
    fin = res.estimates[res.estimates["weighting"] == "final"]
    assert (fin["variable"] == "satisfaction_index").any()
    bad = tmp_path / "other.csv"
    weights.assign(dwelling_id="X" + weights["dwelling_id"]).to_csv(bad, index=False)
    with pytest.raises(InputError, match="for another sample"):
        tally(db, weights=bad)


def _on_tally(db: Path, read, lang: str = "zh", keys: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """Open the supervisor's tally screen on ``db`` (y), press ``keys``, return ``read(screen)``."""
    from fieldsurvey.tui.app import make_app

    app = make_app(db, supervisor=True, language=lang)

    async def run():  # type: ignore[no-untyped-def]
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            for k in ("y", *keys):
                await pilot.press(k)
                for _ in range(3):
                    await pilot.pause()
                    await app.workers.wait_for_complete()
            screen = app.screen
            assert screen.id == "tally" and not screen.computing
            return read(screen)

    return asyncio.run(run())


def _screen_figures(db: Path, lang: str, keys: tuple[str, ...] = ()) -> tuple[dict, str]:
    return _on_tally(db, lambda screen: (screen.figures(), str(
        screen.query_one("#tally-ind-title").render())), lang, keys)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_tally_screen_shows_the_estimates(survey, lang: str) -> None:
    db, _ = survey
    res = tally(db)
    figs, title = _screen_figures(db, lang)
    e = res.estimates
    row = e[(e["variable"] == "satisfaction_index") & (e["weighting"] == "unweighted")
            & (e["community_id"] == "")].iloc[0]
    shown = figs["#tally-ind"][0]
    assert shown[1] == f"{row['estimate']:.1f} [{row['ci_low']:.1f},{row['ci_high']:.1f}]"
    assert shown[3] == str(int(row["n"]))
    assert ("未加权" if lang == "zh" else "unweighted") in title
    rates = figs["#tally-rates"]
    o = res.rates[res.rates["by"] == "all"].iloc[0]
    assert rates[0][3] == f"{100 * o['RR1']:.1f}"
    assert len(rates) == 1 + (res.rates["by"] == "community_id").sum()
    # design weighting on 'w'
    figs, title = _screen_figures(db, lang, ("w",))
    row = e[(e["variable"] == "satisfaction_index") & (e["weighting"] == "design")
            & (e["community_id"] == "")].iloc[0]
    assert figs["#tally-ind"][0][1].startswith(f"{row['estimate']:.1f} [")
    assert ("Kish" in title)


def test_tally_screen_recomputes_after_the_store_changes(survey, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from fieldsurvey.store import FieldStore
    from fieldsurvey.tui.app import make_app
    from fieldsurvey.tui.screens.tally import TallyScreen
    from fieldsurvey.weights.io import read_store_cases

    db0, _ = survey
    db = tmp_path / "central.sqlite"
    shutil.copy(db0, db)
    monkeypatch.setattr(TallyScreen, "POLL_S", 0.2)
    cases = read_store_cases(db)
    todo = str(cases.loc[cases["disposition"].astype(str).str.startswith("2"),
                         "dwelling_id"].iloc[0])
    app = make_app(db, supervisor=True)

    async def run() -> tuple[str, str]:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("y")
            for _ in range(3):
                await pilot.pause()
                await app.workers.wait_for_complete()
            before = app.screen.figures()["#tally-rates"][0][2]
            with FieldStore.open(db) as st:  # a merge or sync writes to the store
                uid = st.start_interview(todo, interviewer="王芳")
                st.complete(uid, interviewer="王芳")
            for _ in range(200):
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                after = app.screen.figures()["#tally-rates"][0][2]
                if after != before:
                    break
            return before, after

    before, after = asyncio.run(run())
    assert int(after) == int(before) + 1  # one more complete, without a key press


def test_tally_snapshot(snap_compare, survey) -> None:  # type: ignore[no-untyped-def]
    from fieldsurvey.tui.app import make_app

    db, _ = survey

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.press("y")
        for _ in range(3):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()

    assert snap_compare(make_app(db, supervisor=True), terminal_size=(80, 24),
                        run_before=run_before)


def test_small_communities_are_greyed(survey) -> None:
    db, _ = survey
    res = tally(db, min_completes=1000)
    from fieldsurvey.tui.widgets.tally_table import indicator_rows

    rows = indicator_rows(res.estimates, "satisfaction_index", "unweighted", res.names,
                          res.completes, res.min_completes, "zh")
    assert rows[0][0].style == "" and all(r[0].style == "dim" for r in rows[1:])
    assert np.isfinite(float(rows[1][3].plain))


def _tally_text(db: Path, widget: str) -> str:
    """The text of ``widget`` on the tally screen of ``db``."""
    return _on_tally(db, lambda screen: str(screen.query_one(widget).render()))


def test_a_store_the_tally_cannot_read_is_said_on_the_screen(survey, monkeypatch) -> None:
    """A store or form error while computing is shown on the tally screen (the app stays)."""
    from fieldsurvey.estimate.tally_session import TallySession
    from fieldsurvey.io.errors import StoreError
    from fieldsurvey.tui.screens import tally as tally_screen

    db, _ = survey

    def broken(self, only=None):  # type: ignore[no-untyped-def]
        raise StoreError("the field store has no cases", file=str(db),
                         hint="Assign the sample")

    monkeypatch.setattr(TallySession, "compute", broken)
    monkeypatch.setattr(tally_screen, "_PREFETCHED", tally_screen.weakref.WeakKeyDictionary())
    assert "no cases" in _tally_text(db, "#tally-rates-title")


def test_on_a_device_the_tally_says_it_covers_the_device_only(survey, tmp_path: Path) -> None:
    """Read-only on one device's store: its own cases, and the screen says so (zh)."""
    from fieldsurvey.store import FieldStore

    db, _ = survey
    dev = tmp_path / "device.sqlite"
    import shutil

    shutil.copy(db, dev)
    with FieldStore.open(dev) as st:
        st.connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES "
                              "('role', 'device'), ('interviewer', '王芳')")
    keys = _tally_text(dev, "#tally-keys")
    n = int(tally(dev).rates.query("by == 'all'")["n"].iloc[0])
    assert f"仅本设备的 {n} 户" in keys
