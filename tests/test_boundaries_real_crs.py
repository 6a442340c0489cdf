"""Chinese projected boundary files as ArcGIS writes them: ESRI WKT .prj without EPSG codes.

CGCS2000 / Beijing 1954 / Xian 1980 3-degree Gauss-Kruger zones, with and without the
zone number in front of x. The polygons must come back where they were, and a datum
that PROJ converts only with its ballpark shift for the data's area must be said.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from pyproj import CRS
from shapely.geometry import box

from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.crs import datum_note
from fieldsurvey.io.errors import CRSError

NAMES = ["东城区", "西城区", "朝阳区"]


def _beijing() -> gpd.GeoDataFrame:
    polys = [box(116.30 + i * 0.02, 39.90, 116.32 + i * 0.02, 39.92) for i in range(3)]
    return gpd.GeoDataFrame({"区划代码": ["110101", "110102", "110105"], "名称": NAMES},
                            geometry=polys, crs=4326)


def _esri_shapefile(tmp_path: Path, epsg: int) -> Path:
    crs = CRS.from_epsg(epsg)
    path = tmp_path / f"b{epsg}.shp"
    pyogrio.write_dataframe(_beijing().to_crs(crs), path, encoding="GBK")
    for cpg in tmp_path.glob("*.cpg"):
        cpg.unlink()
    path.with_suffix(".prj").write_text(crs.to_wkt("WKT1_ESRI"))
    return path


@pytest.mark.parametrize("epsg", [4548, 4527, 2436, 2385])
def test_gauss_kruger_esri_prj_comes_back_in_place(tmp_path: Path, epsg: int) -> None:
    path = _esri_shapefile(tmp_path, epsg)
    assert "AUTHORITY" not in path.with_suffix(".prj").read_text()
    b = read_boundaries(path)
    assert b.frame["name"].tolist() == NAMES
    assert b.frame["community_id"].tolist() == ["110101", "110102", "110105"]
    assert b.source_crs is not None and b.source_crs.to_epsg() == epsg
    # the same projection back: the corners within a millimetre-scale tolerance
    original = _beijing().geometry
    for got, want in zip(b.frame.geometry, original, strict=True):
        assert got.symmetric_difference(want).area < 1e-12
    ballpark = [n for n in b.notes if "ballpark" in n]
    if epsg in (2436, 2385):  # Beijing 1954 and Xian 1980 around Beijing: no EPSG shift
        assert ballpark and ("Beijing 1954" in ballpark[0] or "Xian 1980" in ballpark[0])
    else:
        assert not ballpark


def test_datum_note_is_judged_for_the_area_of_the_data() -> None:
    beijing54 = CRS.from_epsg(4214)
    # the Tarim basin has an EPSG shift accurate to 1 m; Beijing itself has none
    assert datum_note(beijing54, (80.0, 38.0, 85.0, 40.0)) == ""
    assert "ballpark" in datum_note(beijing54, (116.3, 39.9, 116.4, 40.0))


_BEIJING54_TOWGS84 = (
    'PROJCS["Beijing_1954_3_Degree_GK_CM_117E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",'
    'SPHEROID["Krasovsky_1940",6378245.0,298.3],TOWGS84[15.8,-154.4,-82.3,0,0,0,0]],'
    'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],'
    'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
    'PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


def test_prj_with_its_own_towgs84_shift_is_used(tmp_path: Path) -> None:
    """GDAL reports this .prj as EPSG:2436 and drops the 7 parameters (~90 m off)."""
    crs = CRS.from_wkt(_BEIJING54_TOWGS84)
    path = tmp_path / "bj54.shp"
    pyogrio.write_dataframe(_beijing().to_crs(crs), path, encoding="GBK")
    path.with_suffix(".prj").write_text(_BEIJING54_TOWGS84)
    b = read_boundaries(path)
    assert b.crs_identified
    assert any("TOWGS84" in n for n in b.notes)
    assert not any("ballpark" in n for n in b.notes)
    metres = b.frame.to_crs(3857).geometry.centroid.distance(
        _beijing().to_crs(3857).geometry.centroid)
    assert float(metres.max()) < 0.01


@pytest.mark.parametrize("text", ["EPSG:4548", "WKT2", "\ufeffESRI"])
def test_prj_that_gdal_cannot_read_is_read_by_pyproj(tmp_path: Path, text: str) -> None:
    crs = CRS.from_epsg(4548)
    path = tmp_path / "b.shp"
    with pytest.warns(RuntimeWarning, match="laundered"):  # 区划代码 is cut at 10 bytes
        pyogrio.write_dataframe(_beijing().to_crs(crs), path, encoding="UTF-8")
    body = {"WKT2": crs.to_wkt(), "\ufeffESRI": "\ufeff" + crs.to_wkt("WKT1_ESRI")}.get(text, text)
    path.with_suffix(".prj").write_text(body, encoding="utf-8")
    b = read_boundaries(path)
    assert b.source_crs is not None and b.source_crs.to_epsg() == 4548
    for got, want in zip(b.frame.geometry, _beijing().geometry, strict=True):
        assert got.symmetric_difference(want).area < 1e-12


@pytest.mark.parametrize(("text", "message"), [
    ("", "the shapefile's .prj is empty"),
    ("坐标系：CGCS2000 117E", "cannot be read as a coordinate reference system"),
])
def test_unreadable_prj_is_named_not_called_missing(tmp_path: Path, text: str,
                                                     message: str) -> None:
    path = tmp_path / "b.shp"
    with pytest.warns(RuntimeWarning, match="laundered"):  # 区划代码 is cut at 10 bytes
        pyogrio.write_dataframe(_beijing().to_crs(4548), path, encoding="UTF-8")
    path.with_suffix(".prj").write_text(text, encoding="utf-8")
    with pytest.raises(CRSError, match=message) as exc:
        read_boundaries(path)
    assert "has no .prj" not in str(exc.value)
    assert "--crs" in str(exc.value)


def test_swapped_latitude_longitude_is_named(tmp_path: Path) -> None:
    path = tmp_path / "swapped.geojson"
    ring = [[39.90, 116.30], [39.90, 116.32], [39.92, 116.32], [39.92, 116.30], [39.90, 116.30]]
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                    '"properties": {"社区编码": "C1"}, "geometry": {"type": "Polygon", '
                    f'"coordinates": [{ring}]}}}}]}}', encoding="utf-8")
    with pytest.raises(CRSError, match="swapped") as exc:
        read_boundaries(path)
    assert "longitude first" in str(exc.value)
