"""Real-shaped boundary files: Chinese attribute names, Big5/GBK without a .cpg, garbled
text, dissolve, approximate datums, and the bad inputs that must stop a build (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _framekit import communities, listing, square, write_csv, write_geojson, write_shapefile

from fieldsurvey.cli.main import main
from fieldsurvey.frame.build import build_frame
from fieldsurvey.io.boundaries import BoundaryOptions, read_boundaries
from fieldsurvey.io.errors import ColumnError, CRSError, EncodingError, InputError

CN_FIELDS = ["社区编码", "社区名称", "街道", "类型", "户数"]
CN_ROWS = [["C1", "东风社区", "城关街道", "示范类", "10"], ["C2", "向阳社区", "城关街道", "创优类", "4"],
           ["C3", "团结社区", "新区街道", "强基类", "5"], ["C4", "和平社区", "新区街道", "强基类", "100"]]
# Hong Kong names with HKSCS characters (輋, 鰂) that cp950 cannot decode
HK_ROWS = [["C1", "禾輋邨", "沙田"], ["C2", "鰂魚涌", "東區"], ["C3", "沙打", "觀塘"],
           ["C4", "將軍澳", "西貢"]]


def _gbk_chinese_shapefile(tmp_path: Path, **kw: object) -> Path:
    return write_shapefile(communities(), tmp_path / "社区.shp", CN_FIELDS, CN_ROWS, "gbk", **kw)


def test_gbk_shapefile_with_chinese_attribute_names_and_no_cpg(tmp_path: Path) -> None:
    b = read_boundaries(_gbk_chinese_shapefile(tmp_path))
    f = b.frame
    assert f["community_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert f["name"].tolist() == ["东风社区", "向阳社区", "团结社区", "和平社区"]
    assert f["street"].tolist()[:2] == ["城关街道", "城关街道"] and f["type"].iloc[0] == "示范类"
    assert f["households"].tolist() == [10, 4, 5, 100]
    assert b.fields == {"community_id": "社区编码", "name": "社区名称", "street": "街道",
                        "type": "类型", "households": "户数"}
    assert any("chose GBK" in n for n in b.notes)  # the detected encoding is reported


def test_frame_and_summary_carry_the_recognised_names(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shp = _gbk_chinese_shapefile(tmp_path)
    out = tmp_path / "frame.parquet"
    assert main(["frame", "build", "--boundaries", str(shp), "--dwellings",
                 str(write_csv(listing(), tmp_path / "l.csv")), "--out", str(out)]) == 0
    res = build_frame(shp, write_csv(listing(), tmp_path / "l2.csv"))
    assert res.qa["coverage"].severity != "info"  # 户数 is the registered size
    row = res.frame[res.frame["community_id"] == "C1"].iloc[0]
    assert (row["name"], row["street"], row["type"]) == ("东风社区", "城关街道", "示范类")
    capsys.readouterr()
    assert main(["frame", "summary", "--frame", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "东风社区" in lines[1] and all(len(line) <= 80 for line in lines)


def test_traditional_chinese_headers(tmp_path: Path) -> None:
    gdf = communities().rename(columns={"community_id": "社區編碼", "name": "社區名稱",
                                        "street": "街道辦事處", "type": "社區類型",
                                        "households": "戶籍戶數"})
    b = read_boundaries(write_geojson(gdf, tmp_path / "b.geojson"))
    assert set(b.fields) == {"community_id", "name", "street", "type", "households"}
    lst = listing().rename(columns={"lon": "經度", "lat": "緯度", "community_id": "社區編碼"})
    res = build_frame(b, lst)
    assert res.qa["outside_boundaries"].count == 0 and res.frame["lon"].notna().all()


def test_explicit_fields_and_a_columns_file(tmp_path: Path) -> None:
    gdf = communities().rename(columns={"community_id": "CODE", "name": "VNAME",
                                        "street": "TNAME", "type": "KIND", "households": "HH_REG"})
    path = write_geojson(gdf, tmp_path / "b.geojson")
    b = read_boundaries(path, id_field="CODE", name_field="VNAME", street_field="TNAME",
                        type_field="KIND", size_field="HH_REG")
    assert b.frame[["name", "street", "type"]].iloc[0].tolist() == ["东风社区", "城关街道", "示范类"]
    mapping = tmp_path / "b.toml"
    mapping.write_text('community_id = "CODE"\nname = "VNAME"\nstreet = "TNAME"\n'
                       'type = "KIND"\nhouseholds = "HH_REG"\n', encoding="utf-8")
    again = read_boundaries(path, BoundaryOptions(columns=mapping))
    assert again.fields == b.fields
    with pytest.raises(ColumnError, match="street field does not exist") as exc:
        read_boundaries(path, id_field="CODE", street_field="街道")
    assert "--street-field" in str(exc.value)


def test_big5_with_its_language_byte_keeps_hkscs_characters(tmp_path: Path) -> None:
    shp = write_shapefile(communities(), tmp_path / "hk.shp", ["ID", "ENAME", "DISTRICT"],
                          HK_ROWS, "big5hkscs", ldid=0x78)
    b = read_boundaries(shp, id_field="ID", name_field="ENAME")
    assert b.frame["name"].tolist() == ["禾輋邨", "鰂魚涌", "沙打", "將軍澳"]
    assert any("Big5-HKSCS" in n for n in b.notes)


def test_big5_without_language_byte_or_cpg_is_detected_and_reported(tmp_path: Path) -> None:
    shp = write_shapefile(communities(), tmp_path / "hk.shp", ["ID", "ENAME", "DISTRICT"],
                          HK_ROWS, "big5hkscs", ldid=0)
    b = read_boundaries(shp, id_field="ID", name_field="ENAME")
    assert b.frame["name"].tolist()[2:] == ["沙打", "將軍澳"]
    assert b.frame["DISTRICT"].tolist() == ["沙田", "東區", "觀塘", "西貢"]
    (note,) = [n for n in b.notes if "tried" in n]
    assert "UTF-8" in note and "GBK" in note and note.endswith("chose Big5")


def test_a_wrong_given_encoding_is_refused_naming_the_field(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    shp = write_shapefile(communities(), tmp_path / "hk.shp", ["ID", "ENAME", "DISTRICT"],
                          HK_ROWS, "big5hkscs", ldid=0)
    with pytest.raises(EncodingError) as exc:
        read_boundaries(shp, id_field="ID", encoding="GBK")
    assert exc.value.field in ("ENAME", "DISTRICT") and "--encoding Big5" in str(exc.value)
    out = tmp_path / "f.parquet"
    code = main(["frame", "build", "--boundaries", str(shp), "--id-field", "ID", "--encoding",
                 "GBK", "--dwellings", str(write_csv(listing(), tmp_path / "l.csv")),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "reads as Big5" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob("f.*"))


def test_latin1_mojibake_is_an_error_naming_field_and_encoding(tmp_path: Path) -> None:
    # Big5 bytes under a cp1252 language byte: GDAL decodes them as Latin text (沙打 -> ¨F¥´)
    shp = write_shapefile(communities(), tmp_path / "hk.shp", ["ID", "ENAME"],
                          [[r[0], r[1]] for r in HK_ROWS[2:]] * 2, "big5hkscs", ldid=0x57)
    with pytest.raises(EncodingError) as exc:
        read_boundaries(shp, id_field="ID")
    assert exc.value.field == "ENAME" and "mojibake" in str(exc.value)
    assert "--encoding Big5" in str(exc.value)


def test_dissolve_merges_parts_of_one_community(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"community_id": ["C1", "C1", "C2"], "name": ["东风", "东风", "向阳"]},
                           geometry=[square(0, 0), square(0, 1), square(1, 0)], crs="EPSG:4326")
    path = write_geojson(gdf, tmp_path / "parts.geojson")
    with pytest.raises(InputError, match="more than once") as exc:
        read_boundaries(path)
    assert "--dissolve" in str(exc.value)
    b = read_boundaries(path, dissolve=True)
    assert b.frame["community_id"].tolist() == ["C1", "C2"]
    assert b.frame.geometry.iloc[0].area == pytest.approx(2 * square(0, 0).area)
    assert any("--dissolve merged 2 features into 1" in n for n in b.notes)


def test_approximate_datum_is_reported(tmp_path: Path) -> None:
    path = write_geojson(communities("EPSG:4610"), tmp_path / "xian80.geojson")  # Xian 1980
    res = build_frame(path, listing())
    check = res.qa["approximate_datum"]
    assert check.count == 1 and check.severity == "warning" and "Xian 1980" in check.message
    cgcs = build_frame(write_geojson(communities("EPSG:4490"), tmp_path / "c.geojson"), listing())
    assert cgcs.qa["approximate_datum"].count == 0  # CGCS2000 agrees with WGS 84


@pytest.mark.parametrize("case", ["no_id", "all_empty", "geographic_metres"])
def test_bad_boundaries_exit_2_with_one_paragraph_and_no_output(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gdf = communities()
    if case == "no_id":
        gdf = gdf.rename(columns={"community_id": "FID_1"})
        want = "community id field does not exist"
    elif case == "all_empty":
        gdf = gdf.set_geometry([shapely.Polygon()] * 4, crs="EPSG:4326")
        want = "every feature of the boundary file has an empty geometry"
    else:  # HK 1980 grid numbers in a file that says it is lon/lat
        gdf = gdf.set_geometry(gdf.to_crs("EPSG:2326").geometry.values, crs="EPSG:4326")
        want = "geographic (degrees) but the numbers are projected metres"
    path = tmp_path / "b.geojson"
    gdf.to_file(path, driver="GeoJSON")
    out = tmp_path / "o" / "frame.parquet"
    code = main(["frame", "build", "--boundaries", str(path), "--dwellings",
                 str(write_csv(listing(), tmp_path / "l.csv")), "--out", str(out),
                 "--report", str(tmp_path / "o" / "qa.json"), "--gpkg", str(tmp_path / "o" / "f.gpkg")])
    err = capsys.readouterr().err
    assert code == 2 and want in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "b.geojson" in err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_frame_remembers_the_boundaries_it_was_built_on(tmp_path: Path) -> None:
    shp = _gbk_chinese_shapefile(tmp_path, prj=False)
    out = tmp_path / "frame.parquet"
    res = build_frame(shp, write_csv(listing(), tmp_path / "l.csv"), crs="EPSG:4326", out=out)
    side = out.with_name("frame.boundaries.parquet")
    from fieldsurvey.frame.files import read_frame, read_frame_boundaries

    kept = read_frame_boundaries(out, res.fingerprint)
    assert kept is not None and kept["name"].tolist()[0] == "东风社区" and kept.crs.to_epsg() == 4326
    assert read_frame(out).boundaries is not None
    meta = json.loads(__import__("pyarrow.parquet").parquet.read_schema(side).metadata[b"fieldsurvey"])
    assert meta["fingerprint"] == res.fingerprint
    with pytest.raises(InputError, match="another build"):
        read_frame_boundaries(out, "0" * 64)


def test_crs_errors_name_the_option(tmp_path: Path) -> None:
    shp = _gbk_chinese_shapefile(tmp_path, prj=False)
    with pytest.raises(CRSError, match="no .prj") as exc:
        read_boundaries(shp)
    assert "--crs" in str(exc.value)


def test_hong_kong_shapefile_big5_without_shx_prj_or_cpg_in_the_hk1980_grid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The constituency file as it arrives: .shp and .dbf only, Big5 without a language
    byte, coordinates in the Hong Kong 1980 Grid (EPSG:2326)."""
    grid = gpd.GeoDataFrame(geometry=[shapely.box(836_000 + 800 * k, 818_000, 836_600 + 800 * k,
                                                  818_600) for k in range(4)], crs="EPSG:2326")
    shp = write_shapefile(grid, tmp_path / "hk.shp", ["ID", "ENAME", "DISTRICT"], HK_ROWS,
                          "big5hkscs", ldid=0, prj=False)
    shp.with_suffix(".shx").unlink()
    with pytest.raises(CRSError, match="no .prj"):
        read_boundaries(shp, id_field="ID")
    b = read_boundaries(shp, id_field="ID", name_field="ENAME", crs="EPSG:2326")
    assert b.frame["name"].tolist() == ["禾輋邨", "鰂魚涌", "沙打", "將軍澳"]
    assert any(".shx" in n for n in b.notes) and any("chose Big5" in n for n in b.notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hk.dbf", "hk.shp"]  # untouched
    minx, miny, maxx, maxy = b.frame.total_bounds
    assert 113.8 < minx < maxx < 114.5 and 22.1 < miny < maxy < 22.6


def test_utf8_dbf_without_cpg_is_detected(tmp_path: Path) -> None:
    # dBase names stop at 10 bytes: 社区编码 (12 bytes in UTF-8) arrives cut as 社区编
    shp = write_shapefile(communities(), tmp_path / "省.shp", CN_FIELDS, CN_ROWS, "utf-8")
    b = read_boundaries(shp)
    assert b.frame["community_id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert b.frame["name"].tolist()[0] == "东风社区" and b.fields["street"] == "街道"
    assert b.fields["community_id"] == "社区编" and b.frame["households"].tolist()[0] == 10
    assert any(n.endswith("chose UTF-8") for n in b.notes)


def test_gcj02_boundaries_read_as_wgs84_get_the_option_that_fixes_them(tmp_path: Path) -> None:
    from fieldsurvey.io.coords import wgs84_to_gcj02

    small = communities()
    small["geometry"] = [shapely.box(x - 0.0015, y - 0.0015, x + 0.0015, y + 0.0015)
                         for x, y in (g.centroid.coords[0] for g in small.geometry)]
    shifted = small.copy()
    shifted["geometry"] = [shapely.Polygon(np.column_stack(wgs84_to_gcj02(
        *np.asarray(g.exterior.coords).T))) for g in small.geometry]
    lst = listing(n_per=12)
    centres = {c: g.centroid.coords[0] for c, g in zip(small["community_id"], small.geometry,
                                                        strict=True)}
    lst["lon"] = lst["community_id"].map(lambda c: centres[c][0]) + np.tile(
        np.linspace(-0.001, 0.001, 12), 3)
    lst["lat"] = lst["community_id"].map(lambda c: centres[c][1])
    path = write_geojson(shifted, tmp_path / "gcj.geojson")
    qa = build_frame(path, lst).qa
    assert "--boundary-coords gcj02" in qa["coordinate_offset"].message
    fixed = build_frame(path, lst, boundary_coords="gcj02").qa
    assert fixed["outside_boundaries"].count == 0 and fixed["coordinate_offset"].count == 0
