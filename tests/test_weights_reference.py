"""Raked, post-stratified and trimmed weights equal R survey's on the api data (to 1e-8).

The reference values and the data were written by ``tests/reference/make_weights_reference.R``
(R 4.2.2, survey 4.1.1; versions in ``weights_reference_versions.txt``), so R is not needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.weights import poststratify, rake, read_case_file, trim_weights

REF = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="module")
def api() -> dict[str, pd.DataFrame]:
    return {name: read_case_file(REF / "api" / f"{name}.csv")
            for name in ("apiclus1", "apistrat", "apipop")}


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF / "weights_reference.csv", dtype={"cds": str, "case": str})


def _counts(pop: pd.DataFrame, var: str) -> dict[str, float]:
    return {str(k): float(v) for k, v in pop[var].value_counts().items()}


def _check(reference: pd.DataFrame, case: str, data: pd.DataFrame, weights: pd.Series) -> None:
    ref = reference[reference["case"] == case]
    assert len(ref) == len(data) and (ref["cds"].to_numpy() == data["cds"].to_numpy()).all()
    np.testing.assert_allclose(weights.to_numpy(), ref["weight"].to_numpy(), rtol=1e-8, atol=0)


def test_rake_apiclus1_stype_schwide(api: dict[str, pd.DataFrame], reference: pd.DataFrame) -> None:
    pop = api["apipop"]
    res = rake(api["apiclus1"], "pw", {"stype": _counts(pop, "stype"),
                                       "sch.wide": _counts(pop, "sch.wide")}, tol=1e-13)
    _check(reference, "apiclus1_rake_stype_schwide", api["apiclus1"], res.weights)
    assert res.converged and res.max_rel_error < 1e-12
    assert res.weights.sum() == pytest.approx(len(pop))


def test_poststratify_apiclus1_stype(api: dict[str, pd.DataFrame], reference: pd.DataFrame) -> None:
    res = poststratify(api["apiclus1"], "pw", "stype", _counts(api["apipop"], "stype"))
    _check(reference, "apiclus1_poststratify_stype", api["apiclus1"], res.weights)


def test_rake_apistrat_three_margins(api: dict[str, pd.DataFrame], reference: pd.DataFrame) -> None:
    pop = api["apipop"]
    margins = {v: _counts(pop, v) for v in ("stype", "sch.wide", "awards")}
    res = rake(api["apistrat"], "pw", margins, tol=1e-13)
    _check(reference, "apistrat_rake_stype_schwide_awards", api["apistrat"], res.weights)


def test_poststratify_apistrat_cross(api: dict[str, pd.DataFrame], reference: pd.DataFrame) -> None:
    pop = api["apipop"]
    cross = {k: float(v) for k, v in pop.groupby(["stype", "sch.wide"]).size().items()}
    res = poststratify(api["apistrat"], "pw", ["stype", "sch.wide"], cross)
    _check(reference, "apistrat_poststratify_stype_x_schwide", api["apistrat"], res.weights)
    # the same cells written as one "a:b" variable
    flat = {f"{a}:{b}": v for (a, b), v in cross.items()}
    again = poststratify(api["apistrat"], "pw", "stype:sch.wide", flat)
    np.testing.assert_allclose(again.weights, res.weights, rtol=1e-15)


def test_trim_equal_shares_like_trimweights(api: dict[str, pd.DataFrame],
                                            reference: pd.DataFrame) -> None:
    pop = api["apipop"]
    raked = rake(api["apiclus1"], "pw", {"stype": _counts(pop, "stype"),
                                         "sch.wide": _counts(pop, "sch.wide")}, tol=1e-13)
    res = trim_weights(api["apiclus1"], raked.weights.to_numpy(), upper=40, redistribute="equal",
                       tol=1e-13)
    _check(reference, "apiclus1_rake_trim40_strict", api["apiclus1"], res.weights)
    assert res.converged and res.trimmed > 0 and res.weights.max() <= 40 * (1 + 1e-12)
