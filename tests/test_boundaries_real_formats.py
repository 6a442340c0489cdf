"""Boundary files shaped like the real ones that broke the reader.

Each fixture is written here, in the shape of a real public file the reader was run on:
DataV/Aliyun GeoJSON (list and object properties), web-map outlines with degenerate
rings, TopoJSON without a CRS, GeoPackages with several layers, shapefiles with
``NAME_1``/``NAME_2`` or 村里名稱 and no recognised id.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from fieldsurvey.cli.main import main
from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.errors import ColumnError, CRSError, InputError
from fieldsurvey.io.salvage import salvage_wkb

NAMES = ["东城区", "西城区", "朝阳区", "丰台区"]
CODES = [110101, 110102, 110105, 110106]


def _squares(n: int = 4, x0: float = 116.30, y0: float = 39.90, size: float = 0.02) -> list[Polygon]:
    return [box(x0 + i * size, y0, x0 + (i + 1) * size, y0 + size) for i in range(n)]


def _datav(path: Path) -> Path:
    """A DataV GeoAtlas ``*_full.json``: adcode, name, center, centroid, parent, acroutes."""
    feats = []
    for code, name, poly in zip(CODES, NAMES, _squares(), strict=True):
        c = poly.centroid
        feats.append({"type": "Feature", "properties": {
            "adcode": code, "name": name, "center": [c.x, c.y], "centroid": [c.x, c.y],
            "childrenNum": 0, "level": "district", "parent": {"adcode": 110000},
            "subFeatureIndex": len(feats), "acroutes": [100000, 110000]},
            "geometry": shapely.geometry.mapping(MultiPolygon([poly]))})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                               ensure_ascii=False), encoding="utf-8")
    return path


def _listing(path: Path, polys: list[Polygon]) -> Path:
    pts = [p.representative_point() for p in polys]
    pd.DataFrame({"dwelling_id": [f"D{i}" for i in range(len(pts))],
                  "lon": [p.x for p in pts], "lat": [p.y for p in pts],
                  "address": [f"{i + 1}号" for i in range(len(pts))]}).to_csv(path, index=False)
    return path


def test_datav_geojson_with_list_and_object_properties(tmp_path: Path) -> None:
    path = _datav(tmp_path / "110100_full.json")
    b = read_boundaries(path)
    assert b.id_field == "adcode"
    assert b.frame["community_id"].tolist() == [str(c) for c in CODES]
    assert b.frame["name"].tolist() == NAMES
    assert json.loads(b.frame["parent"].iloc[0]) == {"adcode": 110000}
    assert json.loads(b.frame["center"].iloc[0])[0] == pytest.approx(116.31)
    assert any("'adcode'" in n for n in b.notes)
    out = tmp_path / "frame.parquet"
    code = main(["frame", "build", "--boundaries", str(path), "--dwellings",
                 str(_listing(tmp_path / "l.csv", _squares())), "--out", str(out)])
    assert code == 0
    frame = pd.read_parquet(out)
    assert frame.sort_values("dwelling_id")["community_id"].tolist() == [str(c) for c in CODES]


def test_degenerate_ring_from_a_web_map_is_dropped_not_the_shape(tmp_path: Path) -> None:
    good = _squares(2)
    # coordinates as strings and rings of 2 points, as a simplified country outline has them
    coords = [[[[f"{x:.6f}", f"{y:.6f}"] for x, y in p.exterior.coords]] for p in good]
    a = coords[0][0][0]
    coords.insert(1, [[a, a]])
    coords.append([[a, coords[1 + 1][0][1], a]])
    feat = {"type": "Feature", "properties": {"id": "CHN", "name": "中国"},
            "geometry": {"type": "MultiPolygon", "coordinates": coords}}
    path = tmp_path / "country.gcj02.geo.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]},
                               ensure_ascii=False), encoding="utf-8")
    b = read_boundaries(path, id_field="id")
    geom = b.frame.geometry.iloc[0]
    assert geom.area == pytest.approx(sum(p.area for p in good))
    assert any("degenerate ring" in n for n in b.notes)
    assert b.frame["name"].tolist() == ["中国"]


def _wkb_multipolygon(polys: list[list[list[tuple[float, ...]]]], z: bool) -> bytes:
    dims = 3 if z else 2
    out = struct.pack("<BI", 1, 1006 if z else 6) + struct.pack("<I", len(polys))
    for rings in polys:
        out += struct.pack("<BI", 1, 1003 if z else 3) + struct.pack("<I", len(rings))
        for ring in rings:
            out += struct.pack("<I", len(ring))
            for pt in ring:
                out += struct.pack("<" + "d" * dims, *pt[:dims])
    return out


@pytest.mark.parametrize("z", [False, True])
def test_wkb_salvage_keeps_good_parts(z: bool) -> None:
    square = [(0.0, 0.0, 5.0), (1.0, 0.0, 5.0), (1.0, 1.0, 5.0), (0.0, 1.0, 5.0), (0.0, 0.0, 5.0)]
    bad = [(0.0, 0.0, 5.0), (1.0, 0.0, 5.0), (0.0, 0.0, 5.0)]
    hole_bad = [(0.2, 0.2, 5.0), (0.3, 0.3, 5.0)]
    blob = _wkb_multipolygon([[square, hole_bad], [bad]], z)
    geom, dropped = salvage_wkb(blob)
    assert dropped == 2
    assert geom.area == pytest.approx(1.0)
    assert salvage_wkb(b"\x01\x02\x00") == (None, 0)


def test_topojson_without_crs_is_wgs84_and_projected_numbers_refused(tmp_path: Path) -> None:
    def topo(path: Path, scale: float, translate: tuple[float, float]) -> Path:
        path.write_text(json.dumps({
            "type": "Topology",
            "transform": {"scale": [scale, scale], "translate": list(translate)},
            "objects": {"map": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0]], "properties": {"id": "63000050001",
                                                                  "name": "水源里"}},
            ]}},
            "arcs": [[[0, 0], [100, 0], [0, 100], [-100, 0], [0, -100]]],
        }, ensure_ascii=False), encoding="utf-8")
        return path

    b = read_boundaries(topo(tmp_path / "villages.json", 1e-4, (121.5, 25.0)), id_field="id")
    assert b.frame["name"].tolist() == ["水源里"]
    assert b.frame.total_bounds[0] == pytest.approx(121.5)
    assert any("WGS 84" in n for n in b.notes)
    with pytest.raises(CRSError, match="does not say which coordinate") as exc:
        read_boundaries(topo(tmp_path / "metres.json", 1.0, (302000.0, 2767000.0)),
                        id_field="id")
    assert "--crs" in str(exc.value)


def test_geopackage_with_several_layers(tmp_path: Path) -> None:
    polys = _squares()
    gpkg = tmp_path / "district.gpkg"
    pts = gpd.GeoDataFrame({"名称": NAMES}, geometry=[p.centroid for p in polys], crs=4326)
    pyogrio.write_dataframe(pts, gpkg, layer="区政府驻地")
    comm = gpd.GeoDataFrame({"社区编码": [str(c) for c in CODES], "社区名称": NAMES},
                            geometry=polys, crs=4326)
    pyogrio.write_dataframe(comm, gpkg, layer="社区边界")
    b = read_boundaries(gpkg)
    assert b.frame["name"].tolist() == NAMES
    assert any("only polygon layer" in n and "社区边界" in n for n in b.notes)
    # a second polygon layer: the user must choose, and can
    pyogrio.write_dataframe(comm.assign(社区编码=["X1", "X2", "X3", "X4"]), gpkg, layer="旧边界")
    with pytest.raises(InputError, match="layers") as exc:
        read_boundaries(gpkg)
    assert "社区边界" in str(exc.value) and "旧边界" in str(exc.value)
    assert "--layer" in str(exc.value)
    assert read_boundaries(gpkg, layer="旧边界").frame["community_id"].tolist()[0] == "X1"
    with pytest.raises(InputError, match="no layer of that name"):
        read_boundaries(gpkg, layer="街道")
    out = tmp_path / "frame.parquet"
    code = main(["frame", "build", "--boundaries", str(gpkg), "--layer", "社区边界",
                 "--dwellings", str(_listing(tmp_path / "l.csv", polys)), "--out", str(out)])
    assert code == 0


def test_name_like_field_and_id_candidates(tmp_path: Path) -> None:
    polys = _squares()
    gdf = gpd.GeoDataFrame({
        "ID_1": [1, 1, 2, 2], "NAME_1": ["Diekirch", "Diekirch", "Grevenmacher", "Luxembourg"],
        "ID_2": [1, 2, 3, 4], "NAME_2": ["Clervaux", "Esch-sur-Alzette", "Redange", "Wiltz"],
        "AREA": [312.5, 185.25, 267.0, 264.75]}, geometry=polys, crs=4326)
    path = tmp_path / "lux.shp"
    pyogrio.write_dataframe(gdf, path, encoding="cp1252")
    with pytest.raises(ColumnError) as exc:
        read_boundaries(path)
    text = str(exc.value)
    assert "unique and filled in every feature: ID_2, NAME_2" in text
    assert "AREA" not in text.split("unique and filled")[1]
    assert "--id-field ID_2" in text
    b = read_boundaries(path, id_field="ID_2")
    assert b.frame["name"].tolist() == ["Clervaux", "Esch-sur-Alzette", "Redange", "Wiltz"]
    assert b.frame["NAME_2"].tolist() == b.frame["name"].tolist()  # kept under its own name
    assert any("'NAME_2'" in n for n in b.notes)
    # a name field that repeats (the bairro of census tracts) names a larger area: no guess
    tracts = gpd.GeoDataFrame({"CD_GEOCODI": ["1", "2", "3", "4"],
                               "NM_BAIR": ["Varadouro", "Varadouro", "Varadouro", "Bonsucesso"]},
                              geometry=polys, crs=4326)
    pyogrio.write_dataframe(tracts, tmp_path / "olinda.shp", encoding="cp1252")
    b = read_boundaries(tmp_path / "olinda.shp", id_field="CD_GEOCODI")
    assert "name" not in b.frame and "NM_BAIR" in b.frame


def test_big5_village_names_without_cpg(tmp_path: Path) -> None:
    names = ["水源里", "富水里", "文盛里", "林興里"]
    gdf = gpd.GeoDataFrame({"村里代碼": ["63000050001", "63000050002", "63000050003",
                                      "63000050004"], "村里名稱": names},
                           geometry=_squares(x0=121.50, y0=25.00), crs=4326)
    path = tmp_path / "village.shp"
    pyogrio.write_dataframe(gdf, path, encoding="cp950")
    for cpg in tmp_path.glob("*.cpg"):
        cpg.unlink()
    b = read_boundaries(path)
    assert b.id_field == "村里代碼"
    assert b.frame["community_id"].tolist()[0] == "63000050001"
    assert b.frame["name"].tolist() == names


def test_lines_are_refused_before_the_id_question(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"Value": [0, 1]}, geometry=[shapely.LineString(p.exterior.coords) for p in _squares(2)],
                           crs=4326)
    path = tmp_path / "cnmap.shp"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(InputError, match="must be polygons") as exc:
        read_boundaries(path)
    assert "LineString" in str(exc.value)


def test_z_coordinates_and_leading_zero_codes(tmp_path: Path) -> None:
    polys = [shapely.force_3d(p, 43.0) for p in _squares()]
    gdf = gpd.GeoDataFrame({"code": ["0001", "0002", "0003", "0004"], "name": NAMES},
                           geometry=polys, crs=4326)
    path = tmp_path / "z.geojson"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path, id_field="code")
    assert b.frame["community_id"].tolist() == ["0001", "0002", "0003", "0004"]
    assert not shapely.has_z(b.frame.geometry.to_numpy()).any()
    assert any("Z (height)" in n for n in b.notes)


def test_geometry_collection_keeps_its_polygons(tmp_path: Path) -> None:
    polys = _squares(2)
    coll = shapely.GeometryCollection([polys[0], Point(116.0, 39.0)])
    gdf = gpd.GeoDataFrame({"community_id": ["A", "B"]}, geometry=[coll, polys[1]], crs=4326)
    path = tmp_path / "c.geojson"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path)
    assert b.frame.geometry.iloc[0].equals(polys[0])
    assert np.isin(b.frame.geometry.geom_type, ["Polygon", "MultiPolygon"]).all()


def test_gbk_geojson_and_encoding_on_a_geopackage(tmp_path: Path) -> None:
    """Old Chinese Windows tools save GeoJSON in GBK; a GeoPackage is always UTF-8."""
    utf8 = _datav(tmp_path / "utf8.json")
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes(utf8.read_text(encoding="utf-8").encode("gbk"))
    b = read_boundaries(gbk)
    assert b.frame["name"].tolist() == NAMES
    assert any("read as GBK" in n for n in b.notes)
    gpkg = tmp_path / "b.gpkg"
    pyogrio.write_dataframe(read_boundaries(utf8).frame[["community_id", "name", "geometry"]],
                            gpkg)
    b = read_boundaries(gpkg, encoding="GBK")
    assert b.frame["name"].tolist() == NAMES
    assert any("always UTF-8" in n for n in b.notes)


def _echarts_ring(coords: list[tuple[float, float]], scale: int = 1024) -> tuple[str, list[int]]:
    """Encode a ring as ECharts' map files do (zigzag deltas as characters, ring left open)."""
    pts = [(round(x * scale), round(y * scale)) for x, y in coords[:-1]]
    text, prev = "", pts[0]
    for x, y in pts:
        for d in (x - prev[0], y - prev[1]):
            text += chr(((d << 1) ^ (d >> 31)) + 64)
        prev = (x, y)
    return text, list(pts[0])


def test_echarts_compressed_geojson_is_decoded(tmp_path: Path) -> None:
    feats = []
    for i, (name, poly) in enumerate(zip(NAMES[:2], _squares(2, x0=113.54, y0=22.18), strict=True)):
        ring, offset = _echarts_ring(list(poly.exterior.coords))
        geom: dict[str, object] = (
            {"type": "Polygon", "coordinates": [ring], "encodeOffsets": [offset]} if i == 0 else
            {"type": "MultiPolygon", "coordinates": [[ring]], "encodeOffsets": [[offset]]})
        feats.append({"id": f"82000{i + 1}", "type": "Feature", "geometry": geom,
                      "properties": {"cp": list(poly.centroid.coords[0]), "name": name,
                                     "childNum": 1}})
    path = tmp_path / "aomen.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                "UTF8Encoding": True}, ensure_ascii=False), encoding="utf-8")
    b = read_boundaries(path, id_field="id")
    assert b.frame["name"].tolist() == NAMES[:2]
    for got, want in zip(b.frame.geometry, _squares(2, x0=113.54, y0=22.18), strict=True):
        assert got.symmetric_difference(want).area < 0.08 * want.area  # 1/1024 degree grid
    assert any("ECharts" in n for n in b.notes)
