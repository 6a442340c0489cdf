"""Listing files as public registries and GIS exports really come, each self-made here.

Each case reproduces a real file that failed: Iceland's address registry (``|``-separated
``.dsv``, decimal commas, ``LAT_WGS84``), Berlin's (``;``, cp1252, decimal-comma x/y in
EPSG:3068), Japan's (Shift-JIS, 緯度/経度, full-width Ｘ座標), an OpenAddresses CSV with a WKT
``OA:geom`` column, registries shipped as zips (a CSV, a shapefile in a sub-folder), an
Overture GeoParquet of buildings, an OSM XML extract, and a CSV with a broken quote.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from fieldsurvey.io.errors import CRSError, InputError
from fieldsurvey.io.listings import read_listing


def test_pipe_separated_registry_with_decimal_commas(tmp_path: Path) -> None:
    text = ('HNITNUM|HEITI_NF|HUSNR|X_ISN93|Y_ISN93|LAT_WGS84|LONG_WGS84\n'
            '10095286|"2.Gata v/Rauðavatn"|29|365037,8|404228,7|64,11438660967|-21,7702940057\n'
            '10095287|"3.Gata v/Rauðavatn"|4|365099,6|403801,1|64,1105792127|-21,7686414198\n')
    path = tmp_path / "STADFANG.dsv"
    path.write_text(text, encoding="utf-8")
    df = read_listing(path)
    assert df.attrs["fieldsurvey"]["columns"] == {"lat": "LAT_WGS84", "lon": "LONG_WGS84"}
    np.testing.assert_allclose(df["lat"], [64.11438660967, 64.1105792127])
    np.testing.assert_allclose(df["lon"], [-21.7702940057, -21.7686414198])
    assert list(df["HEITI_NF"]) == ["2.Gata v/Rauðavatn", "3.Gata v/Rauðavatn"]


def test_semicolon_cp1252_decimal_comma_projected(tmp_path: Path) -> None:
    text = ("NBA;OI;STN;HNR;EEEEEEEE_EEE;NNNNNNN_NNN;PLZ\n"
            "N;DEBE000000194047;Otto-Braun-Straße;72;26010,275;21847,69;10178\n"
            "N;DEBE000000195412;Dorotheenstraße;3;24431,066;21394,633;10117\n")
    path = tmp_path / "HKO_2015_EPSG3068.txt"
    path.write_bytes(text.encode("cp1252"))
    df = read_listing(path, encoding="cp1252", crs="EPSG:3068",
                      columns={"x": "EEEEEEEE_EEE", "y": "NNNNNNN_NNN"})
    assert list(df["STN"]) == ["Otto-Braun-Straße", "Dorotheenstraße"]
    assert 13.40 < df["lon"][0] < 13.43 and 52.51 < df["lat"][0] < 52.53  # Alexanderplatz


def test_decimal_comma_is_not_guessed_in_comma_separated_files(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text('lon,lat\n"121,5","25,03"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_listing(path)
    assert err.value.row == 1 and err.value.field == "lon"


def test_shift_jis_registry_with_japanese_and_full_width_headers(tmp_path: Path) -> None:
    text = ('"都道府県名","市区町村名","大字・町丁目名","Ｘ座標","Ｙ座標","緯度","経度"\n'
            '"奈良県","奈良市","針町","-154439.3","-4117.5","34.607832","135.955104"\n')
    path = tmp_path / "29_2013.CSV"
    path.write_bytes(text.encode("shift_jis"))
    df = read_listing(path, encoding="shift_jis")
    assert df.attrs["fieldsurvey"]["columns"] == {"lat": "緯度", "lon": "経度"}
    assert df["lon"][0] == pytest.approx(135.955104) and df["lat"][0] == pytest.approx(34.607832)
    assert df["Ｘ座標"][0] == "-154439.3"  # kept under its own name


def test_a_broken_quote_is_named_by_row_and_line(tmp_path: Path) -> None:
    path = tmp_path / "address_data.csv"
    path.write_text('"id","street","unit","city","X","Y"\n'
                    '"1","ALBERTA","","PORTLAND","7649368.3","697271.7"\n'
                    '"2","OCHOCO",""","PORTLAND","7652570.1","660713.5"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_listing(path, crs="EPSG:2913")
    assert err.value.row == 2
    assert "line 3" in str(err.value) and "6 fields" in str(err.value)


def test_wkt_geometry_column(tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text('id,HNUM,OA:x,OA:y,OA:geom\n'
                    '1,5,-122.2592,37.8026,POINT (-122.259250 37.802613 0)\n'
                    '2,7,-122.2567,37.8025,POINT (-122.256718 37.802528 0)\n'
                    '3,9,,,\n', encoding="utf-8")
    df = read_listing(path)
    np.testing.assert_allclose(df["lon"][:2], [-122.25925, -122.256718])
    assert np.isnan(df["lon"][2])  # an empty geometry is a dwelling without a point
    assert "OA:geom" not in df.columns and list(df["HNUM"]) == ["5", "7", "9"]


def test_wkt_polygons_in_a_projected_crs(tmp_path: Path) -> None:
    ring = "565011 4190878, 565007 4190904, 565044 4190911, 565049 4190885, 565011 4190878"
    path = tmp_path / "parcels.csv"
    path.write_text(f'WKT,APN,storeys\n"POLYGON (({ring}))",055,3\n', encoding="utf-8")
    with pytest.raises(CRSError) as err:
        read_listing(path, dwellings_per_floor=2)
    assert err.value.field == "WKT" and "--listing-crs" in str(err.value)
    df = read_listing(path, crs="EPSG:26910", dwellings_per_floor=2)
    assert len(df) == 6 and df["estimated"].all()
    assert -122.27 < df["lon"][0] < -122.25
    ewkt = tmp_path / "ewkt.csv"
    ewkt.write_text('geom,name\n"SRID=32610;POINT (565028 4190894)",a\n', encoding="utf-8")
    assert -122.27 < read_listing(ewkt)["lon"][0] < -122.25


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"STREET": ["Rue Haute", "Rue Blaes"], "NUM": ["1", "2"]},
                            geometry=[shapely.Point(4.34, 50.83), shapely.Point(4.35, 50.84)],
                            crs="EPSG:4326")


def test_zipped_registries(tmp_path: Path) -> None:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    _points().to_file(shp_dir / "UrbAdm_AdPt.shp")
    with zipfile.ZipFile(tmp_path / "brussels.zip", "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, f"shp/{part.name}")
    df = read_listing(tmp_path / "brussels.zip")
    assert list(df["STREET"]) == ["Rue Haute", "Rue Blaes"]
    assert df.attrs["fieldsurvey"]["path"].endswith("brussels.zip!shp/UrbAdm_AdPt.shp")
    with zipfile.ZipFile(tmp_path / "nl.zip", "w") as zf:
        zf.writestr("bagadres.csv", "openbareruimte;huisnummer;lon;lat\nGalvanistraat;65;"
                    "4.27804895951284;52.0797724843792\n")
    assert read_listing(tmp_path / "nl.zip")["lat"][0] == pytest.approx(52.0797724843792)
    with zipfile.ZipFile(tmp_path / "pl.zip", "w") as zf:
        zf.writestr("a/dolnoslaskie.gml", "<x/>")
        zf.writestr("a/lodzkie.gml", "<x/>")
    with pytest.raises(InputError, match="exactly one listing"):
        read_listing(tmp_path / "pl.zip")
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        zf.writestr("l.csv", "lon,lat\n121.5,25.0\n121.5\n")
    with pytest.raises(InputError) as err:
        read_listing(tmp_path / "bad.zip")
    assert str(err.value.file).endswith("bad.zip!l.csv")


def test_overture_style_geoparquet_buildings(tmp_path: Path) -> None:
    box = shapely.box(7.3943, 50.3465, 7.3945, 50.3467)
    gdf = gpd.GeoDataFrame({"id": ["a", "b", "c"], "height": [9.2, np.nan, np.nan],
                            "num_floors": [np.nan, 2.0, np.nan],
                            "sources": [[{"dataset": "OpenStreetMap"}]] * 3},
                           geometry=[box, shapely.affinity.translate(box, 0.001),
                                     shapely.affinity.translate(box, 0.002)], crs="OGC:CRS84")
    gdf.to_parquet(tmp_path / "overture.parquet")
    df = read_listing(tmp_path / "overture.parquet", dwellings_per_floor=2, dwelling_area=90)
    assert df.groupby("building").size().to_dict() == {"1": 6, "2": 4, "3": 4}
    plain = tmp_path / "plain.parquet"
    pd.DataFrame({"经度": [121.5], "纬度": [25.03], "门牌": ["桂林路52號3樓"]}).to_parquet(plain)
    out = read_listing(plain)
    assert out["address"][0] == "桂林路52號3樓" and out["lon"][0] == pytest.approx(121.5)


_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" version="1" lat="60.170" lon="24.940"/>
  <node id="2" version="1" lat="60.170" lon="24.941"/>
  <node id="3" version="1" lat="60.171" lon="24.941"/>
  <node id="4" version="1" lat="60.171" lon="24.940"/>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="{key}" v="{value}"/><tag k="building:levels" v="3"/>
    <tag k="addr:street" v="Mannerheimintie"/><tag k="addr:housenumber" v="5"/>
  </way>
</osm>
"""


def test_osm_xml_extract(tmp_path: Path) -> None:
    path = tmp_path / "extract.osm"
    path.write_text(_OSM.format(key="building", value="apartments"), encoding="utf-8")
    df = read_listing(path, dwellings_per_floor=2)
    assert len(df) == 6 and (df["building_type"] == "apartments").all()
    assert df["address"][0] == "Mannerheimintie 5 101"
    park = tmp_path / "park.osm"
    park.write_text(_OSM.format(key="leisure", value="park"), encoding="utf-8")
    with pytest.raises(InputError, match="no buildings"):
        read_listing(park, dwellings_per_floor=2)


def test_overpass_ways_written_as_closed_lines_are_outlines(tmp_path: Path) -> None:
    square = [(-4.48, 54.15), (-4.4799, 54.15), (-4.4799, 54.1501), (-4.48, 54.1501)]
    ways = [shapely.LineString([*square, square[0]]),
            shapely.LineString([(x + 0.001, y) for x, y in [*square, square[0]]]),
            shapely.LineString(square[:3])]  # an unclosed way: no outline to read
    gdf = gpd.GeoDataFrame({"@id": ["way/1", "way/2", "way/3"],
                            "building:levels": [2, 3, None]}, geometry=ways, crs="EPSG:4326")
    gdf.to_file(tmp_path / "buildings.geojson")
    df = read_listing(tmp_path / "buildings.geojson", dwellings_per_floor=1, skip_unsized=True)
    assert df.groupby("building").size().to_dict() == {"1": 2, "2": 3}
    assert df.attrs["fieldsurvey"]["footprints"]["left_out_unsized"] == 1
    mixed = pd.concat([gdf.iloc[:2], gpd.GeoDataFrame(
        {"@id": ["node/9"]}, geometry=[shapely.Point(-4.47, 54.15)], crs="EPSG:4326")])
    mixed.to_file(tmp_path / "mixed.geojson")
    with pytest.raises(InputError) as err:
        read_listing(tmp_path / "mixed.geojson", dwellings_per_floor=1)
    assert "2 polygons, 1 points" in str(err.value)


def test_split_address_fields_make_the_address(tmp_path: Path) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text('"osm_id","lat","lon","addr:unit","addr:housename","addr:housenumber",'
                    '"addr:street"\n'
                    '"1","54.1755","-4.4559","","","10B","Avondale Road"\n'
                    '"2","54.1755","-4.4559","","","10C","Avondale Road"\n'
                    '"3","54.1755","-4.4559","2","","10C","Avondale Road"\n'
                    '"4","54.1756","-4.4558","","Rose Cottage","","Avondale Road"\n',
                    encoding="utf-8")
    df = read_listing(path)
    assert list(df["address"]) == ["Avondale Road 10B", "Avondale Road 10C",
                                   "Avondale Road 10C 2", "Rose Cottage, Avondale Road"]
    oa = tmp_path / "oa.csv"
    oa.write_text("LON,LAT,NUMBER,STREET,UNIT,CITY\n-122.26,37.80,5,PZ ESPAÑA,,OAKLAND\n",
                  encoding="utf-8")
    assert read_listing(oa)["address"][0] == "PZ ESPAÑA 5"


def test_words_for_no_value_and_null_island_are_missing_points(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("地址,经度,纬度,户数\n幸福路1号,121.505,25.035,NULL\n幸福路2号,#N/A,#N/A,2\n"
                    "幸福路3号,0,0,无\n幸福路4号,0,25.035,-\n", encoding="utf-8")
    df = read_listing(path)
    assert df["lon"].isna().tolist() == [False, True, True, False]
    assert df["lon"][3] == 0.0  # only the pair 0, 0 means "no point"
    assert df["households"].tolist() == [1, 2, 1, 1]


def test_one_column_with_both_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "高德拾取.csv"
    path.write_text('小区,经纬度\n幸福小区,"121.5053,25.0355"\n和平小区,"121.5061，25.0349"\n'
                    '无坐标小区,\n', encoding="utf-8")
    df = read_listing(path)
    np.testing.assert_allclose(df["lon"][:2], [121.5053, 121.5061])
    np.testing.assert_allclose(df["lat"][:2], [25.0355, 25.0349])
    assert np.isnan(df["lon"][2])
    google = tmp_path / "google.csv"  # Google Maps copies "lat, lng"
    google.write_text('name,location\nA,"25.0355, 121.5053"\n', encoding="utf-8")
    assert read_listing(google)["lon"][0] == pytest.approx(121.5053)


def test_x_y_columns_holding_degrees_are_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "arcgis.csv"  # ArcGIS "Add XY Coordinates" on a WGS 84 layer
    path.write_text("FID,门牌,POINT_X,POINT_Y\n0,幸福路1号,121.5053,25.0355\n", encoding="utf-8")
    df = read_listing(path)
    assert df["lon"][0] == pytest.approx(121.5053) and df["address"][0] == "幸福路1号"
    metres = tmp_path / "cgcs.csv"  # metres still need their CRS
    metres.write_text("X坐标,Y坐标\n500123.4,2770456.1\n", encoding="utf-8")
    with pytest.raises(CRSError, match="--listing-crs"):
        read_listing(metres)
