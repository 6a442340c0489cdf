"""The interviewer's day at 80x24 in Chinese and English (issue 17): a list that tells
households apart, every session a visit, partials by rule, soft checks against the
roster confirmed with a reason, appointments as typed, a jump by text, comments, one
不知道, checkpoints and no temporary folders left behind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from rich.cells import cell_len
from tui_support import FrozenClock, checked_form, make_store, quick_idle

from fieldsurvey.questionnaire import load_form
from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.casedata import case_rows, split_address
from fieldsurvey.tui.cells import fit
from fieldsurvey.tui.screens.assignments import COLUMNS
from fieldsurvey.tui.screens.household import HouseholdScreen
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.screens.review import ReviewScreen

SIZE = (80, 24)
LANGS = ("zh", "en")
FAMILY = (("刘洋", "male", 30), ("王芳", "female", 28))


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


@pytest.fixture
def form_path(tmp_path: Path) -> Path:
    return checked_form(tmp_path)


@pytest.fixture
def store(tmp_path: Path, form_path: Path) -> FieldStore:
    st = make_store(tmp_path / "dev.sqlite", 4, form_path=form_path)
    yield st
    st.close()


def prepare(store: FieldStore, dwelling: str) -> None:
    for line, (name, sex, age) in enumerate(FAMILY, start=1):
        store.set_roster_member(dwelling, line, name=name, sex=sex, age=age, resident=True,
                                eligible=True)
    store.record_selection(dwelling, method="kish", eligible_count=2, chosen_line=1,
                           probability=0.5, kish_table="A")


async def settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_interview(app: FieldsurveyApp, pilot) -> QuestionScreen:  # type: ignore[no-untyped-def]
    """Open the first household's interview at question a1 (the respondent's sex, which
    the form prefills from the roster, so the interview itself starts after it)."""
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, HouseholdScreen)
    await pilot.press("i")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    for _ in range(5):
        if screen.runner.current.key == "a1":
            break
        await pilot.press("pageup")
        await settle(app, pilot)
    assert screen.runner.current.key == "a1"
    return screen


def first(store: FieldStore) -> str:
    return str(store.assignments()["dwelling_id"].iloc[0])


# -- the household list -------------------------------------------------------------------
def test_split_address_keeps_what_differs() -> None:
    assert split_address("城关街道东关社区棉纺厂职工宿舍3栋2单元502室", "东关社区") == (
        "城关街道", "棉纺厂职工宿舍3栋2单元502室")
    assert split_address("", "东关社区", compound="棉纺厂职工宿舍",
                         parts=("3", "2", "5", "502")) == ("", "棉纺厂职工宿舍3栋2单元502室")
    assert fit("棉纺厂职工宿舍3栋2单元502室", 20, keep="end") == "…工宿舍3栋2单元502室"
    assert cell_len(fit("棉纺厂职工宿舍3栋2单元502室", 20, keep="end")) <= 20
    # English is cut between words, never inside one
    assert fit("Compound of the cotton mill", 20) == "Compound of the…"


@pytest.mark.parametrize("lang", LANGS)
async def test_rows_tell_neighbours_apart(tmp_path: Path, lang: str) -> None:
    rows = [{"address": f"城关街道东关社区棉纺厂职工宿舍{b}栋{u}单元{r}室", "building": str(b),
             "unit": str(u), "door": str(r), "name": "东关社区",
             "community_id": "340199001001"}
            for b, u, r in ((3, 2, 502), (3, 2, 501), (3, 1, 502), (12, 2, 1102))]
    st = make_store(tmp_path / "dev.sqlite", 4, addresses=rows)
    try:
        app = make_app(st, language=lang, clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            table = app.screen.query_one("#cases")
            places = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
            assert len(set(places)) == 4, places
            for p, (b, u, r) in zip(places, ((3, 2, 502), (3, 2, 501), (3, 1, 502),
                                             (12, 2, 1102)), strict=False):
                assert f"{b}栋{u}单元{r}室" in p and "城关街道" not in p
            widths = dict(COLUMNS)
            for i in range(table.row_count):
                row = table.get_row_at(i)
                for (key, width), cell in zip(COLUMNS, row, strict=True):
                    assert cell_len(str(cell)) <= width, (key, cell)
            # the street is in the header line, the community has its own column
            assert "城关街道" in str(app.screen.query_one("#counts").render())
            headers = [str(c.label) for c in table.columns.values()]
            for (_key, width), head in zip(COLUMNS, headers, strict=True):
                assert cell_len(head) <= width and not head.endswith("…"), head
            assert widths["col_address"] >= 28
    finally:
        st.close()


# -- visits, partials, soft checks ----------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
async def test_every_session_is_a_visit(store: FieldStore, lang: str) -> None:
    d = first(store)
    prepare(store, d)
    app = make_app(store, language=lang, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await open_interview(app, pilot)
        await pilot.press("1")  # a1 male, as the roster says
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        share = str(app.screen.query_one("#leave-share").render())
        assert "%" in share and ("中断" in share if lang == "zh" else "break-off" in share)
        await pilot.press(*"明天 18:30" if lang == "zh" else "tomorrow 18:30")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, HouseholdScreen)
        # a second session, ended by quitting the app
        await pilot.press("i")
        await settle(app, pilot)
        await pilot.press("ctrl+q")
        await settle(app, pilot)
    att = store.attempts(d)
    assert [a["outcome"] for a in att] == ["2.12", "2.12"]
    assert att[0]["appointment"].startswith("2026-11-22T18:30")
    assert att[0]["interviewer"] == "int01" and "/52" in att[0]["note"]
    ev = store.events(store.interviews(d)[-1]["uuid"], kinds=("para:session",
                                                             "para:session_end"))
    assert list(ev["kind"]) == ["para:session", "para:session_end"] * 2
    assert next(r for r in case_rows(store) if r.dwelling_id == d).attempts == 2


async def test_a_killed_session_is_recorded_when_reopened(store: FieldStore) -> None:
    d = first(store)
    prepare(store, d)
    uuid = store.start_interview(d, respondent_line=1)
    store.record_paradata(uuid, "session", detail={"start": "2026-11-21T09:31:00+00:00"})
    assert store.attempts(d) == []  # the app was killed here
    app = make_app(store, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await open_interview(app, pilot)
        att = store.attempts(d)
        assert [a["outcome"] for a in att] == ["2.12"]
        assert att[0]["note"].startswith("09:31")


@pytest.mark.parametrize("lang", LANGS)
async def test_partial_refused_below_the_threshold(store: FieldStore, lang: str) -> None:
    d = first(store)
    prepare(store, d)
    app = make_app(store, language=lang, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await open_interview(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, ReviewScreen)  # refused: still on the review page
        status = str(app.screen.query_one("#review-status").render())
        assert "50%" in status
    itv = store.interviews(d)[-1]
    assert itv["status"] == "in_progress" and itv["outcome"] is None
    assert store.final_disposition(d).code != "1.2"


@pytest.mark.parametrize("lang", LANGS)
async def test_roster_contradiction_warned_and_confirmed(store: FieldStore, lang: str) -> None:
    d = first(store)
    prepare(store, d)  # the roster says 刘洋, male, 30
    app = make_app(store, language=lang, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_interview(app, pilot)
        assert screen.runner.current.key == "a1"
        await pilot.press("2")  # female: contradicts the roster, accepted with a warning
        await settle(app, pilot)
        assert screen.runner.current.key == "a1"  # stays: the warning is shown
        msg = str(screen.views[0].query_one(".q-error").render())
        assert ("家庭成员表" in msg) if lang == "zh" else ("roster" in msg)
        await pilot.press("enter")  # go on: the reason is asked
        await settle(app, pilot)
        await pilot.press("enter")  # an empty reason is refused
        await settle(app, pilot)
        assert str(app.screen.query_one("#dialog-error").render())
        await pilot.press(*"checked ID card")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen and screen.runner.current.key == "a2"
        await pilot.press("f6")
        await settle(app, pilot)
        items = app.screen.query_one("#review-items")
        texts = [str(items.get_option_at_index(i).prompt) for i in range(items.option_count)]
        assert any("a1" in t and "checked ID card" in t for t in texts), texts
    uuid = store.interviews(d)[-1]["uuid"]
    assert store.answers(uuid)["a1"] == "2"
    ev = store.events(uuid, kinds=("para:warning",))
    detail = json.loads(ev["detail"].iloc[0])
    assert ev["question"].iloc[0] == "a1" and detail["reason"] == "checked ID card"


# -- jump, comment, 不知道 -----------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
async def test_jump_by_text_and_comment(store: FieldStore, lang: str) -> None:
    d = first(store)
    prepare(store, d)
    app = make_app(store, language=lang, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_interview(app, pilot)
        await pilot.press("f5")
        await settle(app, pilot)
        await pilot.press(*("哪一年出生" if lang == "zh" else "year were you born"))
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.runner.current.key == "a2"
        await pilot.press("f2")
        await settle(app, pilot)
        await pilot.press(*"hard of hearing")
        await pilot.press("enter")
        await settle(app, pilot)
        assert "hard of hearing" in str(screen.views[0].query_one(".q-label").render())
    uuid = store.interviews(d)[-1]["uuid"]
    ev = store.events(uuid, kinds=("para:comment",))
    assert ev["question"].iloc[0] == "a2"
    assert json.loads(ev["detail"].iloc[0])["text"] == "hard of hearing"


async def test_dont_know_key_never_beside_a_dont_know_option(store: FieldStore) -> None:
    d = first(store)
    prepare(store, d)
    app = make_app(store, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_interview(app, pilot)
        screen.runner.jump("b5")  # options 1 知道并联系过 2 知道但没联系过 3 不知道
        screen.show()
        await settle(app, pilot)
        hint = str(screen.query_one("#q-keys").render())
        assert "F8 = 3 不知道" in hint and "F8 不知道" not in hint
        await pilot.press("f8")
        await settle(app, pilot)
    uuid = store.interviews(d)[-1]["uuid"]
    assert store.answers(uuid)["b5"] == "3"  # the option, not a second kind of 不知道


async def test_enter_after_the_last_grid_item_is_not_an_error(store: FieldStore) -> None:
    d = first(store)
    prepare(store, d)
    app = make_app(store, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_interview(app, pilot)
        grid = next(s.key for s in screen.runner.steps()
                    if s.question is not None and len(screen.runner.screen(s)) > 1)
        screen.runner.jump(grid)
        screen.show()
        await settle(app, pilot)
        keys = [v.step.key for v in screen.views]
        for _ in keys:
            await pilot.press("3")
        await pilot.press("enter")  # the habit Enter after the grid moved on
        await settle(app, pilot)
        assert screen.runner.current.key not in keys
        errors = [str(v.query_one(".q-error").render()) for v in screen.views]
        assert not any(errors), errors


# -- start-up leftovers and the store's main file ------------------------------------------
def test_no_form_folder_left_in_tmp(store: FieldStore) -> None:
    before = set(Path(tempfile.gettempdir()).glob("fieldsurvey-form-*"))
    make_app(store.path)
    make_app(store.path)
    assert set(Path(tempfile.gettempdir()).glob("fieldsurvey-form-*")) == before


async def test_main_file_complete_after_leaving(store: FieldStore, tmp_path: Path) -> None:
    import shutil

    d = first(store)
    prepare(store, d)
    app = make_app(store, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await open_interview(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("escape")  # leave the household: checkpoint
        await settle(app, pilot)
        copy = tmp_path / "copy.sqlite"
        shutil.copyfile(store.path, copy)  # the main file alone, as a file manager copies
    again = FieldStore.open(copy, readonly=True, check=False)
    try:
        uuid = again.interviews(d)[-1]["uuid"]
        assert again.answers(uuid)["a1"] == "1"
        assert len(again.attempts(d)) == 1
    finally:
        again.close()


def test_checked_form_loads(form_path: Path) -> None:
    form = load_form(form_path)
    assert form.settings.completion.partial == 0.5


def test_closing_code_agrees_with_the_rates_scheme() -> None:
    from fieldsurvey.rates.codes import DISPOSITIONS
    from fieldsurvey.tui.casedata import closing_code

    for code, d in DISPOSITIONS.items():
        assert closing_code(code) == (d.category in ("I", "P", "R", "O", "NE")), code
        assert closing_code(code + "1") == closing_code(code) or code.count(".") == 0, code
    assert closing_code("2.110") and not closing_code("2.240") and not closing_code("")


@pytest.mark.parametrize("lang", LANGS)
async def test_supervisor_sees_the_reason_and_the_comment(store: FieldStore, lang: str) -> None:
    d = first(store)
    prepare(store, d)
    uuid = store.start_interview(d, respondent_line=1)
    store.set_answer(uuid, "a1", "2")
    store.record_paradata(uuid, "warning", question="a1",
                          detail={"question": "a1", "reason": "checked ID card"})
    store.record_paradata(uuid, "comment", question="a1", detail={"text": "shy"})
    store.complete(uuid, outcome="1.2")
    app = make_app(store, language=lang, supervisor=True, clock=FrozenClock())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#sv-interviews").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        table = app.screen.query_one("#iv-answers")
        row = [str(c) for c in table.get_row("a1")]
        assert row[2].startswith("⚠ checked ID card")  # the column shows the start
        for cell in row:
            assert cell_len(cell) <= 36
        while str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) != "a1":
            await pilot.press("down")
        await settle(app, pilot)
        notes = str(app.screen.query_one("#iv-notes").render())
        assert "checked ID card" in notes and "shy" in notes  # in full under the table
