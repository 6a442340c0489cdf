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
from dataclasses import dataclass

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, Table, TableStyle

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


def _kish_grid() -> dict[str, tuple[int, ...]]:
    try:
        from fieldsurvey.kish import KISH_TABLES

        return dict(KISH_TABLES)
    except ImportError:  # pragma: no cover - kish not installed
        return KISH_GRID


def _bufd(row: pd.Series) -> str:
    parts = []
    for col in ("building", "unit", "floor", "door"):
        v = row.get(col)
        parts.append("—" if v is None or pd.isna(v) or str(v) == "" else str(v))
    return "-".join(parts)


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
    return top - 31


def _table(comm: Community, rows: pd.DataFrame, ctx: SheetContext) -> Table:
    lang, font = ctx.lang, ctx.font
    head = [text(k, lang) for k in ("line", "bufd", "address", "kish", "visit", "visit_date",
                                    "visit_time", "outcome", "interviewer", "note")]
    addr_style = ParagraphStyle("addr", fontName=font, fontSize=7.5, leading=9,
                                wordWrap="CJK" if lang == "zh" else None)
    bufd_style = ParagraphStyle("bufd", parent=addr_style, fontSize=8, leading=9.5)
    data: list[list[object]] = [head]
    style: list[tuple[object, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, 8),
        ("FONT", (0, 0), (-1, 0), font, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e0e0e0")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#757575")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("ALIGN", (4, 1), (4, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    for k, (_, r) in enumerate(rows.iterrows()):
        top = 1 + k * VISITS
        if r["reserve"]:
            batch = r["release_batch"]
            b = "" if pd.isna(batch) else f"{int(batch)}"
            kind = text("reserve_short", lang, b=b)
            color = RESERVE_COLOR
        else:
            kind = text("main_short", lang)
            color = MAIN_COLOR
        line_cell = Paragraph(
            f'<font size="11"><b>{int(r["line"])}</b></font><br/>'
            f'<font size="6" color="{color.hexval().replace("0x", "#")}">{kind}</font>',
            ParagraphStyle("line", fontName=font, fontSize=8, leading=12, alignment=1))
        addr = "" if pd.isna(r["address"]) else str(r["address"])
        data.append([line_cell, Paragraph(_esc(_bufd(r)), bufd_style),
                     Paragraph(_esc(addr), addr_style), str(r["kish_table"] or "—"),
                     "1", "", "", "", "", ""])
        for v in range(2, VISITS + 1):
            data.append(["", "", "", "", str(v), "", "", "", "", ""])
        for col in range(4):
            style.append(("SPAN", (col, top), (col, top + VISITS - 1)))
        style.append(("FONT", (3, top), (3, top), font, 11))
        style.append(("ALIGN", (3, top), (3, top), "CENTER"))
        style.append(("LINEABOVE", (0, top), (-1, top), 1.0, colors.black))
    widths = [w * mm for w in _COLS_MM]
    heights = [_HEAD_H] + [_ROW_H] * (len(data) - 1)
    table = Table(data, colWidths=widths, rowHeights=heights)
    table.setStyle(TableStyle(style))
    return table


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _panel(c: Canvas, ctx: SheetContext, y_top: float) -> None:
    """Kish grid (left) and outcome-code legend (right) under the table."""
    lang, font = ctx.lang, ctx.font
    w, _ = A4
    x0 = _MARGIN
    text_fit(c, x0, y_top - 9, text("kish_title", lang), font, 7.5, 64 * mm)
    grid = _kish_grid()
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
        table = _table(comm, rows, ctx)
        _, th = table.wrapOn(c, w - 2 * _MARGIN, y - _MARGIN)
        table.drawOn(c, _MARGIN, y - th)
        note_y = _MARGIN + _PANEL_H + 3 * mm
        text_fit(c, _MARGIN, note_y, text("sheet_note", ctx.lang), ctx.font, 7.5, w - 2 * _MARGIN)
        _panel(c, ctx, _MARGIN + _PANEL_H)
        c.showPage()
    return pages
