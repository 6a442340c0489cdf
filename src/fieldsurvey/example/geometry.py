"""Geometry of the example district: outline, streets, communities, compounds, buildings.

Everything is built in local metres around the district centre and mapped to WGS 84
with an affine local tangent-plane approximation (metres per degree at the centre's
latitude), which keeps straight edges straight; over 10 km the scale error of that
approximation is far below anything a fictional map cares about.

* The outline is a star-shaped polygon (an ellipse with a few random harmonics).
* Streets are the Voronoi cells of six seeds laid out old town west, new town east;
  communities are Voronoi cells of seeds relaxed by Lloyd's algorithm inside their street,
  so they tile the street with roughly equal areas.
* The community polygons are made an exact coverage on the 1e-7 degree grid the files are
  written with: their boundaries are noded together on that grid and polygonized, so two
  neighbours share every vertex of their common edge (no slivers, no T-junctions).
* Compounds are Lloyd-relaxed Voronoi cells inside their community, shrunk for roads;
  buildings are rectangles on a rotated grid (row spacing from sunlight spacing) kept when
  inside the cell, the ones nearest the centre first; a compound's polygon is then the
  buffered hull of its buildings inside its cell.
* Dwellings are points inside their building: along the long axis by unit and door,
  across it by floor, plus a small jitter per unit, so no two dwellings share a point.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

__all__ = [
    "GRID",
    "LAT0",
    "LON0",
    "community_cells",
    "compound_cells",
    "dwelling_points",
    "exact_coverage",
    "place_buildings",
    "snap7",
    "snap_geoms",
    "to_lonlat",
    "xy_to_lonlat",
]

LON0, LAT0 = 117.26, 31.74  # centre of the fictional district (south-west of Hefei)
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))
GRID = 1e-7  # coordinate precision of the files (about 1 cm)

_HALF_AXES = (3900.0, 2900.0)  # outline half-axes in metres (about 35 km²)
#: street seeds in units of the half-axes: three old-town streets west, three new east
_STREET_SEEDS = (
    (-0.68, 0.42),
    (-0.68, -0.42),
    (-0.28, 0.0),
    (0.26, 0.5),
    (0.26, -0.5),
    (0.74, 0.0),
)


def xy_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map local metres to WGS 84 longitude and latitude."""
    return LON0 + np.asarray(x) / M_PER_DEG_LON, LAT0 + np.asarray(y) / M_PER_DEG_LAT


def _coords_to_lonlat(c: np.ndarray) -> np.ndarray:
    lon, lat = xy_to_lonlat(c[:, 0], c[:, 1])
    return np.column_stack([lon, lat])


def snap7(values: np.ndarray) -> np.ndarray:
    """Round to 7 decimals: the double nearest a 7-decimal number (NaN stays NaN).

    ``rint(x * 1e7)`` is an exact integer k and IEEE division is correctly rounded, so
    ``k / 1e7`` is the double nearest the decimal k·10⁻⁷: it prints with at most 7
    decimals and reads back as the same double.
    """
    return np.rint(np.asarray(values, dtype=float) * 1e7) / 1e7


def snap_geoms(geoms: np.ndarray) -> np.ndarray:
    """Round every coordinate of ``geoms`` to 7 decimals (see :func:`snap7`)."""
    snapped: np.ndarray = shapely.transform(geoms, snap7)
    return snapped


def to_lonlat(geoms: np.ndarray, *, snap: bool = True) -> np.ndarray:
    """Map geometries from local metres to WGS 84, rounded to the file grid when ``snap``."""
    out = shapely.transform(geoms, _coords_to_lonlat)
    return snap_geoms(out) if snap else out


def district_outline(rng: np.random.Generator) -> shapely.Polygon:
    """A star-shaped outline: an ellipse whose radius carries a few random harmonics."""
    n = 48
    phi = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False) + rng.uniform(-0.03, 0.03, n)
    harmonics = np.arange(2, 6)
    amp = rng.uniform(0.04, 0.09, len(harmonics)) / (harmonics - 1)
    phase = rng.uniform(0.0, 2.0 * np.pi, len(harmonics))
    r = 1.0 + (amp[:, None] * np.sin(harmonics[:, None] * phi + phase[:, None])).sum(axis=0)
    a, b = _HALF_AXES
    return shapely.Polygon(np.column_stack([a * r * np.cos(phi), b * r * np.sin(phi)]))


def points_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points inside ``poly`` (rejection from its bounding box)."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    found = np.empty((0, 2))
    while len(found) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(4 * n + 16, 2))
        found = np.vstack([found, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return found[:n]


def voronoi(points: np.ndarray, clip: shapely.Geometry) -> np.ndarray:
    """Voronoi cells of ``points`` (in their order) intersected with ``clip``."""
    if len(points) == 1:
        return np.array([clip], dtype=object)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=clip, ordered=True)
    cells: np.ndarray = shapely.intersection(shapely.get_parts(diagram), clip)
    return cells


def relaxed_cells(points: np.ndarray, clip: shapely.Geometry, iterations: int) -> np.ndarray:
    """Voronoi cells after ``iterations`` of Lloyd's relaxation (seeds move to centroids)."""
    cells = voronoi(points, clip)
    for _ in range(iterations):
        points = shapely.get_coordinates(shapely.centroid(cells))
        cells = voronoi(points, clip)
    return cells


def largest_part(geoms: np.ndarray) -> np.ndarray:
    """Replace each multi-part geometry by its largest polygon."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    order = np.lexsort((-shapely.area(parts), index))
    first = np.unique(index[order], return_index=True)[1]
    out = np.array(geoms, dtype=object)
    out[index[order][first]] = parts[order][first]
    return out


def _geographic_order(cells: np.ndarray) -> np.ndarray:
    """Order cells north to south in 1 km bands, west to east within a band."""
    c = shapely.get_coordinates(shapely.centroid(cells))
    return np.lexsort((c[:, 0], -np.floor(c[:, 1] / 1000.0)))


def community_cells(
    counts: list[int], rng: np.random.Generator
) -> tuple[shapely.Polygon, np.ndarray, np.ndarray]:
    """Return the outline, the street cells and the community cells (all in metres).

    ``counts`` is the number of communities of each street; the communities come out
    street by street, north to south within a street.
    """
    outline = district_outline(rng)
    a, b = _HALF_AXES
    seeds = np.array(_STREET_SEEDS) * (a, b) + rng.uniform(-0.04, 0.04, (6, 2)) * (a, b)
    streets = largest_part(voronoi(seeds, outline))
    communities = []
    for street, k in zip(streets, counts, strict=True):
        cells = largest_part(relaxed_cells(points_in(street, k, rng), street, 6))
        communities.extend(cells[_geographic_order(cells)])
    return outline, streets, np.array(communities, dtype=object)


def exact_coverage(cells_lonlat: np.ndarray) -> np.ndarray:
    """Make polygons that tile an area into an exact coverage on the file grid.

    The boundaries are noded together with a 1e-7 degree grid and polygonized; each face
    goes to the polygon containing a point inside it, and the faces of a polygon are
    merged. Neighbours then share the very same vertices along their common edge.
    """
    noded = shapely.union_all(shapely.boundary(cells_lonlat), grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.point_on_surface(faces)
    tree = shapely.STRtree(cells_lonlat)
    owner = np.full(len(faces), -1)
    face_i, cell_i = tree.query(inner, predicate="within")
    owner[face_i] = cell_i
    lost = np.flatnonzero(owner < 0)
    if len(lost):
        owner[lost] = tree.query_nearest(inner[lost], all_matches=False)[1]
    out = np.empty(len(cells_lonlat), dtype=object)
    for i in range(len(cells_lonlat)):
        mine = faces[owner == i]
        out[i] = mine[0] if len(mine) == 1 else shapely.coverage_union_all(mine)
    return out


def compound_cells(
    communities: np.ndarray, counts: np.ndarray, road: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Cells for ``counts[c]`` compounds in each community, shrunk by ``road`` metres.

    Returned community by community, north to south; each cell is one polygon.
    """
    cells = []
    for poly, n in zip(communities, counts, strict=True):
        c = relaxed_cells(points_in(poly, int(n), rng), poly, 3)
        cells.extend(c[_geographic_order(c)])
    out = shapely.buffer(np.array(cells, dtype=object), -road, join_style="mitre")
    return largest_part(out)


def _rotate(u: np.ndarray, v: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(theta), np.sin(theta)
    return u * c - v * s, u * s + v * c


def _candidates(
    cells: np.ndarray, theta: np.ndarray, pitch: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid centres over each cell in its rotated frame: (cell index, u, v) per candidate."""
    n = len(cells)
    centre = shapely.get_coordinates(shapely.centroid(cells))
    xy, idx = shapely.get_coordinates(cells, return_index=True)
    u, v = _rotate(xy[:, 0] - centre[idx, 0], xy[:, 1] - centre[idx, 1], -theta[idx])
    lo = np.full((n, 2), np.inf)
    hi = np.full((n, 2), -np.inf)
    np.minimum.at(lo, idx, np.column_stack([u, v]))
    np.maximum.at(hi, idx, np.column_stack([u, v]))
    span = np.maximum(hi - lo, 0.0)
    steps = np.floor(span / pitch).astype(np.int64) + 1
    slack = (span - (steps - 1) * pitch) * rng.uniform(0.0, 1.0, (n, 2))
    per = steps[:, 0] * steps[:, 1]
    cell = np.repeat(np.arange(n), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    iu, iv = k % steps[cell, 0], k // steps[cell, 0]
    cu = lo[cell, 0] + slack[cell, 0] + iu * pitch[cell, 0]
    cv = lo[cell, 1] + slack[cell, 1] + iv * pitch[cell, 1]
    return cell, cu, cv


def rectangles(
    x: np.ndarray, y: np.ndarray, length: np.ndarray, depth: np.ndarray, theta: np.ndarray
) -> np.ndarray:
    """Rectangles centred at (x, y), long axis ``length`` at angle ``theta``."""
    su = np.array([-0.5, 0.5, 0.5, -0.5, -0.5])
    sv = np.array([-0.5, -0.5, 0.5, 0.5, -0.5])
    du, dv = su[None, :] * length[:, None], sv[None, :] * depth[:, None]
    dx, dy = _rotate(du, dv, theta[:, None])
    boxes: np.ndarray = shapely.polygons(np.stack([x[:, None] + dx, y[:, None] + dy], axis=-1))
    return boxes


def place_buildings(
    cells: np.ndarray,
    wanted: np.ndarray,
    length: np.ndarray,
    depth: np.ndarray,
    pitch: np.ndarray,
    theta: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Place ``wanted[i]`` footprints in cell ``i`` on a rotated grid.

    ``pitch`` (n, 2) is the spacing along and across the long axis. Candidates fully
    inside the cell are taken nearest the centre first. Cells short of room are retried
    with a tighter grid and then smaller footprints; at the last try a cell keeps what
    fits. Returns the cell index and centre (x, y) of each building, cell by cell and in
    rows from north to south, and the (possibly reduced) length and depth per cell.
    """
    n = len(cells)
    shapely.prepare(cells)
    centre = shapely.get_coordinates(shapely.centroid(cells))
    pitch = pitch.astype(float).copy()
    length, depth = length.astype(float).copy(), depth.astype(float).copy()
    chosen: list[np.ndarray] = []
    todo = np.arange(n)
    tries = 8
    for attempt in range(tries):
        cell, cu, cv = _candidates(cells[todo], theta[todo], pitch[todo], rng)
        g = todo[cell]
        dx, dy = _rotate(cu, cv, theta[g])
        x, y = centre[g, 0] + dx, centre[g, 1] + dy
        inside = shapely.contains(cells[g], rectangles(x, y, length[g], depth[g], theta[g]))
        ok = np.flatnonzero(inside)
        near = np.hypot(cu[ok], cv[ok]) * rng.uniform(1.0, 1.15, len(ok))
        ok = ok[np.lexsort((near, g[ok]))]
        first = np.searchsorted(g[ok], g[ok], side="left")
        keep = ok[(np.arange(len(ok)) - first) < wanted[g[ok]]]
        placed = np.bincount(g[keep], minlength=n)
        need = wanted[todo] if attempt < tries - 1 else np.ones(len(todo), dtype=np.int64)
        done = todo[placed[todo] >= need]
        keep = keep[np.isin(g[keep], done)]
        chosen.append(np.column_stack([g[keep], x[keep], y[keep], -cv[keep], cu[keep]]))
        todo = np.setdiff1d(todo, done)
        if not len(todo):
            break
        pitch[todo] *= 0.85
        if attempt >= 3:
            length[todo] *= 0.85
            depth[todo] *= 0.9
    if len(todo):  # pragma: no cover - the parameters leave ample room
        raise RuntimeError(f"no room for buildings in {len(todo)} compound cells")
    allb = np.vstack(chosen)
    # number buildings row by row (rows 0.5 pitch apart count as one row), west to east
    row = np.round(allb[:, 3] / (0.5 * pitch[allb[:, 0].astype(np.int64), 1]))
    order = np.lexsort((allb[:, 4], row, allb[:, 0]))
    allb = allb[order]
    return allb[:, 0].astype(np.int64), allb[:, 1], allb[:, 2], length, depth


def dwelling_points(
    x: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray,
    length: np.ndarray,
    depth: np.ndarray,
    units: np.ndarray,
    storeys: np.ndarray,
    doors: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """One point per dwelling inside its building footprint.

    Per building arrays in, per dwelling arrays out (building index, 1-based unit, floor
    and door-on-floor, and x, y in metres), ordered building, unit, floor, door. Units
    sit side by side along the long axis, the doors of a floor spread across the unit,
    floors step across the depth; each unit carries a small random shift (at most 0.4 m),
    which keeps every point inside the footprint and distinct at 1 cm.
    """
    per = units * storeys * doors
    b = np.repeat(np.arange(len(x)), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    on_floor = doors[b]
    unit, rem = np.divmod(k, storeys[b] * on_floor)
    floor, door = np.divmod(rem, on_floor)
    along = -length[b] / 2 + (unit + (door + 0.5) / on_floor) * length[b] / units[b]
    across = -depth[b] / 2 + 1.0 + (floor + 0.5) * (depth[b] - 2.0) / storeys[b]
    shift = rng.uniform(-0.4, 0.4, (int(units.sum()), 2))
    which = np.repeat(np.cumsum(units) - units, per) + unit
    dx, dy = _rotate(along + shift[which, 0], across + shift[which, 1], theta[b])
    return {
        "building": b,
        "unit": unit + 1,
        "floor": floor + 1,
        "door": door + 1,
        "x": x[b] + dx,
        "y": y[b] + dy,
    }
