"""Indicators declared by a questionnaire: reading, checking, scoring, and the CLI's message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.indicators import read_indicators

FORMS = Path(__file__).resolve().parents[1] / "src" / "fieldsurvey" / "example" / "questionnaires"


@pytest.mark.parametrize("suffix", [".xlsx", ".yaml"])
def test_example_form_declares_its_indicators(suffix: str) -> None:
    ind = read_indicators(load_form(FORMS / f"resident_survey{suffix}"))
    comp = ind.headline
    assert comp is not None and comp.name == "satisfaction_index"
    assert comp.items == tuple(f"d{i}" for i in range(1, 13))  # d0 (overall) is reported alone
    assert comp.scale == (1, 5) and comp.min_items == 6
    d0 = ind.get("d0")
    assert d0.kind == "satisfaction" and d0.index is None and d0.direction == "ascending"
    assert set(d0.missing) == {8, -8, -9}  # 不了解 from the choices, and the special answers
    assert [i.name for i in ind.of_kind("participation")] == ["b1", "b4"]
    assert ind.participation_any is not None and ind.participation_any.none == "0"
    assert [i.name for i in ind.of_kind("need")] == [f"c{i}" for i in range(1, 12)]
    assert len([c for i in ind.of_kind("need") for c in i.option_columns()]) == 31


def test_scoring_turns_descending_scales_and_drops_special_codes() -> None:
    form = load_form(FORMS / "resident_survey.yaml")
    ind = read_indicators(form, declarations={
        "d1": {"indicator": "satisfaction", "indicator_direction": "descending"},
        "b1": {"indicator": "participation"}})
    df = pd.DataFrame({"d1": [1, 5, 8, -9, 3], "b1_0": [1, 0, 0, np.nan, 0],
                       **{f"b1_{k}": [0, 1, 0, np.nan, 1] for k in range(1, 8)}})
    s = ind.scored(df)
    assert s["d1"].tolist()[:2] == [5.0, 1.0] and s["d1"].isna().tolist()[2:4] == [True, True]
    assert s["d1"].iloc[4] == 3.0
    assert s["b1_any"].tolist()[:3] == [0.0, 1.0, 0.0] and np.isnan(s["b1_any"].iloc[3])


def _form_with(tmp_path: Path, **row: str) -> Path:
    src = yaml.safe_load((FORMS / "resident_survey.yaml").read_text(encoding="utf-8"))

    def walk(items: list[dict]) -> None:
        for it in items:
            if it.get("name") in row:
                it.update(yaml.safe_load(row[it["name"]]))
            walk(it.get("children", []))

    walk(src["survey"])
    p = tmp_path / "form.yaml"
    p.write_text(yaml.safe_dump(src, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


def test_an_indicator_on_a_text_question_is_refused(tmp_path: Path) -> None:
    p = _form_with(tmp_path, f1="{indicator: satisfaction}")
    with pytest.raises(QuestionnaireError, match="declared on text question f1") as exc:
        read_indicators(load_form(p))
    assert exc.value.field == "indicator" and exc.value.row is not None


def test_a_scale_without_a_direction_is_refused(tmp_path: Path) -> None:
    p = _form_with(tmp_path, d3="{indicator_direction: null}")
    with pytest.raises(QuestionnaireError, match="d3 has no direction") as exc:
        read_indicators(load_form(p))
    assert exc.value.field == "indicator_direction"


def test_index_items_on_different_scales_are_refused(tmp_path: Path) -> None:
    p = _form_with(tmp_path, b4="{indicator_index: satisfaction_index}")
    form = load_form(p)
    # b4 is 1-5 too, so it may join; e1 (1-4) may not
    assert "b4" in read_indicators(form).headline.items
    p = _form_with(tmp_path, e1="{indicator: satisfaction, indicator_direction: descending, "
                   "indicator_index: satisfaction_index}")
    with pytest.raises(QuestionnaireError, match="different scales"):
        read_indicators(load_form(p))


def test_unknown_kind_is_refused(tmp_path: Path) -> None:
    p = _form_with(tmp_path, d3="{indicator: happiness}")
    with pytest.raises(QuestionnaireError, match="unknown indicator"):
        read_indicators(load_form(p))


def test_cli_names_the_bad_declaration_and_exits_2(tmp_path: Path, capsys) -> None:
    from fieldsurvey.cli.main import main

    p = _form_with(tmp_path, f1="{indicator: satisfaction}", d3="{indicator_direction: null}")
    data = tmp_path / "resp.csv"
    pd.DataFrame({"d1": [1, 2], "w": [1.0, 1.0]}).to_csv(data, index=False)
    code = main(["estimate", "--data", str(data), "--satisfaction", str(p)])
    err = capsys.readouterr().err
    assert code == 2
    assert "form.yaml" in err and "indicator" in err and "Traceback" not in err
