"""The analysis report (PDF): fieldwork and participation, the weights, and the results.

:func:`write_report` reads a merged field store and the final weights, then writes a
report that reads well in Chinese (or English): a first page of key findings (response
rate, the composite satisfaction index, the participation rate, the three most pressing
needs, the communities above and below the district); AAPOR outcome rates overall, by
community and by interviewer; the spread of the weights with Kish's design effect;
satisfaction per item with confidence intervals (chart and table); participation in
community affairs; the ranking of the needs; results by community type. The items are
those the questionnaire declares as indicators. Every figure states its base (n, weighted
total and the unit the weights sum to) and method. Statistics come from
:mod:`fieldsurvey.rates`, :mod:`fieldsurvey.weights` and :mod:`fieldsurvey.estimate`;
this module only lays them out (platypus flowables, reportlab graphics charts).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import InputError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.reports import _sections as sec
from fieldsurvey.reports._pdf import binary_streams
from fieldsurvey.reports._report_data import ReportData, load_report_data
from fieldsurvey.reports._report_text import t
from fieldsurvey.reports.fonts import CJKFont, find_cjk_font

__all__ = ["ReportResult", "write_report"]

_MARGIN = 18 * mm


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report` wrote."""

    path: Path
    pages: int
    font: CJKFont
    cases: int
    respondents: int
    figures: int
    tables: int
    notes: tuple[str, ...]

    @property
    def font_message(self) -> str:
        """Which CJK font was used (embedded or the CID fallback), for the user."""
        return self.font.message


def _styles(font: str, lang: str) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if lang == "zh" else None
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap=wrap,
                          spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=17, leading=23, spaceAfter=8),
        "h1": ParagraphStyle("h1", parent=body, fontSize=13, leading=18, spaceBefore=10,
                             spaceAfter=6, keepWithNext=1),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=11),
        "caption": ParagraphStyle("caption", parent=body, fontSize=9, leading=12, spaceBefore=8,
                                  spaceAfter=1, keepWithNext=1),
        "note": ParagraphStyle("note", parent=body, fontSize=7, leading=9.5, spaceAfter=3,
                               textColor="#555555", keepWithNext=1),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9, spaceAfter=0),
        "cellhead": ParagraphStyle("cellhead", parent=body, fontSize=7.5, leading=9,
                                   spaceAfter=0),
    }


def _variance(design: Any) -> str:
    """The variance method's key: calibrated designs say so."""
    return "variance_calibrated" if getattr(design, "calibration", ()) else "variance_taylor"


def _front(ctx: sec.Ctx, data: ReportData, design: Any, date: str, font: CJKFont,
           title: str | None, table: Any, by_community: Any) -> list[Any]:
    lang = ctx.lang
    out: list[Any] = [
        ctx.p(title or t("title", lang), "title"),
        ctx.p(t("generated", lang, date=date, db=Path(data.db).name,
                weights=Path(data.weights_file).name), "small"),
        Spacer(1, 4),
    ]
    out += sec.key_findings(ctx, data, design, table, by_community)
    out += [
        Spacer(1, 6),
        ctx.p(t("method", lang), "small"),
        ctx.p(t("variance", lang, v=t(_variance(design), lang)), "small"),
    ]
    ind = data.indicators
    for comp in ind.composites if ind is not None else ():
        out.append(ctx.p(comp.describe(lang), "small"))
    out.append(ctx.p(t("font_note", lang, font=t("font_embedded" if font.embedded
                                                 else "font_cid", lang)), "small"))
    if data.notes:
        out.append(ctx.p(t("notes", lang, notes="; ".join(data.notes)), "small"))
    out.append(PageBreak())
    return out


def _keep_heading(flowables: list[Any]) -> list[Any]:
    """Keep a section heading on the page of its first table or chart."""
    if not flowables or not isinstance(flowables[0], Paragraph):
        return flowables
    for k, f in enumerate(flowables[1:], start=1):
        if not isinstance(f, Paragraph):
            return [KeepTogether(flowables[:k + 1]), *flowables[k + 1:]]
    return flowables


def write_report(
    db: str | os.PathLike[str],
    weights: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    lang: str = "zh",
    font: str | os.PathLike[str] | CJKFont | None = None,
    weight: str = "weight",
    form: Any = None,
    margins: Mapping[str, Mapping[Any, float]] | str | os.PathLike[str] | None = None,
    aux: pd.DataFrame | str | os.PathLike[str] | None = None,
    title: str | None = None,
    date: str | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Write the analysis report of a survey as a PDF.

    Parameters
    ----------
    db
        The merged field store (``central.sqlite``).
    weights
        Final weights (CSV or Parquet from ``fieldsurvey weights``): ``dwelling_id`` (or
        ``interview_uuid``) and the ``weight`` column; respondents with weight 0 are left out.
    out
        The PDF to write (atomically).
    lang
        ``"zh"`` or ``"en"``.
    font
        CJK font file, ``"STSong-Light"`` or a :class:`CJKFont`; default: discovered.
    weight
        Name of the weight column.
    form
        Questionnaire (default: the one pinned in the store): labels, and the indicators
        it declares (:mod:`fieldsurvey.questionnaire.indicators`) are the report's items.
    margins
        The calibration margins the final weights were raked to (``{variable: {level:
        total}}`` or a margins file): the design is raked to them so that the confidence
        intervals carry the calibration; the variables must be columns of the weights file.
    aux
        Community-level auxiliaries (``community_id`` and numeric columns, a table or a
        file): the key findings then show each community's small-area estimate
        (Fay-Herriot EBLUP) beside the direct one.
    title, date
        Report title and date (defaults: the survey title, today).
    progress
        ``progress("report", done, total)`` callback, per section.

    Returns
    -------
    ReportResult

    Raises
    ------
    InputError, ColumnError, StoreError, EstimationError
        For missing or unreadable inputs, weights that do not match the store, or a design
        that cannot be estimated.
    """
    if Path(out).suffix and Path(out).suffix.lower() != ".pdf":
        raise InputError("the output is a PDF", file=str(out), field="--out",
                         expected="a name ending in .pdf", got=Path(out).suffix,
                         hint="Name the output .pdf")
    if lang not in ("zh", "en"):
        raise InputError("unknown language", field="lang", expected="zh or en", got=repr(lang))
    cjk = font if isinstance(font, CJKFont) else find_cjk_font(font)
    if isinstance(margins, str | os.PathLike):
        from fieldsurvey.weights.io import read_margins

        margins = read_margins(margins)
    data = load_report_data(db, weights, weight=weight, form=form, lang=lang, margins=margins)
    design = data.design()
    width = A4[0] - 2 * _MARGIN
    ctx = sec.Ctx(lang=lang, font=cjk.name, width=width, styles=_styles(cjk.name, lang))
    date = date or _dt.date.today().isoformat()
    table = sec._estimates(data, design)
    if aux is not None and not isinstance(aux, pd.DataFrame):
        from fieldsurvey.weights.io import read_case_file

        aux = read_case_file(Path(aux))
    by_comm = sec.community_index(data, design, lang, aux)
    steps: list[Callable[[], list[Any]]] = [
        lambda: _front(ctx, data, design, date, cjk, title, table, by_comm),
        lambda: sec.fieldwork(ctx, data),
        lambda: sec.weights(ctx, data),
        lambda: sec.satisfaction(ctx, data, design, table),
        lambda: sec.participation(ctx, data, design, table),
        lambda: sec.needs(ctx, data, design, table),
        lambda: sec.by_type(ctx, data, design),
    ]
    story: list[Any] = []
    for k, step in enumerate(steps):
        report(progress, "report", k, len(steps))
        story += _keep_heading(step())
    report(progress, "report", len(steps), len(steps))

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk.name, 7.5)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, t("page", lang, p=doc.page))
        canvas.restoreState()

    pages = 0
    with atomic_path(out) as tmp, binary_streams():
        doc = SimpleDocTemplate(
            str(tmp), pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
            bottomMargin=_MARGIN, title=title or t("title", lang), author="fieldsurvey",
            subject=cjk.description, creator="fieldsurvey", keywords=["fieldsurvey", "report"],
            invariant=1,
        )
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
        pages = doc.page
    return ReportResult(path=Path(out), pages=pages, font=cjk, cases=len(data.cases),
                        respondents=len(data.respondents), figures=ctx.figure, tables=ctx.table,
                        notes=data.notes)

