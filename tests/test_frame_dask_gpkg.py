"""``frame build --engine dask --gpkg`` is refused with the reason and what to do instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from _framekit import communities, listing, write_csv, write_geojson

from fieldsurvey.cli.main import main


def test_gpkg_with_the_dask_engine_is_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    lst = write_csv(listing(), tmp_path / "listing.csv")
    code = main(["frame", "build", "--boundaries", str(b), "--dwellings", str(lst), "--out",
                 str(tmp_path / "f.parquet"), "--gpkg", str(tmp_path / "f.gpkg"),
                 "--engine", "dask"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and "Traceback" not in err
    assert "--gpkg is not written by the Dask engine" in err and "one SQLite file" in err
    assert "QGIS 3.34" in err and "--engine single" in err
    assert not (tmp_path / "f.parquet").exists() and not (tmp_path / "f.gpkg").exists()
