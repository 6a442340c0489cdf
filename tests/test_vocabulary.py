"""One vocabulary of AAPOR outcomes: the codes the TUI offers at the door, the legend
printed on the assignment sheet and the codes the rates know are one list, with the same
words (issue 14, "one owner per vocabulary")."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_support import make_store, quick_idle

from fieldsurvey.rates.codes import (
    DISPOSITIONS,
    IN_PERSON_OUTCOMES,
    VISIT_OUTCOMES,
    lookup_disposition,
)
from fieldsurvey.reports._labels import OUTCOME_CODES, outcome_codes
from fieldsurvey.tui.i18n import TEXTS, tr


def test_sheet_and_rates_share_one_list() -> None:
    assert OUTCOME_CODES == IN_PERSON_OUTCOMES
    for lang, attr in (("zh", "label_zh"), ("en", "label_en")):
        printed = dict(outcome_codes(lang))
        assert list(printed) == list(IN_PERSON_OUTCOMES)
        for code, label in printed.items():
            assert label == getattr(DISPOSITIONS[code], attr)


def test_every_listed_code_is_a_final_code_the_rates_know() -> None:
    for code in IN_PERSON_OUTCOMES:
        d = lookup_disposition(code)
        assert d is not None and d.code == code, code
    # every group of the in-person table is present: interview, refusal, non-contact,
    # other, unknown (both kinds) and not eligible
    assert {DISPOSITIONS[c].category for c in IN_PERSON_OUTCOMES} == {
        "I", "P", "R", "NC", "O", "UH", "UO", "NE"}
    assert len(set(IN_PERSON_OUTCOMES)) == len(IN_PERSON_OUTCOMES)


@pytest.mark.asyncio
async def test_visit_dialog_offers_the_one_list(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import OptionList

    from fieldsurvey.tui.app import make_app
    from fieldsurvey.tui.screens.attempt import AttemptDialog

    quick_idle(monkeypatch)
    store = make_store(tmp_path / "dev.sqlite", 3)
    try:
        for lang, attr in (("zh", "label_zh"), ("en", "label_en")):
            app = make_app(store, language=lang)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                await app.workers.wait_for_complete()
                dwelling = str(store.assignments()["dwelling_id"].iloc[0])
                app.push_screen(AttemptDialog(dwelling))
                await pilot.pause()
                options = app.screen.query_one("#outcomes", OptionList)
                ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
                assert tuple(ids) == VISIT_OUTCOMES
                assert set(ids) == set(IN_PERSON_OUTCOMES) - {"3.11"}
                for i, code in enumerate(ids):
                    assert code is not None
                    shown = str(options.get_option_at_index(i).prompt)
                    assert shown == f"{code} {getattr(DISPOSITIONS[code], attr)}"
    finally:
        store.close()


def test_one_text_table_for_the_interface() -> None:
    for key, (zh, en) in TEXTS.items():
        assert zh and en, key
        assert tr(key, "zh") == zh and tr(key, "en") == en
