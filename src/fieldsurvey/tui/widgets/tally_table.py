"""Rows of the tally screen: rates and indicator figures as text, small groups greyed."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.text import Text

__all__ = ["TEXT", "fmt_ci", "fmt_pct", "indicator_rows", "rate_rows", "tx"]

#: The screen's words (zh, en).
TEXT: dict[str, tuple[str, str]] = {
    "title": ("调查进度与指标", "Tally: participation and indicators"),
    "rates": ("应答（AAPOR）", "Survey participation (AAPOR)"),
    "by_community": ("按社区", "by community"),
    "by_interviewer": ("按访员", "by interviewer"),
    "all": ("全部", "All"),
    "group": ("组", "Group"),
    "done": ("完成", "Done"),
    "unweighted": ("未加权", "unweighted"),
    "design": ("设计加权（基础×Kish）", "design-weighted (base x Kish)"),
    "final": ("最终权数", "final weights"),
    "indicator": ("指标", "Indicator"),
    "index": ("指数[95%CI]", "Index [95% CI]"),
    "top2": ("满意%", "Top-2 %"),
    "share": ("比例%[95%CI]", "Share % [95% CI]"),
    "mean": ("均值", "Mean"),
    "small": ("灰色：完成少于 {k} 份", "grey: fewer than {k} completes"),
    "keys": ("g 分组  w 权数  i 指标  s 排序  r 刷新  Esc 返回",
             "g group  w weights  i item  s sort  r refresh  Esc back"),
    "device": ("仅本设备的 {n} 户，非全调查", "this device: {n}"),
    "composite": ("综合满意度指数", "Composite satisfaction index"),
    "any": ("参加过至少一项", "Took part in any"),
    "loading": ("计算中…", "Computing…"),
    "none": ("问卷没有声明指标", "The questionnaire declares no indicators"),
}


def tx(key: str, lang: str, **fmt: Any) -> str:
    """The screen text ``key`` in ``lang``."""
    zh, en = TEXT[key]
    s = zh if lang == "zh" else en
    return s.format(**fmt) if fmt else s


def fmt_pct(v: Any) -> str:
    """``"74.3"`` from 0.743 ("—" when missing)."""
    return "—" if v is None or not math.isfinite(float(v)) else f"{100 * float(v):.1f}"


def fmt_ci(est: Any, lo: Any, hi: Any, scale: float = 1.0) -> str:
    """``"73.7 [69.7,77.6]"``."""
    vals = [float(x) * scale for x in (est, lo, hi)]
    if not all(math.isfinite(v) for v in vals):
        return "—"
    return f"{vals[0]:.1f} [{vals[1]:.1f},{vals[2]:.1f}]"


def _cell(text: str, dim: bool) -> Text:
    return Text(text, style="dim" if dim else "")


def rate_rows(rates: pd.DataFrame, by: str, names: dict[str, str], completes: dict[str, int],
              min_completes: int, lang: str, sort: int = 0) -> list[list[Text]]:
    """Rows: group, n, I, RR1, RR3, COOP1, REF1, CON1 (overall first; ``sort`` = column)."""
    cols = ("RR1", "RR3", "COOP1", "REF1", "CON1")
    body: list[tuple[bool, str, list[float]]] = []
    for rec in rates[rates["by"] == by].to_dict(orient="records"):
        g = str(rec["group"])
        dim = by == "community_id" and completes.get(g, 0) < min_completes
        label = names.get(g, g) if by == "community_id" else g
        body.append((dim, label, [float(rec[c]) for c in ("n", "I", *cols)]))
    if sort:
        body.sort(key=lambda x: -x[2][sort - 1] if math.isfinite(x[2][sort - 1]) else math.inf)
    overall = rates[rates["by"] == "all"].to_dict(orient="records")[0]
    rows = [[_cell(tx("all", lang), False), _cell(str(int(overall["n"])), False),
             _cell(str(int(overall["I"])), False),
             *(_cell(fmt_pct(overall[c]), False) for c in cols)]]
    for dim, label, vals in body:
        rows.append([_cell(label[:10], dim), _cell(str(int(vals[0])), dim),
                     _cell(str(int(vals[1])), dim), *(_cell(fmt_pct(v), dim) for v in vals[2:])])
    return rows


def indicator_rows(est: pd.DataFrame, variable: str, weighting: str, names: dict[str, str],
                   completes: dict[str, int], min_completes: int, lang: str,
                   sort: int = 0) -> list[list[Text]]:
    """Rows for one indicator: the district, then each community (small ones greyed)."""
    e = est[(est["variable"] == variable) & (est["weighting"] == weighting)]
    stat = "index" if (e["statistic"] == "index").any() else "prop"
    e = e[(e["statistic"] == stat) & ((stat == "index") | (e["level"].astype(str) == "1"))]
    scale = 1.0 if stat == "index" else 100.0
    top = est[(est["variable"] == variable) & (est["weighting"] == weighting)
              & (est["statistic"] == "top2box")]
    top_by = dict(zip(top["community_id"].astype(str), top["estimate"], strict=True))
    rows: list[tuple[bool, list[Any]]] = []
    for rec in e.to_dict(orient="records"):
        cid = str(rec["community_id"])
        dim = bool(cid) and completes.get(cid, 0) < min_completes
        label = tx("all", lang) if not cid else names.get(cid, cid)
        rows.append((dim, [label, fmt_ci(rec["estimate"], rec["ci_low"], rec["ci_high"], scale),
                           fmt_pct(top_by.get(cid, float("nan"))), int(rec["n"]),
                           float(rec["estimate"])]))
    head, body = rows[:1], rows[1:]
    if sort == 1:
        body.sort(key=lambda x: -x[1][4])
    elif sort == 2:
        body.sort(key=lambda x: x[1][3])
    return [[_cell(str(v[0])[:10], d), _cell(v[1], d), _cell(v[2], d), _cell(str(v[3]), d)]
            for d, v in head + body]
