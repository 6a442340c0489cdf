"""Coordinate reference systems: parse what the user gives, pick a metric CRS.

Distances, areas and the geographic order need metres, so the frame works in a
projected CRS. Unless the user names one, it is the UTM zone (WGS 84 datum) of the
centre of the data: zone = floor((lon + 180) / 6) + 1, EPSG 326zz in the northern
hemisphere and 327zz in the southern. Within a city the scale error of UTM is far
below anything a listing can resolve.
"""

from __future__ import annotations

import math
from typing import Any

from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from fieldsurvey.io.errors import CRSError

__all__ = ["crs_label", "parse_crs", "utm_crs"]


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
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        return f"EPSG:{code}"
    return crs.name or crs.to_string()[:60]
