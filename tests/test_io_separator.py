"""The listing reader and the table reader split a CSV on the same separator.

io/tables.py is the one reading layer: the listing reader (which parses with Arrow for
speed) takes its separator from ``csv_separator``, so a file a command reads as a table
is read with the same columns as a listing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _framekit import listing

from fieldsurvey.io.listings import read_listing
from fieldsurvey.io.tables import csv_separator, read_table


@pytest.mark.parametrize(("name", "sep"), [("l.csv", ";"), ("l.txt", "\t"), ("l.tsv", "\t"),
                                           ("l.csv", ",")])
def test_listing_and_table_split_alike(tmp_path: Path, name: str, sep: str) -> None:
    df = listing()
    path = tmp_path / name
    path.write_text(df.to_csv(index=False, sep=sep), encoding="utf-8")
    table = read_table(path, text=True)
    got = read_listing(path)
    assert list(table.columns) == list(df.columns)
    assert got["dwelling_id"].tolist() == table["dwelling_id"].tolist()
    assert got["address"].tolist() == table["address"].tolist()
    assert got["source_row"].tolist() == list(range(1, len(df) + 1))


def test_separator_rule() -> None:
    assert csv_separator("a;b;c") == ";"
    assert csv_separator("a\tb;c\td") == "\t"
    assert csv_separator("a,b;c;d") == ","  # a comma in the header: comma-separated
    assert csv_separator("a,b,c", ".tsv") == "\t"
    assert csv_separator("one") == ","
