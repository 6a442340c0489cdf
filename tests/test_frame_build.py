"""Building the frame: columns, community attributes, files, fingerprint, strict, progress."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from _framekit import (
    communities,
    faulty_communities,
    faulty_listing,
    listing,
    write_csv,
    write_geojson,
)

from fieldsurvey.frame.assign import assign_chunk, prepare
from fieldsurvey.frame.build import build_frame
from fieldsurvey.frame.files import read_frame
from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.errors import InputError
from fieldsurvey.io.schema import FRAME_COLUMNS


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return (write_geojson(faulty_communities(), tmp_path / "b.geojson"),
            write_csv(faulty_listing(), tmp_path / "l.csv"))


def test_frame_columns_and_community_attributes(inputs: tuple[Path, Path]) -> None:
    res = build_frame(*inputs)
    f = res.frame
    assert list(f.columns[: len(FRAME_COLUMNS) - 1]) == [c for c in FRAME_COLUMNS if c != "geometry"]
    assert f.geometry.name == "geometry" and f.crs.to_epsg() == 4326
    for col in ("name", "street", "type", "households"):
        assert col in f.columns  # community attributes under their own names
    c1 = f[f["community_id"] == "C1"]
    assert set(c1["name"]) == {"东风社区"} and set(c1["households"]) == {10}
    assert (f["dwelling_households"] == 1).all()
    assert res.projected_crs.to_epsg() == 32650
    row = f.set_index("dwelling_id").loc["X-mismatch"]
    assert row["community_id"] == "C2" and row["listed_community_id"] == "C1"
    nowhere = f.set_index("dwelling_id").loc["X-nowhere"]
    assert pd.isna(nowhere["community_id"]) and pd.isna(nowhere["name"]) and nowhere.geometry is None
    # x/y are metres in the UTM zone
    pt = gpd.GeoSeries([f.geometry.iloc[0]], crs=4326).to_crs(32650).iloc[0]
    assert f["x"].iloc[0] == pytest.approx(pt.x) and f["y"].iloc[0] == pytest.approx(pt.y)


def test_rows_in_listing_order_with_order_per_community(inputs: tuple[Path, Path]) -> None:
    f = build_frame(*inputs).frame
    assert f["source_row"].tolist() == list(range(1, len(f) + 1))
    for _, g in f.groupby("community_id"):
        assert sorted(g["order"].tolist()) == list(range(len(g)))
    c1 = f[f["community_id"] == "C1"].sort_values("order")
    runs = (c1["building"] != c1["building"].shift()).sum()
    assert runs == c1["building"].nunique()  # each building's dwellings are contiguous
    assert f.loc[f["community_id"].isna(), "order"].tolist() == [0]


def test_clashing_community_attribute_is_prefixed(tmp_path: Path) -> None:
    b = communities().assign(status=["ok"] * 4, floor=["x"] * 4)
    f = build_frame(write_geojson(b, tmp_path / "b.geojson"), listing()).frame
    assert "community_status" in f and "community_floor" in f
    assert set(f["status"]) <= {"occupied", "vacant"}


def test_made_dwelling_ids(tmp_path: Path) -> None:
    df = listing().drop(columns=["dwelling_id"])
    f = build_frame(write_geojson(communities(), tmp_path / "b.geojson"), df).frame
    assert sorted(f["dwelling_id"])[:2] == ["C1-1", "C1-2"]
    assert f["dwelling_id"].is_unique


def test_geoparquet_round_trip_with_fingerprint(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "frame.parquet"
    res = build_frame(*inputs, out=out)
    meta = pq.read_schema(out).metadata
    assert b"geo" in meta and b"fieldsurvey" in meta
    assert gpd.read_parquet(out).crs.to_epsg() == 4326
    back = read_frame(out)
    assert back.fingerprint == res.fingerprint and len(res.fingerprint) == 64
    assert back.projected_crs == res.projected_crs
    assert back.qa["outside_boundaries"].count == 1
    assert back.metadata["inputs"]["dwellings"]["path"] == str(inputs[1])
    pd.testing.assert_frame_equal(pd.DataFrame(back.frame.drop(columns="geometry")),
                                  pd.DataFrame(res.frame.drop(columns="geometry")), check_dtype=False)
    assert shapely.equals(back.frame.geometry.values[:5], res.frame.geometry.values[:5]).all()
    assert back.frame.geometry.isna().sum() == 2


def test_fingerprint_tracks_inputs_and_options(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    b, l = inputs
    fp = build_frame(b, l).fingerprint
    assert build_frame(b, l).fingerprint == fp
    assert build_frame(b, l, storey_height=3.5).fingerprint != fp
    changed = tmp_path / "l2.csv"
    changed.write_bytes(l.read_bytes().replace("幸福路1号".encode(), "幸福路一号".encode()))
    assert build_frame(b, changed).fingerprint != fp


def test_gpkg_copy(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    gpkg = tmp_path / "frame.gpkg"
    res = build_frame(*inputs, gpkg=gpkg)
    back = pyogrio.read_dataframe(gpkg, layer="dwellings")
    assert len(back) == len(res.frame) and "name" in back
    info = pyogrio.read_info(gpkg, layer="dwellings")
    assert info["layer_metadata"]["fieldsurvey_fingerprint"] == res.fingerprint
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {"dwellings", "qa_points", "boundaries"}
    qa = pyogrio.read_dataframe(gpkg, layer="qa_points")
    # every flagged dwelling with a point, selectable in QGIS by its problem
    flagged = res.frame[[c for c in res.frame if c.startswith("qa_")]].any(axis=1) \
        & res.frame.geometry.notna()
    assert len(qa) == int(flagged.sum()) > 0
    assert "X-outside" in set(qa.loc[qa["problems"].str.contains("outside"), "dwelling_id"])
    assert back["qa_outside"].sum() == res.qa["outside_boundaries"].count
    bnd = pyogrio.read_dataframe(gpkg, layer="boundaries")
    assert len(bnd) == len(faulty_communities()) and bnd.geometry.is_valid.all()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".frame.gpkg")]


def test_strict_refuses_errors_and_leaves_no_frame(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    out, report = tmp_path / "frame.parquet", tmp_path / "qa.json"
    with pytest.raises(InputError, match="strict") as exc:
        build_frame(*inputs, out=out, report_path=report, strict=True)
    assert "outside_boundaries (1)" in str(exc.value)
    assert not out.exists() and report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.geojson", "l.csv", "qa.json",
                                                          "qa.rows.csv"]


def test_strict_passes_a_clean_listing(tmp_path: Path) -> None:
    out = tmp_path / "frame.parquet"
    build_frame(write_geojson(communities(), tmp_path / "b.geojson"), listing(), out=out, strict=True)
    assert out.exists()


def test_progress_is_reported(inputs: tuple[Path, Path]) -> None:
    calls: list[tuple[str, int, int]] = []
    build_frame(*inputs, progress=lambda s, d, t: calls.append((s, d, t)), chunk_size=10)
    steps = [c[0] for c in calls]
    for step in ("read boundaries", "read listing", "assign dwellings", "self-check", "order"):
        assert step in steps
    assert [c[1] for c in calls if c[0] == "assign dwellings"] == [10, 20, 24]


def test_chunks_give_the_same_frame(inputs: tuple[Path, Path]) -> None:
    whole = build_frame(*inputs).frame
    chunked = build_frame(*inputs, chunk_size=7).frame
    pd.testing.assert_frame_equal(pd.DataFrame(whole.drop(columns="geometry")),
                                  pd.DataFrame(chunked.drop(columns="geometry")))


def test_assign_chunk_is_a_pure_function_of_chunk_and_boundaries(tmp_path: Path) -> None:
    b = read_boundaries(write_geojson(faulty_communities(), tmp_path / "b.geojson"))
    prepared = prepare(b)
    df = faulty_listing()
    df.index = df.index + 100  # any index
    whole = assign_chunk(df, prepared)
    parts = pd.concat([assign_chunk(df.iloc[i:i + 5], prepared) for i in range(0, len(df), 5)])
    pd.testing.assert_frame_equal(whole, parts)
    assert whole.index.equals(df.index)
    several = whole.loc[df["dwelling_id"] == "X-several"].iloc[0]
    assert several["n_boundaries"] == 2 and several["community_id"] == "C1" and several["also_in"] == "C5"


def test_point_on_a_shared_edge_is_in_two_boundaries(tmp_path: Path) -> None:
    b = read_boundaries(write_geojson(communities(), tmp_path / "b.geojson"))
    df = pd.DataFrame({"lon": [116.41], "lat": [39.905], "community_id": [None]})
    got = assign_chunk(df, prepare(b))
    assert got["in_several_boundaries"].iloc[0] and got["community_id"].iloc[0] == "C1"


def test_footprint_listing_frame_is_estimated(tmp_path: Path) -> None:
    boxes = [shapely.box(116.401, 39.901, 116.4012, 39.9012), shapely.box(116.411, 39.901, 116.4112, 39.9012)]
    fp = gpd.GeoDataFrame({"height": [6.0, 9.0]}, geometry=boxes, crs=4326)
    path = tmp_path / "fp.geojson"
    fp.to_file(path)
    res = build_frame(write_geojson(communities(), tmp_path / "b.geojson"), path, dwellings_per_floor=2)
    f = res.frame
    assert f["estimated"].all() and len(f) == 4 + 6
    assert f.groupby("community_id").size().to_dict() == {"C1": 4, "C2": 6}
    assert res.qa["estimated_dwellings"].count == 10
    assert f["dwelling_id"].tolist()[:2] == ["C1-1-1", "C1-1-2"]
    assert res.qa["duplicate_point"].count == 0


def test_projected_crs_option(inputs: tuple[Path, Path]) -> None:
    res = build_frame(*inputs, projected_crs="EPSG:4548")
    assert res.projected_crs.to_epsg() == 4548 and np.nanmax(res.frame["x"]) < 1_000_000
    with pytest.raises(InputError, match="projected"):
        build_frame(*inputs, projected_crs="EPSG:4490")


def test_one_options_object_for_build_check_and_keywords(inputs: tuple[Path, Path]) -> None:
    import dataclasses

    from fieldsurvey.frame import FrameOptions, check_frame
    from fieldsurvey.io.boundaries import BoundaryOptions

    opts = FrameOptions(storey_height=3.5, vacancy_threshold=0.2)
    a = build_frame(*inputs, opts)
    b = build_frame(*inputs, storey_height=3.5, vacancy_threshold=0.2)  # the same, by keyword
    assert a.fingerprint == b.fingerprint and a.qa.to_dict() == b.qa.to_dict()
    assert check_frame(*inputs, opts).to_dict() == a.qa.to_dict()
    with pytest.raises(TypeError, match="stoery_height"):
        build_frame(*inputs, stoery_height=3.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opts.strict = True  # type: ignore[misc]
    flat = FrameOptions.from_keywords(id_field="CODE", encoding="GBK", boundary_coords="gcj02")
    assert flat.boundaries == BoundaryOptions(id_field="CODE", encoding="GBK", coords="gcj02")
    with pytest.raises(InputError, match="dwelling area must be a positive number"):
        FrameOptions(dwelling_area=0)
