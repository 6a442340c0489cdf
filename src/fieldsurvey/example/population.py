"""Who lives in the example district: dwelling status, households, persons and margins.

The *true* state is drawn first (vacancy by compound, households per dwelling, household
members with sex and age, migrant status by household); the listing (what a lister wrote
down, with its mistakes) and the street office's registered household count are derived
from it. The district's adult age x sex margins for calibration are counted from the same
persons, so raking a sample of them reproduces the true population. Vacancy is drawn per
compound and then calibrated per community so that each community houses its target
number of residents (within the chance of household sizes, about 2 %).

Rates, chosen to look like a Chinese county town:

* vacancy per compound ~ Beta: old courtyards 9 %, work-unit compounds 6 %, old-town
  estates 8 %, new-town estates 22 % (wide spread: newly delivered estates fill slowly),
  the migrant community 5 %; shops (底商) on the ground floor of some buildings;
* a second household in 3 % of occupied dwellings (22 %, and a third in 3 %, in the
  migrant community, where flats are shared);
* household size 1-6 (mean 2.7; migrants 2.1), heads older in the old town;
* listing errors: 1 % of occupied dwellings written as vacant, 6 % of vacant ones as
  occupied, 1.5 % of all as unknown (no households count).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "AGE_GROUPS",
    "expected_persons_per_occupied",
    "household_members",
    "listed_status",
    "margins_table",
    "populate",
    "true_status",
]

AGE_GROUPS = ("18-29", "30-39", "40-49", "50-59", "60-69", "70+")
_AGE_EDGES = np.array([18, 30, 40, 50, 60, 70, 200])
_SIZE_P = np.array([0.17, 0.31, 0.28, 0.14, 0.07, 0.03])
_SIZE_P_MIGRANT = np.array([0.38, 0.27, 0.20, 0.10, 0.04, 0.01])
#: head-of-household age (mean, sd) by compound kind; new-town estates younger
_HEAD_AGE = {
    "无物业楼院": (56.0, 15.0),
    "单位小区": (58.0, 14.0),
    "old_estate": (46.0, 14.0),
    "new_estate": (40.0, 11.0),
    "migrant": (32.0, 9.0),
}


def expected_persons_per_occupied(migrant_rate: np.ndarray, hub: np.ndarray) -> np.ndarray:
    """Expected persons per occupied dwelling of a community (households x mean size)."""
    sizes = np.arange(1, 7)
    size = (1 - migrant_rate) * (sizes @ _SIZE_P) + migrant_rate * (sizes @ _SIZE_P_MIGRANT)
    persons: np.ndarray = size * np.where(hub, 1.28, 1.03)
    return persons


def _calibrate(
    status: np.ndarray, community: np.ndarray, target: np.ndarray, rng: np.random.Generator
) -> None:
    """Flip random vacant/occupied dwellings so each community has ``target`` occupied.

    The target is first clipped so that between 2 % and 45 % of a community's residential
    dwellings stay vacant; the flips keep each compound's relative vacancy.
    """
    residential = status != "non_residential"
    n_res = np.bincount(community[residential], minlength=len(target))
    want = np.clip(np.round(target), np.ceil(0.55 * n_res), np.floor(0.98 * n_res)).astype(np.int64)
    occupied = status == "occupied"
    have = np.bincount(community[occupied], minlength=len(target))
    key = rng.uniform(size=len(status))
    for src, dst, gap in (("vacant", "occupied", want - have), ("occupied", "vacant", have - want)):
        idx = np.flatnonzero(status == src)
        idx = idx[np.lexsort((key[idx], community[idx]))]
        c = community[idx]
        rank = np.arange(len(idx)) - np.searchsorted(c, c, side="left")
        status[idx[rank < np.maximum(gap, 0)[c]]] = dst


def true_status(
    kind: np.ndarray,
    new: np.ndarray,
    hub: np.ndarray,
    compound: np.ndarray,
    floor: np.ndarray,
    shop_building: np.ndarray,
    community: np.ndarray,
    target_occupied: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """True status and number of households per dwelling.

    Per-compound arrays ``kind``, ``new``, ``hub`` (compound in the migrant community);
    per-dwelling ``compound`` index, ``floor``, ``shop_building`` (its building has shops
    on the ground floor) and ``community`` index; per community the number of occupied
    dwellings that houses its target residents (vacancy drawn by compound is then
    calibrated to it, see :func:`_calibrate`).
    """
    n_comp = len(kind)
    a = np.select(
        [hub, kind == "无物业楼院", kind == "单位小区", new], [1.0, 1.8, 1.2, 2.2], default=1.6
    )
    mean = np.select(
        [hub, kind == "无物业楼院", kind == "单位小区", new], [0.05, 0.09, 0.06, 0.22], default=0.08
    )
    p_vacant = rng.beta(a, a * (1 - mean) / mean, n_comp)[compound]
    status = np.where(rng.uniform(size=len(compound)) < p_vacant, "vacant", "occupied").astype(
        object
    )
    status[shop_building & (floor == 1)] = "non_residential"
    _calibrate(status, community, target_occupied, rng)
    occupied = status == "occupied"
    u = rng.uniform(size=len(compound))
    in_hub = hub[compound]
    households = np.where(
        occupied, 1 + (u < np.where(in_hub, 0.25, 0.03)) + (u < np.where(in_hub, 0.03, 0.0)), 0
    )
    return status, households.astype(np.int64)


def listed_status(
    status: np.ndarray, households: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """What the lister wrote: status with mistakes, and households (NA when unknown)."""
    u = rng.uniform(size=len(status))
    listed = status.copy()
    listed[(status == "occupied") & (u < 0.01)] = "vacant"
    listed[(status == "vacant") & (u < 0.06)] = "occupied"
    listed[rng.uniform(size=len(status)) < 0.015] = "unknown"
    hh = np.where(listed == "occupied", np.maximum(households, 1), 0).astype(float)
    hh[listed == "unknown"] = np.nan
    return listed, hh


def household_members(
    head_kind: np.ndarray, migrant: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Members of each household: household index, person number, sex, age.

    ``head_kind`` keys ``_HEAD_AGE`` per household; ``migrant`` flags migrant households.
    Person 1 is the head; person 2 the spouse (85 %) or an adult child; further persons
    are children, or, in larger households with a head under 62, the head's parent last;
    with an older head, grandchildren.
    """
    h = len(head_kind)
    size = (
        np.where(
            migrant,
            rng.choice(6, h, p=_SIZE_P_MIGRANT),
            rng.choice(6, h, p=_SIZE_P),
        )
        + 1
    )
    mu = np.array([_HEAD_AGE[k][0] for k in _HEAD_AGE])
    sd = np.array([_HEAD_AGE[k][1] for k in _HEAD_AGE])
    key = pd.Series(head_kind).map({name: i for i, name in enumerate(_HEAD_AGE)}).to_numpy(np.int64)
    head_age = np.clip(rng.normal(mu[key], sd[key]), 20, 94).round()
    head_male = rng.uniform(size=h) < 0.56
    hh = np.repeat(np.arange(h), size)
    k = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size) + 1
    n = len(hh)
    ha, hs, hm = head_age[hh], size[hh], head_male[hh]
    spouse = (k == 2) & (rng.uniform(size=n) < 0.85)
    elder = (k == hs) & (hs >= 5) & (ha < 62)
    grandchild = (k >= 4) & (ha >= 62)
    child_age = np.maximum(ha - rng.uniform(22, 36, n), rng.uniform(0, 4, n))
    age = np.select(
        [k == 1, spouse, elder, grandchild],
        [ha, ha + rng.normal(0, 3, n), ha + rng.uniform(24, 32, n), ha - rng.uniform(50, 60, n)],
        default=child_age,
    )
    age = np.clip(np.round(age), 0, 99).astype(np.int64)
    male = np.select(
        [k == 1, spouse, elder],
        [hm, ~hm, rng.uniform(size=n) < 0.4],
        default=rng.uniform(size=n) < 0.51,
    )
    return pd.DataFrame(
        {"household": hh, "person": k, "sex": np.where(male, "male", "female"), "age": age}
    )


def margins_table(sex: np.ndarray, age: np.ndarray) -> pd.DataFrame:
    """Adult (18+) population by sex, by age group, and by age group x sex.

    Long format with columns ``variable`` (``sex``, ``age_group``, ``sex:age_group``),
    ``level`` and ``total``, as ``fieldsurvey.weights`` reads margins (a variable ``a:b`` is
    the cross-classification of columns ``a`` and ``b``, levels ``male:18-29``). Use either
    the two one-way margins (raking) or ``sex:age_group`` (post-stratification), not both.
    """
    adult = age >= 18
    group = np.searchsorted(_AGE_EDGES, age[adult], side="right") - 1
    female = (sex[adult] == "female").astype(np.int64)
    k = len(AGE_GROUPS)
    cells = np.bincount(female * k + group, minlength=2 * k).reshape(2, k)
    sexes = ("male", "female")
    rows = [("sex", lv, int(cells[i].sum())) for i, lv in enumerate(sexes)]
    rows += [("age_group", g, int(cells[:, j].sum())) for j, g in enumerate(AGE_GROUPS)]
    rows += [
        ("sex:age_group", f"{lv}:{g}", int(cells[i, j]))
        for i, lv in enumerate(sexes)
        for j, g in enumerate(AGE_GROUPS)
    ]
    return pd.DataFrame(rows, columns=["variable", "level", "total"])


def populate(
    community: np.ndarray,
    kind: np.ndarray,
    new: np.ndarray,
    households: np.ndarray,
    migrant_rate: np.ndarray,
    dwelling_id: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Draw the members of every household of every dwelling.

    Per-dwelling ``community`` index, compound ``kind``, ``new`` (new town), true
    ``households`` and ``dwelling_id``; per community ``migrant_rate``. A household is a
    migrant household with its community's rate. Returns the persons table
    (``dwelling_id``, ``household``, ``person``, ``sex``, ``age``, ``migrant``) and, per
    community, residents, migrant share and true number of households.
    """
    n_comm = len(migrant_rate)
    h_dw = np.repeat(np.arange(len(community)), households)
    h_no = np.arange(len(h_dw)) - np.searchsorted(h_dw, h_dw, side="left") + 1
    migrant = rng.uniform(size=len(h_dw)) < migrant_rate[community[h_dw]]
    hk = kind[h_dw]
    estate = np.where(new[h_dw], "new_estate", "old_estate")
    head_kind = np.where(migrant, "migrant", np.where(hk == "商业小区", estate, hk))
    members = household_members(head_kind, migrant, rng)
    of = members["household"].to_numpy()
    persons = pd.DataFrame(
        {
            "dwelling_id": dwelling_id[h_dw[of]],
            "household": h_no[of],
            "person": members["person"].to_numpy(),
            "sex": members["sex"].to_numpy(),
            "age": members["age"].to_numpy(),
            "migrant": migrant[of],
        }
    )
    p_comm = community[h_dw[of]]
    residents = np.bincount(p_comm, minlength=n_comm)
    share = np.bincount(p_comm, weights=migrant[of], minlength=n_comm) / np.maximum(residents, 1)
    return persons, residents, share, np.bincount(community[h_dw], minlength=n_comm)
