"""Small synthetic communities and dwelling frames for the sampling tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def communities(n: int = 24, seed: int = 0, types: tuple[str, ...] = ("示范类", "强基类"),
                size_range: tuple[int, int] = (20, 160)) -> pd.DataFrame:
    """A communities table with type, street and a measure of size ``households``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "community_id": [f"C{i:03d}" for i in range(n)],
        "type": [types[i % len(types)] for i in range(n)],
        "street": [f"S{i % 3}" for i in range(n)],
        "households": rng.integers(size_range[0], size_range[1], n),
        "name": [f"社区{i}" for i in range(n)],
    })


def dwellings(comm: pd.DataFrame, seed: int = 1, vacancy: float = 0.1) -> pd.DataFrame:
    """A dwelling frame: ``households`` dwellings per community, shuffled rows, with order."""
    rng = np.random.default_rng(seed)
    sizes = comm["households"].to_numpy()
    cid = np.repeat(comm["community_id"].to_numpy(), sizes)
    order = np.concatenate([np.arange(k) for k in sizes])
    n = cid.size
    frame = pd.DataFrame({
        "dwelling_id": [f"{c}-{o:04d}" for c, o in zip(cid, order, strict=True)],
        "community_id": cid,
        "status": np.where(rng.random(n) < vacancy, "vacant", "occupied"),
        "order": order,
        "building": order // 12 + 1,
        "unit": 1,
        "floor": order % 12 // 2 + 1,
        "door": order % 2 + 1,
        "address": [f"{c} 楼{o // 12 + 1}" for c, o in zip(cid, order, strict=True)],
        "lon": 116.0 + rng.random(n) * 0.01,
        "lat": 39.0 + rng.random(n) * 0.01,
    })
    attrs = comm.set_index("community_id").loc[cid, ["type", "street", "households", "name"]]
    frame = pd.concat([frame, attrs.reset_index(drop=True)], axis=1)
    return frame.iloc[rng.permutation(n)].reset_index(drop=True)


def design(**overrides: object) -> dict:
    """A two-stage design dict; ``stage1=``/``stage2=`` dicts update the defaults."""
    d: dict = {
        "seed": 20261121,
        "stratify": {"by": "type"},
        "stage1": {"method": "pps_systematic", "size": "households", "n": 6,
                   "sort": ["street", "community_id"]},
        "stage2": {"method": "systematic", "eligible": "status == 'occupied'", "m": 8,
                   "reserve": 4},
    }
    for key, value in overrides.items():
        if key in ("stage1", "stage2") and isinstance(value, dict):
            d[key] = {**d[key], **value}
        elif value is None:
            d.pop(key, None)
        else:
            d[key] = value
    return d
