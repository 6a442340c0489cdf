"""Small synthetic frames, samples and layers (Chinese names and addresses) for the report tests.

Each community is a square of ``size_m`` metres laid out in its own local metric
projection and converted to WGS 84, so distances on the ground are known exactly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

NAMES = ("幸福里社区", "和平路社区", "东湖新村", "滨江花园社区", "阳光社区", "解放街社区")
STREETS = ("中山街道", "东湖街道", "滨江街道")


def _to_wgs(lon0: float, lat0: float) -> Transformer:
    return Transformer.from_crs(
        f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +ellps=WGS84 +units=m",
        "EPSG:4326", always_xy=True)


def address(cid_index: int, building: int, unit: int, door: int) -> str:
    """The printed address of a dwelling (unique within the district)."""
    return f"武汉市{NAMES[cid_index % 6]}建设路{building}号{unit}单元{door}室"


def make(n_comm: int = 2, per: int = 120, size_m: float = 300.0, *, sample_n: int = 6,
         reserve: int = 4, released_reserve: int = 2, seed: int = 1,
         segments: bool = False) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Frame, sample and boundaries of ``n_comm`` square communities of ``per`` dwellings.

    The sample has ``sample_n`` main cases (lines 1..sample_n) and ``reserve`` reserve
    cases of which the first ``released_reserve`` are released.
    """
    rng = np.random.default_rng(seed)
    rows, bnds, samp = [], [], []
    for k in range(n_comm):
        lon0, lat0 = 114.30 + 0.03 * k, 30.55
        tr = _to_wgs(lon0, lat0)
        cid = f"4201{k + 1:02d}"
        nb = max(1, per // 20)
        bx = rng.uniform(25, size_m - 25, nb)
        by = rng.uniform(25, size_m - 25, nb)
        for i in range(per):
            b = i % nb
            unit = (i // nb) % 2 + 1
            floor = i // (nb * 2) + 1
            door = floor * 100 + unit
            lon, lat = tr.transform(bx[b], by[b])
            rows.append(dict(
                dwelling_id=f"{cid}-{i + 1:04d}", community_id=cid, building=f"{b + 1}栋",
                unit=str(unit), floor=str(floor), door=str(door),
                address=address(k, b + 1, unit, door),
                compound="一区" if bx[b] < size_m / 2 else "二区", status="occupied",
                lon=lon, lat=lat, name=NAMES[k % 6], street=STREETS[k % 3], type="示范类",
                households=per, segment=("1" if bx[b] < size_m / 2 else "2") if segments else None,
            ))
        poly = shapely.transform(shapely.box(0, 0, size_m, size_m),
                                 lambda c, tr=tr: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        bnds.append(dict(community_id=cid, name=NAMES[k % 6], geometry=poly))
        ids = rng.choice(per, sample_n + reserve, replace=False)
        for j, i in enumerate(ids):
            rep = 0 if j < sample_n else j - sample_n + 1
            released = rep == 0 or rep <= released_reserve
            samp.append(dict(
                stratum="S1", community_id=cid, dwelling_id=f"{cid}-{i + 1:04d}", line=j + 1,
                replicate=rep, released=released,
                release_batch=0 if rep == 0 else (1 if released else pd.NA),
                segment="2" if segments else pd.NA, kish_table=("A", "B1", "B2", "C", "D", "E1",
                                                                "E2", "F")[j % 8],
                pi_1=0.5, pi_2=0.1, pi=0.05, base_weight=20.0))
    df = pd.DataFrame(rows)
    if not segments:
        df = df.drop(columns="segment")
    frame = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs="EPSG:4326")
    sample = pd.DataFrame(samp)
    sample = sample.merge(df[["dwelling_id", "building", "unit", "floor", "door", "address"]],
                          on="dwelling_id", how="left")
    return frame, sample, gpd.GeoDataFrame(pd.DataFrame(bnds), crs="EPSG:4326")


COMMUNITY_TYPES = ("示范类", "强基类", "创优类", "强基类")


def make_store(path, *, n_comm: int = 4, per: int = 15, seed: int = 3, respond: float = 0.65):
    """A merged-store stand-in with the example questionnaire, interviews and dispositions.

    Respondents answer the satisfaction (d0-d12), participation (b1, b4) and needs
    (c1-c11) items at random; other cases get a non-interview disposition. Returns the
    sample and a weights table (``dwelling_id``, ``weight``) like ``fieldsurvey weights``
    writes. The store is written without fsync (test speed only).
    """
    import datetime as dt
    from pathlib import Path

    from fieldsurvey.store import FieldStore

    class Clock:
        def __init__(self) -> None:
            self.now = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)

        def __call__(self) -> dt.datetime:
            self.now += dt.timedelta(seconds=7)
            return self.now

    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_comm):
        cid = f"4201{k + 1:02d}"
        typ = COMMUNITY_TYPES[k % 4]
        for i in range(per):
            rows.append(dict(
                stratum=typ, community_id=cid, dwelling_id=f"{cid}-{i:04d}", line=i + 1,
                replicate=0, released=True, release_batch=0, segment=None,
                kish_table=("A", "B1", "B2", "C", "D", "E1", "E2", "F")[i % 8], pi_1=0.5,
                pi_2=per / 300, pi=0.5 * per / 300, base_weight=600 / per,
                address=address(k, i // 12 + 1, 1, 101 + i % 12), building=str(i // 12 + 1),
                unit="1", floor=str(i % 6 + 1), door=str(101 + i % 12), name=NAMES[k % 6],
                street=STREETS[k % 3], type=typ))
    sample = pd.DataFrame(rows)
    st = FieldStore.create(path, survey_id="S1", device_id="central", interviewer="w1",
                           clock=Clock())
    st.connection.execute("PRAGMA synchronous=OFF")
    form = (Path(__file__).resolve().parents[1] / "src" / "fieldsurvey" / "example" / "questionnaires"
            / "resident_survey.yaml")
    st.add_form(form.read_bytes(), form_id="resident_survey", version="1", filename=form.name)
    staff = ("王芳", "李强", "张伟")
    for k, who in enumerate(staff):
        st.assign(sample.iloc[k::3], interviewer=who, form_id="resident_survey",
                  form_version="1")
    weights = []
    for j, r in enumerate(sample.itertuples(index=False)):
        who = staff[j % 3]
        if rng.random() < respond:
            uid = st.start_interview(r.dwelling_id, interviewer=who)
            for q in [f"d{i}" for i in range(13)]:
                st.set_answer(uid, q, int(rng.choice([1, 2, 3, 4, 5, 5, 4, 4, 8])), interviewer=who)
            b1 = tuple(rng.choice(["1", "2", "3", "5", "6"], size=2, replace=False)) \
                if rng.random() < 0.6 else ("0",)
            st.set_answer(uid, "b1", b1, interviewer=who)
            st.set_answer(uid, "b4", int(rng.integers(1, 6)), interviewer=who)
            for c in range(1, 12):
                top = 3 if c in (5, 7) else 4
                ch = [str(x) for x in range(1, top) if rng.random() < 0.3]
                st.set_answer(uid, f"c{c}", tuple(ch) if ch else ("0",), interviewer=who)
            st.complete(uid, interviewer=who)
            weights.append((r.dwelling_id, r.base_weight * rng.uniform(1.2, 1.8)))
        else:
            code = str(rng.choice(["2.111", "2.24", "4.61", "3.18", "2.24"]))
            st.record_attempt(r.dwelling_id, code, interviewer=who)
    st.close()
    return sample, pd.DataFrame(weights, columns=["dwelling_id", "weight"])
