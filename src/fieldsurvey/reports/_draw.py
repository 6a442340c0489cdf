"""Drawing primitives on a reportlab canvas: geometries, markers, scale bar, north arrow, text.

Everything takes page coordinates in points (or a :class:`~._layout.MapFrame` to map
local metres onto the page) and leaves the canvas graphics state as it found it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from fieldsurvey.reports._layout import MapFrame, ScaleBar

__all__ = [
    "MAIN_COLOR",
    "RESERVE_COLOR",
    "draw_lines",
    "draw_marker",
    "draw_markers",
    "draw_north_arrow",
    "draw_polygons",
    "draw_scale_bar",
    "fit_size",
    "text_fit",
]

MAIN_COLOR = colors.HexColor("#c62828")
RESERVE_COLOR = colors.HexColor("#1565c0")
BOUNDARY_COLOR = colors.HexColor("#6a1b9a")
BUILDING_FILL = colors.HexColor("#eeeeee")
BUILDING_STROKE = colors.HexColor("#616161")
COMPOUND_COLOR = colors.HexColor("#2e7d32")
ROAD_COLOR = colors.HexColor("#f5c77e")
DWELLING_COLOR = colors.HexColor("#9e9e9e")
SEGMENT_COLOR = colors.HexColor("#00838f")

Fill = Callable[[], None]


def fit_size(text: str, font: str, size: float, width: float, minimum: float = 4.0) -> float:
    """The largest font size <= ``size`` at which ``text`` fits in ``width`` points."""
    w = float(stringWidth(text, font, size))
    if w <= width or w == 0:
        return size
    return max(minimum, size * width / w)


def text_fit(c: Canvas, x: float, y: float, text: str, font: str, size: float, width: float,
             align: str = "left") -> None:
    """Draw one line of text shrunk to fit ``width`` (left, centre or right aligned)."""
    s = fit_size(text, font, size, width)
    c.setFont(font, s)
    if align == "centre":
        c.drawCentredString(x, y, text)
    elif align == "right":
        c.drawRightString(x, y, text)
    else:
        c.drawString(x, y, text)


def _ring(path: Any, coords: np.ndarray, mf: MapFrame) -> None:
    px, py = mf.to_page(coords[:, 0], coords[:, 1])
    path.moveTo(float(px[0]), float(py[0]))
    for a, b in zip(px[1:].tolist(), py[1:].tolist(), strict=True):
        path.lineTo(a, b)
    path.close()


def _polygons_of(geom: Any) -> list[Any]:
    if geom is None or shapely.is_empty(geom):
        return []
    t = shapely.get_type_id(geom)
    if t == 3:  # Polygon
        return [geom]
    if t in (6, 7):  # MultiPolygon, GeometryCollection
        return [g for part in shapely.get_parts(geom) for g in _polygons_of(part)]
    return []


def draw_polygons(c: Canvas, geoms: np.ndarray | list[Any], mf: MapFrame, *, stroke: Any,
                  fill: Any = None, width: float = 0.5, dash: tuple[float, ...] | None = None,
                  alpha: float = 1.0) -> None:
    """Draw (multi)polygons with holes as one path (even-odd fill)."""
    polys = [p for g in geoms for p in _polygons_of(g)]
    if not polys:
        return
    c.saveState()
    path = c.beginPath()
    for poly in polys:
        _ring(path, shapely.get_coordinates(shapely.get_exterior_ring(poly)), mf)
        for k in range(shapely.get_num_interior_rings(poly)):
            _ring(path, shapely.get_coordinates(shapely.get_interior_ring(poly, k)), mf)
    c.setStrokeColor(stroke)
    c.setLineWidth(width)
    c.setLineJoin(1)
    if dash:
        c.setDash(list(dash), 0)
    if fill is not None:
        c.setFillColor(fill)
        if alpha < 1:
            c.setFillAlpha(alpha)
    c.drawPath(path, stroke=1, fill=1 if fill is not None else 0, fillMode=0)
    c.restoreState()


def draw_lines(c: Canvas, geoms: np.ndarray | list[Any], mf: MapFrame, *, stroke: Any,
               width: float) -> None:
    """Draw (multi)line strings (and polygon outlines) as one path."""
    path = c.beginPath()
    n = 0
    for g in geoms:
        if g is None or shapely.is_empty(g):
            continue
        for part in shapely.get_parts(shapely.line_merge(shapely.boundary(g))
                                      if shapely.get_type_id(g) in (3, 6) else g):
            coords = shapely.get_coordinates(part)
            if len(coords) < 2:
                continue
            px, py = mf.to_page(coords[:, 0], coords[:, 1])
            path.moveTo(float(px[0]), float(py[0]))
            for a, b in zip(px[1:].tolist(), py[1:].tolist(), strict=True):
                path.lineTo(a, b)
            n += 1
    if not n:
        return
    c.saveState()
    c.setStrokeColor(stroke)
    c.setLineWidth(width)
    c.setLineCap(1)
    c.setLineJoin(1)
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()


def draw_dots(c: Canvas, px: np.ndarray, py: np.ndarray, radius: float, color: Any) -> None:
    """Many small filled squares in one path (fast for thousands of dwellings)."""
    if not len(px):
        return
    c.saveState()
    c.setFillColor(color)
    path = c.beginPath()
    d = 2 * radius
    for a, b in zip((px - radius).tolist(), (py - radius).tolist(), strict=True):
        path.rect(a, b, d, d)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def draw_marker(c: Canvas, x: float, y: float, label: str, *, reserve: bool, radius: float,
                font: str = "Helvetica-Bold") -> None:
    """A numbered sample marker.

    Main sample a filled red disc, released reserve a blue square outline with blue number (they
    must read differently in black-and-white too).
    """
    c.saveState()
    size = fit_size(label, font, radius * 1.25, radius * 1.7, minimum=3.0)
    if reserve:
        c.setFillColor(colors.white)
        c.setStrokeColor(RESERVE_COLOR)
        c.setLineWidth(1.1)
        c.rect(x - radius, y - radius, 2 * radius, 2 * radius, stroke=1, fill=1)
        c.setFillColor(RESERVE_COLOR)
    else:
        c.setFillColor(MAIN_COLOR)
        c.setStrokeColor(colors.white)
        c.setLineWidth(0.6)
        c.circle(x, y, radius, stroke=1, fill=1)
        c.setFillColor(colors.white)
    c.setFont(font, size)
    c.drawCentredString(x, y - size * 0.35, label)
    c.restoreState()


def draw_markers(c: Canvas, xs: np.ndarray, ys: np.ndarray, labels: list[str],
                 reserve: np.ndarray, *, radius: float, font: str = "Helvetica-Bold") -> None:
    """Many numbered markers at once (same look as :func:`draw_marker`).

    One path per style and one text object for all numbers: a page with hundreds of
    markers costs a few milliseconds instead of one graphics state per marker.
    """
    if not len(xs):
        return
    c.saveState()
    for is_reserve in (False, True):
        idx = np.flatnonzero(reserve == is_reserve)
        if not len(idx):
            continue
        path = c.beginPath()
        for i in idx:
            if is_reserve:
                path.rect(float(xs[i]) - radius, float(ys[i]) - radius, 2 * radius, 2 * radius)
            else:
                path.circle(float(xs[i]), float(ys[i]), radius)
        if is_reserve:
            c.setFillColor(colors.white)
            c.setStrokeColor(RESERVE_COLOR)
            c.setLineWidth(1.1)
        else:
            c.setFillColor(MAIN_COLOR)
            c.setStrokeColor(colors.white)
            c.setLineWidth(0.6)
        c.drawPath(path, stroke=1, fill=1)
        t = c.beginText()
        t.setFillColor(RESERVE_COLOR if is_reserve else colors.white)
        current = None
        for i in idx:
            label = labels[i]
            size = fit_size(label, font, radius * 1.25, radius * 1.7, minimum=3.0)
            if size != current:
                t.setFont(font, size)
                current = size
            w = stringWidth(label, font, size)
            t.setTextOrigin(float(xs[i]) - w / 2, float(ys[i]) - size * 0.35)
            t.textOut(label)
        c.drawText(t)
    c.restoreState()


def draw_north_arrow(c: Canvas, x: float, y: float, size: float, font: str, label: str) -> None:
    """A north arrow with its tip at (x, y + size) (grid north of the local projection)."""
    c.saveState()
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.6)
    half = size * 0.32
    p = c.beginPath()
    p.moveTo(x, y + size)
    p.lineTo(x - half, y)
    p.lineTo(x, y + size * 0.28)
    p.close()
    c.setFillColor(colors.black)
    c.drawPath(p, stroke=1, fill=1)
    q = c.beginPath()
    q.moveTo(x, y + size)
    q.lineTo(x + half, y)
    q.lineTo(x, y + size * 0.28)
    q.close()
    c.setFillColor(colors.white)
    c.drawPath(q, stroke=1, fill=1)
    c.setFillColor(colors.black)
    c.setFont(font, size * 0.42)
    c.drawCentredString(x, y + size + 2, label)
    c.restoreState()


def draw_scale_bar(c: Canvas, x: float, y: float, bar: ScaleBar, scale: int, font: str,
                   scale_word: str) -> None:
    """Alternating black/white bar of ``bar.points`` length with metre ticks and 1:scale."""
    c.saveState()
    h = 1.6 * mm
    seg = bar.points / bar.parts
    c.setLineWidth(0.5)
    c.setStrokeColor(colors.black)
    for i in range(bar.parts):
        c.setFillColor(colors.black if i % 2 == 0 else colors.white)
        c.rect(x + i * seg, y, seg, h, stroke=1, fill=1)
    c.setFillColor(colors.black)
    c.setFont("Helvetica", 6.5)
    for i in (0, bar.parts // 2, bar.parts) if bar.parts % 2 == 0 else (0, bar.parts):
        val = bar.metres * i / bar.parts
        txt = f"{val:g}"
        c.drawCentredString(x + i * seg, y + h + 1.5, txt)
    c.drawString(x + bar.points + 4, y + 0.2, "m")
    c.setFont(font, 7.5)
    c.drawString(x, y - 9, f"{scale_word} 1:{scale:,}")
    c.restoreState()
