"""Charts of the analysis report, drawn with reportlab's own graphics (vector, CJK labels).

reportlab.graphics is used rather than matplotlib: the charts are plain bars with
interval whiskers, the PDF stays vector with the same embedded CJK font as the text, and
no second plotting stack (nor its font configuration) is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = ["BarRow", "hbar_chart", "histogram"]

BAR = colors.HexColor("#4f81bd")
AXIS = colors.HexColor("#616161")
GRID = colors.HexColor("#e0e0e0")

#: (label, estimate, ci_low, ci_high); the interval may be NaN (not drawn).
BarRow = tuple[str, float, float, float]


def _fit(label: str, font: str, size: float, width: float) -> str:
    if stringWidth(label, font, size) <= width:
        return label
    while label and stringWidth(label + "…", font, size) > width:
        label = label[:-1]
    return label + "…"


def _ticks(vmax: float) -> list[float]:
    step = 10 ** math.floor(math.log10(vmax))
    for f in (1, 2, 2.5, 5, 10):
        if vmax / (f * step) <= 5:
            step = f * step
            break
    return [i * step for i in range(int(vmax / step + 1e-9) + 1)]


def hbar_chart(rows: Sequence[BarRow], *, width: float, font: str, vmax: float = 100.0,
               fmt: str = "{:.1f}", label_frac: float = 0.42, row_h: float = 13.0,
               axis_label: str = "") -> Drawing:
    """Horizontal bars (one per row, top to bottom) with CI whiskers and value labels."""
    label_w = width * label_frac
    plot_w = width - label_w - 34
    top_pad, bottom_pad = 4.0, 22.0
    h = bottom_pad + top_pad + row_h * len(rows)
    d = Drawing(width, h)
    x0 = label_w + 4

    def sx(v: float) -> float:
        return x0 + plot_w * max(0.0, min(v, vmax)) / vmax

    for t in _ticks(vmax):
        d.add(Line(sx(t), bottom_pad, sx(t), h - top_pad, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(sx(t), bottom_pad - 9, f"{t:g}", fontName="Helvetica", fontSize=6.5,
                     textAnchor="middle", fillColor=AXIS))
    if axis_label:
        d.add(String(x0 + plot_w / 2, 2, axis_label, fontName=font, fontSize=7,
                     textAnchor="middle", fillColor=AXIS))
    for i, (label, est, lo, hi) in enumerate(rows):
        y = h - top_pad - (i + 1) * row_h
        d.add(String(label_w, y + row_h * 0.3, _fit(label, font, 7.5, label_w - 2),
                     fontName=font, fontSize=7.5, textAnchor="end"))
        if not np.isfinite(est):
            continue
        d.add(Rect(x0, y + row_h * 0.18, sx(est) - x0, row_h * 0.64, fillColor=BAR,
                   strokeColor=None))
        right = sx(est)
        if np.isfinite(lo) and np.isfinite(hi):
            ym = y + row_h * 0.5
            d.add(Line(sx(lo), ym, sx(hi), ym, strokeColor=colors.black, strokeWidth=0.7))
            for v in (lo, hi):
                d.add(Line(sx(v), ym - 2.5, sx(v), ym + 2.5, strokeColor=colors.black,
                           strokeWidth=0.7))
            right = max(right, sx(hi))
        d.add(String(right + 3, y + row_h * 0.3, fmt.format(est), fontName="Helvetica",
                     fontSize=6.5))
    d.add(Line(x0, bottom_pad, x0, h - top_pad, strokeColor=AXIS, strokeWidth=0.7))
    return d


def histogram(values: np.ndarray, *, width: float, height: float, font: str, bins: int = 20,
              axis_label: str = "") -> Drawing:
    """Vertical bars of the distribution of ``values`` (counts per equal-width bin)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    d = Drawing(width, height)
    if not len(v):
        return d
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    left, bottom = 30.0, 22.0
    pw, ph = width - left - 8, height - bottom - 6
    cmax = max(int(counts.max()), 1)
    bw = pw / bins
    for t in _ticks(cmax):
        y = bottom + ph * t / cmax
        d.add(Line(left, y, left + pw, y, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(left - 3, y - 2, f"{t:g}", fontName="Helvetica", fontSize=6.5,
                     textAnchor="end", fillColor=AXIS))
    for k, c in enumerate(counts):
        if c:
            d.add(Rect(left + k * bw + 0.5, bottom, bw - 1, ph * c / cmax, fillColor=BAR,
                       strokeColor=None))
    for k in (0, bins // 2, bins):
        d.add(String(left + k * bw, bottom - 9, f"{edges[k]:,.4g}", fontName="Helvetica",
                     fontSize=6.5, textAnchor="middle", fillColor=AXIS))
    d.add(Line(left, bottom, left + pw, bottom, strokeColor=AXIS, strokeWidth=0.7))
    if axis_label:
        d.add(String(left + pw / 2, 2, axis_label, fontName=font, fontSize=7,
                     textAnchor="middle", fillColor=AXIS))
    return d
