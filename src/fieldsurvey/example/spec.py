"""What the example district is made of, before any geometry: communities and compounds.

The figures follow a published county survey report (DESIGN.md, "The example district"):
6 streets of 9, 9, 12, 3, 3 and 3 communities; 9 示范类, 9 创优类 and 21 强基类
communities; 447 compounds, of which 152 commercial estates (商业小区, 128 of them in the
new town), 164 courtyards without property management (无物业楼院) and 131 work-unit
compounds (单位小区), both in the old town; 8 communities above 10,000 residents (six in
the new town, two in 南湖街道), one of them (in 科创街道, by the industrial park) mostly
migrants. One small new-town community has not been listed yet; another, of newly
delivered estates, has a third of its dwellings empty.

Sizes are targets in residents; the dwellings that house them follow from the expected
persons per dwelling of each zone, and the realised counts come from the generated
population. ``scale`` multiplies the sizes, never the numbers of units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fieldsurvey.example.names import COMMUNITY_NAMES, STREETS

__all__ = [
    "COMPOUND_KINDS",
    "COMMUNITY_TYPES",
    "DISTRICT_CODE",
    "building_templates",
    "community_table",
    "compound_table",
]

DISTRICT_CODE = "340199"  # a province-city-county code no real county uses
COMPOUND_KINDS = ("商业小区", "无物业楼院", "单位小区")
COMMUNITY_TYPES = {"示范类": 9, "创优类": 9, "强基类": 21}
_NEW_COMMERCIAL, _OLD_COMMERCIAL, _COURTYARDS, _WORK_UNITS = 128, 24, 164, 131
#: expected persons per listed dwelling (occupancy x households per dwelling x size)
_PERSONS_PER_DWELLING = {"old": 2.50, "new": 2.10, "hub": 2.80, "fresh": 1.62}


def allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights``, each at least ``minimum``.

    Largest-remainder rounding of the part above the minimum, so the sum is exact.
    """
    free = total - minimum * len(weights)
    share = free * weights / weights.sum()
    out = np.floor(share).astype(np.int64)
    rest = free - out.sum()
    out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    result: np.ndarray = out + minimum
    return result


def community_table(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """One row per community: ids, names, street, zone, size target, type, migrant rate."""
    rows = []
    for s, ((street, k, zone), names) in enumerate(zip(STREETS, COMMUNITY_NAMES, strict=True)):
        for j in range(k):
            rows.append((s, street, zone, names[j], j))
    df = pd.DataFrame(rows, columns=["street_index", "street", "zone", "name", "position"])
    df["street_id"] = [f"{DISTRICT_CODE}{s + 1:03d}" for s in df["street_index"]]
    df["community_id"] = [
        f"{sid}{p + 1:03d}" for sid, p in zip(df["street_id"], df["position"], strict=True)
    ]
    n = len(df)
    new = (df["zone"] == "new").to_numpy()
    large = np.zeros(n, dtype=bool)
    for s in (3, 4, 5):  # two large communities in each new-town street
        idx = np.flatnonzero(df["street_index"].to_numpy() == s)
        large[rng.choice(idx, 2, replace=False)] = True
    nanhu = np.flatnonzero(df["street_index"].to_numpy() == 2)
    large[rng.choice(nanhu, 2, replace=False)] = True
    hub = np.zeros(n, dtype=bool)
    hub[rng.choice(np.flatnonzero(large & (df["street_index"].to_numpy() == 5)))] = True
    unlisted = np.zeros(n, dtype=bool)
    unlisted[np.flatnonzero(~large & (df["street_index"].to_numpy() == 3))[0]] = True
    # one medium new-town community of newly delivered estates: a third stands empty
    fresh = np.zeros(n, dtype=bool)
    fresh[rng.choice(np.flatnonzero(new & ~large & ~unlisted))] = True
    residents = np.where(
        large,
        rng.uniform(10_800, 12_400, n),
        np.where(
            new, rng.uniform(3_500, 5_500, n), np.exp(rng.uniform(np.log(1_200), np.log(4_500), n))
        ),
    )
    score = 1.2 * new + 0.6 * large + rng.normal(0.0, 0.9, n)
    rank = np.argsort(np.argsort(-score, kind="stable"), kind="stable")
    df["type"] = np.where(rank < 9, "示范类", np.where(rank < 18, "创优类", "强基类"))
    df["large"], df["migrant_hub"], df["unlisted"] = large, hub, unlisted
    df["target_residents"] = residents
    df["fresh"] = fresh
    zone_key = np.where(hub, "hub", np.where(fresh, "fresh", df["zone"].to_numpy()))
    ppd = np.array([_PERSONS_PER_DWELLING[z] for z in zone_key])
    df["target_dwellings"] = residents * scale / ppd
    df["migrant_rate"] = np.where(
        hub,
        rng.uniform(0.72, 0.82, n),
        np.where(new, rng.uniform(0.12, 0.32, n), rng.uniform(0.04, 0.18, n)),
    )
    return df.drop(columns="position")


def compound_table(communities: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per compound: community, kind and target dwellings (447 compounds)."""
    new = (communities["zone"] == "new").to_numpy()
    size = communities["target_residents"].to_numpy() ** 0.6
    counts = np.zeros(len(communities), dtype=np.int64)
    counts[new] = allocate(_NEW_COMMERCIAL, size[new], 8)
    counts[~new] = allocate(_OLD_COMMERCIAL + _COURTYARDS + _WORK_UNITS, size[~new], 5)
    comm = np.repeat(np.arange(len(communities)), counts)
    kinds = np.full(len(comm), "商业小区", dtype=object)
    old = np.flatnonzero(~new[comm])
    # old-town commercial estates lean to 南湖街道; work units cluster by community
    street = communities["street_index"].to_numpy()[comm[old]]
    p = np.where(street == 2, 3.0, 1.0)
    commercial = rng.choice(old, _OLD_COMMERCIAL, replace=False, p=p / p.sum())
    rest = np.setdiff1d(old, commercial)
    lean = rng.normal(0.0, 1.0, len(communities))[comm[rest]] + rng.normal(0.0, 0.7, len(rest))
    work = rest[np.argsort(-lean, kind="stable")[:_WORK_UNITS]]
    kinds[rest] = "无物业楼院"
    kinds[work] = "单位小区"
    weight = np.select(
        [kinds == "无物业楼院", kinds == "单位小区", new[comm]], [1.0, 2.2, 1.0], default=4.0
    ) * rng.lognormal(0.0, 0.35, len(comm))
    total = np.bincount(comm, weights=weight)
    target = communities["target_dwellings"].to_numpy()[comm] * weight / total[comm]
    return pd.DataFrame({"community": comm, "kind": kinds, "target_dwellings": target})


def building_templates(
    compounds: pd.DataFrame, zone: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Per compound: storeys, units, doors per floor, footprint size, spacing and angle.

    Old courtyards and work-unit compounds have 4-7 storey walk-ups of 1-4 units with two
    doors a floor; old-town estates mid-rise; new-town estates a mix of low-rise 洋房,
    小高层 (11-18 storeys) and 高层 towers (24-33 storeys). Rows are spaced by about the
    building height (sunlight spacing), capped for towers.
    """
    n = len(compounds)
    kind = compounds["kind"].to_numpy()
    new = zone == "new"
    storeys = np.empty(n, dtype=np.int64)
    units = np.empty(n, dtype=np.int64)
    doors = np.full(n, 2, dtype=np.int64)
    unit_w = np.empty(n)
    depth = np.empty(n)

    def pick(mask: np.ndarray, values: list[int], p: list[float]) -> np.ndarray:
        return rng.choice(values, int(mask.sum()), p=p)

    m = kind == "无物业楼院"
    storeys[m], units[m] = (
        pick(m, [4, 5, 6, 7], [0.15, 0.35, 0.4, 0.1]),
        pick(m, [1, 2, 3], [0.3, 0.45, 0.25]),
    )
    unit_w[m], depth[m] = rng.uniform(11, 13, m.sum()), rng.uniform(9.5, 11, m.sum())
    m = kind == "单位小区"
    storeys[m], units[m] = (
        pick(m, [5, 6, 7], [0.3, 0.55, 0.15]),
        pick(m, [2, 3, 4], [0.35, 0.4, 0.25]),
    )
    unit_w[m], depth[m] = rng.uniform(12, 14, m.sum()), rng.uniform(10.5, 12, m.sum())
    m = (kind == "商业小区") & ~new
    storeys[m], units[m] = (
        pick(m, [6, 11, 12, 18], [0.35, 0.3, 0.2, 0.15]),
        pick(m, [2, 3], [0.6, 0.4]),
    )
    unit_w[m], depth[m] = rng.uniform(13, 15, m.sum()), rng.uniform(12, 13, m.sum())
    form = np.where(new, rng.choice(3, n, p=[0.25, 0.35, 0.4]), -1)
    m = form == 0  # 洋房
    storeys[m], units[m] = pick(m, [6, 7, 8], [0.4, 0.3, 0.3]), pick(m, [1, 2], [0.5, 0.5])
    unit_w[m], depth[m] = rng.uniform(13, 15, m.sum()), rng.uniform(12, 14, m.sum())
    m = form == 1  # 小高层
    storeys[m], units[m], doors[m] = (
        pick(m, [11, 15, 18], [0.3, 0.3, 0.4]),
        2,
        pick(m, [2, 3], [0.5, 0.5]),
    )
    unit_w[m], depth[m] = 8.0 * doors[m] + rng.uniform(0, 2, m.sum()), rng.uniform(14, 16, m.sum())
    m = form == 2  # 高层
    storeys[m] = pick(m, [24, 26, 32, 33], [0.25, 0.25, 0.25, 0.25])
    units[m], doors[m] = pick(m, [1, 2], [0.5, 0.5]), pick(m, [3, 4], [0.5, 0.5])
    unit_w[m], depth[m] = 7.5 * doors[m] + rng.uniform(0, 2, m.sum()), rng.uniform(16, 19, m.sum())
    length = units * unit_w
    height = storeys * 3.0
    gap_along = np.where(new, rng.uniform(18, 30, n), rng.uniform(8, 14, n))
    gap_across = np.where(
        new, np.minimum(height * rng.uniform(0.9, 1.1, n), 60.0), height * rng.uniform(0.8, 1.0, n)
    )
    # the number of buildings from the drawn storeys, then the storeys (within the form's
    # range) that bring the compound closest to its target size
    target = compounds["target_dwellings"].to_numpy()
    wanted = np.maximum(1, np.round(target / (storeys * units * doors))).astype(np.int64)
    lo = np.select(
        [kind == "无物业楼院", kind == "单位小区", form == 0, form == 1, form == 2],
        [3, 4, 4, 9, 18],
        5,
    )
    hi = np.select(
        [kind == "无物业楼院", kind == "单位小区", form == 0, form == 1, form == 2],
        [7, 7, 9, 18, 34],
        18,
    )
    storeys = np.clip(np.round(target / (wanted * units * doors)), lo, hi).astype(np.int64)
    return pd.DataFrame(
        {
            "storeys": storeys,
            "units": units,
            "doors": doors,
            "length": length,
            "depth": depth,
            "pitch_along": length + gap_along,
            "pitch_across": depth + gap_across,
            "theta": np.where(new, rng.uniform(-0.1, 0.1, n), rng.uniform(-0.2, 0.2, n)),
            "road": np.where(new, rng.uniform(12, 20, n), rng.uniform(6, 10, n)),
            "wanted": wanted,
        }
    )
