"""Release of reserve dwellings when the main sample of a community runs dry.

The reserve of each community was drawn with its main sample and put in random order
(``replicate`` 1, 2, ...). Releasing b more dwellings in a community takes the next b by
replicate, marks them ``released`` with the new ``release_batch`` number, and updates the
stage-2 probability of *every* released dwelling of that community to
pi_2 = P_g · m' / N_g, where m' is the number released so far (see :mod:`.stage2`), so the
base weights stay exact. Earlier batches stay recorded in ``release_batch``: the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import ColumnError, DesignError

__all__ = ["release_reserve"]

_NEEDED = ("community_id", "replicate", "released", "release_batch", "pi_1", "pi_2", "pi",
           "base_weight", "segment_n", "pi_segment")


def release_reserve(
    sample: pd.DataFrame,
    counts: Mapping[object, int] | Sequence[object],
    count: int = 1,
) -> pd.DataFrame:
    """Release the next reserve dwellings of named communities, as one new batch.

    Parameters
    ----------
    sample
        A two-stage sample made by :func:`~fieldsurvey.draw_sample` (possibly released before).
    counts
        ``{community_id: how many}``, or a list of community ids (each releasing ``count``).
    count
        Dwellings to release per listed community when ``counts`` is a list.

    Returns
    -------
    pandas.DataFrame
        A new sample: the released rows have ``released`` True and the new ``release_batch``;
        pi_2, pi and base_weight of every released row of those communities are updated.

    Raises
    ------
    DesignError
        For an unknown community, or when it has fewer reserve dwellings left than asked.
    """
    missing = [c for c in _NEEDED if c not in sample.columns]
    if missing:
        raise ColumnError("this is not a two-stage sample file", field=missing[0],
                          hint="Release reserve in a sample drawn with a [stage2] design")
    if not isinstance(counts, Mapping):
        counts = {c: count for c in counts}
    if not counts:
        raise DesignError("name at least one community to release reserve in",
                          field="community_id")
    out = sample.copy()
    ids = out["community_id"].astype(str).to_numpy()
    batch = int(pd.to_numeric(out["release_batch"], errors="coerce").max()) + 1
    released = out["released"].to_numpy(dtype=bool).copy()
    batch_col = out["release_batch"].astype("Int64").copy()
    pi2 = out["pi_2"].to_numpy(dtype=np.float64).copy()
    replicate = out["replicate"].to_numpy(dtype=np.int64)
    for community, k in counts.items():
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise DesignError("the number of dwellings to release must be at least 1",
                              field="count", got=repr(k))
        rows = np.flatnonzero(ids == str(community))
        if rows.size == 0:
            known = sorted(set(ids))
            raise DesignError(f"community {community!r} is not in the sample",
                              field="community_id",
                              expected="one of " + ", ".join(known[:12])
                              + (f" … ({len(known)} communities)" if len(known) > 12 else ""),
                              hint="Give a sampled community's id with --community")
        waiting = rows[~released[rows]]
        waiting = waiting[np.argsort(replicate[waiting], kind="stable")]
        if waiting.size < k:
            raise DesignError(f"community {community!r} has only {waiting.size} reserve "
                              "dwellings left", field="count", got=str(k),
                              expected=f"at most {waiting.size}",
                              hint="Release fewer, or accept the shortfall in this community")
        take = waiting[:k]
        released[take] = True
        batch_col.iloc[take] = batch
        now = rows[released[rows]]
        seg_n = out["segment_n"].to_numpy(dtype=np.float64)[now]
        pi_seg = out["pi_segment"].to_numpy(dtype=np.float64)[now]
        pi2[now] = pi_seg * now.size / seg_n
    out["released"] = released
    out["release_batch"] = batch_col
    out["pi_2"] = pi2
    out["pi"] = out["pi_1"].to_numpy(dtype=np.float64) * pi2
    out["base_weight"] = 1.0 / out["pi"].to_numpy(dtype=np.float64)
    out.attrs = dict(sample.attrs)
    out.attrs["release_batch"] = batch
    return out
