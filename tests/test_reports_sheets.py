"""Assignment sheets: households in line order, Kish letters and grid, visit grid, codes."""

from __future__ import annotations

import pytest
from _reports_data import make
from pypdf import PdfReader

from fieldsurvey.rates.codes import IN_PERSON_OUTCOMES
from fieldsurvey.reports._labels import KISH_GRID
from fieldsurvey.reports.maps import draw_field_maps
from fieldsurvey.reports.sheets import HOUSEHOLDS_PER_PAGE, sheet_page_count


@pytest.fixture(scope="module")
def sheets(tmp_path_factory):
    frame, sample, bnd = make(n_comm=1, per=200, sample_n=20, reserve=6, released_reserve=3)
    out = tmp_path_factory.mktemp("sheets") / "s.pdf"
    res = draw_field_maps(frame, sample, out, boundaries=bnd, date="2026-11-21", team="三组")
    pages = [p for p in res.pages if p.kind == "sheet"]
    reader = PdfReader(str(out))
    texts = [reader.pages[p.page - 1].extract_text() for p in pages]
    return sample, texts


def test_page_count():
    assert sheet_page_count(0) == 1
    assert sheet_page_count(HOUSEHOLDS_PER_PAGE) == 1
    assert sheet_page_count(HOUSEHOLDS_PER_PAGE + 1) == 2


def test_households_split_over_pages_in_line_order(sheets):
    sample, texts = sheets
    released = sample[sample["released"]].sort_values("line")
    assert len(texts) == sheet_page_count(len(released)) == 3
    for k, (_, row) in enumerate(released.iterrows()):
        page = texts[k // HOUSEHOLDS_PER_PAGE].replace("\n", "")
        assert row["address"] in page
        bufd = f"{row['building']}-{row['unit']}-{row['floor']}-{row['door']}"
        assert bufd in page
    for p, text in enumerate(texts, start=1):
        assert f"第{p}/3页" in text
        assert "三组" in text and "样本户数：23" in text


def test_kish_grid_and_letters(sheets):
    sample, texts = sheets
    text = texts[0]
    assert "Kish 选择表" in text
    for letter, cells in KISH_GRID.items():
        assert letter in text
        assert " ".join(map(str, cells)) in text or "".join(map(str, cells)) in text.replace(
            " ", "").replace("\n", "")


def test_visit_grid_and_outcome_codes(sheets):
    _, texts = sheets
    for text in texts:
        for word in ("日期", "时间", "结果代码", "访员", "备注"):
            assert word in text
        for code, label in (("1.1", "完成访问"), ("2.24", "家中无人"), ("4.61", "常规空置住房"),
                            ("2.111", "户级拒访")):
            assert code in text and label in text
        # the legend is the one in-person list of fieldsurvey.rates, every code printed
        for code in IN_PERSON_OUTCOMES:
            assert code in text, code
    assert "不得替换" in texts[0]


def test_reserve_marked_on_sheet(sheets):
    _, texts = sheets
    all_text = "".join(texts)
    assert all_text.count("备用批1") == 3
    assert all_text.count("主样本") == 20
