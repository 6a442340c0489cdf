"""The sections of the analysis report, each a list of platypus flowables.

Every figure and table states its base (respondents n, and the weighted total) and its
method, as AAPOR's disclosure standard asks: fieldwork rates name e and its basis;
estimates are weighted, with Taylor-linearised standard errors over strata and
community PSUs and 95% intervals (logit for proportions, Wald for means).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from fieldsurvey.reports._charts import BarRow, hbar_chart, histogram
from fieldsurvey.reports._report_data import ReportData
from fieldsurvey.reports._report_text import SAT_SHORT, t

__all__ = ["Ctx", "by_type", "fieldwork", "needs", "participation", "satisfaction", "weights"]

SAT_ITEMS = tuple(f"d{i}" for i in range(1, 13))
RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")


@dataclass
class Ctx:
    """Styles, language and running figure/table numbers of one report."""

    lang: str
    font: str
    width: float
    styles: dict[str, ParagraphStyle]
    figure: int = 0
    table: int = 0

    def p(self, text: str, style: str = "body") -> Paragraph:
        """A paragraph (text is escaped)."""
        return Paragraph(_esc(text), self.styles[style])

    def caption(self, kind: str, title: str, note: str) -> list[Any]:
        """Numbered caption (图/表 n) plus the base-and-method note."""
        if kind == "figure":
            self.figure += 1
            head = t("figure", self.lang, n=self.figure)
        else:
            self.table += 1
            head = t("table", self.lang, n=self.table)
        return [Paragraph(f"<b>{_esc(head)}</b> {_esc(title)}", self.styles["caption"]),
                Paragraph(_esc(note), self.styles["note"])]

    def table_of(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
                 widths: Sequence[float], align_right_from: int = 1) -> Table:
        """A grid table with a repeated header, numbers right-aligned."""
        cell = self.styles["cell"]
        data = [[Paragraph(_esc(h), self.styles["cellhead"]) for h in header]]
        data += [[Paragraph(_esc(str(v)), cell) if j < align_right_from else str(v)
                  for j, v in enumerate(r)] for r in rows]
        tab = Table(data, colWidths=[w * self.width for w in widths], repeatRows=1)
        tab.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), self.font, 7.5),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#9e9e9e")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eaf6")),
            ("ALIGN", (align_right_from, 1), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ]))
        return tab


_MAX_ROWS = 45  # bars per drawing: a drawing cannot break across pages


def _chart(caption: list[Any], rows: Sequence[BarRow], ctx: Ctx, **kw: Any) -> list[Any]:
    """Caption kept with the chart; long charts cut into page-sized drawings."""
    chunks = [rows[i:i + _MAX_ROWS] for i in range(0, max(len(rows), 1), _MAX_ROWS)]
    drawings = [hbar_chart(c, width=ctx.width, font=ctx.font, **kw) for c in chunks]
    return [KeepTogether([*caption, drawings[0]]), *drawings[1:]]


def _esc(s: str) -> str:
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _pct(v: float) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{100 * v:.1f}"


def _pct_ci(r: Any) -> str:
    """``"62.1 [55.0, 68.7]"`` from a row with estimate, ci_low, ci_high (as percents)."""
    return f"{_pct(r['estimate'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"


def _base(ctx: Ctx, data: ReportData, n: int | None = None) -> str:
    w = data.respondents[data.weight].to_numpy(float)
    return t("base", ctx.lang, n=len(w) if n is None else n, N=float(w.sum()))


def fieldwork(ctx: Ctx, data: ReportData) -> list[Any]:
    """AAPOR outcome rates overall, by community and by interviewer."""
    from fieldsurvey.rates import aapor_rates

    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_fieldwork", lang), "h1")]
    cases = data.cases
    overall = aapor_rates(cases, disposition="disposition")
    weighted = aapor_rates(cases, disposition="disposition", weights="base_weight") \
        if "base_weight" in cases.columns and cases["base_weight"].notna().all() else None
    cats = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
    rows = [[t("unweighted", lang), *(int(overall.overall[c]) for c in cats),
             *(_pct(overall.overall[r]) for r in RATES)]]
    if weighted is not None:
        rows.append([t("base_weighted", lang), *(f"{weighted.overall[c]:,.0f}" for c in cats),
                     *(_pct(weighted.overall[r]) for r in RATES)])
    basis = overall.e_basis
    if lang == "zh" and basis.startswith("proportional"):
        basis = "按已知合格性样本的比例估计（CASRO），e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)"
    out += ctx.caption("table", t("t_rates", lang),
                       t("rates_note", lang, n=len(cases), e=overall.overall["e"], basis=basis))
    out.append(ctx.table_of(["", *cats, *(f"{r} %" for r in RATES)], rows,
                            [0.12] + [0.055] * 8 + [0.088] * 5))
    for by, key in (("community_id", "by_community"), ("interviewer", "by_interviewer")):
        if by not in cases.columns or cases[by].isna().all():
            continue
        table = aapor_rates(cases.assign(**{by: cases[by].fillna("—")}), disposition="disposition",
                            by=by)
        g = table.groups
        names = _names(cases) if by == "community_id" else {}
        label = [f"{names.get(i, '')} {i}".strip() for i in g.index.astype(str)]
        chart_rows: list[BarRow] = [(lab, 100 * float(g.loc[i, "RR1"]), np.nan, np.nan)
                                    for lab, i in zip(label, g.index, strict=True)]
        out.append(Spacer(1, 6))
        cap = ctx.caption("figure", t(f"f_rr_{key}", lang), t("rr_note", lang))
        out += _chart(cap, chart_rows, ctx, axis_label="RR1 %")
        rows = [[lab, int(g.loc[i, "n"]), int(g.loc[i, "I"] + g.loc[i, "P"]),
                 *(_pct(g.loc[i, r]) for r in RATES)]
                for lab, i in zip(label, g.index, strict=True)]
        out += ctx.caption("table", t(f"t_{key}", lang), t("rates_group_note", lang))
        out.append(ctx.table_of([t(key, lang), t("cases", lang), t("interviews", lang),
                                 *(f"{r} %" for r in RATES)], rows,
                                [0.3, 0.09, 0.09] + [0.104] * 5))
    return out


def _names(cases: pd.DataFrame) -> dict[str, str]:
    if "name" not in cases.columns:
        return {}
    named = cases.dropna(subset=["name"]).drop_duplicates("community_id")
    return dict(zip(named["community_id"].astype(str), named["name"].astype(str), strict=True))


def weights(ctx: Ctx, data: ReportData) -> list[Any]:
    """Spread of the final weights, Kish's design effect and the effective sample size."""
    from fieldsurvey.weights import weight_diagnostics

    lang = ctx.lang
    w = data.respondents[data.weight].to_numpy(float)
    dg = weight_diagnostics(w)
    out: list[Any] = [ctx.p(t("h_weights", lang), "h1")]
    rows = [[t(k, lang), v] for k, v in (
        ("w_n", f"{dg.n_positive:,}"), ("w_total", f"{dg.total:,.1f}"),
        ("w_min", f"{dg.minimum:,.4g}"), ("w_median", f"{dg.median:,.4g}"),
        ("w_max", f"{dg.maximum:,.4g}"), ("w_ratio", f"{dg.maximum / dg.median:.3g}"),
        ("w_cv", f"{dg.cv:.4f}"), ("w_deff", f"{dg.deff:.4f}"),
        ("w_neff", f"{dg.n_effective:,.1f}"),
    )]
    out += ctx.caption("table", t("t_weights", lang), t("weights_note", lang))
    out.append(ctx.table_of([t("statistic", lang), t("value", lang)], rows, [0.5, 0.25]))
    cap = ctx.caption("figure", t("f_weights", lang), _base(ctx, data))
    out.append(KeepTogether([*cap, histogram(w, width=ctx.width, height=120, font=ctx.font,
                                             axis_label=t("weight_axis", lang))]))
    return out


def _est_rows(table: Any, stat: str) -> pd.DataFrame:
    df = table.to_frame()
    return df[df["statistic"] == stat]


def satisfaction(ctx: Ctx, data: ReportData, design: Any) -> list[Any]:
    """Top-two-box share, mean and 0-100 index of every satisfaction item, and the composite."""
    from fieldsurvey.estimate import satisfaction_index, satisfaction_items

    lang = ctx.lang
    items = [c for c in ("d0", *SAT_ITEMS) if c in data.respondents.columns]
    out: list[Any] = [ctx.p(t("h_satisfaction", lang), "h1")]
    if not items:
        return out + [ctx.p(t("missing_items", lang, items="d0–d12"))]
    tab = satisfaction_items(design, items)
    comp = [c for c in SAT_ITEMS if c in items]
    index = satisfaction_index(design, comp) if comp else None
    top = _est_rows(tab, "top2box").set_index("variable")
    mean = _est_rows(tab, "mean_score").set_index("variable")
    idx = _est_rows(tab, "index").set_index("variable")
    order = sorted(items, key=lambda v: -top.loc[v, "estimate"])
    chart = [(_sat_label(v, lang), 100 * top.loc[v, "estimate"], 100 * top.loc[v, "ci_low"],
              100 * top.loc[v, "ci_high"]) for v in order]
    n_min, n_max = int(top["n"].min()), int(top["n"].max())
    cap = ctx.caption("figure", t("f_sat", lang), _base(ctx, data) + " " +
                      t("sat_note", lang, lo=n_min, hi=n_max))
    out += _chart(cap, chart, ctx, axis_label=t("top2_axis", lang))
    rows = [[_sat_label(v, lang),
             _pct_ci(top.loc[v]),
             f"{mean.loc[v, 'estimate']:.2f} ({mean.loc[v, 'se']:.2f})",
             f"{idx.loc[v, 'estimate']:.1f}", f"{top.loc[v, 'deff']:.2f}", int(top.loc[v, "n"])]
            for v in order]
    if index is not None:
        r = index.to_frame().iloc[0]
        rows.append([t("composite", lang), "", "", f"{r['estimate']:.1f} [{r['ci_low']:.1f}, "
                     f"{r['ci_high']:.1f}]", f"{r['deff']:.2f}", int(r["n"])])
    out += ctx.caption("table", t("t_sat", lang), t("sat_table_note", lang))
    out.append(ctx.table_of([t("item", lang), t("top2", lang), t("mean_se", lang),
                             t("index", lang), "deff", "n"], rows,
                            [0.3, 0.22, 0.14, 0.16, 0.08, 0.08]))
    return out


def _sat_label(v: str, lang: str) -> str:
    return SAT_SHORT.get(v, {}).get(lang, v)


def _dummies(data: ReportData, stem: str) -> list[str]:
    cols = [c for c in data.respondents.columns
            if c.startswith(stem + "_") and c[len(stem) + 1:].isdigit()
            and c[len(stem) + 1:] != "0"]
    return sorted(cols, key=lambda c: int(c.rsplit("_", 1)[1]))


def _share_rows(design: Any, cols: list[str]) -> pd.DataFrame:
    from fieldsurvey.estimate import svyprop

    all_levels = svyprop(cols, design).to_frame()
    df = all_levels[all_levels["level"] == "1"].set_index("variable").reindex(cols)
    # a choice nobody made has only the level "0": its share is 0 (no interval)
    zero = all_levels[all_levels["level"] == "0"].set_index("variable")
    absent = df["estimate"].isna() & df.index.isin(zero.index)
    for c in df.index[absent]:
        df.loc[c, ["estimate", "n"]] = [0.0, zero.loc[c, "n"]]
    return df


def _choice(label: str) -> str:
    return label.split(": ", 1)[1] if ": " in label else label


def participation(ctx: Ctx, data: ReportData, design: Any) -> list[Any]:
    """Shares taking part in each community activity (b1) and willingness to take part (b4)."""
    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_participation", lang), "h1")]
    cols = _dummies(data, "b1")
    if "b1_0" in data.respondents.columns:
        cols.append("b1_0")
    if not cols:
        return out + [ctx.p(t("missing_items", lang, items="b1"))]
    df = _share_rows(design, cols)
    labels = {c: _choice(data.variable_labels.get(c, c)) for c in cols}
    chart = [(labels[c], 100 * df.loc[c, "estimate"], 100 * df.loc[c, "ci_low"],
              100 * df.loc[c, "ci_high"]) for c in cols]
    cap = ctx.caption("figure", t("f_part", lang), _base(ctx, data, int(df["n"].max())) + " " +
                      t("prop_note", lang))
    out += _chart(cap, chart, ctx, axis_label="%")
    if "b4" in data.respondents.columns:
        from fieldsurvey.estimate import satisfaction_items

        b4 = _est_rows(satisfaction_items(design, ["b4"]), "top2box").iloc[0]
        out.append(ctx.p(t("willing", lang, p=_pct(b4["estimate"]), lo=_pct(b4["ci_low"]),
                           hi=_pct(b4["ci_high"]), n=int(b4["n"]))))
    return out


def needs(ctx: Ctx, data: ReportData, design: Any) -> list[Any]:
    """The ranking of the needs items (c1_1 ... c11_3) by the weighted share naming them."""
    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_needs", lang), "h1")]
    cols = [c for k in range(1, 12) for c in _dummies(data, f"c{k}")]
    if not cols:
        return out + [ctx.p(t("missing_items", lang, items="c1–c11"))]
    df = _share_rows(design, cols).sort_values("estimate", ascending=False)
    chart, rows = [], []
    for rank, (c, r) in enumerate(df.iterrows(), start=1):
        label = data.variable_labels.get(c, c)
        cat, item = label.split(": ", 1) if ": " in label else ("", label)
        chart.append((f"{rank}. {item}", 100 * r["estimate"], 100 * r["ci_low"],
                      100 * r["ci_high"]))
        rows.append([rank, cat, item, _pct_ci(r), int(r["n"])])
    cap = ctx.caption("figure", t("f_needs", lang, k=len(cols)),
                      _base(ctx, data, int(df["n"].max())) + " " + t("prop_note", lang))
    out += _chart(cap, chart, ctx, axis_label="%", row_h=11.5, label_frac=0.5)
    out += ctx.caption("table", t("t_needs", lang), t("prop_note", lang))
    out.append(ctx.table_of([t("rank", lang), t("category", lang), t("item", lang),
                             t("share_ci", lang), "n"], rows, [0.07, 0.2, 0.45, 0.18, 0.08],
                            align_right_from=3))
    return out


def by_type(ctx: Ctx, data: ReportData, design: Any) -> list[Any]:
    """Composite satisfaction index and overall top-two-box by community type."""
    from fieldsurvey.estimate import satisfaction_index, satisfaction_items

    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_type", lang), "h1")]
    comp = [c for c in SAT_ITEMS if c in data.respondents.columns]
    if "type" not in data.respondents.columns or not comp:
        return out + [ctx.p(t("missing_items", lang, items="type, d1–d12"))]
    resp = data.respondents
    idx = satisfaction_index(design, comp, by="type").to_frame()
    idx = idx[idx["domain"].notna()]
    has_d0 = "d0" in resp.columns
    top = _est_rows(satisfaction_items(design, ["d0"], by="type"), "top2box") if has_d0 else None
    chart, rows = [], []
    for _, r in idx.iterrows():
        typ = str(r["type"])
        sub = resp[resp["type"] == r["type"]]
        wsum = float(sub[data.weight].sum())
        chart.append((typ, r["estimate"], r["ci_low"], r["ci_high"]))
        d0 = ""
        if top is not None:
            m = top[top["type"] == r["type"]]
            if len(m):
                d0 = _pct_ci(m.iloc[0])
        rows.append([typ, f"{r['estimate']:.1f} [{r['ci_low']:.1f}, {r['ci_high']:.1f}]", d0,
                     int(r["n"]), f"{wsum:,.0f}"])
    cap = ctx.caption("figure", t("f_type", lang), _base(ctx, data) + " " + t("type_note", lang))
    out += _chart(cap, chart, ctx, axis_label=t("index_axis", lang), label_frac=0.25)
    out += ctx.caption("table", t("t_type", lang), t("type_note", lang))
    out.append(ctx.table_of([t("ctype", lang), t("index_ci", lang), t("overall_top2", lang), "n",
                             t("weighted_n", lang)], rows, [0.2, 0.25, 0.25, 0.1, 0.15]))
    return out
