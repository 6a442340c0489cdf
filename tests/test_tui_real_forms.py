"""The interviewer's TUI on forms shaped like real XLSForms, at 80x24 in Chinese and English.

Each form is written here with openpyxl and reproduces what real forms (ODK, KoboToolbox,
pyxform's examples) brought up when they were driven through the TUI: language columns
named ``label::Chinese``/``label::English``; a cascading select (``choice_filter``) on
a field-list page; long choice lists with long Chinese labels; ODK markdown, guidance
hints and media columns in the texts; ``range`` questions; a ``default`` that must be on
disk before the page moves on; a filter that leaves no option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from rich.cells import cell_len
from tui_support import FrozenClock, make_store, quick_idle

from fieldsurvey.store.store import FieldStore
from fieldsurvey.tui.app import FieldsurveyApp, make_app
from fieldsurvey.tui.screens.question import QuestionScreen
from fieldsurvey.tui.widgets.choice_field import ChoiceField

SIZE = (80, 24)

#: Long Chinese place names (one wraps at 80 columns) for a list longer than the screen.
PLACES = [f"{i:02d} 第{i}号行政村（含自然村{i}组、{i + 1}组、{i + 2}组及周边散居农户的集中安置小区）"
          if i % 5 == 0 else f"{i:02d} 第{i}号村" for i in range(1, 31)]


def write_form(path: Path, survey: list[dict[str, Any]], choices: list[dict[str, Any]],
               settings: dict[str, Any] | None = None) -> Path:
    """An XLSForm workbook with these rows (columns: the union of the rows' keys)."""
    wb = Workbook()
    for title, rows in (("survey", survey), ("choices", choices),
                        ("settings", [settings or {"form_title": "t", "form_id": "t"}])):
        ws = wb.active if title == "survey" else wb.create_sheet(title)
        ws.title = title
        cols = list(dict.fromkeys(k for r in rows for k in r))
        ws.append(cols)
        for r in rows:
            ws.append([r.get(c) for c in cols])
    wb.save(path)
    return path


def screen_lines(app: FieldsurveyApp) -> list[str]:
    """The screen as text, one string per terminal line."""
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strip) for strip in strips]


async def settle(app: FieldsurveyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_first(app: FieldsurveyApp, pilot) -> QuestionScreen:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    await pilot.press("i")
    await settle(app, pilot)
    assert isinstance(app.screen, QuestionScreen)
    return app.screen


def store_for(tmp_path: Path, form: Path) -> FieldStore:
    st = make_store(tmp_path / "dev.sqlite", 2, form_path=form)
    d = str(st.assignments()["dwelling_id"].iloc[0])
    st.set_roster_member(d, 1, name="刘洋", sex="male", age=30, resident=True, eligible=True)
    st.record_selection(d, method="kish", eligible_count=1, chosen_line=1, probability=1.0,
                        kish_table="A")
    return st


def assert_fits(lines: list[str]) -> None:
    """No line wider than the terminal (a CJK character counts two cells)."""
    for line in lines:
        assert cell_len(line) <= SIZE[0], line


@pytest.fixture(autouse=True)
def _quick_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    quick_idle(monkeypatch)


# -- a household form like a KoboToolbox one: language columns, a cascading field-list -----
@pytest.fixture
def household_form(tmp_path: Path) -> Path:
    survey = [
        {"type": "begin_group", "name": "where", "label::English": "Location",
         "label::Chinese": "位置", "appearance": "field-list"},
        {"type": "select_one province", "name": "province", "required": "yes",
         "label::English": "Which province?", "label::Chinese": "哪个省？"},
        {"type": "select_one county", "name": "county", "required": "yes",
         "choice_filter": "province=${province}",
         "label::English": "Which county?", "label::Chinese": "哪个县？"},
        {"type": "text", "name": "village", "label::English": "Village name",
         "label::Chinese": "村名"},
        {"type": "end_group", "name": "where"},
        {"type": "select_one place", "name": "place", "label::English": "Which village?",
         "label::Chinese": "哪个行政村？",
         "hint::English": "Move with the arrow keys; the list is longer than the screen",
         "hint::Chinese": "用方向键移动；选项比屏幕长"},
        {"type": "note", "name": "intro",
         "label::English": "# Consent\nMy name is **[Your Name]**, from *the survey team*; "
                           "see [our site](https://example.org).",
         "label::Chinese": "# 知情同意\n我是**[姓名]**，来自*调查组*。",
         "guidance_hint::English": "Read slowly", "guidance_hint::Chinese": "请慢慢读",
         "media::image::English": "team.jpg", "media::image::Chinese": "team_zh.jpg"},
        {"type": "range", "name": "score", "parameters": "start=1 end=5 step=1",
         "label::English": "Score", "label::Chinese": "评分"},
        {"type": "decimal", "name": "weight", "default": "18.31",
         "label::English": "Weight (kg)", "label::Chinese": "体重（公斤）"},
    ]
    choices = [
        {"list_name": "province", "name": "ah", "label::English": "Anhui",
         "label::Chinese": "安徽"},
        {"list_name": "province", "name": "js", "label::English": "Jiangsu",
         "label::Chinese": "江苏"},
        {"list_name": "county", "name": "fd", "label::English": "Feidong",
         "label::Chinese": "肥东", "province": "ah"},
        {"list_name": "county", "name": "fx", "label::English": "Feixi",
         "label::Chinese": "肥西", "province": "ah"},
        {"list_name": "county", "name": "jn", "label::English": "Jiangning",
         "label::Chinese": "江宁", "province": "js"},
        *({"list_name": "place", "name": f"p{i}", "label::English": f"Village {i:02d}",
           "label::Chinese": label} for i, label in enumerate(PLACES, start=1)),
    ]
    return write_form(tmp_path / "household.xlsx", survey, choices,
                      {"form_title": "Household", "form_id": "hh",
                       "default_language": "English"})


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_language_columns_and_cascading_list_on_a_field_list_page(
        tmp_path: Path, household_form: Path, lang: str) -> None:
    st = store_for(tmp_path, household_form)
    try:
        app = make_app(st, language=lang, clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            text = "\n".join(screen_lines(app))
            # label::Chinese is the zh text, label::English the en one
            assert ("哪个省？" in text) == (lang == "zh")
            assert ("Which province?" in text) == (lang == "en")
            county = next(v for v in scr.views if v.step.key == "county")
            assert county.options == []  # nothing chosen above it yet
            assert ("没有可选的选项" in text) == (lang == "zh")
            await pilot.press("2")  # Jiangsu: the county list below follows at once
            await settle(app, pilot)
            county = next(v for v in scr.views if v.step.key == "county")
            assert [n for n, _ in county.options] == ["jn"]
            assert scr.focused is county.answer_widget()
            await pilot.press("up")  # back to the province, change it
            await settle(app, pilot)
            province = next(v for v in scr.views if v.step.key == "province")
            province.answer_widget().focus()
            await pilot.press("1")
            await settle(app, pilot)
            county = next(v for v in scr.views if v.step.key == "county")
            assert [n for n, _ in county.options] == ["fd", "fx"]
            await pilot.press("2")  # Feixi; then Enter on the list goes on within the page
            await settle(app, pilot)
            assert st.answers(scr.uuid)["county"] == "fx"
            assert st.answers(scr.uuid)["province"] == "ah"
            assert scr.runner.current.key == "province"  # still the field-list page
            assert_fits(screen_lines(app))
    finally:
        st.close()


async def test_enter_on_a_list_of_a_field_list_page_goes_to_its_next_question(
        tmp_path: Path, household_form: Path) -> None:
    st = store_for(tmp_path, household_form)
    try:
        app = make_app(st, language="zh", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            await pilot.press("1", "1")  # 安徽, 肥东 (each choice moves on)
            await settle(app, pilot)
            county = next(v for v in scr.views if v.step.key == "county")
            county.answer_widget().focus()
            await settle(app, pilot)
            await pilot.press("enter")  # the answer stands: to 村名 on the same page
            await settle(app, pilot)
            assert scr.runner.current.key == "province"
            village = next(v for v in scr.views if v.step.key == "village")
            assert scr.focused is village.answer_widget()
    finally:
        st.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_long_list_scrolls_with_the_cursor_and_long_labels_wrap_whole(
        tmp_path: Path, household_form: Path, lang: str) -> None:
    st = store_for(tmp_path, household_form)
    try:
        app = make_app(st, language=lang, clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            scr.runner.jump("place")
            scr.show()
            await settle(app, pilot)
            field = scr.views[0].answer_widget()
            assert isinstance(field, ChoiceField) and scr.focused is field
            for _ in range(27):  # down to option 28, far below the screen's last line
                await pilot.press("down")
            await settle(app, pilot)
            lines = screen_lines(app)
            want = "第28号村" if lang == "zh" else "Village 28"
            assert any(want in line for line in lines), "\n".join(lines)
            assert_fits(lines)
            if lang == "zh":
                # option 25's label wraps: its second line starts under the label, and
                # the whole label is on the screen (no character lost at the fold)
                at = next(i for i, line in enumerate(lines) if "第25号行政村" in line)
                first, second = lines[at], lines[at + 1]
                start = first.index(PLACES[24][:6])
                col = cell_len(first[:start])
                assert cell_len(second) - cell_len(second.lstrip()) == col
                assert first[start:].rstrip() + second.strip() == PLACES[24]
            await pilot.press("space")  # space chooses the option under the cursor
            await settle(app, pilot)
            assert st.answers(scr.uuid)["place"] == "p28"
    finally:
        st.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_markdown_guidance_media_range_and_default(
        tmp_path: Path, household_form: Path, lang: str) -> None:
    st = store_for(tmp_path, household_form)
    try:
        app = make_app(st, language=lang, clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            scr.runner.jump("intro")
            scr.show()
            await settle(app, pilot)
            text = " ".join(line.strip() for line in screen_lines(app))  # wrapped lines
            assert "**" not in text and "# " not in text and "](" not in text
            if lang == "zh":
                assert "知情同意" in text and "我是[姓名]，来自调查组。" in text
                assert "请慢慢读" in text and "[图片 team_zh.jpg]" in text
            else:
                assert "My name is [Your Name], from the survey team; see our site " \
                       "(https://example.org)." in text
                assert "Read slowly" in text and "[picture team.jpg]" in text
            await pilot.press("enter")  # the note
            await settle(app, pilot)
            assert scr.runner.current.key == "score"
            text = "\n".join(screen_lines(app))
            assert ("1 到 5 之间" if lang == "zh" else "from 1 to 5") in text
            await pilot.press("4", "enter")
            await settle(app, pilot)
            assert scr.runner.current.key == "weight"
            assert "weight" not in st.answers(scr.uuid)
            await pilot.press("enter")  # the form's default, confirmed: now on disk
            await settle(app, pilot)
            assert st.answers(scr.uuid)["weight"] == pytest.approx(18.31)
            assert st.answers(scr.uuid)["score"] == 4
    finally:
        st.close()


# -- a roster repeat followed by a second repeat (SurveyCTO/Kobo household templates) -------
@pytest.fixture
def roster_form(tmp_path: Path) -> Path:
    survey = [
        {"type": "begin_repeat", "name": "member", "label": "家庭成员"},
        {"type": "text", "name": "m_name", "label": "姓名", "required": "yes"},
        {"type": "integer", "name": "m_age", "label": "年龄", "required": "yes",
         "constraint": ". >= 0 and . < 120", "constraint_message": "年龄应在0到119之间"},
        {"type": "end_repeat", "name": "member"},
        {"type": "begin_repeat", "name": "plot", "label": "地块"},
        {"type": "decimal", "name": "area", "label": "面积（亩）"},
        {"type": "end_repeat", "name": "plot"},
        {"type": "note", "name": "bye", "label": "共 ${n} 位成员", "relevant": "${n} > 0"},
        {"type": "calculate", "name": "n", "calculation": "count(${member})"},
    ]
    return write_form(tmp_path / "roster.xlsx", survey, [], {"form_title": "Roster",
                                                            "form_id": "roster"})


async def add_member(app: FieldsurveyApp, pilot, name: str, age: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("a")
    await settle(app, pilot)
    scr = app.screen
    w = scr.views[0].answer_widget()
    w.value = name
    await pilot.press("enter")
    await settle(app, pilot)
    await pilot.press(*age, "enter")
    await settle(app, pilot)


async def test_repeat_entries_added_listed_removed_and_resumed(
        tmp_path: Path, roster_form: Path) -> None:
    st = store_for(tmp_path, roster_form)
    try:
        app = make_app(st, language="zh", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            uuid = scr.uuid
            assert scr.runner.current.key == "+member", [s.key for s in scr.runner.steps()]
            await add_member(app, pilot, "刘洋", "30")
            await add_member(app, pilot, "王芳", "28")
            # a constraint message, then a valid age
            await pilot.press("a")
            await settle(app, pilot)
            scr.views[0].answer_widget().value = "张三"
            await pilot.press("enter")
            await settle(app, pilot)
            await pilot.press("2", "0", "0", "enter")
            await settle(app, pilot)
            assert "年龄应在0到119之间" in "\n".join(screen_lines(app))
            age = scr.views[0].answer_widget()
            age.value = ""
            await pilot.press("5", "enter")
            await settle(app, pilot)
            assert scr.runner.current.key == "+member"
            text = "\n".join(screen_lines(app))
            assert "1 刘洋 · 2 王芳 · 3 张三" in text and "D 删除一条" in text
            await pilot.press("d")
            await settle(app, pilot)
            box = app.screen.query_one("#number")
            box.value = "9"
            await pilot.press("enter")
            await settle(app, pilot)
            assert "没有这一条" in "\n".join(screen_lines(app))
            box.value = "2"
            await pilot.press("enter")
            await settle(app, pilot)
            assert app.screen is scr
            answers = st.answers(uuid)
            assert answers["m_name[1]"] == "刘洋" and answers["m_name[2]"] == "张三"
            assert answers["m_age[2]"] == 5 and "m_name[3]" not in answers
            assert "1 刘洋 · 2 张三" in "\n".join(screen_lines(app))
            # the second repeat after the roster gets its own entry
            await pilot.press("enter")
            await settle(app, pilot)
            assert scr.runner.current.key == "+plot"
            await pilot.press("a")
            await settle(app, pilot)
            await pilot.press("1", ".", "5", "enter")
            await settle(app, pilot)
            assert st.answers(uuid)["area[1]"] == pytest.approx(1.5)
            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press("enter")  # leave without an appointment
            await settle(app, pilot)
            assert not isinstance(app.screen, QuestionScreen)
        # a new app on the same store resumes where the interviewer left
        app = make_app(st, language="zh", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            assert scr.uuid == uuid
            assert scr.runner.instance_count("member") == 2
            assert scr.runner.current.key == "+plot"
            await pilot.press("pageup")
            await settle(app, pilot)
            await pilot.press("pageup")
            await settle(app, pilot)
            assert scr.runner.current.key == "+member"
            assert "1 刘洋 · 2 张三" in "\n".join(screen_lines(app))
    finally:
        st.close()


async def test_a_new_interview_opens_at_the_consent_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fieldsurvey.tui.screens.question_answers as answers

    # an Enter on a note a while after the move (read, then pressed) goes on at once;
    # here "a while" is any time at all
    monkeypatch.setattr(answers, "NOTE_GRACE_S", -1.0)
    form = write_form(tmp_path / "consent.xlsx", [
        {"type": "note", "name": "consent_text", "label": "请向受访者宣读知情同意书。"},
        {"type": "select_one yn", "name": "consent", "label": "是否同意？", "required": "yes"},
        {"type": "note", "name": "thanks", "label": "谢谢！下面开始访问。"},
        {"type": "text", "name": "village", "label": "村名"},
    ], [{"list_name": "yn", "name": "1", "label": "同意"},
        {"list_name": "yn", "name": "2", "label": "不同意"}])
    st = store_for(tmp_path, form)
    try:
        app = make_app(st, language="zh", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            assert scr.runner.current.key == "consent_text"
            await pilot.press("enter")
            await settle(app, pilot)
            assert scr.runner.current.key == "consent"
            await pilot.press("1")  # the choice moves on to the note
            await settle(app, pilot)
            assert scr.runner.current.key == "thanks"
            await pilot.press("enter")  # one Enter after reading it
            await settle(app, pilot)
            assert scr.runner.current.key == "village"
    finally:
        st.close()


async def test_time_and_datetime_answers_are_kept(tmp_path: Path) -> None:
    import datetime as dt

    form = write_form(tmp_path / "times.xlsx", [
        {"type": "time", "name": "start_time", "label": "开始时间"},
        {"type": "datetime", "name": "visit_at", "label": "访问时间"},
        {"type": "date", "name": "born", "label": "出生日期"},
        {"type": "geopoint", "name": "gps", "label": "住户位置"},
    ], [])
    st = store_for(tmp_path, form)
    try:
        app = make_app(st, language="zh", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            text = "\n".join(screen_lines(app))
            assert "HH:MM" in text  # the format to type
            for typed in ("10:30", "2026-11-20 10:30", "1990-05-01"):
                scr.views[0].answer_widget().value = typed
                await pilot.press("enter")
                await settle(app, pilot)
            answers = st.answers(scr.uuid)
            assert answers["start_time"] == dt.time(10, 30)
            assert answers["visit_at"].replace(tzinfo=None) == dt.datetime(2026, 11, 20, 10, 30)
            assert answers["born"] == dt.date(1990, 5, 1)
            # a point is typed where no GPS receiver is attached; the box says how
            assert "纬度 经度" in "\n".join(screen_lines(app))
            scr.views[0].answer_widget().value = "31.8206 117.2272"
            await pilot.press("enter")
            await settle(app, pilot)
            assert str(st.answers(scr.uuid)["gps"]).startswith("31.8206 117.2272")
            assert scr.runner.current.kind == "end"
    finally:
        st.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_long_label_wraps_by_cells(tmp_path: Path, lang: str) -> None:
    label_zh = ("C1. 过去十二个月内，您家庭成员中是否有人因为身体不适而前往乡镇卫生院、县级医院"
                "或者私人诊所就诊，包括门诊和住院两种情况？")
    hint_zh = "请逐一询问每位家庭成员；如受访者不清楚，请向知情的家庭成员核实后再填写。"
    label_en = ("C1. In the past twelve months, did anyone in your household visit a "
                "township health centre, a county hospital or a private clinic?")
    form = write_form(tmp_path / "long.xlsx", [
        {"type": "integer", "name": "c1", "label::Chinese": label_zh,
         "label::English": label_en, "hint::Chinese": hint_zh,
         "hint::English": "Ask about every member", "constraint": ". < 100",
         "constraint_message::Chinese": "次数应在0到99之间，请核实后重新输入；如确实超过，请在备注中说明",
         "constraint_message::English": "The number should be below 100"},
    ], [])
    st = store_for(tmp_path, form)
    try:
        app = make_app(st, language=lang, clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            scr = await open_first(app, pilot)
            await pilot.press("2", "0", "0", "enter")
            await settle(app, pilot)
            lines = screen_lines(app)
            assert_fits(lines)
            at = next(i for i, line in enumerate(lines) if "C1." in line)
            # the number stays with its text, and the wrapped rest reads on whole
            assert ("过去" if lang == "zh" else "In the past") in lines[at]
            label = label_zh if lang == "zh" else label_en
            joined = "".join(line.strip() if lang == "zh" else line.strip() + " "
                             for line in lines[at:at + 3])
            assert label.replace(" ", "") in joined.replace(" ", "") + "*"
            if lang == "zh":  # the message wraps too, nothing cut
                text = "".join(line.strip() for line in lines)
                assert "次数应在0到99之间，请核实后重新输入；如确实超过，请在备注中说明" in text
            assert "c1" not in st.answers(scr.uuid)
    finally:
        st.close()


async def test_brackets_in_form_texts_and_comments_are_text_not_markup(tmp_path: Path) -> None:
    form = write_form(tmp_path / "brackets.xlsx", [
        {"type": "text", "name": "intro", "label": "My name is **[Your Name]** [/] ok"},
        {"type": "select_one yn", "name": "q2", "label": "Is it [b]bold[/b]?"},
    ], [{"list_name": "yn", "name": "1", "label": "[Yes]"},
        {"list_name": "yn", "name": "2", "label": "No [/]"}])
    st = store_for(tmp_path, form)
    try:
        app = make_app(st, language="en", clock=FrozenClock())
        async with app.run_test(size=SIZE) as pilot:
            await open_first(app, pilot)
            text = "\n".join(screen_lines(app))
            assert "My name is [Your Name] [/] ok" in text
            await pilot.press("f5")  # the jump list shows the labels as written
            await settle(app, pilot)
            text = "\n".join(screen_lines(app))
            assert "[Your Name] [/] ok" in text and "[b]bold[/b]" in text
            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press("f2")  # a comment with brackets, seen on the review page
            await settle(app, pilot)
            app.screen.query_one("#text").value = "asked twice [/] [red]"
            await pilot.press("enter")
            await settle(app, pilot)
            await pilot.press("f6")
            await settle(app, pilot)
            text = " ".join(line.strip("▊▎ ") for line in screen_lines(app))  # wrapped
            assert "My name is [Your Name] [/] ok" in text
            assert "asked twice [/] [red]" in text
    finally:
        st.close()
