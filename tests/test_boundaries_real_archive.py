"""Zipped boundary files, as open-data portals and colleagues send shapefiles.

The .shp/.shx/.dbf/.prj sit in the archive, sometimes in a folder, with entry names a
Chinese Windows tool wrote in GBK (no UTF-8 flag); sometimes several layers are zipped
together and the user names one.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from fieldsurvey.cli.main import main
from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.errors import InputError

NAMES = ["幸福社区", "和平社区"]


def _shapefile(folder: Path, stem: str) -> list[Path]:
    gdf = gpd.GeoDataFrame({"社区编码": ["C1", "C2"], "社区名称": NAMES},
                           geometry=[box(116.30 + i * 0.02, 39.90, 116.32 + i * 0.02, 39.92)
                                     for i in range(2)], crs=4326)
    folder.mkdir(parents=True, exist_ok=True)
    pyogrio.write_dataframe(gdf, folder / f"{stem}.shp", encoding="GBK")
    for cpg in folder.glob("*.cpg"):
        cpg.unlink()
    return sorted(folder.glob(f"{stem}.*"))


class _GbkName(zipfile.ZipInfo):
    """An entry named as WinRAR/7-Zip on Chinese Windows name it: GBK, no UTF-8 flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's hook
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _zip_gbk_names(path: Path, files: list[Path], inner: str) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for f in files:
            z.writestr(_GbkName(f"{inner}/{f.name}"), f.read_bytes())
    with zipfile.ZipFile(path) as z:
        assert not z.infolist()[0].flag_bits & 0x800
    return path


def test_zipped_shapefile_in_a_gbk_named_folder(tmp_path: Path) -> None:
    files = _shapefile(tmp_path / "src", "社区边界")
    archive = _zip_gbk_names(tmp_path / "boundaries.zip", files, "东风街道")
    b = read_boundaries(archive)
    assert b.frame["name"].tolist() == NAMES
    assert b.notes[0] == "read 东风街道/社区边界.shp from the archive"
    listing = tmp_path / "l.csv"
    listing.write_text("dwelling_id,lon,lat\nD1,116.31,39.91\nD2,116.33,39.91\n",
                       encoding="utf-8")
    code = main(["frame", "build", "--boundaries", str(archive), "--dwellings", str(listing),
                 "--out", str(tmp_path / "frame.parquet")])
    assert code == 0


def test_archive_with_several_layers(tmp_path: Path) -> None:
    files = _shapefile(tmp_path / "a", "社区") + _shapefile(tmp_path / "b", "旧社区")
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in files:
            z.write(f, f.name)
    with pytest.raises(InputError, match="holds 2 vector files") as exc:
        read_boundaries(archive)
    assert "--layer" in str(exc.value) and "旧社区.shp" in str(exc.value)
    assert read_boundaries(archive, layer="社区").frame["name"].tolist() == NAMES
    with pytest.raises(InputError, match="no vector file of that name"):
        read_boundaries(archive, layer="街道")


def test_archive_errors_name_the_file_inside(tmp_path: Path) -> None:
    files = [f for f in _shapefile(tmp_path / "src", "b") if f.suffix != ".prj"]
    archive = tmp_path / "noprj.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in files:
            z.write(f, f.name)
    with pytest.raises(Exception, match="has no .prj") as exc:
        read_boundaries(archive)
    assert "noprj.zip (inside: b.shp)" in str(exc.value)
    empty = tmp_path / "docs.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("说明.txt", "boundaries to follow")
    with pytest.raises(InputError, match="holds no vector file"):
        read_boundaries(empty)


def test_shapefile_without_its_dbf_is_named(tmp_path: Path) -> None:
    files = _shapefile(tmp_path / "src", "b")
    for f in files:
        if f.suffix == ".dbf":
            f.unlink()
    with pytest.raises(InputError, match="no .dbf") as exc:
        read_boundaries(tmp_path / "src" / "b.shp")
    assert "b.shp" in str(exc.value) and ".prj" in str(exc.value)
