"""Assignment sheets (入户接触记录表): the sampled households of a community and a visit grid.

One A4 portrait sheet per (up to) :data:`HOUSEHOLDS_PER_PAGE` households, each
household a block of four rows (visits 1-4: date, time, outcome code, interviewer,
note) beside its line number, building-unit-floor-door, address and Kish table letter.
Every page carries the Kish grid and the outcome-code legend, so a single sheet is
enough at the door. Only released cases are listed (main sample and released
reserve); unreleased reserve stays off paper, so it cannot be used as a substitute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from fieldsurvey.reports._draw import MAIN_COLOR, RESERVE_COLOR, fit_size, text_fit
from fieldsurvey.reports._inputs import Community
from fieldsurvey.reports._labels import KISH_GRID, outcome_codes, text

__all__ = ["HOUSEHOLDS_PER_PAGE", "SheetContext", "draw_sheets", "sheet_page_count"]

VISITS = 4
HOUSEHOLDS_PER_PAGE = 9
_MARGIN = 12 * mm
_ROW_H = 5.0 * mm
_HEAD_H = 7.0 * mm
_COLS_MM = (12, 28, 40, 11, 7, 16, 14, 15, 16, 27)  # sums to 186 mm = A4 width - margins
_PANEL_H = 64 * mm


@dataclass(frozen=True)
class SheetContext:
    """What every page of the printed materials shows besides the community itself."""

    font: str
    lang: str
    team: str
    date: str
    fingerprint: str


def sheet_page_count(n_households: int) -> int:
    """Pages of the assignment sheet for ``n_households`` released cases (at least 1)."""
    return max(1, math.ceil(n_households / HOUSEHOLDS_PER_PAGE))


def _blank(v: object) -> bool:
    """True for None, NaN/NA and empty text (a cell with nothing to print)."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or str(v) == ""


def _bufd(row: Mapping[Any, object]) -> str:
    return "-".join("—" if _blank(v := row.get(col)) else str(v)
                    for col in ("building", "unit", "floor", "door"))


def _header(c: Canvas, comm: Community, ctx: SheetContext, page: int, pages: int) -> float:
    """Title and identification line; returns the y below them."""
    w, h = A4
    lang, font = ctx.lang, ctx.font
    top = h - _MARGIN
    title = f"{comm.name}  {text('sheet_title', lang)}"
    text_fit(c, _MARGIN, top - 12, title, font, 14, w - 2 * _MARGIN - 30 * mm)
    c.setFont(font, 8)
    c.drawRightString(w - _MARGIN, top - 12, text("page", lang, p=page, n=pages))
    n = len(comm.sample)
    fields = [
        (text("street", lang), comm.street or "—"),
        (text("code", lang), comm.community_id),
        (text("segment", lang), comm.segment or text("none", lang)),
        (text("team", lang), ctx.team or "—"),
        (text("date", lang), ctx.date),
        (text("fingerprint", lang), ctx.fingerprint),
        (text("households", lang), str(n)),
    ]
    line = "   ".join(f"{k}：{v}" if lang == "zh" else f"{k}: {v}" for k, v in fields)
    text_fit(c, _MARGIN, top - 24, line, font, 8.5, w - 2 * _MARGIN)
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.8)
    c.line(_MARGIN, top - 28, w - _MARGIN, top - 28)
    return float(top - 31)


def _wrap(txt: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking: anywhere between CJK characters, at spaces in Latin text."""
    lines: list[str] = []
    start, used, last_space = 0, 0.0, -1
    widths = [stringWidth(ch, font, size) for ch in txt]
    for i, ch in enumerate(txt):
        if used + widths[i] > width and i > start:
            if ch.isascii() and ch != " " and last_space > start:
                lines.append(txt[start:last_space])
                start = last_space + 1
            else:
                lines.append(txt[start:i])
                start = i
            used = sum(widths[start:i])
            last_space = -1
        if ch == " ":
            last_space = i
        used += widths[i]
    tail = txt[start:].strip()
    if tail:
        lines.append(tail)
    return [ln.strip() for ln in lines]


def _cell_text(c: Canvas, txt: str, font: str, size: float, x: float, y_top: float,
               w: float, h: float) -> None:
    """Wrapped text centred vertically in a cell; the font shrinks until it fits."""
    while True:
        lines = _wrap(txt, font, size, w)
        lead = size * 1.2
        if len(lines) * lead <= h or size <= 5:
            break
        size -= 0.5
    c.setFont(font, size)
    y = y_top - (h - len(lines) * lead) / 2 - size
    for line in lines:
        c.drawString(x, y, line)
        y -= lead


def _table(c: Canvas, rows: pd.DataFrame, ctx: SheetContext, x0: float, top: float) -> float:
    """Draw the household table (head row, then 4 visit rows per household); return its bottom.

    Drawn straight on the canvas (one path for the grid) rather than as a platypus
    Table: it is the same picture at a third of the cost, which matters for 100 sheets.
    """
    lang, font = ctx.lang, ctx.font
    widths = [w * mm for w in _COLS_MM]
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    n = len(rows)
    bottom = top - _HEAD_H - n * VISITS * _ROW_H
    c.saveState()
    c.setFillColor(colors.HexColor("#e0e0e0"))
    c.rect(x0, top - _HEAD_H, xs[-1] - x0, _HEAD_H, stroke=0, fill=1)
    grid = c.beginPath()
    for x in xs:  # verticals
        grid.moveTo(x, top)
        grid.lineTo(x, bottom)
    grid.moveTo(x0, top)
    grid.lineTo(xs[-1], top)
    for k in range(n):  # thin visit rows inside each household block
        block_top = top - _HEAD_H - k * VISITS * _ROW_H
        for v in range(1, VISITS):
            y = block_top - v * _ROW_H
            grid.moveTo(xs[4], y)
            grid.lineTo(xs[-1], y)
    c.setStrokeColor(colors.HexColor("#757575"))
    c.setLineWidth(0.4)
    c.drawPath(grid, stroke=1, fill=0)
    heavy = c.beginPath()
    for k in range(n + 1):
        y = top - _HEAD_H - k * VISITS * _ROW_H
        heavy.moveTo(x0, y)
        heavy.lineTo(xs[-1], y)
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.9)
    c.drawPath(heavy, stroke=1, fill=0)
    c.setFillColor(colors.black)
    head = [text(k, lang) for k in ("line", "bufd", "address", "kish", "visit", "visit_date",
                                    "visit_time", "outcome", "interviewer", "note")]
    for j, label in enumerate(head):
        text_fit(c, (xs[j] + xs[j + 1]) / 2, top - _HEAD_H + 2.3 * mm, label, font, 7.5,
                 widths[j] - 3, align="centre")
    block_h = VISITS * _ROW_H
    for k, rec in enumerate(rows.to_dict("records")):
        y_top = top - _HEAD_H - k * block_h
        mid = y_top - block_h / 2
        if rec["reserve"]:
            batch = rec["release_batch"]
            b = "" if _blank(batch) else f"{int(str(batch).split('.')[0])}"
            kind, color = text("reserve_short", lang, b=b), RESERVE_COLOR
        else:
            kind, color = text("main_short", lang), MAIN_COLOR
        cx = (xs[0] + xs[1]) / 2
        c.setFillColor(colors.black)
        c.setFont("Helvetica-Bold", 12)
        c.drawCentredString(cx, mid + 0.5, str(rec["line"]).split(".")[0])
        c.setFillColor(color)
        text_fit(c, cx, mid - 7, kind, font, 6, widths[0] - 2, align="centre")
        c.setFillColor(colors.black)
        bufd = _bufd(rec)
        _cell_text(c, bufd, font, 8, xs[1] + 2, y_top, widths[1] - 4, block_h - 2)
        addr = "" if _blank(rec["address"]) else str(rec["address"])
        _cell_text(c, addr, font, 7.5, xs[2] + 2, y_top, widths[2] - 4, block_h - 2)
        c.setFont("Helvetica-Bold", 11)
        c.drawCentredString((xs[3] + xs[4]) / 2, mid - 4, str(rec["kish_table"] or "—"))
        c.setFont("Helvetica", 8)
        for v in range(VISITS):
            c.drawCentredString((xs[4] + xs[5]) / 2, y_top - (v + 1) * _ROW_H + 1.6 * mm,
                                str(v + 1))
    c.restoreState()
    return float(bottom)


def _panel(c: Canvas, ctx: SheetContext, y_top: float) -> None:
    """Kish grid and outcome codes, drawn once per document and reused on every page."""
    name = f"fs_sheet_panel_{ctx.lang}_{ctx.font}"
    if not c.hasForm(name):
        c.beginForm(name)
        _draw_panel(c, ctx, y_top)
        c.endForm()
    c.doForm(name)


def _draw_panel(c: Canvas, ctx: SheetContext, y_top: float) -> None:
    """Kish grid (left) and outcome-code legend (right) under the table."""
    lang, font = ctx.lang, ctx.font
    w, _ = A4
    x0 = _MARGIN
    text_fit(c, x0, y_top - 9, text("kish_title", lang), font, 7.5, 64 * mm)
    grid = KISH_GRID
    cw, rh = 8.6 * mm, 4.6 * mm
    y = y_top - 14 - rh
    c.setLineWidth(0.4)
    c.setStrokeColor(colors.HexColor("#757575"))
    heads = [text("kish_table", lang)] + [text("kish_persons", lang, n=n) for n in
                                          ("1", "2", "3", "4", "5", "6+")]
    c.setFillColor(colors.HexColor("#e0e0e0"))
    c.rect(x0, y, cw * 7, rh, stroke=1, fill=1)
    c.setFillColor(colors.black)
    for j, hd in enumerate(heads):
        text_fit(c, x0 + (j + 0.5) * cw, y + 1.4 * mm, hd, font, 7, cw - 2, align="centre")
    for letter, cells in grid.items():
        y -= rh
        for j, val in enumerate([letter, *map(str, cells)]):
            c.rect(x0 + j * cw, y, cw, rh, stroke=1, fill=0)
            c.setFont("Helvetica-Bold" if j == 0 else "Helvetica", 7.5)
            c.drawCentredString(x0 + (j + 0.5) * cw, y + 1.4 * mm, val)
    # outcome legend in two columns
    ox = x0 + 7 * cw + 8 * mm
    avail = w - _MARGIN - ox
    text_fit(c, ox, y_top - 9, text("outcome_title", lang), font, 7.5, avail)
    codes = outcome_codes(lang)
    per_col = math.ceil(len(codes) / 2)
    colw = avail / 2
    lh = 3.9 * mm
    for i, (code, label) in enumerate(codes):
        col, row = divmod(i, per_col)
        cx = ox + col * colw
        cy = y_top - 14 - (row + 1) * lh
        c.setFont("Helvetica-Bold", 7)
        c.drawString(cx, cy, code)
        size = fit_size(label, font, 6.8, colw - 11 * mm - 2)
        c.setFont(font, size)
        c.drawString(cx + 10 * mm, cy, label)


def draw_sheets(c: Canvas, comm: Community, ctx: SheetContext) -> int:
    """Draw the assignment sheet pages of one community; return how many were drawn."""
    pages = sheet_page_count(len(comm.sample))
    w, h = A4
    for p in range(pages):
        c.setPageSize(A4)
        y = _header(c, comm, ctx, p + 1, pages)
        rows = comm.sample.iloc[p * HOUSEHOLDS_PER_PAGE:(p + 1) * HOUSEHOLDS_PER_PAGE]
        _table(c, rows, ctx, _MARGIN, y)
        note_y = _MARGIN + _PANEL_H + 3 * mm
        text_fit(c, _MARGIN, note_y, text("sheet_note", ctx.lang), ctx.font, 7.5, w - 2 * _MARGIN)
        _panel(c, ctx, _MARGIN + _PANEL_H)
        c.showPage()
    return pages
