"""Reading community boundaries: formats, encodings, CRSs, repairs and bad files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from _framekit import communities, write_geojson

from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.coords import wgs84_to_gcj02
from fieldsurvey.io.errors import ColumnError, CRSError, EncodingError, InputError

NAMES = ["东风社区", "向阳社区", "团结社区", "和平社区"]


def _same_geometry(frame: gpd.GeoDataFrame, tol: float = 1e-7) -> bool:
    ref = communities()
    got = shapely.normalize(frame.geometry.values)
    return bool(np.all(shapely.equals_exact(got, shapely.normalize(ref.geometry.values), tolerance=tol)))


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "shp"])
def test_each_format_reads_ids_names_and_attributes(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"b.{ext}"
    communities().to_file(path, engine="pyogrio")
    b = read_boundaries(path)
    assert b.frame["community_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert b.frame["name"].tolist() == NAMES
    assert b.frame.crs.to_epsg() == 4326 and _same_geometry(b.frame)
    assert b.frame["households"].tolist() == [10, 4, 5, 100]
    assert b.repaired.empty and b.crs_identified


def test_kml_when_the_driver_exists(tmp_path: Path) -> None:
    if not ({"KML", "LIBKML"} & set(pyogrio.list_drivers())):
        pytest.skip("this GDAL build has no KML driver")
    path = tmp_path / "b.kml"
    pyogrio.write_dataframe(communities(), path, driver="KML")
    b = read_boundaries(path)
    assert b.frame["community_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert b.frame["name"].tolist() == NAMES  # KML keeps it in Name, recognised as the name
    assert _same_geometry(b.frame)


def _gbk_shapefile(tmp_path: Path, cpg: bool) -> Path:
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(communities(), path, encoding="GBK")
    assert "东风".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def test_shapefile_gbk_with_cpg(tmp_path: Path) -> None:
    b = read_boundaries(_gbk_shapefile(tmp_path, cpg=True))
    assert b.frame["name"].tolist() == NAMES
    # dBase truncates community_id to community_ (10 characters); the default still finds it
    assert b.id_field == "community_"


def test_shapefile_gbk_without_cpg_is_detected_or_given(tmp_path: Path) -> None:
    path = _gbk_shapefile(tmp_path, cpg=False)
    assert read_boundaries(path).frame["name"].tolist() == NAMES
    assert read_boundaries(path, encoding="GBK").frame["name"].tolist() == NAMES


def test_shapefile_text_invalid_in_given_encoding(tmp_path: Path) -> None:
    path = _gbk_shapefile(tmp_path, cpg=False)
    with pytest.raises(EncodingError, match="not valid in the given encoding"):
        read_boundaries(path, encoding="UTF-8")


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = write_geojson(communities(), tmp_path / "b.geojson")
    with pytest.raises(EncodingError, match="unknown text encoding"):
        read_boundaries(path, encoding="martian")


@pytest.mark.parametrize("epsg", [4490, 4548, 32650])
def test_cgcs2000_and_projected_crs_come_back_in_wgs84(tmp_path: Path, epsg: int) -> None:
    path = tmp_path / "b.gpkg"
    communities(f"EPSG:{epsg}").to_file(path)
    b = read_boundaries(path)
    assert b.source_crs.to_epsg() == epsg
    assert b.frame.crs.to_epsg() == 4326
    assert _same_geometry(b.frame, tol=1e-6)


def test_shapefile_without_prj_needs_crs(tmp_path: Path) -> None:
    path = tmp_path / "noprj.shp"
    communities("EPSG:4548").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"no \.prj") as exc:
        read_boundaries(path)
    assert "--crs" in str(exc.value)
    b = read_boundaries(path, crs="EPSG:4548")
    assert _same_geometry(b.frame, tol=1e-6)
    b = read_boundaries(path, crs="4548")  # a bare code works too
    assert b.source_crs.to_epsg() == 4548


def test_crs_contradicting_the_file_and_unknown_crs(tmp_path: Path) -> None:
    path = tmp_path / "b.gpkg"
    communities("EPSG:4548").to_file(path)
    with pytest.raises(CRSError, match="different coordinate reference system"):
        read_boundaries(path, crs="EPSG:32650")
    with pytest.raises(CRSError, match="not one pyproj knows"):
        read_boundaries(path, crs="EPSG:999999")


def test_wrong_crs_gives_impossible_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "noprj.shp"
    communities("EPSG:4548").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="do not fit"):
        read_boundaries(path, crs="EPSG:4326")  # metres read as degrees


def test_invalid_polygons_repaired_and_reported(tmp_path: Path) -> None:
    gdf = communities()
    bowtie = shapely.Polygon([(116.40, 39.90), (116.41, 39.91), (116.41, 39.90), (116.40, 39.91)])
    gdf.loc[0, "geometry"] = bowtie
    path = write_geojson(gdf, tmp_path / "b.geojson")
    b = read_boundaries(path)
    assert b.frame.geometry.is_valid.all()
    assert b.frame.geometry.iloc[0].geom_type == "MultiPolygon"
    assert b.frame.geometry.iloc[0].area == pytest.approx(2 * 0.25 * 0.01**2, rel=1e-6)  # 2 triangles
    assert b.repaired["community_id"].tolist() == ["C1"] and b.repaired["feature"].tolist() == [1]
    assert "Self-intersection" in b.repaired["reason"].iloc[0]


def test_multipolygons_and_holes_are_kept(tmp_path: Path) -> None:
    gdf = communities()
    outer = shapely.box(116.40, 39.90, 116.41, 39.91)
    hole = shapely.box(116.403, 39.903, 116.407, 39.907)
    gdf.loc[0, "geometry"] = shapely.MultiPolygon([outer.difference(hole), shapely.box(117, 40, 117.01, 40.01)])
    path = write_geojson(gdf, tmp_path / "b.geojson")
    geom = read_boundaries(path).frame.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert len(geom.geoms[0].interiors) == 1


def test_gcj02_boundaries_are_shifted_back(tmp_path: Path) -> None:
    gdf = communities()
    gdf["geometry"] = shapely.transform(gdf.geometry.values,
                                        lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    path = write_geojson(gdf, tmp_path / "b.geojson")
    assert not _same_geometry(read_boundaries(path).frame, tol=1e-5)
    assert _same_geometry(read_boundaries(path, coords="gcj02").frame, tol=1e-8)


def test_missing_id_field_lists_the_fields(tmp_path: Path) -> None:
    path = write_geojson(communities(), tmp_path / "b.geojson")
    with pytest.raises(ColumnError) as exc:
        read_boundaries(path, id_field="社区编码")
    text = str(exc.value)
    assert "社区编码" in text and "community_id, name, street, type, households" in text
    assert read_boundaries(path, id_field="NAME").frame["community_id"].tolist() == NAMES


def test_duplicate_and_missing_ids(tmp_path: Path) -> None:
    gdf = communities()
    gdf.loc[3, "community_id"] = "C1"
    with pytest.raises(InputError, match="occur more than once") as exc:
        read_boundaries(write_geojson(gdf, tmp_path / "dup.geojson"))
    assert "'C1' in features 1, 4" in str(exc.value)
    gdf.loc[3, "community_id"] = None
    with pytest.raises(InputError, match="no community id") as exc:
        read_boundaries(write_geojson(gdf, tmp_path / "none.geojson"))
    assert exc.value.row == 4


def test_numeric_ids_become_strings_without_decimals(tmp_path: Path) -> None:
    gdf = communities()
    gdf["code"] = [110101001.0, 110101002.0, 110101003.0, 110101004.0]
    b = read_boundaries(write_geojson(gdf, tmp_path / "b.geojson"), id_field="code")
    assert b.frame["community_id"].tolist()[0] == "110101001"


def test_truncated_geojson(tmp_path: Path) -> None:
    good = write_geojson(communities(), tmp_path / "good.geojson").read_bytes()
    path = tmp_path / "cut.geojson"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="cannot read this file"):
        read_boundaries(path)


def test_truncated_shapefile(tmp_path: Path) -> None:
    path = tmp_path / "cut.shp"
    communities().to_file(path)
    data = path.read_bytes()
    path.write_bytes(data[:120])
    with pytest.raises(InputError):
        read_boundaries(path)


def test_non_geographic_files(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_text("community_id,name\nC1,东风\n", encoding="utf-8")
    with pytest.raises(InputError, match="no geometries"):
        read_boundaries(table)
    picture = tmp_path / "map.geojson"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="cannot read"):
        read_boundaries(picture)


def test_empty_file_and_empty_layer(tmp_path: Path) -> None:
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_boundaries(empty)
    nofeatures = tmp_path / "none.geojson"
    nofeatures.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="no features"):
        read_boundaries(nofeatures)


def test_points_are_not_boundaries(tmp_path: Path) -> None:
    gdf = communities()
    gdf["geometry"] = gdf.geometry.representative_point()  # points, wherever they fall
    with pytest.raises(InputError, match="must be polygons"):
        read_boundaries(write_geojson(gdf, tmp_path / "pts.geojson"))


def test_missing_file_is_a_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_boundaries(tmp_path / "nope.geojson")
