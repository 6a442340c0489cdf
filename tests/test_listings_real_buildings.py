"""Real listings of buildings, misplaced coordinates and the file of every flagged row.

Found on real files: a point or table row per building with its number of dwellings
(套数, a parcel layer's NUNITS) was read as one dwelling; an OpenAddresses CSV names its
UTM metres lon/lat; a European listing with lon and lat exchanged is still valid lon/lat
and fell outside every boundary without a word; a listing with hundreds of problems shows
20 examples per check and needs a file naming them all.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from fieldsurvey.frame.build import build_frame, rows_path
from fieldsurvey.io.errors import CRSError, InputError
from fieldsurvey.io.listings import read_listing


def _grid(x0: float, y0: float, step: float = 0.01) -> gpd.GeoDataFrame:
    boxes = [shapely.box(x0 + i * step, y0, x0 + (i + 1) * step, y0 + step) for i in range(2)]
    return gpd.GeoDataFrame({"community_id": ["A", "B"], "households": [10, 10]},
                            geometry=boxes, crs="EPSG:4326")


def test_building_rows_with_a_dwelling_count_become_dwellings(tmp_path: Path) -> None:
    path = tmp_path / "楼栋.csv"
    pd.DataFrame({"楼栋": ["1栋", "2栋"], "套数": [6, 4], "层数": [3, 2],
                  "经度": [121.505, 121.515], "纬度": [25.035, 25.035]}).to_csv(path, index=False)
    df = read_listing(path)
    assert df.groupby("building").size().to_dict() == {"1栋": 6, "2栋": 4}
    assert not df["estimated"].any()  # counted, not estimated
    assert list(df.loc[df["building"] == "1栋", "door"]) == ["101", "102", "201", "202",
                                                             "301", "302"]
    res = build_frame(_grid(121.50, 25.03), path)
    assert res.qa.summary["dwellings"] == 10 and res.qa["duplicate_point"].count == 0


def test_lon_lat_columns_holding_metres_of_the_given_crs(tmp_path: Path) -> None:
    path = tmp_path / "lake-man-3740.csv"
    path.write_text("lon,lat,number,street\n565210.3,4184173.2,5,PZ ESPAÑA\n"
                    "565433.3,4184165.6,7,PZ ESPAÑA\n", encoding="utf-8")
    df = read_listing(path, crs="EPSG:3740")
    assert df["lon"].between(-122.27, -122.25).all() and df["lat"].between(37.80, 37.81).all()
    with pytest.raises(CRSError):  # without the CRS they are no longitudes
        read_listing(path)


def test_exchanged_lon_lat_are_refused_with_the_mapping_that_fixes_them(
        tmp_path: Path) -> None:
    path = tmp_path / "bruxelles.csv"
    pd.DataFrame({"adresse": [f"Rue Haute {i}" for i in range(10)],
                  "longitude": [50.832 + 0.0005 * i for i in range(10)],
                  "latitude": [4.342 + 0.001 * i for i in range(10)]}).to_csv(path, index=False)
    with pytest.raises(CRSError) as err:
        build_frame(_grid(4.34, 50.83), path)
    assert "--columns lon=latitude --columns lat=longitude" in str(err.value)
    res = build_frame(_grid(4.34, 50.83), path,
                      columns={"lon": "latitude", "lat": "longitude"})
    assert res.qa["outside_boundaries"].count == 0


def test_every_flagged_row_is_written_beside_the_report(tmp_path: Path) -> None:
    n = 60  # more problems than the report's examples
    df = pd.DataFrame({"地址": [f"幸福路{i}号" for i in range(n)] + ["幸福路1号"],
                       "经度": [121.505] * n + [121.50501], "纬度": [25.035] * n + [25.035]})
    df.loc[df.index[:n:2], "经度"] = 121.6  # outside every boundary
    report = tmp_path / "qa.json"
    res = build_frame(_grid(121.50, 25.03), df, report_path=report)
    rows = pd.read_csv(rows_path(report), encoding="utf-8-sig", dtype=str)
    outside_check = res.qa["outside_boundaries"]
    assert outside_check.count == 30 and len(outside_check.examples) == 20
    outside = rows[rows["problems"].str.contains("outside_boundaries")]
    assert len(outside) == 30 and outside["source_row"].astype(int).tolist() == list(range(1, n, 2))
    dup = rows[rows["problems"].str.contains("duplicate_address")]
    assert dup["address"].tolist() == ["幸福路1号", "幸福路1号"]
    assert "qa.rows.csv" in res.qa.to_text()
    clean = build_frame(_grid(121.50, 25.03), df.iloc[[1]], report_path=report)
    assert not rows_path(report).exists() and clean.qa.rows_file is None


def test_a_sparse_or_empty_dwelling_count(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("地址,套数,经度,纬度\n幸福路1号,3,121.505,25.035\n幸福路2号,,121.506,25.035\n",
                    encoding="utf-8")
    df = read_listing(path)
    assert list(df["source_row"]) == [1, 1, 1, 2]  # 3 dwellings, then one address
    assert not df["estimated"].any()
    empty = tmp_path / "parcels.csv"  # a parcel export's NUNITS column, never filled
    empty.write_text("NUNITS,OA:x,OA:y\n,-122.2592,37.8026\n,-122.2567,37.8025\n",
                     encoding="utf-8")
    out = read_listing(empty, columns={"lon": "OA:x", "lat": "OA:y"})
    assert len(out) == 2 and out["footprint_dwelling"].isna().all()


def test_unknown_height_written_as_minus_one_is_unknown(tmp_path: Path) -> None:
    # Microsoft's GlobalMLBuildingFootprints: {"height": -1.0, "confidence": -1.0}
    box = shapely.box(121.5050, 25.0350, 121.5052, 25.0352)  # about 400 m²
    gdf = gpd.GeoDataFrame({"height": [-1.0, 12.0, 0.0], "confidence": [-1.0, 0.9, -1.0]},
                           geometry=[box, shapely.affinity.translate(box, 0.001),
                                     shapely.affinity.translate(box, 0.002)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "ms.geojson")
    with pytest.raises(InputError, match="2 of 3 building footprint"):
        read_listing(tmp_path / "ms.geojson", dwellings_per_floor=2)
    df = read_listing(tmp_path / "ms.geojson", dwellings_per_floor=2, dwelling_area=100)
    sizes = df.groupby("building").size().to_dict()
    assert sizes["2"] == 8  # 12 m / 3 m = 4 storeys x 2
    assert 3 <= sizes["1"] <= 5 and sizes["1"] == sizes["3"]  # floor area / 100 m²
    assert df.attrs["fieldsurvey"]["footprints"]["unsized"] == 2


def test_a_listing_read_in_the_wrong_crs_is_refused_with_where_it_landed(
        tmp_path: Path) -> None:
    path = tmp_path / "address_data.csv"  # Portland's address points, Oregon North (ft)
    path.write_text("address_id,address_full,X,Y\n"
                    "173481,0 NE ALBERTA ST,7649368.305,697271.744\n"
                    "194230,0 NE WEIDLER ST,7654457.875,688271.362\n"
                    "475756,2211 SE OCHOCO ST,7652570.116,660713.526\n"
                    "173500,10 NE ALBERTA ST,7649400.0,697271.0\n"
                    "173501,12 NE ALBERTA ST,7649430.0,697271.0\n", encoding="utf-8")
    right = read_listing(path, crs="EPSG:2913")
    box = shapely.box(right["lon"].min() - 0.01, right["lat"].min() - 0.01,
                      right["lon"].max() + 0.01, right["lat"].max() + 0.01)
    b = gpd.GeoDataFrame({"community_id": ["PDX"]}, geometry=[box], crs="EPSG:4326")
    assert build_frame(b, path, listing_crs="EPSG:2913").qa["outside_boundaries"].count == 0
    with pytest.raises(CRSError) as err:  # Oregon South: the points land in Idaho
        build_frame(b, path, listing_crs="EPSG:2270")
    assert "km away" in str(err.value) and "EPSG:2270" in str(err.value)
