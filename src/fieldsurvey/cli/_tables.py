"""Terminal tables that fit: widths counted in terminal cells (a Chinese character is two).

:func:`progress_lines` lays out ``fieldsurvey progress`` in 80 columns with community
names (cut with "…" at a cell boundary, never in the middle of a wide character); with
``wide=True`` every column is as wide as its longest value and names carry their ids.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

__all__ = ["LEGEND", "cells", "fit", "names_of", "progress_lines", "wrap"]


def cells(text: str) -> int:
    """Terminal cells ``text`` takes (East Asian wide and full-width characters take two)."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def fit(text: str, width: int, *, right: bool = False) -> str:
    """``text`` cut (with "…") or padded to exactly ``width`` cells."""
    if cells(text) > width:
        out, used = "", 0
        for ch in text:
            w = cells(ch)
            if used + w > width - 1:
                break
            out, used = out + ch, used + w
        text = out + "…"
    pad = " " * (width - cells(text))
    return pad + text if right else text + pad


#: Column headers of the progress table (short, so that it fits 80 columns).
_HEAD = {"issued": "iss", "attempted": "try", "completed": "done", "partial": "part",
         "refused": "ref", "non_contact": "nc", "other": "oth", "unknown": "unk",
         "ineligible": "ne", "not_attempted": "open", "response_rate": "RR%"}
LEGEND = ("intvw interviewer, iss issued, try attempted, done completed, part partial, "
          "ref refused, nc no contact, oth other, unk unknown eligibility, ne not eligible, "
          "open not yet attempted; RR% = AAPOR RR1 so far, completed / (issued - not eligible)")


def _value(col: str, v: Any) -> str:
    if col == "response_rate":
        return "" if pd.isna(v) else f"{100 * float(v):.1f}"
    return "" if pd.isna(v) else str(v)


def progress_lines(table: pd.DataFrame, names: Mapping[str, str] | None = None, *,
                   width: int = 80, wide: bool = False) -> list[str]:
    """The progress table as text lines no wider than ``width`` (unless ``wide``)."""
    names = names or {}
    t = table.copy()
    labels: list[str] = []
    if "community_id" in t.columns:
        for cid in t["community_id"].astype(str):
            name = names.get(cid, "")
            if cid in ("(all)", "nan", "<NA>", "None"):
                labels.append("all" if cid == "(all)" else "")
            elif wide:
                labels.append(f"{name} {cid}".strip())
            else:
                labels.append(name or cid)
    text_cols: list[tuple[str, list[str]]] = []
    if labels:
        text_cols.append(("community", labels))
    if "interviewer" in t.columns:
        text_cols.append(("intvw", [_value("", v) for v in t["interviewer"]]))
    num_cols = [c for c in t.columns if c in _HEAD]
    nums = {c: [_value(c, v) for v in t[c]] for c in num_cols}
    num_w = {c: max([cells(_HEAD[c]), *(cells(v) for v in nums[c])]) for c in num_cols}
    text_w = {name: max([cells(name), *(cells(v) for v in vals)]) for name, vals in text_cols}
    if not wide:
        fixed = sum(num_w.values()) + len(num_cols) + len(text_cols)
        room = max(width - fixed, 8 * len(text_cols))
        if "intvw" in text_w:
            text_w["intvw"] = min(text_w["intvw"], 8)
            room -= text_w["intvw"] if len(text_cols) > 1 else 0
        if "community" in text_w:
            text_w["community"] = max(min(text_w["community"], room), 8)
    header = [fit(name, text_w[name]) for name, _ in text_cols]
    header += [fit(_HEAD[c], num_w[c], right=True) for c in num_cols]
    lines = [" ".join(header).rstrip()]
    for i in range(len(t)):
        row = [fit(vals[i], text_w[name]) for name, vals in text_cols]
        row += [fit(nums[c][i], num_w[c], right=True) for c in num_cols]
        lines.append(" ".join(row).rstrip())
    return lines


def wrap(text: str, width: int = 80) -> list[str]:
    """``text`` wrapped at spaces to ``width`` cells."""
    out, line = [], ""
    for word in text.split():
        cand = f"{line} {word}".strip()
        if cells(cand) > width and line:
            out.append(line)
            line = word
        else:
            line = cand
    if line:
        out.append(line)
    return out


def names_of(rows: Sequence[dict[str, Any]] | pd.DataFrame) -> dict[str, str]:
    """community_id -> name from assignment rows (empty when they have no names)."""
    df = pd.DataFrame(rows)
    if "name" not in df.columns or "community_id" not in df.columns:
        return {}
    named = df.dropna(subset=["name"]).drop_duplicates("community_id")
    return dict(zip(named["community_id"].astype(str), named["name"].astype(str), strict=True))
