"""Shared set-up of the TUI tests and benchmark: a fresh field store with the example
questionnaire pinned and ``n`` households assigned, and a frozen clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

import fieldsurvey
from fieldsurvey.store.store import FieldStore

FORM_PATH = Path(fieldsurvey.__file__).parent / "example" / "questionnaires" / "resident_survey.xlsx"
FROZEN = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
COMMUNITIES = (("340199001001", "东关社区"), ("340199001002", "西门社区"),
               ("340199002001", "南湖社区"))
TABLES = ("A", "B1", "B2", "C", "D", "E1", "E2", "F", "C", "D", "A", "F")


class FrozenClock:
    """A clock that advances one second per call (event times stay ordered)."""

    def __init__(self, start: dt.datetime = FROZEN) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


YAML_PATH = FORM_PATH.with_suffix(".yaml")


def checked_form(folder: Path) -> Path:
    """The example form with a soft check against the roster: ``respondent_sex`` is
    preloaded from the selected member and question a1 (the respondent's sex) warns when
    it disagrees; completion by the AAPOR default thresholds (50 % / 80 %).
    """
    text = YAML_PATH.read_text(encoding="utf-8")
    out = folder / "checked_survey.yaml"
    if "name: respondent_sex" in text:  # the example form has the check itself
        out.write_text(text, encoding="utf-8")
        return out
    text = text.replace("survey:\n", "survey:\n- type: hidden\n  name: respondent_sex\n", 1)
    a1 = ("    name: a1\n    label:\n      zh: 受访者性别\n      en: Respondent's sex\n"
          "    required: 'yes'\n")
    assert a1 in text
    text = text.replace(a1, a1 + (
        "    warning: (. = 1 and ${respondent_sex} = 'male') or (. = 2 and "
        "${respondent_sex} = 'female') or ${respondent_sex} = ''\n"
        "    warning_message:\n"
        "      zh: 家庭成员表中受访者的性别不同，请核实\n"
        "      en: The roster gives the respondent another sex; please check\n"), 1)
    out.write_text(text, encoding="utf-8")
    return out


def make_store(path: Path, n: int = 6, clock: FrozenClock | None = None, *,
               form_path: Path = FORM_PATH, addresses: list[dict[str, object]] | None = None
               ) -> FieldStore:
    """A device store of interviewer ``int01`` with ``n`` households (``addresses``:
    extra columns per household, e.g. a real-looking address, compound, building ...).
    """
    from fieldsurvey.questionnaire import load_form

    form = load_form(form_path)
    st = FieldStore.create(path, survey_id="S-test", device_id="dev-test",
                           interviewer="int01", pii_salt="salt", clock=clock or FrozenClock())
    st.add_form(form_path.read_bytes(), form_id=form.form_id, version=form.version,
                filename=form_path.name)
    rows = []
    for i in range(n):
        cid, cname = COMMUNITIES[i % len(COMMUNITIES)]
        rows.append({"dwelling_id": f"{cid}-{i + 1:05d}", "community_id": cid, "name": cname,
                     "line": i // len(COMMUNITIES) + 1, "kish_table": TABLES[i % 12],
                     "address": f"{cname}幸福小区{i % 9 + 1}栋{i % 3 + 1}单元{101 + i}室",
                     "released": 1, **(addresses[i] if addresses else {})})
    st.assign(pd.DataFrame(rows), form_id=form.form_id, form_version=form.version)
    return st


def quick_idle(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Let Textual's pilot detect idleness in 4 ms slices instead of 20 ms.

    The pilot waits for the app to be idle twice after every key; with the default 20 ms
    slices a whole interview costs seconds of pure waiting. Nothing in the app depends on
    the slice: handlers that work longer simply keep the pilot waiting.
    """
    import textual._wait as wait

    monkeypatch.setattr(wait, "SLEEP_GRANULARITY", 1 / 250)
    monkeypatch.setattr(wait, "SLEEP_IDLE", 1 / 250 / 20)


def steady_cursor(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Keep the text cursor of every Input shown: it blinks every 0.5 s otherwise.

    A snapshot taken on a slow or busy machine may fall in either half of the blink, so
    pictures of a screen with a focused Input would differ by one cell from run to run.
    """
    from textual.widgets import Input

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
