"""GCJ-02 / BD-09 <-> WGS 84 against published conversion points."""

from __future__ import annotations

import numpy as np
import pytest

from fieldsurvey.io.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    web_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# googollee/eviltransform test points: (wgs lat, wgs lng, gcj lat, gcj lng)
EVIL = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVIL)
def test_wgs_to_gcj_matches_published_points(wlat: float, wlng: float, glat: float, glng: float) -> None:
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-8) and lat == pytest.approx(glat, abs=1e-8)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVIL)
def test_gcj_to_wgs_inverts_exactly(wlat: float, wlng: float, glat: float, glng: float) -> None:
    lon, lat = gcj02_to_wgs84(glng, glat)
    assert lon == pytest.approx(wlng, abs=1e-8) and lat == pytest.approx(wlat, abs=1e-8)


def test_bd09_matches_coordtransform_readme() -> None:
    # wandergis/coordtransform test/app.js, point (116.404, 39.915)
    assert np.allclose(bd09_to_gcj02(116.404, 39.915), (116.39762729119315, 39.90865673957631), atol=1e-9)
    assert np.allclose(gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351021), atol=1e-9)
    assert np.allclose(wgs84_to_gcj02(116.404, 39.915), (116.41024449916938, 39.91640428150164), atol=1e-9)


def test_vectorised_round_trip_and_missing_values() -> None:
    rng = np.random.default_rng(3)
    lon = np.r_[rng.uniform(100, 125, 1000), np.nan]
    lat = np.r_[rng.uniform(20, 45, 1000), 30.0]
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.allclose(back[0][:-1], lon[:-1], atol=1e-7) and np.allclose(back[1][:-1], lat[:-1], atol=1e-7)
    assert np.isnan(back[0][-1])
    shift = np.hypot(*(np.subtract(wgs84_to_gcj02(lon, lat), (lon, lat)))) * 111_000
    assert 50 < np.nanmedian(shift) < 1000  # the GCJ-02 offset is hundreds of metres


def test_outside_china_is_unchanged_and_dispatch() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert np.allclose(web_to_wgs84([116.404], [39.915], "GCJ-02"), gcj02_to_wgs84([116.404], [39.915]))
    assert web_to_wgs84(1.0, 2.0, "wgs84") == (1.0, 2.0)
    with pytest.raises(ValueError, match="unknown coordinate system"):
        web_to_wgs84(1.0, 2.0, "mars")
