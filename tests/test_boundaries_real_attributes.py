"""Attribute text of real boundary files: code pages, empty and repeated names, sizes.

Shaped like the files tried: a Western shapefile without .cpg or language byte
(Olinda's bairros, Norway's fylker), a DataV China file whose South China Sea feature
has no name, a merged file that repeats a district name, a 户数 column typed by hand.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from fieldsurvey.io.boundaries import read_boundaries


def _shapefile(tmp_path: Path, columns: dict[str, list[object]], encoding: str) -> Path:
    n = len(next(iter(columns.values())))
    gdf = gpd.GeoDataFrame(columns, geometry=[box(i, 0, i + 1, 1) for i in range(n)], crs=4326)
    path = tmp_path / "b.shp"
    pyogrio.write_dataframe(gdf, path, encoding=encoding)
    for cpg in tmp_path.glob("*.cpg"):
        cpg.unlink()
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0  # no language byte, as older tools write it
    dbf.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("names", [
    ["Alto da Nação", "São José", "Várzea", "Peixinhos"],
    ["Østfold", "Akershus", "Møre og Romsdal", "Sør-Trøndelag"],
    ["Bairro Novo", "Jardim Atlântico", "Ouro Preto", "Rio Doce"],
])
def test_western_names_without_cpg_are_not_read_as_gbk(tmp_path: Path, names: list[str]) -> None:
    path = _shapefile(tmp_path, {"CODE": ["1", "2", "3", "4"], "NM_BAIR": names}, "cp1252")
    b = read_boundaries(path, id_field="CODE", name_field="NM_BAIR")
    assert b.frame["name"].tolist() == names
    assert any("Windows-1252" in n for n in b.notes)


def test_gbk_names_without_cpg_still_detected(tmp_path: Path) -> None:
    names = ["东城区", "西城区", "朝阳区", "丰台区"]
    path = _shapefile(tmp_path, {"区划代码": ["110101", "110102", "110105", "110106"],
                                 "名称": names}, "GBK")
    b = read_boundaries(path)
    assert b.frame["name"].tolist() == names
    assert b.frame["community_id"].tolist()[0] == "110101"


def test_empty_and_repeated_names_are_noted(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"adcode": ["110105", "120105", "100000_JD", "130105"],
                            "name": ["朝阳区", "朝阳区", "", "新华区"]},
                           geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs=4326)
    path = tmp_path / "100000_full.json"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path)
    assert b.frame["community_id"].tolist() == ["110105", "120105", "100000_JD", "130105"]
    notes = " ".join(b.notes)
    assert "no name: feature(s) 3 (id 100000_JD)" in notes
    assert "'朝阳区' in features 1, 2" in notes


def test_typed_household_counts(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"社区编码": ["C1", "C2", "C3", "C4"],
                            "户数": ["1,234", "１２３", "560户", "约300"]},
                           geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs=4326)
    path = tmp_path / "b.geojson"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path)
    got = b.frame["households"].tolist()
    assert got[:3] == [1234.0, 123.0, 560.0] and got[3] != got[3]  # NaN
    assert any("'户数'" in n and "'约300'" in n for n in b.notes)


def test_utf8_shapefile_with_cpg_and_cut_chinese_field_names(tmp_path: Path) -> None:
    """QGIS writes UTF-8 with a .cpg; 社区编码 (12 bytes) is cut inside its last character."""
    gdf = gpd.GeoDataFrame({"社区编码": ["C1", "C2"], "社区名称": ["幸福社区", "和平社区"],
                            "户籍户数": [1200, 900]},
                           geometry=[box(i, 0, i + 1, 1) for i in range(2)], crs=4326)
    path = tmp_path / "b.shp"
    with pytest.warns(RuntimeWarning):
        pyogrio.write_dataframe(gdf, path, encoding="UTF-8")
    assert path.with_suffix(".cpg").exists()
    b = read_boundaries(path)
    assert b.frame["community_id"].tolist() == ["C1", "C2"]
    assert b.frame["name"].tolist() == ["幸福社区", "和平社区"]
    assert b.frame["households"].tolist() == [1200, 900]


def test_numeric_looking_name_and_street_columns_become_text(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"code": ["A", "B", "C"], "nm": [101, 102, None],
                            "jd": [1.0, 2.0, 2.0]},
                           geometry=[box(i, 0, i + 1, 1) for i in range(3)], crs=4326)
    path = tmp_path / "b.geojson"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path, id_field="code", name_field="nm", street_field="jd")
    assert b.frame["name"].tolist() == ["101", "102", None]
    assert b.frame["street"].tolist() == ["1", "2", "2"]
    assert any("no name: feature(s) 3 (id C)" in n for n in b.notes)


@pytest.mark.parametrize(("columns", "id_field", "name_field"), [
    # Taiwan MOI village boundaries (村里界)
    ({"VILLCODE": ["63000050001", "63000050002"], "COUNTYNAME": ["臺北市", "臺北市"],
      "TOWNNAME": ["中正區", "中正區"], "VILLNAME": ["水源里", "富水里"]}, "VILLCODE", "VILLNAME"),
    # a land-survey (三调) village layer: pinyin initials
    ({"XZQDM": ["110101001001", "110101001002"], "XZQMC": ["多福巷社区", "银闸社区"],
      "MJ": [0.52, 0.61]}, "XZQDM", "XZQMC"),
    # Tianditu GeoJSON
    ({"gb": ["156110101", "156110102"], "name": ["东城区", "西城区"]}, "gb", "name"),
])
def test_common_id_and_name_fields_are_recognised(tmp_path: Path, columns: dict[str, list[object]],
                                                  id_field: str, name_field: str) -> None:
    gdf = gpd.GeoDataFrame(columns, geometry=[box(i, 0, i + 1, 1) for i in range(2)], crs=4326)
    path = tmp_path / "b.geojson"
    pyogrio.write_dataframe(gdf, path, driver="GeoJSON")
    b = read_boundaries(path)
    assert b.id_field == id_field
    assert b.frame["community_id"].tolist() == [str(v) for v in columns[id_field]]
    assert b.frame["name"].tolist() == columns[name_field]
