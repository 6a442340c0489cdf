"""Field maps and assignment sheets: one PDF the field team carries.

For each selected community, in sample order: an overview map (总图) of the whole
community (or of its segment when the community was split), then -- when that
overview is smaller than ``1:max_scale`` and so too small to walk with -- numbered
detail maps (分图): equal tiles over the area that has dwellings, each at a scale of
at least ``1:max_scale``, tiles without dwellings dropped, numbered in reading order
and indexed on the overview (which sample lines each shows); then the assignment
sheet pages (:mod:`fieldsurvey.reports.sheets`).

Scale. Each community is drawn in its own transverse Mercator (k = 1, centred on
its dwellings); page points = metres / (scale x 0.3528 mm). The scale bar is drawn
from the same numbers, so it matches the drawing exactly (the only error is the
projection's, < 1e-5 within a few km). :class:`PageInfo` keeps each page's frame so
callers (and the tests) can check positions and the bar.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from reportlab.pdfgen.canvas import Canvas

from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import InputError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.reports._geom import lonlat_to_local
from fieldsurvey.reports._inputs import Community, communities
from fieldsurvey.reports._layout import (
    PAPERS,
    MapFrame,
    ScaleBar,
    best_orientation,
    fit_map,
    nice_scale,
    page_boxes,
    plan_tiles,
)
from fieldsurvey.reports._mappage import MapPageSpec, draw_map_page, unplaced_lines
from fieldsurvey.reports._pdf import binary_streams
from fieldsurvey.reports._readers import (
    frame_fingerprint,
    read_boundaries_file,
    read_frame_file,
    read_layer_file,
    read_sample_file,
)
from fieldsurvey.reports.fonts import CJKFont, find_cjk_font
from fieldsurvey.reports.sheets import SheetContext, draw_sheets

__all__ = ["FieldMapsResult", "PageInfo", "draw_field_maps"]

LANGS = ("zh", "en")
_MIN_GAIN = 1.5  # a lone detail map must be at least this much larger in scale


@dataclass(frozen=True)
class PageInfo:
    """One page of the output: what it shows and, for maps, its geometry.

    Attributes
    ----------
    page
        1-based page number in the PDF.
    community_id
        The community the page belongs to.
    kind
        ``"overview"``, ``"detail"`` or ``"sheet"``.
    tile
        Detail map number (1-based) for detail pages, else None.
    frame
        Map placement and scale (map pages only).
    bar
        Scale bar drawn (map pages only).
    proj
        PROJ string of the local metric CRS the map is drawn in (map pages only).
    """

    page: int
    community_id: str
    kind: str
    tile: int | None = None
    frame: MapFrame | None = None
    bar: ScaleBar | None = None
    proj: str | None = None

    def to_page(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 lon/lat -> page points on this map page."""
        if self.frame is None or self.proj is None:
            raise ValueError("not a map page")
        tr = lonlat_to_local(self.proj)
        x, y = tr.transform(np.asarray(lon, float), np.asarray(lat, float))
        return self.frame.to_page(x, y)


@dataclass(frozen=True)
class FieldMapsResult:
    """What :func:`draw_field_maps` wrote."""

    path: Path
    pages: tuple[PageInfo, ...]
    font: CJKFont
    communities: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def page_count(self) -> int:
        """Number of pages in the PDF."""
        return len(self.pages)

    @property
    def font_message(self) -> str:
        """Which CJK font was used (embedded or the CID fallback), for the user."""
        return self.font.message


def _load(obj: Any, reader: Any) -> tuple[Any, str | None]:
    """A path is read with ``reader``; a result object (FrameResult, Boundaries) unwrapped."""
    if obj is None or isinstance(obj, pd.DataFrame):
        return obj, None
    if isinstance(obj, (str, os.PathLike)):
        return reader(obj), os.fspath(obj)
    inner = getattr(obj, "frame", None)
    if isinstance(inner, pd.DataFrame):
        fingerprint = getattr(obj, "fingerprint", None)
        if fingerprint:
            inner = inner.copy()
            inner.attrs["fingerprint"] = fingerprint
        return inner, None
    raise InputError("an input is neither a table nor a file path", got=type(obj).__name__,
                     hint="Pass a (Geo)DataFrame or the path of a file")


def draw_field_maps(
    frame: pd.DataFrame | str | os.PathLike[str],
    sample: pd.DataFrame | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    boundaries: Any = None,
    footprints: Any = None,
    roads: Any = None,
    compounds: Any = None,
    paper: str = "A4",
    lang: str = "zh",
    font: str | os.PathLike[str] | CJKFont | None = None,
    team: str = "",
    date: str | None = None,
    fingerprint: str | None = None,
    max_scale: int = 4000,
    sheets: bool = True,
    id_field: str = "community_id",
    name_field: str = "name",
    boundary_options: Any = None,
    progress: Progress | None = None,
) -> FieldMapsResult:
    """Write the field maps (总图, 分图) and assignment sheets of every sampled community.

    Parameters
    ----------
    frame
        The frame (GeoDataFrame/DataFrame with FRAME_COLUMNS, or a GeoParquet path).
    sample
        The sample (DataFrame with SAMPLE_COLUMNS, or a CSV/Parquet path). Only released
        rows are printed; unreleased reserve is hidden.
    out
        The PDF to write (atomically: no partial file is left on failure).
    boundaries
        Community polygons (GeoDataFrame, ``io.Boundaries`` or a vector file path) with
        ``id_field`` (and ``name_field``, used when the frame has no names). By default
        the polygons the frame was built on (kept beside a frame file, as read and
        corrected: CRS, encoding, GCJ-02); without any, the boundary is a hull of the
        community's dwellings (stray points left out), and every map says so.
    footprints, roads, compounds
        Optional building-footprint polygons (``building`` label column), road lines
        (``name`` label) and compound polygons (``name`` label), GeoDataFrames or vector
        file paths; matched to a community by its id column when they have one, else by
        location. Without compounds, each compound is the hull of its dwellings.
    paper
        ``"A4"`` or ``"A3"`` for the maps (sheets are always A4).
    lang
        ``"zh"`` or ``"en"`` for the printed words.
    font
        CJK font file, ``"STSong-Light"``, or a :class:`CJKFont`; default: discovered.
    team, date, fingerprint
        Title-block fields; ``date`` defaults to today, ``fingerprint`` to the frame's.
    max_scale
        Smallest scale (denominator) a walking map may have; larger areas get 分图.
    sheets
        Also print the assignment sheets.
    id_field, name_field
        Community id field of a boundaries table, and the name field of frame/boundaries.
    boundary_options
        :class:`~fieldsurvey.io.boundaries.BoundaryOptions` for reading a ``boundaries``
        file (the same options ``frame build`` takes: CRS, encoding, GCJ-02, fields).
    progress
        ``progress("maps", done, total)`` callback.

    Returns
    -------
    FieldMapsResult
        The path, one :class:`PageInfo` per page, the font used and notes.

    Raises
    ------
    InputError, ColumnError, CRSError
        For unreadable inputs, missing columns, sampled dwellings not in the frame, an
        unknown paper or language, an unusable font.
    """
    if Path(out).suffix and Path(out).suffix.lower() != ".pdf":
        raise InputError("the output is a PDF", file=str(out), field="--out",
                         expected="a name ending in .pdf", got=Path(out).suffix,
                         hint="Name the output .pdf")
    if paper not in PAPERS:
        raise InputError("unknown paper size", field="paper", expected=" or ".join(PAPERS),
                         got=repr(paper))
    if lang not in LANGS:
        raise InputError("unknown language", field="lang", expected="zh or en", got=repr(lang))
    if not 500 <= max_scale <= 1_000_000:
        raise InputError("the largest scale denominator for walking maps is out of range",
                         field="max_scale", expected="a number between 500 and 1,000,000 "
                         "(1:500 is a very detailed map, 1:10,000 a district overview)",
                         got=str(max_scale), hint="Use e.g. --max-scale 4000")
    max_scale = nice_scale(max_scale)
    cjk = font if isinstance(font, CJKFont) else find_cjk_font(font)
    frame_df, frame_file = _load(frame, read_frame_file)
    sample_df, sample_file = _load(sample, read_sample_file)
    if boundaries is None:
        boundaries = _frame_boundaries(frame, frame_df, frame_file)
    if boundary_options is not None and isinstance(boundaries, (str, os.PathLike)):
        from fieldsurvey.io.boundaries import read_boundaries

        bnd = read_boundaries(os.fspath(boundaries), boundary_options).frame
    else:
        bnd, _ = _load(boundaries, lambda p: read_boundaries_file(p, id_field))
    if boundaries is not None and not (isinstance(boundaries, pd.DataFrame)
                                       and id_field in boundaries.columns):
        id_field = "community_id"  # the readers name the id column community_id
    fp, _ = _load(footprints, lambda p: read_layer_file(p, "footprints"))
    rd, _ = _load(roads, lambda p: read_layer_file(p, "roads"))
    cp, _ = _load(compounds, lambda p: read_layer_file(p, "compounds"))
    name_field = _standard_name_field(name_field, frame_df, bnd, frame_file, boundary_options)
    ids, bundles = communities(frame_df, sample_df, boundaries=bnd, footprints=fp, roads=rd,
                               compounds=cp,
                               id_field=id_field, name_field=name_field, frame_file=frame_file,
                               sample_file=sample_file)
    ctx = SheetContext(
        font=cjk.name, lang=lang, team=team,
        date=date or _dt.date.today().isoformat(),
        fingerprint=(fingerprint or frame_fingerprint(frame_df, frame_file))[:16],
    )
    pages: list[PageInfo] = []
    notes: list[str] = []
    with atomic_path(out) as tmp, binary_streams():
        c = Canvas(str(tmp), invariant=1, pageCompression=1)
        c.setTitle("fieldsurvey field maps" if lang == "en" else "抽样地图与入户接触记录表")
        c.setAuthor("fieldsurvey")
        c.setCreator("fieldsurvey")
        c.setSubject(cjk.description)
        c.setKeywords(["fieldsurvey", "field maps", cjk.description])
        report(progress, "maps", 0, len(ids))
        for done, comm in enumerate(bundles, start=1):
            stray = _robust(comm)
            if comm.boundary_inferred:
                notes.append(f"community {comm.community_id}: no boundary given, "
                             "drew the convex hull of its dwellings"
                             + (f" (leaving out {stray} stray point(s))" if stray else ""))
            off = _off_map_lines(comm)
            if off:
                notes.append(f"community {comm.community_id}: sample line(s) "
                             f"{', '.join(map(str, off))} lie outside the community's boundary "
                             "(flagged in the frame's self-check) and are off the map; see the "
                             "assignment sheet")
            unplaced = unplaced_lines(comm)
            if unplaced:
                notes.append(f"community {comm.community_id}: sample line(s) "
                             f"{', '.join(map(str, unplaced))} have no coordinates and are "
                             "only on the assignment sheet")
            pages.extend(_community_pages(c, comm, ctx, paper, max_scale, len(pages), sheets))
            report(progress, "maps", done, len(ids))
        c.save()
    return FieldMapsResult(path=Path(out), pages=tuple(pages), font=cjk, communities=tuple(ids),
                           notes=tuple(notes))


def _standard_name_field(name_field: str, frame_df: pd.DataFrame, bnd: Any,
                         frame_file: str | None, boundary_options: Any) -> str:
    """``name`` when the named field was read as the standard ``name`` column.

    The boundary reader renames the field given as ``--name-field`` (or recognised) to
    ``name``: in boundaries read with ``boundary_options``, and in a frame built with it
    (the frame records which field it was).
    """
    if name_field == "name" or name_field in frame_df.columns or (
            bnd is not None and name_field in bnd.columns):
        return name_field
    if boundary_options is not None and getattr(boundary_options, "name_field", None) == name_field:
        return "name"
    if frame_file is not None:
        import json

        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(frame_file).metadata or {}
            meta = json.loads(schema.get(b"fieldsurvey", b"{}"))
        except (OSError, ValueError):
            return name_field
        if (meta.get("boundaries") or {}).get("fields", {}).get("name") == name_field:
            return "name"
    return name_field


def _frame_boundaries(frame: Any, frame_df: pd.DataFrame, frame_file: str | None) -> Any:
    """The polygons the frame was built on: kept with a built frame, or beside its file."""
    kept = getattr(frame, "boundaries", None)
    if kept is not None:
        return kept
    if frame_file is None:
        return None
    from fieldsurvey.frame.files import read_frame_boundaries

    return read_frame_boundaries(frame_file, frame_fingerprint(frame_df, frame_file))


_STRAY_M = 150.0  # a dwelling this far outside its community's polygon is a stray point


def _robust(comm: Community) -> int:
    """Mark the dwellings that may set the map's extent (``in_extent``).

    Returns how many in-focus dwellings were left out as stray points.

    With a boundary: the dwellings inside it (or within 150 m: digitising slack). Without
    one: those within Q3 + 3 IQR (at least 150 m) of the dwellings' median, and the
    drawn hull is made of those only. Flagged points are still drawn where they fall on
    the map; they never set its scale.
    """
    d = comm.dwellings
    x, y = d["x"].to_numpy(float), d["y"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y) & d["in_focus"].to_numpy(bool)
    if not comm.boundary_inferred and comm.boundary is not None:
        area = shapely.buffer(comm.boundary, _STRAY_M)
        inside = np.zeros(len(d), dtype=bool)
        inside[ok] = shapely.contains_xy(area, x[ok], y[ok])
    else:
        inside = ok.copy()
        if ok.sum() >= 4:
            mx, my = np.median(x[ok]), np.median(y[ok])
            dist = np.hypot(x - mx, y - my)
            q1, q3 = np.percentile(dist[ok], [25, 75])
            inside = ok & (dist <= max(q3 + 3 * (q3 - q1), _STRAY_M))
            if (ok & ~inside).any() and inside.any():
                hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x[inside],
                                                                                y[inside]])))
                comm.boundary = hull.buffer(15.0)
    if not inside.any():
        inside = ok
    d["in_extent"] = inside
    return int((ok & ~inside).sum())


def _off_map_lines(comm: Community) -> list[int]:
    """Sample lines whose dwelling was left out of the extent (stray, flagged points)."""
    d = comm.dwellings
    out = d.loc[d["in_focus"] & ~d["in_extent"], "dwelling_id"]
    s = comm.sample
    return [int(v) for v in s.loc[s["dwelling_id"].isin(set(out)), "line"]]


def _focus_extent(comm: Community) -> tuple[float, float, float, float]:
    """Extent to map: the boundary (or segment) and the dwellings that set the extent."""
    d = comm.dwellings[comm.dwellings["in_extent"]]
    if comm.segment is not None and len(d):
        geoms = [shapely.multipoints(d[["x", "y"]].to_numpy()).buffer(40.0)]
    else:
        geoms = [comm.boundary]
        if len(d):
            geoms.append(shapely.multipoints(d[["x", "y"]].to_numpy()))
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    pad = max(maxx - minx, maxy - miny, 50.0) * 0.04
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _dwelling_extent(comm: Community) -> tuple[float, float, float, float]:
    """Extent of the buildings and the dwellings that set the extent, padded 30 m."""
    d = comm.dwellings[comm.dwellings["in_extent"]]
    xy = d[["x", "y"]].to_numpy(float)
    minx, miny = xy.min(axis=0)
    maxx, maxy = xy.max(axis=0)
    if len(comm.buildings) and comm.footprints:
        b = shapely.bounds(comm.buildings)
        near = (b[:, 2] >= minx) & (b[:, 0] <= maxx) & (b[:, 3] >= miny) & (b[:, 1] <= maxy)
        if near.any():
            minx, miny = min(minx, b[near, 0].min()), min(miny, b[near, 1].min())
            maxx, maxy = max(maxx, b[near, 2].max()), max(maxy, b[near, 3].max())
    return (minx - 30.0, miny - 30.0, maxx + 30.0, maxy + 30.0)


def _community_pages(c: Canvas, comm: Community, ctx: SheetContext, paper: str,
                     max_scale: int, before: int, sheets: bool) -> list[PageInfo]:
    if "in_extent" not in comm.dwellings:
        _robust(comm)
    extent = _focus_extent(comm)
    land = best_orientation(extent, paper)
    size, box = page_boxes(paper, land)
    overview = fit_map(extent, box)
    tiles: tuple[tuple[float, float, float, float], ...] = ()
    if overview.scale > max_scale:
        tiles = tuple(_keep_tiles(comm, plan_tiles(_dwelling_extent(comm), box, max_scale)))
        if len(tiles) == 1 and fit_map(tiles[0], box).scale * _MIN_GAIN > overview.scale:
            tiles = ()  # one detail map hardly larger than the overview: not worth a page
    out: list[PageInfo] = []
    spec = MapPageSpec(page_size=size, frame=overview, tile=None, tiles=tiles,
                       overview_extent=overview.extent)
    bar = draw_map_page(c, comm, ctx, spec)
    out.append(PageInfo(before + 1, comm.community_id, "overview", None, overview, bar, comm.proj))
    for k, t in enumerate(tiles, start=1):
        mf = fit_map(t, box)
        spec = MapPageSpec(page_size=size, frame=mf, tile=k, tiles=tiles,
                           overview_extent=overview.extent)
        bar = draw_map_page(c, comm, ctx, spec)
        out.append(PageInfo(before + len(out) + 1, comm.community_id, "detail", k, mf, bar,
                            comm.proj))
    if sheets:
        n = draw_sheets(c, comm, ctx)
        for _ in range(n):
            out.append(PageInfo(before + len(out) + 1, comm.community_id, "sheet"))
    return out


def _keep_tiles(comm: Community, tiles: list[tuple[float, float, float, float]]
                ) -> list[tuple[float, float, float, float]]:
    """Drop detail tiles with nothing to walk.

    Open fields, water, tiles holding only a stray point (no dwelling in focus), and
    tiles without a released sample line (a page 分图N：无样本 sends nobody anywhere).
    """
    d = comm.dwellings[comm.dwellings["in_extent"]]
    x, y = d["x"].to_numpy(float), d["y"].to_numpy(float)
    placed = set(d["dwelling_id"]) if len(d) < len(comm.dwellings) else None
    s = comm.sample if placed is None else comm.sample[comm.sample["dwelling_id"].isin(placed)]
    sx, sy = s["x"].to_numpy(float), s["y"].to_numpy(float)
    keep = []
    for t in tiles:
        if np.any((x >= t[0]) & (x <= t[2]) & (y >= t[1]) & (y <= t[3])) and np.any(
                (sx >= t[0]) & (sx <= t[2]) & (sy >= t[1]) & (sy <= t[3])):
            keep.append(t)
    return keep
