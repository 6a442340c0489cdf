"""Listings as offices really hand them over: workbooks and CSVs with a title above the header.

A government workbook opens with a 填表说明 (instructions) sheet, puts a title and the
reporting unit above the header, and leaves blank rows between blocks; a CSV saved from it
keeps the title lines (``臺北市垃圾車點位清單,,,,``). The listing is found, and every row
keeps the number it has in the file.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fieldsurvey.io.errors import InputError
from fieldsurvey.io.listings import read_listing


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "填表说明"
    notes.append(["1. 每户一行"])
    notes.append(["2. 经纬度用 WGS84"])
    sheet = book.create_sheet("住户清单")
    sheet.append(["幸福社区住户清单（2024年）"])
    sheet.append(["填报单位：幸福社区居委会", None, None, "填报日期：2024-05-01"])
    sheet.append(["楼栋", "单元", "房号", "经度", "纬度", "状态"])
    sheet.append(["1栋", "1", "101", 116.401, 39.901, "在住"])
    sheet.append([None, None, None, None, None, None])  # a blank row between blocks
    sheet.append(["2栋", "1", "101", 116.402, 39.902, "空置"])
    sheet.append(["2栋", "1", "102", 116.402, 39.902, "在住"])
    book.save(path)
    return path


def test_the_listing_sheet_and_its_header_are_found(tmp_path: Path) -> None:
    df = read_listing(_workbook(tmp_path / "清单.xlsx"))
    assert list(df["building"]) == ["1栋", "2栋", "2栋"]
    assert list(df["status"]) == ["occupied", "vacant", "occupied"]
    assert list(df["source_row"]) == [1, 3, 4]  # the blank data row 2 keeps its place
    info = df.attrs["fieldsurvey"]
    assert info["sheet"] == "住户清单" and info["title_rows"] == 2


def test_keep_after_a_blank_row_names_the_rows_of_the_file(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "清单.xlsx")
    df = read_listing(path, keep=lambda t: (t["楼栋"] == "2栋").to_numpy())
    assert list(df["source_row"]) == [3, 4]


def test_a_named_sheet_is_read_even_when_another_names_more(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "清单.xlsx")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_listing(path, sheet="填表说明")


def test_title_lines_above_a_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "清单.csv"
    path.write_text("臺北市垃圾車點位清單,,,\n填報單位：環保局,,,\n"
                    "行政區,地點,經度,緯度\n中山區,建國北路1段69號前,121.53694,25.05111\n",
                    encoding="utf-8-sig")
    df = read_listing(path)
    assert df["lon"][0] == pytest.approx(121.53694) and list(df["行政區"]) == ["中山區"]
    assert df.attrs["fieldsurvey"]["title_rows"] == 2
    one = tmp_path / "addr.csv"  # a one-column listing has no title to skip
    one.write_text("addr\n臺北市內湖區大湖山莊街6號\n臺北市內湖區文德路22巷9號\n", encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_listing(one)
    pd.testing.assert_index_equal(read_listing(path).columns[:2],
                                  pd.Index(["source_row", "dwelling_id"]))
