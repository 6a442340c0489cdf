"""The self-check: every check on a crafted input, the JSON shape and the text table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _framekit import (
    FAULT_COUNTS,
    communities,
    faulty_communities,
    faulty_listing,
    listing,
    write_csv,
    write_geojson,
)

from fieldsurvey.frame.build import build_frame, check_frame
from fieldsurvey.frame.qa import CHECKS, QAReport


@pytest.fixture()
def qa(tmp_path: Path) -> QAReport:
    b = write_geojson(faulty_communities(), tmp_path / "b.geojson")
    l = write_csv(faulty_listing(), tmp_path / "l.csv")
    return check_frame(b, l, vacancy_threshold=0.2)


def test_every_check_counts_its_crafted_fault(qa: QAReport) -> None:
    got = {c.check: c.count for c in qa.checks}
    assert got == FAULT_COUNTS
    required = {"outside_boundaries", "in_several_boundaries", "missing_coordinates",
                "duplicate_id", "duplicate_address", "duplicate_point", "community_mismatch",
                "empty_community", "invalid_polygon", "overlapping_polygons", "coverage", "vacancy"}
    assert required <= set(got) and set(got) == set(CHECKS)


def test_examples_name_dwelling_row_and_community(qa: QAReport) -> None:
    (out,) = qa["outside_boundaries"].examples
    assert out["dwelling_id"] == "X-outside" and out["row"] == 17 and out["community_id"] == "C2"
    (sev,) = qa["in_several_boundaries"].examples
    assert sev["community_id"] == "C1" and sev["also_in"] == "C5"
    assert {e["dwelling_id"] for e in qa["duplicate_id"].examples} == {"C1-001"}
    assert [e["row"] for e in qa["duplicate_id"].examples] == [1, 20]
    assert {e["dwelling_id"] for e in qa["duplicate_address"].examples} == {"C1-002", "X-dupaddr"}
    assert {e["dwelling_id"] for e in qa["duplicate_point"].examples} == {"C1-003", "X-duppoint"}
    (mis,) = qa["community_mismatch"].examples
    assert mis["community_id"] == "C2" and mis["listed_community_id"] == "C1"
    assert qa["unknown_community"].examples[0]["listed_community_id"] == "C9"
    assert {e["community_id"] for e in qa["empty_community"].examples} == {"C4", "C5"}
    assert qa["invalid_polygon"].examples[0]["community_id"] == "C4"
    ov = qa["overlapping_polygons"].examples[0]
    assert {ov["community_id"], ov["other_community_id"]} == {"C1", "C5"} and ov["area_m2"] > 1000
    cov = {e["community_id"]: e["coverage"] for e in qa["coverage"].examples}
    assert cov == {"C1": 0.7, "C2": 1.5}
    assert qa["vacancy"].examples[0]["community_id"] == "C2"
    assert qa["vacancy"].examples[0]["vacancy_rate"] == 0.25


def test_severities_and_errors(qa: QAReport) -> None:
    sev = {c.check: c.severity for c in qa.checks}
    assert sev["outside_boundaries"] == "error" and sev["duplicate_id"] == "error"
    assert sev["duplicate_address"] == "warning" and sev["estimated_dwellings"] == "info"
    assert qa.has_errors and {c.check for c in qa.errors} == {"outside_boundaries", "unassigned", "duplicate_id"}


def test_json_shape_and_round_trip(qa: QAReport) -> None:
    data = json.loads(qa.to_json())
    assert [set(c) >= {"check", "severity", "count", "examples"} for c in data["checks"]]
    assert all(len(c["examples"]) <= 20 for c in data["checks"])
    assert data["summary"]["dwellings"] == 24
    back = QAReport.from_dict(data)
    assert [c.count for c in back.checks] == [c.count for c in qa.checks]
    assert back.communities["community_id"].tolist() == ["C1", "C2", "C3", "C4", "C5"]


def test_text_table(qa: QAReport) -> None:
    text = qa.to_text(width=120)
    assert text.splitlines()[0].startswith("Self-check (绘图自查): 24 dwellings, 5 communities")
    line = next(l for l in text.splitlines() if l.startswith("outside_boundaries"))
    assert "error" in line and "X-outside (row 17, C2)" in line
    assert all(len(l) <= 120 for l in text.splitlines())


def test_examples_stop_at_twenty(tmp_path: Path) -> None:
    df = pd.concat([listing()] * 10, ignore_index=True)  # every id 10 times
    qa = check_frame(write_geojson(communities(), tmp_path / "b.geojson"), df)
    assert qa["duplicate_id"].count == 150 and len(qa["duplicate_id"].examples) == 20


def test_clean_listing_has_no_errors_and_coverage_without_register(tmp_path: Path) -> None:
    b = communities().drop(columns=["households"])
    qa = check_frame(write_geojson(b, tmp_path / "b.geojson"), write_csv(listing(), tmp_path / "l.csv"))
    assert not qa.has_errors
    assert qa["coverage"].severity == "info" and "no registered households" in qa["coverage"].message
    assert qa["empty_community"].count == 1  # C4


def test_unidentified_crs_is_flagged(tmp_path: Path) -> None:
    wkt = ('PROJCS["custom TM",GEOGCS["GCS_unknown",DATUM["D_unknown",SPHEROID["GRS80",6378137,'
           '298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]],'
           'PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],'
           'PARAMETER["central_meridian",117],PARAMETER["scale_factor",1],'
           'PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1]]')
    path = tmp_path / "b.gpkg"
    communities().to_crs(wkt).to_file(path)
    qa = check_frame(path, write_csv(listing(), tmp_path / "l.csv"))
    assert qa["unidentified_crs"].count == 1 and qa["unidentified_crs"].severity == "warning"
    assert qa["outside_boundaries"].count == 0


def test_points_in_a_hole_are_outside(tmp_path: Path) -> None:
    import shapely

    b = communities()
    b.loc[0, "geometry"] = b.geometry.iloc[0].difference(shapely.box(116.403, 39.903, 116.407, 39.907))
    df = listing()
    qa = build_frame(write_geojson(b, tmp_path / "b.geojson"), df).qa
    assert qa["outside_boundaries"].count == 5  # all C1 dwellings sit in the hole
    # outside every polygon, they keep the community the listing names: C1 still counts its
    # 4 occupied households (and 1 vacant dwelling) against the 10 registered
    c1 = qa.communities.set_index("community_id").loc["C1"]
    assert (c1["listed"], c1["occupied"], c1["registered"]) == (5, 4, 10)
    assert c1["coverage"] == pytest.approx(0.4)


def test_duplicate_address_ignores_spaces_and_case(tmp_path: Path) -> None:
    df = listing()
    df.loc[1, "address"] = " c1 幸福路\u30001号 "  # same as row 0 but for spaces and case
    df.loc[1, ["building", "floor", "door"]] = df.loc[0, ["building", "floor", "door"]].tolist()
    qa = check_frame(write_geojson(communities(), tmp_path / "b.geojson"), df)
    assert {e["dwelling_id"] for e in qa["duplicate_address"].examples} == {"C1-001", "C1-002"}
