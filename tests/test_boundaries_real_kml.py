"""KML boundaries as Google Earth and Chinese map apps export them.

One folder per street (GDAL makes each a layer) and ExtendedData named in Chinese,
which GDAL's LIBKML driver turns into runs of ``_`` (社区编码 and 社区名称 then share
one column and one of them is lost).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.errors import InputError


def _placemark(name: str, code: str, hh: int, x: float, extra: str = "") -> str:
    ring = " ".join(f"{a:.2f},{b:.2f},0" for a, b in
                    ((x, 39.90), (x + 0.02, 39.90), (x + 0.02, 39.92), (x, 39.92), (x, 39.90)))
    return (f"<Placemark><name>{name}</name><ExtendedData>"
            f'<Data name="社区编码"><value>{code}</value></Data>'
            f'<Data name="社区名称"><value>{name}</value></Data>'
            f'<Data name="户数"><value>{hh}</value></Data>{extra}</ExtendedData>'
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
            "</LinearRing></outerBoundaryIs></Polygon></Placemark>")


def _kml(path: Path, body: str) -> Path:
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>社区边界</name>'
                    f"{body}</Document></kml>", encoding="utf-8")
    return path


def test_folders_are_read_together_with_chinese_extended_data(tmp_path: Path) -> None:
    street = '<Data name="街道"><value>{}</value></Data>'
    body = ("<Folder><name>东风街道</name>"
            + _placemark("幸福社区", "C01", 1200, 116.30, street.format("东风街道"))
            + _placemark("和平社区", "C02", 900, 116.32, street.format("东风街道"))
            + "</Folder><Folder><name>红旗街道</name>"
            + _placemark("光明社区", "C03", 700, 116.34, street.format("红旗街道"))
            + "</Folder><Folder><name>办公点</name><Placemark><name>居委会</name>"
            "<Point><coordinates>116.31,39.91,0</coordinates></Point></Placemark></Folder>")
    b = read_boundaries(_kml(tmp_path / "communities.kml", body))
    f = b.frame
    assert f["community_id"].tolist() == ["C01", "C02", "C03"]
    assert f["name"].tolist() == ["幸福社区", "和平社区", "光明社区"]
    assert f["households"].tolist() == [1200, 900, 700]
    assert f["street"].tolist() == ["东风街道", "东风街道", "红旗街道"]
    assert f["folder"].tolist() == ["东风街道", "东风街道", "红旗街道"]
    notes = " ".join(b.notes)
    assert "folders without polygons left out: 办公点" in notes
    assert "ExtendedData" in notes
    assert "Z (height)" not in notes
    one = read_boundaries(tmp_path / "communities.kml", layer="红旗街道")
    assert one.frame["community_id"].tolist() == ["C03"]


def test_placemarks_outside_folders(tmp_path: Path) -> None:
    body = _placemark("幸福社区", "C01", 1200, 116.30) + _placemark("和平社区", "C02", 900, 116.32)
    b = read_boundaries(_kml(tmp_path / "flat.kml", body))
    assert b.frame["community_id"].tolist() == ["C01", "C02"]
    assert b.frame["households"].tolist() == [1200, 900]


def test_kml_lines_only_are_refused(tmp_path: Path) -> None:
    body = ("<Placemark><name>界线</name><LineString><coordinates>116.3,39.9,0 116.4,39.9,0"
            "</coordinates></LineString></Placemark>")
    with pytest.raises(InputError, match="must be polygons"):
        read_boundaries(_kml(tmp_path / "lines.kml", body), id_field="Name")
