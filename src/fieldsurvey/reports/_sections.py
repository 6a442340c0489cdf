"""The sections of the analysis report, each a list of platypus flowables.

Every figure and table states its base (respondents n, and the weighted total with the
unit the weights sum to) and its method, as AAPOR's disclosure standard asks: fieldwork
rates name e and its basis; estimates are weighted, with Taylor-linearised standard errors
over strata and community PSUs and 95% intervals (logit for proportions, Wald for means).
The items come from the questionnaire's indicator declaration
(:mod:`fieldsurvey.questionnaire.indicators`) and are estimated by
:func:`fieldsurvey.estimate.tally.indicator_table`, the function the demo uses.
"""

from __future__ import annotations

import os
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
from fieldsurvey.reports._report_text import t, type_label

__all__ = ["Ctx", "by_type", "fieldwork", "key_findings", "needs", "participation",
           "satisfaction", "weights"]

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


def _pct(v: Any) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{100 * float(v):.1f}"


def _pct_ci(r: Any) -> str:
    """``"62.1 [55.0, 68.7]"`` from a row with estimate, ci_low, ci_high (as percents)."""
    return f"{_pct(r['estimate'])} [{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]"


def _idx_ci(r: Any) -> str:
    """``"73.7 [69.8, 77.6]"`` from an index row."""
    return f"{float(r['estimate']):.1f} [{float(r['ci_low']):.1f}, {float(r['ci_high']):.1f}]"


def _unit(ctx: Ctx, data: ReportData) -> str:
    return t(f"unit_{data.unit}", ctx.lang)


def _base(ctx: Ctx, data: ReportData, n: int | None = None) -> str:
    w = data.respondents[data.weight].to_numpy(float)
    return t("base", ctx.lang, n=len(w) if n is None else n, N=float(w.sum()),
             unit=_unit(ctx, data))


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
        if g is None:
            continue
        names = _names(cases, lang) if by == "community_id" else {}
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


def _names(cases: pd.DataFrame, lang: str = "zh") -> dict[str, str]:
    """Community names by id (none in English: communities are named by their id there)."""
    if "name" not in cases.columns or lang != "zh":
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
    rows = [[t(k, lang, unit=_unit(ctx, data)), v] for k, v in (
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


def _rows(table: pd.DataFrame, stat: str, domain: bool = False) -> pd.DataFrame:
    """Rows of one statistic, overall (``domain=False``) or by domain, indexed by variable."""
    df = table[table["statistic"] == stat]
    df = df[df["domain"].notna()] if domain else df[df["domain"].isna()].copy()
    if not domain:
        df.index = pd.Index(df["variable"].astype(str), name="variable")
    return df


def _strip_common(labels: dict[str, str]) -> dict[str, str]:
    """Drop the words every label shares ("您对本社区的…满意吗?") to get short item names."""
    vals = list(labels.values())
    if len(vals) < 3:
        return labels
    pre = os.path.commonprefix(vals)
    suf = os.path.commonprefix([v[::-1] for v in vals])[::-1]
    out = {k: v[len(pre):len(v) - len(suf)].strip(" ?？,，。") for k, v in labels.items()}
    return out if all(out.values()) else labels


def item_labels(data: ReportData, names: Sequence[str]) -> dict[str, str]:
    """Short labels of scale items from the questionnaire (the ``lang`` labels)."""
    labels = {n: str(data.variable_labels.get(n, n)) for n in names}
    ind = data.indicators
    members: set[str] = set()
    if ind is not None:
        for comp in ind.composites:
            members |= set(comp.items)
    short = _strip_common({n: v for n, v in labels.items() if n in members})
    return {n: short.get(n, labels[n]) for n in names}


def _estimates(data: ReportData, design: Any, by: str | None = None) -> pd.DataFrame:
    from fieldsurvey.estimate.tally import indicator_table

    if data.indicators is None:
        return pd.DataFrame(columns=["variable", "statistic", "domain", "estimate"])
    return indicator_table(design, data.indicators, by=by).to_frame()


def satisfaction(ctx: Ctx, data: ReportData, design: Any,
                 table: pd.DataFrame | None = None) -> list[Any]:
    """Top-two-box share, mean and 0-100 index of every satisfaction item, and the composite."""
    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_satisfaction", lang), "h1")]
    ind = data.indicators
    items = [i.name for i in ind.of_kind("satisfaction") if i.is_scale
             and i.name in data.respondents.columns] if ind is not None else []
    if not items:
        return out + [ctx.p(t("missing_items", lang, items=t("kind_satisfaction", lang)))]
    tab = table if table is not None else _estimates(data, design)
    top, mean, idx = (_rows(tab, s) for s in ("top2box", "mean_score", "index"))
    labels = item_labels(data, items)
    est = {v: float(top.loc[v, "estimate"]) for v in items}
    order = sorted(items, key=lambda v: -est[v])
    chart: list[BarRow] = [(labels[v], 100 * float(top.loc[v, "estimate"]),
                            100 * float(top.loc[v, "ci_low"]), 100 * float(top.loc[v, "ci_high"]))
                           for v in order]
    n_min, n_max = int(top.loc[items, "n"].min()), int(top.loc[items, "n"].max())
    cap = ctx.caption("figure", t("f_sat", lang), _base(ctx, data) + " " +
                      t("sat_note", lang, lo=n_min, hi=n_max))
    out += _chart(cap, chart, ctx, axis_label=t("top2_axis", lang))
    rows = [[labels[v], _pct_ci(top.loc[v]),
             f"{float(mean.loc[v, 'estimate']):.2f} ({float(mean.loc[v, 'se']):.2f})",
             f"{float(idx.loc[v, 'estimate']):.1f}", f"{float(top.loc[v, 'deff']):.2f}",
             int(top.loc[v, "n"])] for v in order]
    notes = []
    for comp in ind.composites if ind is not None else ():
        if comp.name in idx.index:
            r = idx.loc[comp.name]
            rows.append([t("composite", lang, k=len(comp.items)), "", "", _idx_ci(r),
                         f"{float(r['deff']):.2f}", int(r["n"])])
            notes.append(comp.describe(lang))
    out += ctx.caption("table", t("t_sat", lang), " ".join([t("sat_table_note", lang), *notes]))
    out.append(ctx.table_of([t("item", lang), t("top2", lang), t("mean_se", lang),
                             t("index", lang), "deff", "n"], rows,
                            [0.3, 0.22, 0.14, 0.16, 0.08, 0.08]))
    return out


def _choice(label: str) -> str:
    return label.split(": ", 1)[1] if ": " in label else label


def participation(ctx: Ctx, data: ReportData, design: Any,
                  table: pd.DataFrame | None = None) -> list[Any]:
    """Shares taking part in each activity and in any, and willingness (scale items)."""
    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_participation", lang), "h1")]
    ind = data.indicators
    multi = [i for i in ind.of_kind("participation") if not i.is_scale] if ind else []
    scales = [i for i in ind.of_kind("participation") if i.is_scale] if ind else []
    if not multi and not scales:
        return out + [ctx.p(t("missing_items", lang, items=t("kind_participation", lang)))]
    tab = table if table is not None else _estimates(data, design)
    prop = _rows(tab, "prop")
    for q in multi:
        cols = [c for c in (*q.option_columns(), q.any_column) if c in prop.index]
        if not cols:
            continue
        labels = {c: _choice(data.variable_labels.get(c, c)) for c in cols}
        labels[q.any_column] = t("any_activity", lang)
        chart: list[BarRow] = [(labels[c], 100 * float(prop.loc[c, "estimate"]),
                                100 * float(prop.loc[c, "ci_low"]),
                                100 * float(prop.loc[c, "ci_high"])) for c in cols]
        n = int(prop.loc[cols, "n"].max())
        cap = ctx.caption("figure", t("f_part", lang, q=data.variable_labels.get(q.name, q.name)),
                          _base(ctx, data, n) + " " + t("prop_note", lang))
        out += _chart(cap, chart, ctx, axis_label="%")
    top = _rows(tab, "top2box")
    for q in scales:
        if q.name in top.index:
            r = top.loc[q.name]
            out.append(ctx.p(t("willing", lang, q=data.variable_labels.get(q.name, q.name),
                               p=_pct(r["estimate"]), lo=_pct(r["ci_low"]),
                               hi=_pct(r["ci_high"]), n=int(r["n"]))))
    return out


def needs(ctx: Ctx, data: ReportData, design: Any,
          table: pd.DataFrame | None = None) -> list[Any]:
    """The ranking of the declared needs options by the weighted share naming them."""
    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_needs", lang), "h1")]
    ind = data.indicators
    cols = [c for q in ind.of_kind("need") for c in q.option_columns()] if ind else []
    tab = table if table is not None else _estimates(data, design)
    prop = _rows(tab, "prop")
    cols = [c for c in cols if c in prop.index]
    if not cols:
        return out + [ctx.p(t("missing_items", lang, items=t("kind_need", lang)))]
    df = prop.loc[cols].sort_values("estimate", ascending=False, kind="stable")
    chart: list[BarRow] = []
    rows: list[list[Any]] = []
    for rank, (c, r) in enumerate(df.iterrows(), start=1):
        label = data.variable_labels.get(str(c), str(c))
        cat, item = label.split(": ", 1) if ": " in label else ("", label)
        chart.append((f"{rank}. {item}", 100 * float(r["estimate"]), 100 * float(r["ci_low"]),
                      100 * float(r["ci_high"])))
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
    """Composite satisfaction index and the overall item's top-two-box by community type."""
    from fieldsurvey.estimate.tally import indicator_table

    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_type", lang), "h1")]
    ind = data.indicators
    comp = ind.headline if ind is not None else None
    if "type" not in data.respondents.columns or comp is None:
        return out + [ctx.p(t("missing_items", lang, items=t("kind_type", lang)))]
    resp = data.respondents
    tab = indicator_table(design, ind, by="type", kinds=("satisfaction",)).to_frame()
    idx = tab[(tab["variable"] == comp.name) & (tab["statistic"] == "index")]
    overall = [i.name for i in ind.of_kind("satisfaction") if i.is_scale and not i.index]
    top = tab[(tab["statistic"] == "top2box") & tab["variable"].isin(overall[:1])]
    chart: list[BarRow] = []
    rows: list[list[Any]] = []
    for _, r in idx.iterrows():
        typ = type_label(str(r["type"]), lang)
        wsum = float(resp.loc[resp["type"] == r["type"], data.weight].sum())
        chart.append((typ, float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])))
        m = top[top["type"] == r["type"]]
        rows.append([typ, _idx_ci(r), _pct_ci(m.iloc[0]) if len(m) else "", int(r["n"]),
                     f"{wsum:,.0f}"])
    cap = ctx.caption("figure", t("f_type", lang), _base(ctx, data) + " " + t("type_note", lang))
    out += _chart(cap, chart, ctx, axis_label=t("index_axis", lang), label_frac=0.25)
    out += ctx.caption("table", t("t_type", lang), t("type_note", lang))
    out.append(ctx.table_of([t("ctype", lang), t("index_ci", lang), t("overall_top2", lang), "n",
                             t("weighted_n", lang, unit=_unit(ctx, data))], rows,
                            [0.2, 0.25, 0.25, 0.1, 0.15]))
    return out


def community_index(data: ReportData, design: Any, lang: str = "zh",
                    aux: pd.DataFrame | None = None) -> pd.DataFrame:
    """The composite index by community with its CI, name and n (empty without one).

    With ``aux`` (``community_id`` and numeric community-level auxiliaries) the
    Fay-Herriot EBLUP of each community's index and its 95% interval (root Prasad-Rao
    MSE) are added as ``eblup``, ``eblup_low``, ``eblup_high``.
    """
    from fieldsurvey.estimate.tally import community_design, indicator_table

    ind = data.indicators
    comp = ind.headline if ind is not None else None
    if comp is None or "community_id" not in data.respondents.columns:
        return pd.DataFrame()
    cdes = community_design(data.respondents, data.weight, source=data.weights_file)
    tab = indicator_table(cdes, ind, by="community_id", kinds=("satisfaction",)).to_frame()
    idx = tab[(tab["variable"] == comp.name) & (tab["statistic"] == "index")].copy()
    names = _names(data.cases, lang)
    idx["name"] = [names.get(str(c), str(c)) for c in idx["community_id"]]
    if aux is not None and len(idx) >= 4:
        idx = _small_areas(idx, aux)
    out: pd.DataFrame = idx.sort_values("estimate", ascending=False).reset_index(drop=True)
    return out


def _small_areas(idx: pd.DataFrame, aux: pd.DataFrame) -> pd.DataFrame:
    """Fay-Herriot EBLUPs of the communities' direct index (see :mod:`fieldsurvey.estimate.sae`)."""
    from scipy.stats import norm

    from fieldsurvey.estimate.sae import fay_herriot
    from fieldsurvey.io.errors import InputError

    if "community_id" not in aux.columns:
        raise InputError("the community auxiliaries lack community_id", field="community_id",
                         got=", ".join(map(str, aux.columns)),
                         hint="Give one row per community: community_id and numeric columns")
    a = aux.assign(community_id=aux["community_id"].astype(str)).drop_duplicates("community_id")
    a = a.set_index("community_id").reindex(idx["community_id"].astype(str))
    x = a.apply(pd.to_numeric, errors="coerce")
    x = x.loc[:, x.notna().all() & (x.std() > 0)]
    if x.shape[1] == 0 or x.shape[1] + 2 > len(idx):
        return idx
    fit = fay_herriot(idx["estimate"].to_numpy(float), idx["se"].to_numpy(float) ** 2,
                      x.to_numpy(float))
    z = float(norm.ppf(0.975))
    rmse = np.sqrt(fit.mse)
    return idx.assign(eblup=fit.eblup, eblup_low=fit.eblup - z * rmse,
                      eblup_high=fit.eblup + z * rmse,
                      aux_columns=", ".join(map(str, x.columns)))


def key_findings(ctx: Ctx, data: ReportData, design: Any, table: pd.DataFrame,
                 by_community: pd.DataFrame) -> list[Any]:
    """The first page: response, satisfaction, participation, needs, communities."""
    from fieldsurvey.rates import aapor_rates

    lang = ctx.lang
    out: list[Any] = [ctx.p(t("h_key", lang), "h1")]
    o = aapor_rates(data.cases, disposition="disposition").overall
    out.append(ctx.p("• " + t("key_rates", lang, cases=len(data.cases), i=int(o["I"]),
                              p=int(o["P"]), rr1=_pct(o["RR1"]), rr3=_pct(o["RR3"]),
                              coop=_pct(o["COOP1"]))))
    ind = data.indicators
    idx = _rows(table, "index")
    comp = ind.headline if ind is not None else None
    district = float("nan")
    if comp is not None and comp.name in idx.index:
        r = idx.loc[comp.name]
        district = float(r["estimate"])
        out.append(ctx.p("• " + t("key_index", lang, v=_idx_ci(r), n=int(r["n"]),
                                  k=len(comp.items))))
    prop = _rows(table, "prop")
    part = ind.participation_any if ind is not None else None
    if part is not None and part.any_column in prop.index:
        r = prop.loc[part.any_column]
        out.append(ctx.p("• " + t("key_part", lang, v=_pct_ci(r), n=int(r["n"]))))
    need_cols = [c for q in ind.of_kind("need") for c in q.option_columns()
                 if c in prop.index] if ind is not None else []
    if need_cols:
        top3 = prop.loc[need_cols].sort_values("estimate", ascending=False, kind="stable")[:3]
        sep = "；" if lang == "zh" else "; "
        items = sep.join(f"{k}. {_choice(data.variable_labels.get(str(c), str(c)))} "
                         f"{_pct_ci(r)}%" for k, (c, r) in enumerate(top3.iterrows(), start=1))
        out.append(ctx.p("• " + t("key_needs", lang, items=items)))
    if len(by_community) and np.isfinite(district):
        above = by_community[by_community["ci_low"] > district]
        below = by_community[by_community["ci_high"] < district]
        out.append(ctx.p("• " + t("key_comm", lang, above=len(above), below=len(below),
                                  k=len(by_community), d=f"{district:.1f}")))
        show = pd.concat([by_community.head(3), by_community.tail(3)]).drop_duplicates(
            "community_id")
        rows = []
        sae = "eblup" in show.columns
        for _, r in show.iterrows():
            mark = t("above", lang) if r["ci_low"] > district else (
                t("below", lang) if r["ci_high"] < district else t("not_diff", lang))
            model = [f"{r['eblup']:.1f} [{r['eblup_low']:.1f}, {r['eblup_high']:.1f}]"] \
                if sae else []
            rows.append([f"{r['name']}", _idx_ci(r), *model, int(r["n"]), mark])
        note = t("comm_note", lang, d=f"{district:.1f}")
        if sae:
            note += " " + t("sae_note", lang, aux=str(show["aux_columns"].iloc[0]))
        out += ctx.caption("table", t("t_comm", lang), note)
        head = [t("by_community", lang), t("index_ci", lang),
                *([t("eblup_ci", lang)] if sae else []), "n", t("vs_district", lang)]
        widths = [0.25, 0.22, 0.22, 0.08, 0.15] if sae else [0.35, 0.25, 0.1, 0.2]
        out.append(ctx.table_of(head, rows, widths))
    return out
