"""Reading dwelling listings: encodings, headers, mappings, coordinates, footprints."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _framekit import listing, write_csv

from fieldsurvey.io.coords import wgs84_to_bd09, wgs84_to_gcj02
from fieldsurvey.io.errors import ColumnError, CRSError, EncodingError, InputError
from fieldsurvey.io.listings import read_listing

CHINESE = {"dwelling_id": "住户编号", "community_id": "社区编码", "compound": "小区",
           "building": "楼栋", "unit": "单元", "floor": "楼层", "door": "门牌号",
           "address": "地址", "lon": "经度", "lat": "纬度", "status": "状态", "households": "户数"}
STATUS_ZH = {"occupied": "在住", "vacant": "空置"}


def _chinese(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns=CHINESE)
    out["状态"] = out["状态"].map(STATUS_ZH)
    return out


def _check(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert got["dwelling_id"].tolist() == ref["dwelling_id"].tolist()
    assert got["community_id"].tolist() == ref["community_id"].tolist()
    assert got["address"].tolist() == ref["address"].tolist()
    assert got["status"].tolist() == ref["status"].tolist()
    assert np.allclose(got["lon"], ref["lon"]) and np.allclose(got["lat"], ref["lat"])
    assert got["source_row"].tolist() == list(range(1, len(ref) + 1))
    assert got["households"].tolist() == [1] * len(ref)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    ref = listing()
    path = write_csv(_chinese(ref), tmp_path / "l.csv", encoding)
    got = read_listing(path)
    _check(got, ref)
    assert got.attrs["fieldsurvey"]["encoding"] == {"gbk": "gb18030"}.get(encoding, encoding)


def test_csv_given_encoding(tmp_path: Path) -> None:
    path = write_csv(_chinese(listing()), tmp_path / "l.csv", "gbk")
    _check(read_listing(path, encoding="GBK"), listing())


def test_invalid_bytes_in_detected_encoding_name_the_row(tmp_path: Path) -> None:
    path = write_csv(_chinese(listing()), tmp_path / "l.csv", "gbk")
    data = bytearray(path.read_bytes())
    lines = data.split(b"\n")
    lines[3] = lines[3] + b"\xff\xfe"  # data row 3: bytes that are not GBK
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(EncodingError) as exc:
        read_listing(path)
    assert exc.value.row == 3 and "--listing-encoding" in str(exc.value)


def test_text_not_valid_in_given_encoding(tmp_path: Path) -> None:
    path = write_csv(_chinese(listing()), tmp_path / "l.csv", "gbk")
    with pytest.raises(EncodingError, match="not valid UTF-8") as exc:
        read_listing(path, encoding="utf-8")
    assert exc.value.row == 0 or exc.value.row is None  # the header holds the first Chinese


def test_xlsx_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "l.xlsx"
    _chinese(listing()).to_excel(path, index=False, sheet_name="清单")
    got = read_listing(path)
    _check(got, listing())
    assert got["floor"].tolist()[:3] == ["1", "2", "3"]
    assert read_listing(path, sheet="清单")["door"].tolist() == listing()["door"].tolist()


def test_alternative_chinese_headers_and_extra_columns(tmp_path: Path) -> None:
    df = _chinese(listing()).rename(columns={"社区编码": "社区代码", "楼栋": "楼号", "门牌号": "房号"})
    df["备注"] = "ok"
    got = read_listing(write_csv(df, tmp_path / "l.csv"))
    _check(got, listing())
    assert got["door"].tolist() == listing()["door"].tolist() and got["备注"].tolist()[0] == "ok"


def test_status_words(tmp_path: Path) -> None:
    df = listing(2).iloc[:6].copy()
    df["status"] = ["在住", "空置", "非住宅", "  occupied ", "", "见备注"]
    got = read_listing(write_csv(df, tmp_path / "l.csv"))
    assert got["status"].tolist() == ["occupied", "vacant", "non_residential", "occupied",
                                      "unknown", "unknown"]


def test_mapping_in_both_directions_and_from_files(tmp_path: Path) -> None:
    df = listing().rename(columns={"building": "栋号", "lon": "X经", "lat": "Y纬"})
    path = write_csv(df, tmp_path / "l.csv")
    for mapping in ({"building": "栋号", "lon": "X经", "lat": "Y纬"},
                    {"栋号": "building", "X经": "lon", "Y纬": "lat"}):
        got = read_listing(path, columns=mapping)
        assert got["building"].tolist() == listing()["building"].tolist()
    toml = tmp_path / "m.toml"
    toml.write_text('[columns]\nbuilding = "栋号"\nlon = "X经"\nlat = "Y纬"\n', encoding="utf-8")
    js = tmp_path / "m.json"
    js.write_text(json.dumps({"building": "栋号", "lon": "X经", "lat": "Y纬"}), encoding="utf-8")
    for f in (toml, js):
        _check(read_listing(path, columns=f), listing())


def test_mapping_naming_a_missing_column(tmp_path: Path) -> None:
    path = write_csv(listing(), tmp_path / "l.csv")
    with pytest.raises(ColumnError, match="does not have") as exc:
        read_listing(path, columns={"building": "栋号"})
    assert "dwelling_id, community_id" in str(exc.value)


def test_no_coordinates_and_no_community(tmp_path: Path) -> None:
    df = listing()[["dwelling_id", "building", "door"]]
    with pytest.raises(ColumnError, match="no coordinate columns and no community column") as exc:
        read_listing(write_csv(df, tmp_path / "l.csv"))
    assert "dwelling_id, building, door" in str(exc.value)


def test_community_only_listing_is_fine(tmp_path: Path) -> None:
    df = listing().drop(columns=["lon", "lat"])
    got = read_listing(write_csv(df, tmp_path / "l.csv"))
    assert got["lon"].isna().all() and got["community_id"].notna().all()


def test_empty_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_listing(empty)
    header = tmp_path / "h.csv"
    header.write_text("dwelling_id,lon,lat\n", encoding="utf-8")
    with pytest.raises(InputError, match="no rows"):
        read_listing(header)
    xlsx = tmp_path / "e.xlsx"
    xlsx.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_listing(xlsx)


def test_damaged_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "l.xlsx"
    listing().to_excel(path, index=False)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(InputError, match="cannot be read"):
        read_listing(path)


def test_bad_numbers_name_row_and_column(tmp_path: Path) -> None:
    df = listing()
    df["lon"] = df["lon"].astype(object)
    df.loc[4, "lon"] = "116.4度"
    with pytest.raises(InputError, match="not numbers") as exc:
        read_listing(write_csv(df, tmp_path / "l.csv"))
    assert exc.value.row == 5 and exc.value.field == "lon"
    df = listing()
    df["households"] = df["households"].astype(object)
    df.loc[2, "households"] = "1.5"
    with pytest.raises(InputError, match="whole number") as exc:
        read_listing(write_csv(df, tmp_path / "l2.csv"))
    assert exc.value.row == 3


def test_spaces_around_values_are_trimmed(tmp_path: Path) -> None:
    df = listing().astype(str)
    df["lon"] = " " + df["lon"] + " "
    df.loc[0, "lat"] = "   "
    df["door"] = df["door"] + "  "
    got = read_listing(write_csv(df, tmp_path / "l.csv"))
    assert np.allclose(got["lon"], listing()["lon"]) and np.isnan(got["lat"].iloc[0])
    assert got["door"].tolist() == listing()["door"].tolist()


def test_swapped_lon_lat(tmp_path: Path) -> None:
    df = listing().rename(columns={"lon": "lat", "lat": "lon"})
    with pytest.raises(CRSError, match="swapped"):
        read_listing(write_csv(df, tmp_path / "l.csv"))


def test_projected_xy_needs_and_uses_a_crs(tmp_path: Path) -> None:
    ref = listing()
    pts = gpd.GeoSeries(gpd.points_from_xy(ref["lon"], ref["lat"]), crs=4326).to_crs(4548)
    df = ref.drop(columns=["lon", "lat"]).assign(x=pts.x.to_numpy(), y=pts.y.to_numpy())
    path = write_csv(df, tmp_path / "l.csv")
    with pytest.raises(CRSError, match="x/y coordinates but not their coordinate system"):
        read_listing(path)
    got = read_listing(path, crs="EPSG:4548")
    assert np.allclose(got["lon"], ref["lon"], atol=1e-8) and np.allclose(got["lat"], ref["lat"], atol=1e-8)


def test_cgcs2000_lonlat(tmp_path: Path) -> None:
    got = read_listing(write_csv(listing(), tmp_path / "l.csv"), crs="EPSG:4490")
    assert np.allclose(got["lon"], listing()["lon"], atol=1e-6)


@pytest.mark.parametrize(("system", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_web_map_coordinates(tmp_path: Path, system: str, forward) -> None:
    ref = listing()
    df = ref.copy()
    df["lon"], df["lat"] = forward(ref["lon"].to_numpy(), ref["lat"].to_numpy())
    got = read_listing(write_csv(df, tmp_path / "l.csv"), coords=system)
    assert np.allclose(got["lon"], ref["lon"], atol=1e-7) and np.allclose(got["lat"], ref["lat"], atol=1e-7)


def test_tab_separated_and_missing_values(tmp_path: Path) -> None:
    df = listing()
    df.loc[0, ["lon", "lat"]] = np.nan
    path = tmp_path / "l.txt"
    path.write_text(df.to_csv(index=False, sep="\t"), encoding="utf-8")
    got = read_listing(path)
    assert np.isnan(got["lon"].iloc[0]) and got["lon"].notna().sum() == len(df) - 1


def test_point_layer_listing(tmp_path: Path) -> None:
    ref = listing()
    gdf = gpd.GeoDataFrame(ref.drop(columns=["lon", "lat"]),
                           geometry=gpd.points_from_xy(ref["lon"], ref["lat"]), crs=4326).to_crs(32650)
    path = tmp_path / "pts.gpkg"
    gdf.to_file(path)
    got = read_listing(path)
    assert np.allclose(got["lon"], ref["lon"], atol=1e-8)
    assert got["dwelling_id"].tolist() == ref["dwelling_id"].tolist()


def _footprints(tmp_path: Path, **cols: list) -> Path:
    boxes = [shapely.box(116.401 + 0.001 * i, 39.901, 116.4015 + 0.001 * i, 39.9015) for i in range(3)]
    gdf = gpd.GeoDataFrame(cols, geometry=boxes, crs=4326)
    path = tmp_path / "fp.geojson"
    gdf.to_file(path)
    return path


def test_footprints_with_dwelling_counts(tmp_path: Path) -> None:
    path = _footprints(tmp_path, 楼号=["A", "B", "C"], 套数=[2, 0, 3], 层数=[1, 5, 3])
    got = read_listing(path)
    assert got["building"].tolist() == ["A", "A", "C", "C", "C"]
    assert got["door"].tolist() == ["101", "102", "101", "201", "301"]
    assert not got["estimated"].any()
    assert got["footprint_dwelling"].tolist() == [1, 2, 1, 2, 3]
    assert got["source_row"].tolist() == [1, 1, 3, 3, 3]


def test_footprints_with_storeys_or_height_are_estimated(tmp_path: Path) -> None:
    path = _footprints(tmp_path, height=[9.0, 4.4, np.nan], storeys=[np.nan, np.nan, 2])
    with pytest.raises(InputError, match="dwellings per floor"):
        read_listing(path)
    got = read_listing(path, dwellings_per_floor=2)
    # 9 m / 3 m = 3 storeys -> 6; 4.4 m -> 1 storey -> 2; 2 storeys -> 4
    assert got.groupby("source_row").size().tolist() == [6, 2, 4]
    assert got["estimated"].all()
    assert got["door"].tolist()[:6] == ["101", "102", "201", "202", "301", "302"]
    assert got["building"].tolist()[0] == "1"
    assert read_listing(path, dwellings_per_floor=1, storey_height=4.5)["source_row"].value_counts().sort_index().tolist() == [2, 1, 2]


def test_footprints_without_any_count(tmp_path: Path) -> None:
    path = _footprints(tmp_path, colour=["r", "g", "b"])
    with pytest.raises(ColumnError, match="no dwelling count, storeys or height"):
        read_listing(path)


def test_dataframe_in_memory_is_normalised_like_a_file() -> None:
    from fieldsurvey.io.normalise import normalise_listing

    got = normalise_listing(_chinese(listing()))
    _check(got, listing())
    assert normalise_listing(got) is got  # already normalised: unchanged
    with pytest.raises(ColumnError, match="no coordinate columns"):
        normalise_listing(listing()[["dwelling_id", "door"]])


def test_projected_crs_for_boundaries_does_not_touch_lonlat(tmp_path: Path) -> None:
    got = read_listing(write_csv(listing(), tmp_path / "l.csv"), crs="EPSG:4548")
    assert np.allclose(got["lon"], listing()["lon"])


def test_big5_listing_is_detected_and_names_survive(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    text = "社區編碼,地址,經度,緯度,狀態\nC1,鰂魚涌英皇道1號,114.21,22.28,在住\nC1,禾輋邨2座,114.19,22.38,在住\n"
    path.write_bytes(text.encode("big5hkscs"))
    df = read_listing(path)
    assert df["address"].tolist() == ["鰂魚涌英皇道1號", "禾輋邨2座"]
    assert df.attrs["fieldsurvey"]["encoding"] == "big5hkscs" and df["status"].eq("occupied").all()


def test_gbk_listing_with_traditional_characters_is_detected(tmp_path: Path) -> None:
    """GBK's traditional characters often have an ASCII second byte (臺 = 0xC5 0x5F), which
    breaks the runs of high bytes; the text still reads as GBK, and Latin-1 does not."""
    path = tmp_path / "l.csv"
    text = ("社區編碼,地址,經度,緯度,狀態\nC1,臺北市萬華區龍山里艋舺大道1號,121.50,25.04,在住\n"
            "C1,高雄市鳳山區鳳山里光遠路2號,120.36,22.63,在住\n")
    path.write_bytes(text.encode("gbk"))
    df = read_listing(path)
    assert df["address"].tolist() == ["臺北市萬華區龍山里艋舺大道1號", "高雄市鳳山區鳳山里光遠路2號"]
    assert df.attrs["fieldsurvey"]["encoding"] == "gb18030"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("community_id,address,lon,lat\nC1,Rua da Conceição 1,-34.9,-8.0\n"
                      "C1,Praça São Pedro 2,-34.9,-8.0\n".encode("cp1252"))
    with pytest.raises(EncodingError):
        read_listing(latin)


def test_private_use_characters_in_boundaries_are_an_error(tmp_path: Path) -> None:
    import geopandas as gpd
    import shapely

    from fieldsurvey.io.boundaries import read_boundaries

    gdf = gpd.GeoDataFrame({"community_id": ["C1"], "name": ["禾\ue05e邨"]},
                           geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    path = tmp_path / "b.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(EncodingError, match="private-use") as exc:
        read_boundaries(path)
    assert exc.value.field == "name" and "--encoding" in str(exc.value)
