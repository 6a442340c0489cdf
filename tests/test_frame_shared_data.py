"""Real public inputs from ../shared/data (see its SOURCES.md): each loads or fails clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest

from fieldsurvey.frame.build import build_frame
from fieldsurvey.io.boundaries import read_boundaries
from fieldsurvey.io.errors import ColumnError
from fieldsurvey.io.listings import read_listing

TAIPEI = "boundaries/taipei_li/taipei_village.geojson"
TPE3D = "dwellings/taipei_tpe3d/tpe3d_tile3847_buildings.geojson"


def _bounds_inside(b, box: tuple[float, float, float, float]) -> bool:
    minx, miny, maxx, maxy = b.frame.total_bounds
    return box[0] <= minx and box[1] <= miny and maxx <= box[2] and maxy <= box[3]


def test_taipei_li_with_two_invalid_polygons(shared_data: Path) -> None:
    with pytest.raises(ColumnError) as exc:
        read_boundaries(shared_data / TAIPEI)
    assert "CPTVID" in str(exc.value) and "VNAME" in str(exc.value)
    b = read_boundaries(shared_data / TAIPEI, id_field="CPTVID")
    assert len(b) == 456 and b.frame.geometry.is_valid.all()
    assert len(b.repaired) == 2 and b.repaired["reason"].str.contains("Self-intersection").all()
    assert "湖田里" in set(b.frame["VNAME"])
    assert _bounds_inside(b, (121.4, 24.9, 121.7, 25.3))


def test_taipei_buildings_with_heights_become_estimated_dwellings(shared_data: Path) -> None:
    res = build_frame(shared_data / TAIPEI, shared_data / TPE3D, id_field="CPTVID",
                      dwellings_per_floor=2)
    f = res.frame
    inside = f[f["community_id"].notna()]
    assert inside["source_row"].nunique() == 3666  # SOURCES.md: 3,666 buildings inside
    assert inside["community_id"].nunique() == 25  # ... 25 of the 里
    assert f.loc[f["community_id"].isna(), "source_row"].nunique() == 8  # and 8 outside
    assert f["estimated"].all() and res.qa["estimated_dwellings"].count == len(f)
    assert res.qa["invalid_polygon"].count == 2
    assert res.qa["empty_community"].count == 456 - 25
    # heights 3.5-121 m -> 1..40 storeys x 2 dwellings per floor
    per_building = f.groupby("source_row").size()
    assert per_building.min() == 2 and per_building.max() == 80
    assert set(inside["VNAME"].dropna()) >= {"廈安里"}


def test_olinda_cp1252_with_an_unidentified_crs(shared_data: Path) -> None:
    path = shared_data / "boundaries/olinda_cp1252/olinda1.shp"
    with pytest.raises(ColumnError, match="CD_GEOCODI"):
        read_boundaries(path)
    b = read_boundaries(path, id_field="CD_GEOCODI")
    assert len(b) == 470 and not b.crs_identified
    assert "Alto da Nação" in set(b.frame["NM_BAIR"])
    assert _bounds_inside(b, (-35.0, -8.1, -34.8, -7.9))


def test_ny8_projected_utm(shared_data: Path) -> None:
    b = read_boundaries(shared_data / "boundaries/ny8_utm18_latin1/NY8_utm18.shp", id_field="AREAKEY")
    assert b.source_crs.to_epsg() == 32618 and len(b) == 281 and b.crs_identified
    assert _bounds_inside(b, (-77.0, 41.9, -75.0, 43.5))
    assert b.frame.geometry.is_valid.all() and len(b.repaired) == 5  # 5 invalid tracts repaired


def test_boston_nad27_is_transformed(shared_data: Path) -> None:
    path = shared_data / "boundaries/boston_tracts_nad27/boston_tracts.shp"
    b = read_boundaries(path, id_field="poltract")
    raw = pyogrio.read_dataframe(path)
    assert b.source_crs.to_epsg() == 4267 and len(b) == 506
    shift = np.abs(b.frame.total_bounds - raw.total_bounds)
    assert 1e-5 < shift.max() < 1e-3  # NAD27 -> WGS 84 moves Boston by metres, not kilometres
    assert "households" not in b.frame and "units" in b.frame


def test_soho_custom_wkt(shared_data: Path) -> None:
    path = shared_data / "dwellings/soho_osgb_customwkt/buildings.gpkg"
    b = read_boundaries(path, id_field="cat")
    assert not b.crs_identified and _bounds_inside(b, (-0.15, 51.50, -0.12, 51.52))
    with pytest.raises(ColumnError, match="no dwelling count, storeys or height"):
        read_listing(path)
    got = read_listing(path, columns={"storeys": "cat"}, dwellings_per_floor=1)  # any field will do
    assert len(got) == sum(range(1, 159)) and got["estimated"].all()
    assert np.allclose(got["lon"].mean(), -0.137, atol=0.01)


def test_helsinki_osm_buildings_are_counted_never_dropped(shared_data: Path, tmp_path: Path) -> None:
    """A raw OSM extract: tags in other_tags, heights with units, a ring of 2 points,
    parks and roads among the polygons, most buildings without levels."""
    import geopandas as gpd
    import shapely

    from fieldsurvey.io.errors import InputError

    pbf = shared_data / "dwellings/helsinki_osm.pbf"
    box = (24.934, 60.163, 24.955, 60.180)
    mid = (box[0] + box[2]) / 2
    b = gpd.GeoDataFrame({"社区编码": ["H1", "H2"], "社区名称": ["西区", "东区"], "户数": [900, 900]},
                         geometry=[shapely.box(box[0], box[1], mid, box[3]),
                                   shapely.box(mid, box[1], box[2], box[3])], crs="EPSG:4326")
    bpath = tmp_path / "b.geojson"
    b.to_file(bpath, driver="GeoJSON")
    with pytest.raises(InputError, match="of 494 building footprint"):  # SOURCES.md: 494
        build_frame(bpath, pbf, dwellings_per_floor=3)
    res = build_frame(bpath, pbf, dwellings_per_floor=3, dwelling_area=90, skip_unsized=True,
                      keep="building in ('residential', 'apartments', 'yes')")
    f = res.frame
    assert res.qa["filtered_out"].count > 0 and res.qa["unsized_footprints"].count > 0
    assert f["estimated"].all() and set(f["community_id"].dropna()) == {"H1", "H2"}
    assert f["address"].str.startswith("Mannerheimintie").any()  # from addr:* tags
    assert f["name"].dropna().isin(["西区", "东区"]).all()
