"""The example district: a fictional new district generated reproducibly from a seed.

青岚区 (near 117.26 E, 31.74 N) is modelled on a published county survey (DESIGN.md, "The
example district"): 6 streets with 9, 9, 12, 3, 3 and 3 communities, 9 示范类, 9 创优类
and 21 强基类 communities, 447 compounds (152 商业小区 mostly in the new town, 164 无物业楼院
and 131 单位小区 in the old town), buildings with units, floors and doors, tens of thousands
of dwellings, 8 communities above 10,000 residents, one of them mostly migrants.

:func:`generate_district` builds it (a few seconds), :func:`write_district` writes the
files committed under ``maps/``, :func:`load_district` reads them back. Every random draw
comes from ``seed`` through :func:`fieldsurvey.sampling.rng.child_rngs`, one stream per stage, so
the same seed gives the same files byte for byte.

Regenerate the committed files with ``python -m fieldsurvey.example.district --out maps``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from fieldsurvey.example.geometry import (
    community_cells,
    compound_cells,
    dwelling_points,
    exact_coverage,
    place_buildings,
    rectangles,
    snap7,
    snap_geoms,
    to_lonlat,
    xy_to_lonlat,
)
from fieldsurvey.example.listing import clean_listing, plant_faults
from fieldsurvey.example.names import STREETS, compound_names
from fieldsurvey.example.population import (
    expected_persons_per_occupied,
    listed_status,
    margins_table,
    populate,
    true_status,
)
from fieldsurvey.example.spec import building_templates, community_table, compound_table
from fieldsurvey.io.errors import FieldsurveyError
from fieldsurvey.io.schema import WGS84
from fieldsurvey.sampling.rng import child_rngs

__all__ = [
    "DEFAULT_SEED",
    "District",
    "generate_district",
    "load_district",
    "main",
    "write_district",
]

DEFAULT_SEED = 20261121
_ZONE_LABEL = {"old": "老城区", "new": "新城区"}


@dataclass(frozen=True, eq=False)
class District:
    """The example district: its maps, its listing and its people.

    Attributes
    ----------
    seed, scale
        What it was generated from.
    boundaries
        39 community polygons (WGS 84): ``community_id``, ``name``, ``street_id``,
        ``street``, ``type`` (示范类/创优类/强基类), ``zone`` (老城区/新城区), ``households``
        (registered, from the street office), ``residents``, ``migrant_share``,
        ``compounds``.
    compounds
        447 compound polygons: ``compound_id``, ``name``, ``kind`` (商业小区/无物业楼院/
        单位小区), ``community_id``, ``buildings``, ``dwellings``.
    buildings
        Footprints: ``building_id``, ``compound_id``, ``community_id``, ``building``
        (number in its compound), ``storeys``, ``units``, ``doors_per_floor``,
        ``dwellings``, ``height`` (m).
    listing
        One row per listed dwelling, the English columns of DESIGN.md (``dwelling_id``,
        ``community_id``, ``compound``, ``building``, ``unit``, ``floor``, ``door``,
        ``address``, ``lon``, ``lat``, ``status``, ``households``), with faults.
    faults
        The planted faults: ``check``, ``dwelling_id``, ``community_id``,
        ``source_row`` (1-based data row of ``listing``), ``note``.
    persons
        Everyone living in the district (also in the community not listed yet):
        ``dwelling_id``, ``household`` (1-based within the dwelling), ``person``,
        ``sex`` (male/female), ``age``, ``migrant``. The truth a simulated fieldwork
        meets at the door; only in memory (not written: too big for ``maps/``).
    margins
        The adult population by ``sex``, ``age_group`` and ``sex:age_group`` (columns
        ``variable``, ``level``, ``total``; the format of ``fieldsurvey.weights``),
        counted from ``persons``.
    """

    seed: int
    scale: float
    boundaries: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    listing: pd.DataFrame
    faults: pd.DataFrame
    margins: pd.DataFrame
    persons: pd.DataFrame | None = None


def _neighbours(polys: np.ndarray, ids: np.ndarray) -> dict[str, list[str]]:
    """Communities sharing an edge with each community."""
    tree = shapely.STRtree(polys)
    a, b = tree.query(polys, predicate="intersects")
    shared = shapely.length(shapely.intersection(polys[a], polys[b])) > 1e-5
    keep = (a != b) & shared
    out: dict[str, list[str]] = {str(i): [] for i in ids}
    for i, j in zip(a[keep], b[keep], strict=True):
        out[str(ids[i])].append(str(ids[j]))
    return out


def generate_district(seed: int = DEFAULT_SEED, *, scale: float = 1.0) -> District:
    """Generate the example district.

    Parameters
    ----------
    seed
        Seed of every random draw; the same seed gives identical output.
    scale
        Multiplies the size of every community (dwellings, residents); the numbers of
        streets, communities and compounds do not change, and every compound keeps at
        least one building, so the district does not shrink below about 12,000 dwellings
        (``scale=0.1`` gives about 14,000, for quick tests; the 10,000-resident figure
        then no longer holds).

    Returns
    -------
    District

    Raises
    ------
    FieldsurveyError
        When ``scale`` is outside 0.02 to 10.
    """
    if not (isinstance(scale, (int, float)) and 0.02 <= scale <= 10):
        raise FieldsurveyError(
            "the scale of the example district is out of range",
            field="scale",
            expected="a number from 0.02 to 10 (1 is the full district)",
            got=repr(scale),
            hint="Use --scale 1 for the committed district, or e.g. 0.1 for a quick test",
        )
    r_spec, r_geo, r_comp, r_bld, r_pts, r_status, r_people, r_faults, r_names = child_rngs(seed, 9)

    comm = community_table(r_spec, scale)
    comp = compound_table(comm, r_spec)
    comp_comm = comp["community"].to_numpy()
    zone = comm["zone"].to_numpy(dtype=object)[comp_comm]
    new = zone == "new"
    hub = comm["migrant_hub"].to_numpy()[comp_comm]
    kind = comp["kind"].to_numpy(dtype=object)
    tmpl = building_templates(comp, zone, r_bld)

    outline, _streets, cells = community_cells([k for _, k, _ in STREETS], r_geo)
    comm_ll = snap_geoms(exact_coverage(to_lonlat(cells, snap=False)))
    counts = np.bincount(comp_comm, minlength=len(comm))
    ccells = compound_cells(cells, counts, tmpl["road"].to_numpy(), r_comp)

    pitch = tmpl[["pitch_along", "pitch_across"]].to_numpy()
    theta = tmpl["theta"].to_numpy()
    g, bx, by, length, depth = place_buildings(
        ccells,
        tmpl["wanted"].to_numpy(),
        tmpl["length"].to_numpy(),
        tmpl["depth"].to_numpy(),
        pitch,
        theta,
        r_bld,
    )
    nb = len(g)
    storeys = tmpl["storeys"].to_numpy()[g] + np.where(
        new[g], 0, r_bld.choice([-1, 0, 0, 0, 1], nb)
    )
    units, doors = tmpl["units"].to_numpy()[g], tmpl["doors"].to_numpy()[g]
    footprints = rectangles(bx, by, length[g], depth[g], theta[g])
    corners, owner = shapely.get_coordinates(footprints, return_index=True)
    hulls = shapely.convex_hull(shapely.multipoints(corners, indices=g[owner]))
    margin = np.where(new, r_comp.uniform(15, 30, len(comp)), r_comp.uniform(6, 14, len(comp)))
    comp_poly = shapely.intersection(ccells, shapely.buffer(hulls, margin, join_style="mitre"))

    pts = dwelling_points(bx, by, theta[g], length[g], depth[g], units, storeys, doors, r_pts)
    db = pts["building"]
    dc = g[db]  # compound of each dwelling
    shop_p = np.where(
        new[g], np.where(storeys >= 11, 0.25, 0.0), np.where(kind[g] == "商业小区", 0.3, 0.1)
    )
    shops = r_status.uniform(size=nb) < shop_p
    d_comm = comp_comm[dc]
    target_occupied = (
        comm["target_residents"].to_numpy()
        * scale
        / expected_persons_per_occupied(
            comm["migrant_rate"].to_numpy(), comm["migrant_hub"].to_numpy()
        )
    )
    status, hh = true_status(
        kind, new, hub, dc, pts["floor"], shops[db], d_comm, target_occupied, r_status
    )
    listed, listed_hh = listed_status(status, hh, r_status)

    # ids and names
    comm_id = comm["community_id"].to_numpy(dtype=object)
    cpos = np.arange(len(comp)) - (np.cumsum(counts) - counts)[comp_comm]
    comp_id = np.array(
        [f"{comm_id[c]}-{p + 1:02d}" for c, p in zip(comp_comm, cpos, strict=True)], dtype=object
    )
    comp_name = compound_names(kind, r_names)
    per_comp = np.bincount(g, minlength=len(comp))
    bnum = np.arange(nb) - (np.cumsum(per_comp) - per_comp)[g] + 1
    order_in_comm = np.arange(len(dc)) - np.searchsorted(d_comm, d_comm, side="left")
    dwelling_id = np.char.add(
        np.char.add(comm_id[d_comm].astype(str), "-"),
        np.char.zfill((order_in_comm + 1).astype(str), 5),
    )

    persons, residents, migrant_share, true_hh = populate(
        d_comm, kind[dc], new[dc], hh, comm["migrant_rate"].to_numpy(), dwelling_id, r_people
    )
    registered = np.round(
        true_hh * (1 + np.clip(r_spec.normal(-0.005, 0.025, len(comm)), -0.06, 0.06))
    )

    boundaries = gpd.GeoDataFrame(
        {
            "community_id": comm_id,
            "name": comm["name"].to_numpy(dtype=object),
            "street_id": comm["street_id"].to_numpy(dtype=object),
            "street": comm["street"].to_numpy(dtype=object),
            "type": comm["type"].to_numpy(dtype=object),
            "zone": [_ZONE_LABEL[z] for z in comm["zone"]],
            "households": registered.astype(np.int64),
            "residents": residents.astype(np.int64),
            "migrant_share": np.round(migrant_share, 3),
            "compounds": counts.astype(np.int64),
        },
        geometry=comm_ll,
        crs=WGS84,
    )
    dw_per_b = units * storeys * doors
    compounds = gpd.GeoDataFrame(
        {
            "compound_id": comp_id,
            "name": comp_name,
            "kind": kind,
            "community_id": comm_id[comp_comm],
            "buildings": per_comp.astype(np.int64),
            "dwellings": np.bincount(g, weights=dw_per_b, minlength=len(comp)).astype(np.int64),
        },
        geometry=to_lonlat(comp_poly),
        crs=WGS84,
    )
    buildings = gpd.GeoDataFrame(
        {
            "building_id": np.char.add(
                np.char.add(comp_id[g].astype(str), "-"), np.char.zfill(bnum.astype(str), 2)
            ),
            "compound_id": comp_id[g],
            "community_id": comm_id[comp_comm[g]],
            "building": bnum.astype(np.int64),
            "storeys": storeys.astype(np.int64),
            "units": units.astype(np.int64),
            "doors_per_floor": doors.astype(np.int64),
            "dwellings": dw_per_b.astype(np.int64),
            "height": np.round(storeys * r_bld.uniform(2.9, 3.1, nb), 1),
        },
        geometry=to_lonlat(footprints),
        crs=WGS84,
    )
    lon, lat = xy_to_lonlat(pts["x"], pts["y"])
    clean = clean_listing(
        dwelling_id=dwelling_id,
        community_id=comm_id[d_comm],
        street=comm["street"].to_numpy(dtype=object)[d_comm],
        community=comm["name"].to_numpy(dtype=object)[d_comm],
        compound=comp_name[dc],
        building=bnum[db],
        unit=pts["unit"],
        floor=pts["floor"],
        door=pts["door"],
        lon=snap7(lon),
        lat=snap7(lat),
        status=listed,
        households=listed_hh,
    )
    unlisted = str(comm_id[comm["unlisted"].to_numpy()][0])
    clean = clean[clean["community_id"] != unlisted]
    edge = set(
        comm_id[shapely.intersects(comm_ll, shapely.boundary(shapely.coverage_union_all(comm_ll)))]
    )
    neighbours = {
        c: [n for n in near if n != unlisted] for c, near in _neighbours(comm_ll, comm_id).items()
    }
    listing, faults = plant_faults(clean, neighbours, edge, outline, unlisted, r_faults)
    return District(
        seed=int(seed),
        scale=float(scale),
        boundaries=boundaries,
        compounds=compounds,
        buildings=buildings,
        listing=listing,
        faults=faults,
        margins=margins_table(persons["sex"].to_numpy(dtype=object), persons["age"].to_numpy()),
        persons=persons,
    )


def write_district(district: District, directory: str | Path) -> dict[str, Path]:
    """Write the district's files into ``directory`` (each atomically).

    Writes ``boundaries.geojson``, ``compounds.geojson``, ``buildings.geojson``,
    ``listing.csv``, ``faults.csv``, ``margins.csv``, ``manifest.json`` and ``README.md``.

    Returns
    -------
    dict
        File name -> path written.
    """
    from fieldsurvey.example.files import README_TEMPLATE, write_tables

    b = district.boundaries
    unlisted = district.faults.loc[
        district.faults["check"] == "empty_community", "community_id"
    ].iloc[0]
    lst = district.listing
    vacancy = lst["status"].eq("vacant").groupby(lst["community_id"]).mean()
    readme = README_TEMPLATE.format(
        seed=district.seed,
        scale=district.scale,
        buildings=len(district.buildings),
        dwellings=len(district.listing),
        residents=int(b["residents"].sum()),
        adults=int(district.margins.loc[district.margins["variable"] == "sex", "total"].sum()),
        large=int((b["residents"] > 10_000).sum()),
        unlisted=unlisted,
        unlisted_name=b.loc[b["community_id"] == unlisted, "name"].iloc[0],
        fresh=vacancy.idxmax(),
        fresh_name=b.set_index("community_id").loc[vacancy.idxmax(), "name"],
        fresh_rate=vacancy.max(),
        manifest="{manifest}",
    )
    tables = {
        "boundaries.geojson": district.boundaries,
        "compounds.geojson": district.compounds,
        "buildings.geojson": district.buildings,
        "listing.csv": district.listing,
        "faults.csv": district.faults,
        "margins.csv": district.margins,
    }
    meta = {"generator": "fieldsurvey.example.district", "seed": district.seed,
            "scale": district.scale}
    return write_tables(tables, Path(directory), readme, meta)


def load_district(directory: str | Path, *, verify: bool = True) -> District:
    """Read a district written by :func:`write_district` (``persons`` is None).

    With ``verify`` (the default) every file must match the SHA-256 in ``manifest.json``.

    Raises
    ------
    InputError
        When ``manifest.json`` or one of the files is missing, lacks a column, or (with
        ``verify``) differs from what the manifest records.
    """
    from fieldsurvey.example.files import read_tables

    manifest, t = read_tables(Path(directory), verify=verify)
    return District(
        seed=int(manifest["seed"]),
        scale=float(manifest["scale"]),
        boundaries=t["boundaries.geojson"],
        compounds=t["compounds.geojson"],
        buildings=t["buildings.geojson"],
        listing=t["listing.csv"],
        faults=t["faults.csv"],
        margins=t["margins.csv"],
        persons=None,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m fieldsurvey.example.district --out DIR [--seed N] [--scale S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m fieldsurvey.example.district",
        description="Write the example district's files.",
    )
    parser.add_argument("--out", required=True, type=Path, help="directory to write (e.g. maps)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"seed (default {DEFAULT_SEED})"
    )
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier (default 1)")
    args = parser.parse_args(argv)
    try:
        district = generate_district(args.seed, scale=args.scale)
        written = write_district(district, args.out)
    except FieldsurveyError as exc:
        print(exc.paragraph(), file=sys.stderr)
        return 2
    for path in written.values():
        print(f"{path}  ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
