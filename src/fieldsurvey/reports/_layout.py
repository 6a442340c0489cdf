"""Page geometry of the field maps: map scale, tiles (分图), scale bar, marker placement.

Maps are drawn in a local metric CRS (a transverse Mercator centred on the community,
scale factor 1), so one metre on the ground is ``1 / (scale * PT_M)`` points on paper
everywhere on the sheet, to far better than the 2% a scale bar must keep. The scale
``1:scale`` is rounded up to a "nice" denominator so it prints cleanly, and the scale
bar is a 1-2-5 number of metres drawn at exactly that scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from reportlab.lib.pagesizes import A3, A4, landscape, portrait
from reportlab.lib.units import mm

__all__ = [
    "PAPERS",
    "PT_M",
    "MapFrame",
    "ScaleBar",
    "fit_map",
    "nice_scale",
    "page_boxes",
    "place_markers",
    "plan_tiles",
    "scale_bar",
]

#: Metres of paper per PDF point (1 pt = 1/72 inch).
PT_M = 0.0254 / 72

PAPERS: dict[str, tuple[float, float]] = {"A4": A4, "A3": A3}

_NICE = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5)

MARGIN = 10 * mm
TITLE_H = 19 * mm
FOOT_H = 25 * mm


def nice_scale(minimum: float) -> int:
    """The smallest "nice" denominator (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 x 10^k) >= minimum."""
    minimum = max(float(minimum), 1.0)
    exp = math.floor(math.log10(minimum))
    for e in (exp, exp + 1):
        for f in _NICE:
            cand = f * 10**e
            if cand >= minimum * (1 - 1e-9):
                return int(round(cand))
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class MapFrame:
    """Where a map sits on the page and which ground extent it shows, at which scale.

    ``box`` is (x, y, width, height) in points; ``extent`` (minx, miny, maxx, maxy) in
    local metres, with the same aspect ratio as the box; ``scale`` the denominator.
    """

    box: tuple[float, float, float, float]
    extent: tuple[float, float, float, float]
    scale: int

    @property
    def metres_per_point(self) -> float:
        """Ground metres per point of paper."""
        return self.scale * PT_M

    def to_page(self, x: NDArray[np.float64] | float, y: NDArray[np.float64] | float
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Local metres -> page points."""
        k = 1.0 / self.metres_per_point
        px = self.box[0] + (np.asarray(x, dtype=float) - self.extent[0]) * k
        py = self.box[1] + (np.asarray(y, dtype=float) - self.extent[1]) * k
        return px, py


def page_boxes(paper: str, landscape_: bool
               ) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
    """Page size and the map box (x, y, w, h) left between the title block and the footer."""
    size = landscape(PAPERS[paper]) if landscape_ else portrait(PAPERS[paper])
    w, h = size
    box = (MARGIN, MARGIN + FOOT_H, w - 2 * MARGIN, h - 2 * MARGIN - TITLE_H - FOOT_H)
    return size, box


def _required_scale(extent: tuple[float, float, float, float], box_w: float, box_h: float) -> float:
    ew = max(extent[2] - extent[0], 1.0)
    eh = max(extent[3] - extent[1], 1.0)
    return max(ew / (box_w * PT_M), eh / (box_h * PT_M))


def fit_map(extent: tuple[float, float, float, float], box: tuple[float, float, float, float],
            *, min_scale: int = 500) -> MapFrame:
    """Fit ``extent`` (metres) into ``box`` (points) at the largest nice scale, centred."""
    scale = nice_scale(max(_required_scale(extent, box[2], box[3]), min_scale))
    mpp = scale * PT_M
    cx = (extent[0] + extent[2]) / 2
    cy = (extent[1] + extent[3]) / 2
    hw = box[2] * mpp / 2
    hh = box[3] * mpp / 2
    return MapFrame(box=box, extent=(cx - hw, cy - hh, cx + hw, cy + hh), scale=scale)


def best_orientation(extent: tuple[float, float, float, float], paper: str) -> bool:
    """True when landscape shows ``extent`` at a larger scale than portrait."""
    _, pbox = page_boxes(paper, False)
    _, lbox = page_boxes(paper, True)
    return _required_scale(extent, lbox[2], lbox[3]) < _required_scale(extent, pbox[2], pbox[3])


def plan_tiles(extent: tuple[float, float, float, float], box: tuple[float, float, float, float],
               max_scale: int) -> list[tuple[float, float, float, float]]:
    """Split ``extent`` into a grid of equal tiles that each fit ``box`` at ``1:max_scale``.

    Returns the tile extents row by row from the north-west (reading order); a single
    tile (the extent itself) when it fits at ``max_scale`` already.
    """
    mpp = max_scale * PT_M
    ew = extent[2] - extent[0]
    eh = extent[3] - extent[1]
    nx = max(1, math.ceil(ew / (box[2] * mpp) - 1e-9))
    ny = max(1, math.ceil(eh / (box[3] * mpp) - 1e-9))
    tw, th = ew / nx, eh / ny
    tiles = []
    for j in range(ny):  # north row first
        y1 = extent[3] - j * th
        for i in range(nx):
            x0 = extent[0] + i * tw
            tiles.append((x0, y1 - th, x0 + tw, y1))
    return tiles


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: ``metres`` on the ground drawn ``points`` long, in ``parts`` segments."""

    metres: float
    points: float
    parts: int


def scale_bar(metres_per_point: float, max_points: float) -> ScaleBar:
    """The longest 1-2-5 length in metres whose bar fits in ``max_points``."""
    limit = max_points * metres_per_point
    exp = math.floor(math.log10(limit))
    best = 10.0**exp
    for e in (exp - 1, exp):
        for f in (1, 2, 5):
            cand = f * 10.0**e
            if cand <= limit:
                best = max(best, cand)
    first = int(f"{best:e}"[0])
    parts = {1: 5, 2: 4, 5: 5}.get(first, 4)
    return ScaleBar(metres=best, points=best / metres_per_point, parts=parts)


def place_markers(anchors: NDArray[np.float64], radius: float) -> NDArray[np.float64]:
    """Place round markers of ``radius`` near their anchors without overlapping each other.

    Greedy in the given order: each marker takes its anchor if free, else the first free
    spot on rings of growing radius around it (8, 16, 24 ... positions).
    """
    n = len(anchors)
    out = np.empty((n, 2))
    cell = 2 * radius
    grid: dict[tuple[int, int], list[int]] = {}
    gap2 = (2 * radius * 1.02) ** 2

    def free(x: float, y: float) -> bool:
        gx, gy = int(math.floor(x / cell)), int(math.floor(y / cell))
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for k in grid.get((gx + dx, gy + dy), ()):
                    if (out[k, 0] - x) ** 2 + (out[k, 1] - y) ** 2 < gap2:
                        return False
        return True

    for i in range(n):
        ax, ay = float(anchors[i, 0]), float(anchors[i, 1])
        pos = (ax, ay)
        if not free(ax, ay):
            found = False
            for ring in range(1, 40):
                r = ring * 2.1 * radius
                count = 8 * ring
                for s in range(count):
                    a = math.pi / 2 + 2 * math.pi * s / count
                    x, y = ax + r * math.cos(a), ay + r * math.sin(a)
                    if free(x, y):
                        pos, found = (x, y), True
                        break
                if found:
                    break
        out[i] = pos
        key = (int(math.floor(pos[0] / cell)), int(math.floor(pos[1] / cell)))
        grid.setdefault(key, []).append(i)
    return out
