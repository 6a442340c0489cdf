"""GCJ-02 and BD-09 <-> WGS 84 conversion, vectorised over numpy arrays.

Chinese web maps (Amap/Gaode, Tencent: GCJ-02; Baidu: BD-09) publish coordinates
shifted from WGS 84 by a deliberately obfuscating, non-linear offset of a few hundred
metres. Teams that pick dwelling points off those maps must convert them before the
points meet boundaries in WGS 84 or CGCS2000 (which agree to a few centimetres).

Formulas (the widely published reimplementation of the GCJ-02 offset, e.g.
``googollee/eviltransform`` and ``wandergis/coordtransform``): on the Krasovsky 1940
ellipsoid (a = 6 378 245 m, e^2 = 0.006 693 421 622 965 943), with x = lon - 105,
y = lat - 35,

    dlat = -100 + 2x + 3y + 0.2y^2 + 0.1xy + 0.2 sqrt|x|
           + (20 sin 6pi x + 20 sin 2pi x) 2/3 + (20 sin pi y + 40 sin pi y/3) 2/3
           + (160 sin pi y/12 + 320 sin pi y/30) 2/3
    dlon = 300 + x + 2y + 0.1x^2 + 0.1xy + 0.1 sqrt|x|
           + (20 sin 6pi x + 20 sin 2pi x) 2/3 + (20 sin pi x + 40 sin pi x/3) 2/3
           + (150 sin pi x/12 + 300 sin pi x/30) 2/3

are converted from metres to degrees with the meridian and parallel radii at the
point's latitude and added. Points outside mainland China's box are not shifted.
The inverse (GCJ-02 -> WGS 84) has no closed form; it is solved by fixed-point
iteration to better than 1e-9 degrees. BD-09 is GCJ-02 with a further rotation and
scaling (z = r + 2e-5 sin(y pi 3000/180), theta = atan2(y, x) + 3e-6 cos(x pi 3000/180),
then + (0.0065, 0.006)).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "COORD_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "web_to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

CoordSystem = Literal["wgs84", "gcj02", "bd09"]
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

Pair = tuple[NDArray[np.float64], NDArray[np.float64]]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> Pair:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _in_china(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Pair:
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS 84 point (lon, lat)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Shift WGS 84 lon/lat to GCJ-02 (points outside China are returned unchanged)."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol: float = 1e-10) -> Pair:
    """Invert the GCJ-02 shift by fixed-point iteration (error < ``tol`` degrees)."""
    glon, glat = _arrays(lon, lat)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        dlon, dlat = _offset(wlon, wlat)
        nlon = glon - dlon
        nlat = glat - dlat
        with np.errstate(invalid="ignore"):
            step = max(
                float(np.nanmax(np.abs(nlon - wlon), initial=0.0)),
                float(np.nanmax(np.abs(nlat - wlat), initial=0.0)),
            )
        wlon, wlat = nlon, nlat
        if step < tol:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert GCJ-02 lon/lat to Baidu's BD-09."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert Baidu's BD-09 lon/lat to GCJ-02."""
    blon, blat = _arrays(lon, lat)
    x = blon - 0.0065
    y = blat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert WGS 84 lon/lat to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """Convert BD-09 lon/lat to WGS 84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def web_to_wgs84(lon: ArrayLike, lat: ArrayLike, system: str) -> Pair:
    """Convert lon/lat read off a web map in ``system`` ('wgs84', 'gcj02' or 'bd09') to WGS 84.

    (Named for what it undoes: the offset of Chinese web maps. Reprojecting a layer
    from another CRS is :meth:`geopandas.GeoDataFrame.to_crs`.)

    Raises
    ------
    ValueError
        If ``system`` is not one of :data:`COORD_SYSTEMS` (callers validate user input).
    """
    system = system.lower().replace("-", "").replace("_", "")
    if system == "wgs84":
        return _arrays(lon, lat)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown coordinate system {system!r}; expected one of {COORD_SYSTEMS}")
