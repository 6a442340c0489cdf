"""Real-shaped listings and footprint layers: community-scoped duplicates, collisions,
footprints without storeys, --keep, OSM addresses, the GCJ-02 hint, unknown status words,
absurdly wide files (issues 15 and 21)."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from _framekit import LAT0, LON0, STEP, centre, communities, listing, write_geojson

from fieldsurvey.cli.main import main
from fieldsurvey.frame.build import build_frame, check_frame
from fieldsurvey.frame.files import read_frame
from fieldsurvey.io.coords import wgs84_to_gcj02
from fieldsurvey.io.errors import EncodingError, InputError
from fieldsurvey.io.listings import read_listing


def _relative_listing() -> pd.DataFrame:
    """Addresses written relative to the compound (1栋1单元101室), as Chinese listings do:
    the same text in every community; one true repeat in C1 (a dwelling listed twice)."""
    rows = []
    for cid, (i, j) in (("C1", (0, 0)), ("C2", (1, 0)), ("C3", (0, 1))):
        for k in range(6):
            lon, lat = centre(i, j, dx=0.04 * k - 0.1)
            rows.append({"community_id": cid, "compound": "幸福小区", "lon": lon, "lat": lat,
                         "address": f"1栋1单元{k + 1}01室", "status": "在住"})
    rows.append({**rows[2], "lon": rows[2]["lon"] + 0.0003})  # a true repeat, 25 m away
    rows.append({"community_id": "C3", "compound": "和谐家园", "lon": centre(0, 1)[0],
                 "lat": centre(0, 1)[1] + 0.002, "address": "1栋1单元101室", "status": "在住"})
    return pd.DataFrame(rows)


def test_duplicate_addresses_are_scoped_to_community_and_compound(tmp_path: Path) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    res = build_frame(b, _relative_listing())
    check = res.qa["duplicate_address"]
    assert check.count == 2  # only the true repeat in C1 and its original
    assert {e["community_id"] for e in check.examples} == {"C1"}
    assert "one community" in check.message and "compound" in check.message
    flagged = res.frame.loc[res.frame["qa_duplicate_address"], "source_row"].tolist()
    assert flagged == [3, 19]


def test_listing_columns_colliding_with_community_attributes_are_kept(tmp_path: Path) -> None:
    lst = listing().assign(name=lambda d: "住户" + d["door"], street="自填街道")
    res = build_frame(write_geojson(communities(), tmp_path / "b.geojson"), lst)
    f = res.frame
    assert f["name"].iloc[0] == "东风社区" and f["listing_name"].iloc[0] == "住户101"
    assert f["street"].iloc[0] == "城关街道" and (f["listing_street"] == "自填街道").all()


def _footprints(n: int = 12) -> gpd.GeoDataFrame:
    """Buildings in C1: storeys on a third, a height on a third, nothing on the rest;
    kinds as OSM tags them (residential, garage)."""
    lon, lat = LON0 + 0.2 * STEP, LAT0 + 0.2 * STEP
    geoms = [shapely.box(lon + k * 0.0005, lat, lon + k * 0.0005 + 0.0002, lat + 0.0002)
             for k in range(n)]  # ~17 m x 22 m
    storeys = [6.0 if k % 3 == 0 else np.nan for k in range(n)]
    height = [18.0 if k % 3 == 1 else np.nan for k in range(n)]
    kind = ["garage" if k == n - 1 else "residential" for k in range(n)]
    street = ["幸福路" if k % 3 == 2 else None for k in range(n)]
    number = [str(k + 1) if k % 3 == 2 else None for k in range(n)]
    return gpd.GeoDataFrame({"building": kind, "building:levels": storeys, "height": height,
                             "addr:street": street, "addr:housenumber": number,
                             "osm_id": [str(100 + k) for k in range(n)]},
                            geometry=geoms, crs="EPSG:4326")


def test_footprints_without_storeys_are_never_dropped_silently(tmp_path: Path) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    fp = write_geojson(_footprints(), tmp_path / "fp.geojson")
    with pytest.raises(InputError) as exc:
        build_frame(b, fp, dwellings_per_floor=2)
    assert "4 of 12 building footprint(s) have neither" in str(exc.value)
    assert "--dwelling-area" in str(exc.value) and "--skip-unsized" in str(exc.value)

    est = build_frame(b, fp, dwellings_per_floor=2, dwelling_area=90)
    per = est.frame.groupby("source_row").size()
    assert per.loc[1] == 12 and per.loc[2] == 12  # 6 storeys x 2; 18 m / 3 m x 2
    area = float(per.loc[3])  # ~370 m2 / 90 m2 on one floor
    assert 3 <= area <= 5 and est.frame["estimated"].all()
    check = est.qa["unsized_footprints"]
    assert check.count == 4 and "4 estimated from floor area" in check.message

    skip = build_frame(b, fp, dwellings_per_floor=2, skip_unsized=True)
    assert set(skip.frame["source_row"]) == {1, 2, 4, 5, 7, 8, 10, 11}
    assert skip.qa["unsized_footprints"].count == 4
    assert "4 left out by --skip-unsized" in skip.qa["unsized_footprints"].message


def test_keep_filters_footprints_and_totals_count_only_what_is_kept(tmp_path: Path) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    fp = write_geojson(_footprints(), tmp_path / "fp.geojson")
    whole = build_frame(b, fp, dwellings_per_floor=2, dwelling_area=90)
    kept = build_frame(b, fp, dwellings_per_floor=2, dwelling_area=90,
                       keep="building == 'residential'")
    garage = whole.frame[whole.frame["source_row"] == 12]
    assert len(kept.frame) == len(whole.frame) - len(garage) and len(garage) > 0
    c1 = kept.qa.communities.set_index("community_id").loc["C1"]
    assert c1["listed"] == len(kept.frame)
    assert kept.qa["filtered_out"].count == 1 and "kept 11 of 12" in kept.qa["filtered_out"].message
    with pytest.raises(Exception, match="--keep"):
        build_frame(b, fp, dwellings_per_floor=2, dwelling_area=90, keep="floors >")


def test_footprint_dwellings_carry_the_osm_address(tmp_path: Path) -> None:
    b = write_geojson(communities(), tmp_path / "b.geojson")
    fp = write_geojson(_footprints(), tmp_path / "fp.geojson")
    res = build_frame(b, fp, dwellings_per_floor=2, dwelling_area=90)
    third = res.frame[res.frame["source_row"] == 3]
    assert third["address"].iloc[0] == "幸福路 3 1"  # one floor estimated: doors 1, 2, ...
    assert res.frame["building_type"].iloc[0] == "residential"  # OSM's building=* kind
    assert res.qa["duplicate_address"].count == 0


def test_gcj02_listing_gets_the_offset_hint(tmp_path: Path) -> None:
    # compounds of ~300 m as Chinese communities are; the offset moves points ~500 m
    small = communities()
    small["geometry"] = [shapely.box(x - 0.0015, y - 0.0015, x + 0.0015, y + 0.0015)
                         for x, y in (centre(0, 0), centre(1, 0), centre(0, 1), centre(1, 1))]
    b = write_geojson(small, tmp_path / "b.geojson")
    lst = listing(n_per=20)
    cx = {"C1": centre(0, 0)[0], "C2": centre(1, 0)[0], "C3": centre(0, 1)[0]}
    lst["lon"] = lst["community_id"].map(cx) + np.tile(np.linspace(-0.001, 0.001, 20), 3)
    lst["lon"], lst["lat"] = wgs84_to_gcj02(lst["lon"].to_numpy(), lst["lat"].to_numpy())
    qa = check_frame(b, lst)
    hint = qa["coordinate_offset"]
    assert hint.count > 0 and "--coords gcj02" in hint.message
    assert 300 <= hint.examples[0]["offset_m"] <= 700
    fixed = check_frame(b, lst, coords="gcj02")
    assert fixed["coordinate_offset"].count == 0 and fixed["outside_boundaries"].count == 0


def test_unknown_status_words_are_listed_not_silently_unknown(tmp_path: Path) -> None:
    lst = listing().assign(status=["空着", "在住", "空着", "在住", "vacant"] * 3)
    res = build_frame(write_geojson(communities(), tmp_path / "b.geojson"), lst)
    check = res.qa["unknown_status"]
    assert check.count == 6 and check.severity == "warning"
    assert check.examples[0]["word"] == "空着" and check.examples[0]["rows"] == 6
    assert int(res.frame["qa_unknown_status"].sum()) == 6


def test_qa_flags_are_frame_columns(tmp_path: Path) -> None:
    from _framekit import faulty_communities, faulty_listing

    out = tmp_path / "f.parquet"
    res = build_frame(write_geojson(faulty_communities(), tmp_path / "b.geojson"),
                      faulty_listing(), out=out)
    back = read_frame(out).frame
    for col, check in (("qa_outside", "outside_boundaries"), ("qa_duplicate_id", "duplicate_id"),
                       ("qa_missing_coordinates", "missing_coordinates"),
                       ("qa_community_mismatch", "community_mismatch")):
        assert int(back[col].sum()) == res.qa[check].count, col
    assert back.loc[back["qa_outside"], "dwelling_id"].tolist() == ["X-outside"]


def test_a_listing_a_million_columns_wide_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n",
                    encoding="utf-8")
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="1,000,000 columns; fieldsurvey reads at most 2,000"):
        read_listing(path)
    assert time.perf_counter() - t0 < 5


def test_undetectable_listing_encoding_names_the_listing_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes("community_id,address\nC1,Café\n".encode("cp1252") + b"C2,\x81\xff\n")
    with pytest.raises(EncodingError) as exc:
        read_listing(path)
    assert "--listing-encoding" in str(exc.value)
    assert main(["frame", "check", "--boundaries",
                 str(write_geojson(communities(), tmp_path / "b.geojson")),
                 "--dwellings", str(path)]) == 2
    assert "--listing-encoding" in capsys.readouterr().err


def test_keep_on_a_table_in_memory_keeps_its_row_numbers(tmp_path: Path) -> None:
    res = build_frame(write_geojson(communities(), tmp_path / "b.geojson"), listing(),
                      keep="status == 'occupied'")
    assert res.qa["filtered_out"].count == 3 and "kept 12 of 15" in res.qa["filtered_out"].message
    assert 1 not in set(res.frame["source_row"]) and 2 in set(res.frame["source_row"])
