"""The real-listing refusals and the flagged-rows file, as a user meets them on the command line."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from fieldsurvey.cli.main import main


def _boundaries(path: Path) -> Path:
    boxes = [shapely.box(4.34, 50.83, 4.35, 50.84), shapely.box(4.35, 50.83, 4.36, 50.84)]
    gpd.GeoDataFrame({"community_id": ["BXL1", "BXL2"]}, geometry=boxes,
                     crs="EPSG:4326").to_file(path)
    return path


def test_swapped_columns_exit_2_with_one_paragraph(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "adresses.csv"
    pd.DataFrame({"rue": ["Rue Haute"] * 8, "numero": [str(i) for i in range(8)],
                  "lon": [50.831 + 0.001 * i for i in range(8)],
                  "lat": [4.341 + 0.002 * i for i in range(8)]}).to_csv(listing, index=False)
    out = tmp_path / "frame.parquet"
    code = main(["frame", "build", "--boundaries", str(_boundaries(tmp_path / "b.geojson")),
                 "--dwellings", str(listing), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "look swapped" in err and "--columns lon=lat --columns lat=lon" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3


def test_the_rows_file_is_named_in_the_output(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "adresses.csv"
    lon = [4.341 + 0.002 * i for i in range(8)] + [4.9]  # the last one far outside
    pd.DataFrame({"adresse": [f"Rue Haute {i}" for i in range(9)], "longitude": lon,
                  "latitude": [50.835] * 9}).to_csv(listing, index=False)
    report = tmp_path / "qa.json"
    code = main(["frame", "build", "--boundaries", str(_boundaries(tmp_path / "b.geojson")),
                 "--dwellings", str(listing), "--out", str(tmp_path / "frame.parquet"),
                 "--report", str(report)])
    assert code == 0
    assert "qa.rows.csv" in capsys.readouterr().out
    rows = pd.read_csv(tmp_path / "qa.rows.csv", encoding="utf-8-sig")
    assert rows["source_row"].tolist() == [9] and rows["problems"][0].startswith("outside")
