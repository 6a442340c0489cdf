"""Draw one field-map page (总图 or 分图): title block, map, legend, scale bar, north arrow.

Layer order, bottom to top: roads, compounds, buildings, dwelling points, boundary,
detail-map grid, sampled dwellings as numbered markers (main sample red discs,
released reserve blue squares; unreleased reserve never reaches this module).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from fieldsurvey.reports import _draw as d
from fieldsurvey.reports._inputs import Community
from fieldsurvey.reports._labels import text
from fieldsurvey.reports._layout import (
    FOOT_H,
    MARGIN,
    MapFrame,
    ScaleBar,
    fit_map,
    place_markers,
    scale_bar,
)
from fieldsurvey.reports.sheets import SheetContext

__all__ = ["MapPageSpec", "draw_map_page", "tile_lines", "unplaced_lines"]

MARKER_R = 2.3 * mm
_BAR_MAX = 45 * mm


@dataclass(frozen=True)
class MapPageSpec:
    """One map page to draw: the frame, and where it sits among the community's maps."""

    page_size: tuple[float, float]
    frame: MapFrame
    tile: int | None  # None for the overview, else 1-based detail number
    tiles: tuple[tuple[float, float, float, float], ...]  # all detail extents (metres)
    overview_extent: tuple[float, float, float, float]


def tile_lines(comm: Community, tiles: tuple[tuple[float, float, float, float], ...]
               ) -> list[list[int]]:
    """Sample line numbers falling in each detail map (first tile wins on shared edges)."""
    x, y = comm.sample["x"].to_numpy(float), comm.sample["y"].to_numpy(float)
    taken = np.zeros(len(x), dtype=bool)
    out = []
    for t in tiles:
        inside = (~taken) & (x >= t[0]) & (x <= t[2]) & (y >= t[1]) & (y <= t[3])
        taken |= inside
        out.append(sorted(int(v) for v in comm.sample["line"].to_numpy()[inside]))
    return out


def unplaced_lines(comm: Community) -> list[int]:
    """Sample lines whose dwelling has no coordinates (listed on the sheet, not on the map)."""
    xy = comm.sample[["x", "y"]].to_numpy(float)
    bad = ~np.isfinite(xy).all(axis=1)
    return [int(v) for v in comm.sample["line"].to_numpy()[bad]]


def _title(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec, scale: int) -> None:
    w, h = spec.page_size
    lang, font = ctx.lang, ctx.font
    top = h - MARGIN
    if spec.tile is None:
        kind = text("overview", lang)
    else:
        kind = f"{text('detail', lang)} {spec.tile}/{len(spec.tiles)}"
    box_w = 34 * mm
    c.setStrokeColor(colors.black)
    c.setLineWidth(1)
    c.rect(w - MARGIN - box_w, top - 12 * mm, box_w, 11 * mm, stroke=1, fill=0)
    d.text_fit(c, w - MARGIN - box_w / 2, top - 8.5 * mm, kind, font, 14, box_w - 4,
               align="centre")
    title = f"{comm.name}  {text('map_title', lang)}"
    d.text_fit(c, MARGIN, top - 7.5 * mm, title, font, 16, w - 2 * MARGIN - box_w - 4 * mm)
    fields = [
        (text("street", lang), comm.street or "—"),
        (text("code", lang), comm.community_id),
        (text("type", lang), comm.ctype or "—"),
        (text("segment", lang), comm.segment or text("none", lang)),
        (text("team", lang), ctx.team or "—"),
        (text("date", lang), ctx.date),
        (text("scale", lang), f"1:{scale:,}"),
        (text("fingerprint", lang), ctx.fingerprint),
    ]
    sep = "：" if lang == "zh" else ": "
    line = "   ".join(f"{k}{sep}{v}" for k, v in fields)
    d.text_fit(c, MARGIN, top - 15.5 * mm, line, font, 8.5, w - 2 * MARGIN)


def _visible(geoms: np.ndarray, ext: tuple[float, float, float, float]) -> np.ndarray:
    if not len(geoms):
        return geoms
    b = shapely.bounds(geoms)
    keep = (b[:, 0] <= ext[2]) & (b[:, 2] >= ext[0]) & (b[:, 1] <= ext[3]) & (b[:, 3] >= ext[1])
    out: np.ndarray = geoms[keep]
    return out


def _map_body(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec) -> None:
    mf = spec.frame
    ext = mf.extent
    x0, y0, bw, bh = mf.box
    c.saveState()
    clip = c.beginPath()
    clip.rect(x0, y0, bw, bh)
    c.clipPath(clip, stroke=0, fill=0)
    # roads: casing then fill
    roads = _visible(comm.roads, ext)
    if len(roads):
        d.draw_lines(c, roads, mf, stroke=colors.HexColor("#9e9e9e"), width=5.2)
        d.draw_lines(c, roads, mf, stroke=d.ROAD_COLOR, width=4.0)
    d.draw_polygons(c, _visible(comm.compounds, ext), mf, stroke=d.COMPOUND_COLOR,
                    fill=colors.HexColor("#e8f5e9"), width=0.7, dash=(3, 2))
    buildings = _visible(comm.buildings, ext)
    area = comm.segment_area
    if area is not None and len(buildings):  # buildings of other segments: faded
        inside = shapely.intersects(buildings, area)
        d.draw_polygons(c, buildings[~inside], mf, stroke=colors.HexColor("#bdbdbd"),
                        fill=colors.HexColor("#f7f7f7"), width=0.4)
        buildings = buildings[inside]
    d.draw_polygons(c, buildings, mf, stroke=d.BUILDING_STROKE, fill=d.BUILDING_FILL, width=0.5)
    dw = comm.dwellings
    xy = dw[["x", "y"]].to_numpy(float)
    inview = ((xy[:, 0] >= ext[0]) & (xy[:, 0] <= ext[2])
              & (xy[:, 1] >= ext[1]) & (xy[:, 1] <= ext[3]))
    focus = dw["in_focus"].to_numpy(bool)
    layers = ((inview & ~focus, colors.HexColor("#d7ccc8")), (inview & focus, d.DWELLING_COLOR))
    for mask, color in layers:
        pts = np.unique(np.round(xy[mask], 1), axis=0) if mask.any() else np.empty((0, 2))
        px, py = mf.to_page(pts[:, 0], pts[:, 1])
        d.draw_dots(c, px, py, 0.7, color)
    if area is not None:
        d.draw_polygons(c, [area], mf, stroke=d.SEGMENT_COLOR, width=1.4, dash=(2, 2))
    dash = (6, 3) if comm.boundary_inferred else (8, 2, 1.5, 2)
    d.draw_polygons(c, [comm.boundary], mf, stroke=d.BOUNDARY_COLOR, width=1.6, dash=dash)
    # labels: compounds, roads, buildings
    _labels(c, comm, ctx, mf)
    if spec.tiles:
        _tile_grid(c, spec, mf)
    _markers(c, comm, mf)
    c.restoreState()
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.9)
    c.rect(x0, y0, bw, bh, stroke=1, fill=0)


def _labels(c: Canvas, comm: Community, ctx: SheetContext, mf: MapFrame) -> None:
    font = ctx.font
    c.saveState()
    if len(comm.compounds):
        c.setFillColor(d.COMPOUND_COLOR)
        for poly, label in zip(comm.compounds, comm.compound_labels, strict=True):
            if not label:
                continue
            b = shapely.bounds(poly)
            px, py = mf.to_page((b[0] + b[2]) / 2, b[3])
            c.setFont(font, 7.5)
            c.drawCentredString(float(px), float(py) + 2, str(label))
    if len(comm.roads):
        c.setFillColor(colors.HexColor("#5d4037"))
        for line, label in zip(comm.roads, comm.road_labels, strict=True):
            if not label:
                continue
            pt = shapely.line_interpolate_point(line, 0.5, normalized=True)
            px, py = mf.to_page(shapely.get_x(pt), shapely.get_y(pt))
            c.setFont(font, 7)
            c.drawCentredString(float(px), float(py) - 2.5, str(label))
    if len(comm.buildings):
        # building numbers just above each building, where sample markers rarely sit
        b = shapely.bounds(comm.buildings)
        px, py = mf.to_page((b[:, 0] + b[:, 2]) / 2, b[:, 3])
        c.setFillColor(colors.HexColor("#212121"))
        c.setFont(font, 6.5)
        for a, y, label in zip(px.tolist(), py.tolist(), comm.building_labels, strict=True):
            if label:
                c.drawCentredString(a, y + 1.5, str(label))
    c.restoreState()


def _tile_grid(c: Canvas, spec: MapPageSpec, mf: MapFrame) -> None:
    c.saveState()
    c.setStrokeColor(colors.HexColor("#ef6c00"))
    c.setFillColor(colors.HexColor("#ef6c00"))
    c.setLineWidth(1.0)
    c.setDash([5, 3], 0)
    for k, t in enumerate(spec.tiles, start=1):
        if spec.tile is not None and k != spec.tile:
            continue  # a detail map outlines only its own tile
        (ax, bx), (ay, by) = mf.to_page(np.array([t[0], t[2]]), np.array([t[1], t[3]]))
        c.rect(float(ax), float(ay), float(bx - ax), float(by - ay), stroke=1, fill=0)
        c.setFont("Helvetica-Bold", 13)
        c.drawString(float(ax) + 3, float(by) - 14, str(k))
    c.restoreState()


def _markers(c: Canvas, comm: Community, mf: MapFrame) -> None:
    s = comm.sample
    if not len(s):
        return
    px, py = mf.to_page(s["x"].to_numpy(float), s["y"].to_numpy(float))
    anchors = np.column_stack([px, py])
    ok = np.isfinite(anchors).all(axis=1)
    pos = np.full_like(anchors, np.nan)
    pos[ok] = place_markers(anchors[ok], MARKER_R)
    c.saveState()
    c.setStrokeColor(colors.HexColor("#424242"))
    c.setLineWidth(0.5)
    for i in np.flatnonzero(ok):
        if abs(pos[i, 0] - anchors[i, 0]) + abs(pos[i, 1] - anchors[i, 1]) > 0.5:
            c.line(float(anchors[i, 0]), float(anchors[i, 1]), float(pos[i, 0]), float(pos[i, 1]))
            c.circle(float(anchors[i, 0]), float(anchors[i, 1]), 0.9, stroke=1, fill=0)
    c.restoreState()
    keep = np.flatnonzero(ok)
    labels = [str(int(v)) for v in s["line"].to_numpy()[keep]]
    d.draw_markers(c, pos[keep, 0], pos[keep, 1], labels, s["reserve"].to_numpy(bool)[keep],
                   radius=MARKER_R)


def _north_and_bar(c: Canvas, ctx: SheetContext, mf: MapFrame) -> ScaleBar:
    x0, y0, bw, bh = mf.box
    c.saveState()
    c.setFillColor(colors.white)
    c.setFillAlpha(0.85)
    c.rect(x0 + bw - 16 * mm, y0 + bh - 17 * mm, 16 * mm - 1, 17 * mm - 1, stroke=0, fill=1)
    c.restoreState()
    d.draw_north_arrow(c, x0 + bw - 8 * mm, y0 + bh - 14 * mm, 9 * mm, ctx.font,
                       text("north", ctx.lang))
    bar = scale_bar(mf.metres_per_point, _BAR_MAX)
    c.saveState()
    c.setFillColor(colors.white)
    c.setFillAlpha(0.85)
    c.rect(x0 + 1, y0 + 1, bar.points + 12 * mm, 11 * mm, stroke=0, fill=1)
    c.restoreState()
    d.draw_scale_bar(c, x0 + 4 * mm, y0 + 5.5 * mm, bar, mf.scale, ctx.font,
                     text("scale", ctx.lang))
    return bar


def _legend(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec) -> None:
    lang, font = ctx.lang, ctx.font
    w, _ = spec.page_size
    top = MARGIN + FOOT_H - 2 * mm
    if comm.boundary_inferred:
        c.setFillColor(colors.HexColor("#b71c1c"))
        d.text_fit(c, MARGIN, top - 3 * mm, text("hull_note", lang), font, 7.5, w - 2 * MARGIN)
        top -= 4.5 * mm
    unplaced = unplaced_lines(comm)
    if unplaced:
        c.setFillColor(colors.HexColor("#b71c1c"))
        d.text_fit(c, MARGIN, top - 3 * mm, text("no_coords", lang, lines=", ".join(
            map(str, unplaced))), font, 7.5, w - 2 * MARGIN)
        top -= 4.5 * mm
    c.setFillColor(colors.black)
    items = ["boundary", "building", "dwelling", "main", "reserve"]
    if len(comm.compounds):
        items.insert(1, "compound")
    if len(comm.roads):
        items.insert(items.index("dwelling"), "road")
    if spec.tile is None and spec.tiles:
        items.append("tile")
    if comm.segment_area is not None:
        items += ["segment_area", "other_segment"]
    legend_w = (w - 2 * MARGIN) * (0.64 if spec.tile is None and spec.tiles else 1.0)
    cols = 3 if legend_w < 150 * mm else 4
    col_w = legend_w / cols
    row_h = 5.2 * mm
    for k, key in enumerate(items):
        r, col = divmod(k, cols)
        x = MARGIN + col * col_w
        y = top - (r + 1) * row_h + 1.5 * mm
        _legend_symbol(c, key, comm, x, y)
        label = {"boundary": "hull_boundary" if comm.boundary_inferred else "boundary",
                 "building": "building" if comm.footprints else "building_group"}.get(key, key)
        c.setFillColor(colors.black)
        d.text_fit(c, x + 10 * mm, y - 1, text(label, lang), font, 7.5, col_w - 11 * mm)
    if spec.tile is None and spec.tiles:
        _index(c, comm, ctx, spec, MARGIN + legend_w + 2 * mm, top, w - MARGIN)


def _legend_symbol(c: Canvas, key: str, comm: Community, x: float, y: float) -> None:
    c.saveState()
    if key == "boundary":
        c.setStrokeColor(d.BOUNDARY_COLOR)
        c.setLineWidth(1.6)
        c.setDash([6, 3] if comm.boundary_inferred else [8, 2, 1.5, 2], 0)
        c.line(x, y + 1.5, x + 8 * mm, y + 1.5)
    elif key == "compound":
        c.setStrokeColor(d.COMPOUND_COLOR)
        c.setFillColor(colors.HexColor("#e8f5e9"))
        c.setDash([3, 2], 0)
        c.rect(x, y - 1, 8 * mm, 2.6 * mm, stroke=1, fill=1)
    elif key == "building":
        c.setStrokeColor(d.BUILDING_STROKE)
        c.setFillColor(d.BUILDING_FILL)
        c.rect(x + 1.5 * mm, y - 1, 5 * mm, 2.6 * mm, stroke=1, fill=1)
    elif key == "road":
        c.setStrokeColor(d.ROAD_COLOR)
        c.setLineWidth(4)
        c.line(x, y + 1.5, x + 8 * mm, y + 1.5)
    elif key == "dwelling":
        c.setFillColor(d.DWELLING_COLOR)
        c.rect(x + 4 * mm - 1.2, y + 0.3, 2.4, 2.4, stroke=0, fill=1)
    elif key == "segment_area":
        c.setStrokeColor(d.SEGMENT_COLOR)
        c.setLineWidth(1.4)
        c.setDash([2, 2], 0)
        c.rect(x, y - 1, 8 * mm, 2.6 * mm, stroke=1, fill=0)
    elif key == "other_segment":
        c.setFillColor(colors.HexColor("#d7ccc8"))
        c.rect(x + 4 * mm - 1.2, y + 0.3, 2.4, 2.4, stroke=0, fill=1)
    elif key == "tile":
        c.setStrokeColor(colors.HexColor("#ef6c00"))
        c.setDash([5, 3], 0)
        c.rect(x, y - 1, 8 * mm, 2.6 * mm, stroke=1, fill=0)
    c.restoreState()
    if key in ("main", "reserve"):
        d.draw_marker(c, x + 4 * mm, y + 1.5, "1" if key == "main" else "2",
                      reserve=key == "reserve", radius=MARKER_R * 0.8)


def _index(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec, x: float,
           top: float, right: float) -> None:
    """The index of detail maps: which sample lines each 分图 shows."""
    lang, font = ctx.lang, ctx.font
    entries = []
    for n, lines in enumerate(tile_lines(comm, spec.tiles), start=1):
        if lines:
            entries.append(text("index_entry", lang, n=n, lines=", ".join(map(str, lines))))
        else:
            entries.append(text("index_empty", lang, n=n))
    body = f"<b>{text('index', lang)}</b>  " + ("；" if lang == "zh" else "; ").join(entries)
    height = top - MARGIN
    for size in (7.5, 7, 6.5, 6, 5.5, 5, 4.5, 4):
        style = ParagraphStyle("idx", fontName=font, fontSize=size, leading=size * 1.25,
                               wordWrap="CJK")
        para = Paragraph(body, style)
        _, ph = para.wrapOn(c, right - x, height)
        if ph <= height:
            break
    para.drawOn(c, x, top - ph)


def _locator(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec) -> None:
    """A small inset (top-left of the map) placing this 分图 within the community."""
    x0, y0, bw, bh = spec.frame.box
    ow = spec.overview_extent[2] - spec.overview_extent[0]
    oh = spec.overview_extent[3] - spec.overview_extent[1]
    size = 32 * mm
    iw, ih = (size, size * oh / ow) if ow >= oh else (size * ow / oh, size)
    box = (x0 + 2 * mm, y0 + bh - ih - 2 * mm, iw, ih)
    inset = fit_map(spec.overview_extent, box, min_scale=1)
    c.saveState()
    c.setFillColor(colors.white)
    c.setStrokeColor(colors.black)
    c.setLineWidth(0.6)
    c.rect(*box, stroke=1, fill=1)
    d.draw_polygons(c, [comm.boundary], inset, stroke=d.BOUNDARY_COLOR, width=0.7)
    for k, t in enumerate(spec.tiles, start=1):
        poly = shapely.box(*t)
        fill = colors.HexColor("#ffcc80") if k == spec.tile else None
        d.draw_polygons(c, [poly], inset, stroke=colors.HexColor("#ef6c00"), fill=fill, width=0.5)
    c.setFillColor(colors.black)
    c.setFont(ctx.font, 6.5)
    c.drawString(box[0] + 1.5, box[1] + 1.5, text("locator", ctx.lang))
    c.restoreState()


def draw_map_page(c: Canvas, comm: Community, ctx: SheetContext, spec: MapPageSpec) -> ScaleBar:
    """Draw one map page and end it; return the scale bar drawn (for checks and tests)."""
    c.setPageSize(spec.page_size)
    _title(c, comm, ctx, spec, spec.frame.scale)
    _map_body(c, comm, ctx, spec)
    if spec.tile is not None:
        _locator(c, comm, ctx, spec)
    bar = _north_and_bar(c, ctx, spec.frame)
    _legend(c, comm, ctx, spec)
    c.showPage()
    return bar

