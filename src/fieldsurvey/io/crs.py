"""Coordinate reference systems: parse what the user gives, pick a metric CRS.

Distances, areas and the geographic order need metres, so the frame works in a
projected CRS. Unless the user names one, it is the UTM zone (WGS 84 datum) of the
centre of the data: zone = floor((lon + 180) / 6) + 1, EPSG 326zz in the northern
hemisphere and 327zz in the southern. Within a city the scale error of UTM is far
below anything a listing can resolve.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from fieldsurvey.io.errors import CRSError

__all__ = ["crs_label", "datum_note", "parse_crs", "utm_crs"]


def parse_crs(value: Any, *, field: str = "crs", file: str | None = None) -> CRS:
    """Turn a user's CRS (``"EPSG:4490"``, ``4490``, a WKT or PROJ string) into a CRS.

    Raises
    ------
    CRSError
        If pyproj does not understand the value.
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except ProjCRSError as exc:
        raise CRSError(
            "this coordinate reference system is not one pyproj knows",
            file=file,
            field=field,
            expected="an EPSG code such as EPSG:4490 (CGCS2000) or EPSG:4326, or a WKT/PROJ string",
            got=repr(text[:80]),
            hint=f"Check the spelling; details: {str(exc).splitlines()[0][:160]}",
        ) from None


def utm_crs(lon: float, lat: float) -> CRS:
    """The WGS 84 / UTM zone CRS containing the point (lon, lat)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CRSError(
            "cannot choose a projected coordinate system: the data has no finite coordinates",
            hint="Check the boundaries' coordinates, or give the projected CRS explicitly",
        )
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def crs_label(crs: CRS | None) -> str:
    """A short readable name for a CRS: ``EPSG:32650`` when it has a code, else its name."""
    if crs is None:
        return "none"
    if crs.is_bound and crs.source_crs is not None:
        return crs_label(crs.source_crs) + " with its TOWGS84 shift"
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        return f"EPSG:{code}"
    return crs.name or crs.to_string()[:60]


#: Datums that agree with WGS 84 to a few centimetres (PROJ still calls the null
#: transformation between them "ballpark", but nothing is approximate here).
_WGS84_LIKE = (
    "china 2000",
    "china geodetic coordinate system 2000",
    "taiwan datum 1997",
    "world geodetic",
    "international terrestrial reference frame",
    "sirgas",
    "hong kong geodetic",
)


def datum_note(crs: CRS | None,
               bounds: tuple[float, float, float, float] | None = None) -> str:
    """A sentence when converting ``crs`` to WGS 84 is only approximate, else "".

    PROJ falls back to a "ballpark" transformation (no datum shift at all) when it
    knows none between two datums for the area, as for Xian 1980 anywhere or Beijing
    1954 outside the few oil basins its EPSG shifts cover: positions can then be off
    by tens to over a hundred metres. ``bounds`` (lon/lat: west, south, east, north) is
    the area of the data; without it the best transformation anywhere is judged, which
    may be one that does not cover the data.
    """
    if crs is None or crs.is_bound or not crs.is_geographic and not crs.is_projected:
        return ""  # a bound CRS carries its own datum shift (TOWGS84)
    from pyproj.transformer import AreaOfInterest, TransformerGroup

    base = crs.geodetic_crs or crs
    datum = (base.datum.name if base.datum else "").lower()
    if base.equals(CRS.from_epsg(4326), ignore_axis_order=True) or any(
            k in datum for k in _WGS84_LIKE):
        return ""
    area = None
    if bounds is not None and all(math.isfinite(v) for v in bounds):
        west, south, east, north = bounds
        area = AreaOfInterest(max(west, -180.0), max(south, -90.0), min(east, 180.0),
                              min(north, 90.0))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            group = TransformerGroup(base, CRS.from_epsg(4326), always_xy=True,
                                     area_of_interest=area)
    except Exception:  # noqa: BLE001 - any PROJ failure means: nothing better to say
        return ""
    best = group.transformers[0] if group.transformers else None
    if best is None:
        return ""
    name = (best.description or best.name or "").lower()
    if "ballpark" in name or best.accuracy is None or best.accuracy < 0:
        return (f"the datum of {crs_label(crs)} ({base.name}) is converted to WGS 84 with "
                "PROJ's approximate (ballpark) shift"
                + (" (none of its datum shifts covers this area)" if area else "")
                + ": positions may be off by tens of "
                "metres or more; if the coordinates are really in a datum PROJ can convert "
                "(CGCS2000: EPSG:4490, SIRGAS 2000: EPSG:4674 ...), give it with --crs, "
                "otherwise check the points against the map")
    if best.accuracy is not None and best.accuracy > 5:
        return (f"the datum shift from {base.name} to WGS 84 is accurate to about "
                f"{best.accuracy:g} m only")
    return ""
