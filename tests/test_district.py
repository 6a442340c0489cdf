"""The example district: its counts, geometry, listing faults, margins and committed files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from fieldsurvey.example.district import (
    DEFAULT_SEED,
    District,
    generate_district,
    load_district,
    main,
    write_district,
)
from fieldsurvey.io.errors import ColumnError, FieldsurveyError, InputError
from fieldsurvey.io.schema import DWELLING_STATUSES

LISTING_COLUMNS = [
    "dwelling_id",
    "community_id",
    "compound",
    "building",
    "unit",
    "floor",
    "door",
    "address",
    "lon",
    "lat",
    "status",
    "households",
]


@pytest.fixture(scope="module")
def district() -> District:
    return generate_district()


@pytest.fixture(scope="module")
def other() -> District:
    return generate_district(3)


@pytest.fixture(scope="module")
def small() -> District:
    return generate_district(7, scale=0.15)


def _fault_rows(d: District, check: str) -> np.ndarray:
    f = d.faults[d.faults["check"] == check]
    return f["source_row"].to_numpy(dtype=np.int64) - 1


# --- counts --------------------------------------------------------------------------


def test_streets_types_and_compound_kinds(district: District) -> None:
    b = district.boundaries
    assert len(b) == 39 and b["community_id"].is_unique
    per_street = b.groupby("street_id", sort=True).size().tolist()
    assert per_street == [9, 9, 12, 3, 3, 3]
    assert b["street"].nunique() == 6
    assert b["type"].value_counts().to_dict() == {"强基类": 21, "示范类": 9, "创优类": 9}
    c = district.compounds
    assert len(c) == 447 and c["compound_id"].is_unique and c["name"].is_unique
    assert c["kind"].value_counts().to_dict() == {
        "无物业楼院": 164,
        "商业小区": 152,
        "单位小区": 131,
    }
    zone = c["community_id"].map(b.set_index("community_id")["zone"])
    assert (zone[c["kind"] != "商业小区"] == "老城区").all()
    commercial_zone = zone[c["kind"] == "商业小区"]
    assert (commercial_zone == "新城区").mean() > 0.75  # mostly in the new town
    assert (
        c.groupby("community_id").size().reindex(b["community_id"]).to_numpy() == b["compounds"]
    ).all()


def test_large_communities_and_migrant_community(district: District) -> None:
    b = district.boundaries
    large = b[b["residents"] > 10_000]
    assert len(large) == 8
    assert (b["migrant_share"] > 0.5).sum() == 1
    assert b.loc[b["migrant_share"].idxmax(), "residents"] > 10_000
    n = len(district.listing)
    assert 40_000 <= n <= 80_000, n


def test_counts_hold_for_another_seed(other: District) -> None:
    b = other.boundaries
    assert len(other.compounds) == 447 and 40_000 <= len(other.listing) <= 80_000
    assert (b["residents"] > 10_000).sum() == 8
    assert (b["migrant_share"] > 0.5).sum() == 1
    assert b["type"].value_counts().to_dict() == {"强基类": 21, "示范类": 9, "创优类": 9}


def test_scale_keeps_the_units_and_shrinks_the_sizes(small: District, district: District) -> None:
    assert len(small.boundaries) == 39 and len(small.compounds) == 447
    assert len(small.listing) < 0.3 * len(district.listing)
    assert (small.compounds["buildings"] >= 1).all()


@pytest.mark.parametrize("scale", [0, -1, 100, float("nan")])
def test_bad_scale_is_a_user_error(scale: float) -> None:
    with pytest.raises(FieldsurveyError, match="scale"):
        generate_district(1, scale=scale)


# --- geometry ------------------------------------------------------------------------


def test_communities_are_a_valid_coverage(district: District) -> None:
    g = district.boundaries.geometry.to_numpy()
    assert shapely.is_valid(g).all()
    assert set(shapely.get_type_id(g)) == {3}  # Polygon
    assert shapely.coverage_is_valid(g)
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    pairs = a < b
    assert pairs.sum() > 39  # neighbours touch
    overlap = shapely.area(shapely.intersection(g[a[pairs]], g[b[pairs]]))
    assert overlap.max() == 0.0
    union = shapely.coverage_union_all(g)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    lon, lat = union.centroid.x, union.centroid.y
    assert 116.5 < lon < 118 and 31 < lat < 32.5
    assert district.boundaries.crs.to_epsg() == 4326


def test_compounds_inside_communities_and_buildings_inside_compounds(district: District) -> None:
    b = district.boundaries.set_index("community_id").geometry
    c = district.compounds
    assert shapely.is_valid(c.geometry.to_numpy()).all()
    assert shapely.within(c.geometry.to_numpy(), b.loc[c["community_id"]].to_numpy()).all()
    cg = c.geometry.to_numpy()
    a, o = shapely.STRtree(cg).query(cg, predicate="intersects")
    assert (a == o).all()  # compounds do not touch one another
    bl = district.buildings
    assert shapely.is_valid(bl.geometry.to_numpy()).all()
    parent = c.set_index("compound_id").geometry.loc[bl["compound_id"]].to_numpy()
    assert shapely.within(bl.geometry.to_numpy(), parent).all()
    assert (
        bl.groupby("compound_id").size().reindex(c["compound_id"]).to_numpy() == c["buildings"]
    ).all()
    assert (bl["dwellings"] == bl["storeys"] * bl["units"] * bl["doors_per_floor"]).all()


def test_old_town_lower_than_new_town(district: District) -> None:
    bl = district.buildings.merge(district.compounds[["compound_id", "kind"]], on="compound_id")
    zone = bl["community_id"].map(district.boundaries.set_index("community_id")["zone"])
    old, new = bl[zone == "老城区"], bl[zone == "新城区"]
    assert old["storeys"].max() <= 19 and old["storeys"].median() <= 7
    high_new = new.loc[new["storeys"] >= 11, "dwellings"].sum() / new["dwellings"].sum()
    low_old = old.loc[old["storeys"] <= 7, "dwellings"].sum() / old["dwellings"].sum()
    assert high_new > 0.6 and low_old > 0.6
    assert (bl.loc[bl["kind"] != "商业小区", "storeys"] <= 8).all()


def test_every_listed_point_lies_in_its_community_bar_the_faults(district: District) -> None:
    lst = district.listing
    has = lst["lon"].notna().to_numpy()
    pts = shapely.points(lst.loc[has, "lon"].to_numpy(), lst.loc[has, "lat"].to_numpy())
    g = district.boundaries.geometry.to_numpy()
    p_i, c_i = shapely.STRtree(g).query(pts, predicate="within")
    where = np.full(len(lst), None, dtype=object)
    where[np.flatnonzero(has)[p_i]] = district.boundaries["community_id"].to_numpy()[c_i]
    assert np.bincount(p_i, minlength=len(pts)).max() == 1  # no point in two communities
    bad = np.flatnonzero(where != lst["community_id"].to_numpy(dtype=object))
    planted = np.concatenate(
        [
            _fault_rows(district, k)
            for k in ("outside_boundaries", "missing_coordinates", "community_mismatch")
        ]
    )
    assert sorted(bad.tolist()) == sorted(planted.tolist())
    # dwellings sit inside their building
    clean = lst.drop(index=np.concatenate([planted, _fault_rows(district, "duplicate_address")]))
    key = clean["community_id"] + "|" + clean["compound"] + "|" + clean["building"].astype(str)
    comp = district.compounds.set_index("compound_id")
    bl = district.buildings.assign(
        key=lambda x: (
            x["community_id"]
            + "|"
            + comp.loc[x["compound_id"], "name"].to_numpy()
            + "|"
            + x["building"].astype(str)
        )
    ).set_index("key")
    inside = shapely.contains_xy(
        bl.geometry.loc[key].to_numpy(), clean["lon"].to_numpy(), clean["lat"].to_numpy()
    )
    assert inside.all()


# --- listing -------------------------------------------------------------------------


def test_listing_columns_and_formats(district: District) -> None:
    lst = district.listing
    assert list(lst.columns) == LISTING_COLUMNS
    assert set(lst["status"]) <= set(DWELLING_STATUSES)
    assert lst["door"].str.fullmatch(r"\d+-\d{3,4}").all()
    assert (lst["door"].str.split("-").str[0].astype(int) == lst["unit"]).all()
    row = lst.iloc[0]
    street = district.boundaries.set_index("community_id").loc[row["community_id"]]
    assert row["address"].startswith(street["street"] + street["name"] + row["compound"])
    assert re.search(r"\d+栋\d+单元\d{3,4}室$", row["address"])
    lon = lst["lon"].dropna().to_numpy()
    assert np.array_equal(lon, np.round(lon, 7))


def test_vacancy_and_households_are_realistic(district: District) -> None:
    lst = district.listing
    share = lst["status"].value_counts(normalize=True)
    assert 0.05 < share["vacant"] < 0.25 and 0 < share["non_residential"] < 0.05
    assert 0 < share["unknown"] < 0.05
    kind = district.compounds.set_index(["community_id", "name"])["kind"]
    zone = lst["community_id"].map(district.boundaries.set_index("community_id")["zone"])
    lst_kind = pd.Series(
        kind.reindex(pd.MultiIndex.from_frame(lst[["community_id", "compound"]])).to_numpy()
    )
    vacant = lst["status"].eq("vacant").to_numpy()
    new_estates = (lst_kind == "商业小区").to_numpy() & (zone == "新城区").to_numpy()
    assert vacant[new_estates].mean() > 1.5 * vacant[~new_estates].mean()
    occ = lst.loc[lst["status"] == "occupied", "households"]
    assert (occ >= 1).all() and 0.01 < (occ >= 2).mean() < 0.15
    assert lst.loc[lst["status"] == "unknown", "households"].isna().all()
    assert (lst.loc[lst["status"].isin(["vacant", "non_residential"]), "households"] == 0).all()


@pytest.mark.parametrize("which", ["district", "other"])
def test_one_community_above_30_per_cent_vacancy(
    which: str, request: pytest.FixtureRequest
) -> None:
    lst = request.getfixturevalue(which).listing
    vacancy = lst["status"].eq("vacant").groupby(lst["community_id"]).mean()
    assert (vacancy > 0.30).sum() == 1
    assert vacancy.sort_values().iloc[-2] < 0.27


def test_registered_households_within_a_few_per_cent(district: District) -> None:
    lst = district.listing
    occ = lst[lst["status"] == "occupied"].groupby("community_id")["households"].sum()
    reg = district.boundaries.set_index("community_id")["households"]
    ratio = (reg / occ).dropna()
    assert len(ratio) == 38  # all but the community not listed yet
    assert ratio.between(0.9, 1.1).all(), ratio.describe()
    assert (ratio.sub(1).abs() > 0.01).sum() >= 10  # they do differ


def test_planted_faults_are_there(district: District) -> None:
    lst, f = district.listing, district.faults
    assert f["check"].value_counts().to_dict() == {
        "missing_coordinates": 12,
        "duplicate_id": 5,
        "community_mismatch": 6,
        "outside_boundaries": 4,
        "duplicate_address": 2,
        "empty_community": 1,
    }
    rows = f["source_row"].dropna().to_numpy(dtype=np.int64) - 1
    assert (
        lst["dwelling_id"].to_numpy(dtype=object)[rows]
        == f["dwelling_id"].dropna().to_numpy(dtype=object)
    ).all()
    assert lst["lon"].isna().sum() == 12 and lst["lat"].isna().sum() == 12
    assert lst["dwelling_id"].duplicated().sum() == 5
    assert lst.duplicated().sum() == 3  # rows pasted twice
    assert lst["address"].duplicated().sum() == 3 + 2
    empty = f.loc[f["check"] == "empty_community", "community_id"].iloc[0]
    assert empty in set(district.boundaries["community_id"])
    assert not (lst["community_id"] == empty).any()
    assert set(lst["community_id"]) == set(district.boundaries["community_id"]) - {empty}
    outline = shapely.coverage_union_all(district.boundaries.geometry.to_numpy())
    out = lst.iloc[_fault_rows(district, "outside_boundaries")]
    assert not shapely.intersects_xy(outline, out["lon"].to_numpy(), out["lat"].to_numpy()).any()
    # the unlisted community still has residents (they are just not listed)
    assert district.boundaries.set_index("community_id").loc[empty, "residents"] > 1000


# --- people and margins ----------------------------------------------------------------


def test_margins_count_the_adults(district: District) -> None:
    m, p = district.margins, district.persons
    assert list(m.columns) == ["variable", "level", "total"]
    adults = int((p["age"] >= 18).sum())
    assert m.groupby("variable")["total"].sum().to_dict() == {
        "age_group": adults,
        "sex:age_group": adults,
        "sex": adults,
    }
    male_young = int(((p["sex"] == "male") & p["age"].between(18, 29)).sum())
    assert (
        m.set_index(["variable", "level"]).loc[("sex:age_group", "male:18-29"), "total"]
        == male_young
    )
    res = p.groupby(p["dwelling_id"].str[:12]).size()
    assert (
        res.reindex(district.boundaries["community_id"]).to_numpy()
        == district.boundaries["residents"]
    ).all()
    assert 0.45 < (p["sex"] == "male").mean() < 0.56
    assert (
        p["age"].between(0, 99).all()
        and 2.3 < p.groupby("dwelling_id")["household"].size().mean() < 3.3
    )


# --- determinism and files ----------------------------------------------------------------


def _same(a: District, b: District) -> bool:
    for name in ("boundaries", "compounds", "buildings", "listing", "faults", "margins", "persons"):
        x, y = getattr(a, name), getattr(b, name)
        if x.shape != y.shape or not x.drop(columns="geometry", errors="ignore").equals(
            y.drop(columns="geometry", errors="ignore")
        ):
            return False
        if (
            "geometry" in x
            and not (
                shapely.to_wkb(x.geometry.to_numpy()) == shapely.to_wkb(y.geometry.to_numpy())
            ).all()
        ):
            return False
    return True


def test_same_seed_same_district_other_seed_other_district(
    small: District, district: District, other: District, tmp_path: Path
) -> None:
    again = generate_district(7, scale=0.15)
    assert _same(small, again)
    write_district(small, tmp_path / "a")
    write_district(again, tmp_path / "b")
    for f in (tmp_path / "a").iterdir():
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name
    assert not _same(district, other)
    assert not district.boundaries.geometry.geom_equals(other.boundaries.geometry).any()
    assert not district.listing["address"].head(1000).equals(other.listing["address"].head(1000))


def test_committed_maps_equal_a_fresh_generation(
    district: District, repo_root: Path, tmp_path: Path
) -> None:
    maps = repo_root / "maps"
    manifest = json.loads((maps / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == DEFAULT_SEED and manifest["scale"] == 1.0
    written = write_district(district, tmp_path)
    assert {p.name for p in maps.iterdir() if p.is_file()} == set(written)
    total = 0
    for name, path in written.items():
        committed = (maps / name).read_bytes()
        total += len(committed)
        assert committed == path.read_bytes(), (
            f"maps/{name} differs from a fresh generation; regenerate: "
            "python -m fieldsurvey.example.district --out maps"
        )
    assert total < 20e6


def test_load_reads_back_what_was_written(small: District, tmp_path: Path) -> None:
    write_district(small, tmp_path)
    back = load_district(tmp_path)
    assert back.seed == 7 and back.scale == 0.15 and back.persons is None
    for name in ("boundaries", "compounds", "buildings", "listing", "faults", "margins"):
        x, y = getattr(small, name), getattr(back, name)
        pd.testing.assert_frame_equal(
            pd.DataFrame(x.drop(columns="geometry", errors="ignore")).reset_index(drop=True),
            pd.DataFrame(y.drop(columns="geometry", errors="ignore")).reset_index(drop=True),
            check_dtype=False,
        )
        if "geometry" in x:
            assert shapely.equals_exact(
                x.geometry.to_numpy(), y.geometry.to_numpy(), tolerance=0
            ).all()


def test_files_are_readable_as_the_contract_says(repo_root: Path) -> None:
    import geopandas as gpd

    b = gpd.read_file(repo_root / "maps" / "boundaries.geojson")
    assert b.crs.to_epsg() == 4326 and b["community_id"].is_unique
    lst = pd.read_csv(
        repo_root / "maps" / "listing.csv", dtype={"dwelling_id": str, "community_id": str}
    )
    assert list(lst.columns) == LISTING_COLUMNS
    assert lst["community_id"].str.fullmatch(r"\d{12}").all()


def test_load_errors_are_clear(small: District, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="manifest.json"):
        load_district(tmp_path)
    write_district(small, tmp_path)
    (tmp_path / "margins.csv").write_text("variable,level\nsex,male\n", encoding="utf-8")
    with pytest.raises(InputError, match="margins.csv is not the file the manifest describes"):
        load_district(tmp_path)
    with pytest.raises(ColumnError, match="total"):
        load_district(tmp_path, verify=False)
    (tmp_path / "listing.csv").unlink()
    with pytest.raises(InputError, match="listing.csv"):
        load_district(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="manifest"):
        load_district(tmp_path)


def test_a_failed_write_leaves_no_manifest(
    small: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_district(small, tmp_path)
    import fieldsurvey.example.files as dio

    def broken(df: pd.DataFrame) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(dio, "csv_bytes", broken)
    with pytest.raises(OSError, match="disk full"):
        write_district(small, tmp_path)
    assert not (tmp_path / "manifest.json").exists()
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(InputError, match="manifest.json is missing"):
        load_district(tmp_path)


def test_command_writes_the_files(
    small: District,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fieldsurvey.example.district as mod

    asked = []
    monkeypatch.setattr(
        mod, "generate_district", lambda seed, scale: asked.append((seed, scale)) or small
    )
    assert main(["--out", str(tmp_path / "m"), "--seed", "5", "--scale", "0.05"]) == 0
    assert asked == [(5, 0.05)]
    assert (tmp_path / "m" / "listing.csv").is_file()
    assert "listing.csv" in capsys.readouterr().out
    monkeypatch.undo()
    assert main(["--out", str(tmp_path / "n"), "--scale", "0"]) == 2
    assert "scale" in capsys.readouterr().err
    assert not (tmp_path / "n").exists()
    assert not list((tmp_path / "m").glob("*.part"))
