"""Proportion interval methods and quantile rules / interval types equal R survey 4.1.1.

Reference: tests/reference/intervals/ (``make_intervals_reference.R``; R is not needed to run
these tests). Relative 1e-8, except replicate-design logit intervals (R's per-replicate IRLS
tolerance, see test_estimate_reference.py): 1e-6.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, as_replicate, svyprop, svyquantile
from fieldsurvey.estimate.intervals import prop_interval
from fieldsurvey.io.errors import EstimationError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "intervals" / "intervals_reference.csv", keep_default_na=False,
                      na_values=[""], dtype={"level": str})
    ref["domain"] = ref["domain"].fillna("").astype(str)
    return ref


def designs() -> dict[str, object]:
    api = REF / "estimate"
    clus1 = SurveyDesign(pd.read_csv(api / "apiclus1.csv"), ids="dnum", weights="pw", fpc="fpc")
    return {
        "clus1": clus1,
        "strat": SurveyDesign(pd.read_csv(api / "apistrat.csv"), strata="stype", weights="pw",
                              fpc="fpc"),
        "clus2": SurveyDesign(pd.read_csv(api / "apiclus2.csv"), ids=["dnum", "snum"],
                              weights="pw", fpc=["fpc1", "fpc2"]),
        "clus1_jk1": as_replicate(clus1, "jk1"),
    }


def close(a: float, b: float, rtol: float) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= rtol * abs(b) or abs(a - b) < 1e-12


@pytest.mark.parametrize("case", ["clus1", "strat", "clus2", "clus1_jk1"])
def test_intervals_match_r(case: str, reference: pd.DataFrame) -> None:
    design = designs()[case]
    ref = reference[reference.case == case]
    checked = 0
    for kind, part in ref.groupby("kind"):
        what, *spec = str(kind).split(":")
        if what == "prop":
            t = svyprop("sch.wide", design, method=spec[0])  # type: ignore[arg-type]
            t += svyprop("sch.wide", design, by="stype", method=spec[0])  # type: ignore[arg-type]
        else:
            rule, itype = spec
            t = svyquantile("api00", design, [0.1, 0.25, 0.5, 0.9], qrule=rule,  # type: ignore[arg-type]
                            interval_type=itype)
            t += svyquantile("api00", design, 0.5, by="stype", qrule=rule,  # type: ignore[arg-type]
                             interval_type=itype)
        stat = "prop" if what == "prop" else "quantile"
        for r in part.itertuples():
            row = t.get(r.variable, stat, domain=r.domain or None, level=r.level)
            rtol = 1e-6 if (case.endswith("jk1") and kind == "prop:logit") else 1e-8
            for f in ("estimate", "ci_low", "ci_high", "se"):
                theirs = float(getattr(r, f))
                if f == "se" and (what == "prop" or math.isnan(theirs)):
                    continue
                mine = getattr(row, f)
                assert close(mine, theirs, rtol), (case, kind, r.level, r.domain, f, mine, theirs)
            checked += 1
    assert checked >= 30


def test_wilson_interval_with_effective_n() -> None:
    """With the SRS variance p(1-p)/n the interval is the textbook Wilson interval."""
    import numpy as np

    p, n = np.array([0.3]), 50.0
    lo, hi = prop_interval("wilson", p, p * (1 - p) / n, np.array([49.0]), 0.95, np.array([n]))
    z = 1.959963984540054
    centre = (0.3 + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(0.3 * 0.7 / n + z * z / (4 * n * n))
    assert lo[0] == pytest.approx(centre - half, rel=1e-12)
    assert hi[0] == pytest.approx(centre + half, rel=1e-12)


def test_unknown_rule_and_method_are_refused() -> None:
    d = designs()["clus1"]
    with pytest.raises(EstimationError, match="quantile rule"):
        svyquantile("api00", d, 0.5, qrule="hf10")  # type: ignore[arg-type]
    with pytest.raises(EstimationError, match="interval method"):
        svyprop("sch.wide", d, method="score")  # type: ignore[arg-type]
