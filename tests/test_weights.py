"""Base weights, calibration (raking, post-stratification, trimming), diagnostics, margins files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldsurvey.io.errors import ColumnError, EncodingError, WeightingError
from fieldsurvey.weights import (
    base_weights,
    poststratify,
    rake,
    read_case_file,
    read_margins,
    trim_weights,
    weight_diagnostics,
)

# ---------------------------------------------------------------- base weights


def test_base_weight_uses_pi_or_stage_product_and_respondent_probability() -> None:
    s = pd.DataFrame({"pi_1": [0.5, 0.2], "pi_2": [0.1, 0.25], "pi": [0.05, 0.05],
                      "k": [2, 3], "p_person": [0.5, 1 / 3]})
    np.testing.assert_allclose(base_weights(s), [20, 20])
    np.testing.assert_allclose(base_weights(s.drop(columns="pi")), [20, 20])
    np.testing.assert_allclose(base_weights(s, stages=["pi_1"]), [2, 5])
    np.testing.assert_allclose(base_weights(s, eligible="k"), [40, 60])
    np.testing.assert_allclose(base_weights(s, respondent="p_person"), [40, 60])


def test_base_weight_errors_name_row_and_field() -> None:
    s = pd.DataFrame({"pi_1": [0.5, 0.0, 0.3], "pi_2": [0.1, 0.1, 0.1]})
    with pytest.raises(WeightingError) as exc:
        base_weights(s, file="sample.csv")
    assert exc.value.row == 3 and exc.value.field == "pi_1"
    with pytest.raises(ColumnError):
        base_weights(pd.DataFrame({"x": [1]}))
    with pytest.raises(WeightingError, match="whole number"):
        base_weights(pd.DataFrame({"pi": [0.5], "k": [0]}), eligible="k")
    with pytest.raises(WeightingError, match="missing or outside"):
        base_weights(pd.DataFrame({"pi": [0.5, 0.5], "p": [0.5, None]}), respondent="p")
    ok = base_weights(pd.DataFrame({"pi": [0.5, 0.5], "p": [0.5, None]}), respondent="p",
                      allow_missing_respondent=True)
    np.testing.assert_allclose(ok, [4, 2])


# ---------------------------------------------------------------- raking


def _synthetic(n: int = 2000, seed: int = 1) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "sex": rng.choice(["m", "f"], n, p=[0.4, 0.6]),
        "age": rng.choice(["18-34", "35-59", "60+"], n, p=[0.2, 0.5, 0.3]),
        "area": rng.integers(1, 5, n),
        "w": rng.uniform(50, 150, n),
    })
    margins = {"sex": {"m": 50_000.0, "f": 50_000.0},
               "age": {"18-34": 30_000.0, "35-59": 45_000.0, "60+": 25_000.0},
               "area": {"1": 10_000.0, "2": 20_000.0, "3": 30_000.0, "4": 40_000.0}}
    return d, margins


def _naive_ipf(d: pd.DataFrame, w: np.ndarray, margins: dict[str, dict[str, float]],
               sweeps: int) -> np.ndarray:
    w = w.copy()
    for _ in range(sweeps):
        for var, totals in margins.items():
            keys = d[var].astype(str).to_numpy()
            for level, total in totals.items():
                m = keys == level
                w[m] *= total / w[m].sum()
    return w


def test_rake_meets_margins_and_equals_case_level_ipf() -> None:
    d, margins = _synthetic()
    res = rake(d, "w", margins, tol=1e-12)
    assert res.converged and res.max_rel_error <= 1e-12
    for var, totals in margins.items():
        sums = res.weights.groupby(d[var].astype(str)).sum()
        for level, total in totals.items():
            assert sums[level] == pytest.approx(total, rel=1e-12)
    naive = _naive_ipf(d, d["w"].to_numpy(), margins, res.iterations)
    np.testing.assert_allclose(res.weights, naive, rtol=1e-9)
    np.testing.assert_allclose(res.factors, res.weights / d["w"], rtol=1e-15)
    assert set(res.margins.columns) == {"variable", "level", "total", "achieved", "rel_error"}


def test_rake_leaves_zero_weights_alone_and_ignores_their_levels() -> None:
    d, margins = _synthetic(300)
    d.loc[:9, "w"] = 0.0
    d.loc[:9, "sex"] = None  # a nonrespondent without the variable is fine
    res = rake(d, "w", margins)
    assert (res.weights[:10] == 0).all() and np.isnan(res.factors[:10]).all()


def test_rake_errors() -> None:
    d, margins = _synthetic(200)
    bad = {**margins, "sex": {"m": 50_000.0, "f": 50_001.0}}
    with pytest.raises(WeightingError, match="disagree on the population total") as exc:
        rake(d, "w", bad)
    assert "sex: 100001" in str(exc.value.got)
    with pytest.raises(WeightingError, match="empty cell") as exc:
        rake(d, "w", {**margins, "age": {"18-34": 30_000.0, "35-59": 45_000.0, "60+": 15_000.0,
                                         "90+": 10_000.0}})
    assert exc.value.got == "90+"
    with pytest.raises(WeightingError, match="do not give") as exc:
        rake(d, "w", {**margins, "age": {"18-34": 55_000.0, "35-59": 45_000.0}})
    assert exc.value.got == "60+" and exc.value.row is not None
    d2 = d.copy()
    d2.loc[5, "sex"] = None
    with pytest.raises(WeightingError, match="have no value") as exc:
        rake(d2, "w", margins)
    assert exc.value.row == 7
    with pytest.raises(ColumnError):
        rake(d, "w", {"income": {"low": 1.0}})
    with pytest.raises(WeightingError, match="missing, negative"):
        rake(d.assign(w=-1.0), "w", margins)
    with pytest.raises(WeightingError, match="total of 0"):
        rake(d, "w", {"sex": {"m": 0.0, "f": 100_000.0}})


def test_rake_cannot_meet_margins_with_structural_zeros() -> None:
    # cases only in cells (a, x) and (b, y): the margins a=50, x=30 cannot both hold
    d = pd.DataFrame({"g": ["a", "a", "b", "b"], "h": ["x", "x", "y", "y"], "w": 1.0})
    with pytest.raises(WeightingError, match="did not meet the margins"):
        rake(d, "w", {"g": {"a": 50.0, "b": 50.0}, "h": {"x": 30.0, "y": 70.0}}, max_iter=50)


def test_poststratify_cells_and_errors() -> None:
    d, _ = _synthetic(500)
    totals = {"m": 40.0, "f": 60.0}
    res = poststratify(d, "w", "sex", totals)
    sums = res.weights.groupby(d["sex"]).sum()
    assert sums["m"] == pytest.approx(40) and sums["f"] == pytest.approx(60)
    # factor constant within a cell
    assert res.factors.groupby(d["sex"]).nunique().max() == 1 or np.allclose(
        res.factors.groupby(d["sex"]).std(), 0)
    with pytest.raises(WeightingError, match="empty cell"):
        poststratify(d, "w", "sex", {**totals, "x": 5.0})
    cross = {(s, a): 1.0 for s in ("m", "f") for a in ("18-34", "35-59", "60+")}
    res2 = poststratify(d, "w", ["sex", "age"], cross)
    assert res2.weights.sum() == pytest.approx(6.0)


# ---------------------------------------------------------------- trimming


def test_trim_with_margins_caps_and_keeps_margins() -> None:
    d, margins = _synthetic(3000, seed=4)
    d.loc[:20, "w"] = 3000.0  # some extreme weights
    raked = rake(d, "w", margins)
    median = float(np.median(raked.weights))
    assert raked.weights.max() > 3.5 * median
    res = trim_weights(d, raked.weights.to_numpy(), cap=3.5, margins=margins)
    assert res.converged and res.cap == pytest.approx(3.5 * median)
    assert res.weights.max() <= res.cap * (1 + 1e-8)
    assert res.max_rel_error < 1e-8 and res.trimmed >= 21
    for var, totals in margins.items():
        sums = res.weights.groupby(d[var].astype(str)).sum()
        for level, total in totals.items():
            assert sums[level] == pytest.approx(total, rel=1e-8)


def test_trim_without_margins_redistributes_proportionally() -> None:
    w = np.array([1.0, 3.0, 2.0, 4.0, 30.0])
    d = pd.DataFrame({"w": w})
    res = trim_weights(d, "w", upper=12.0)
    assert res.converged and res.weights.sum() == pytest.approx(w.sum())
    np.testing.assert_allclose(res.weights, [2.8, 8.4, 5.6, 11.2, 12.0])
    assert res.trimmed == 1 and res.iterations == 2
    tight = trim_weights(d, "w", upper=10.0)  # cutting pushes others over: capped in turn
    np.testing.assert_allclose(tight.weights, [10 / 3, 10, 20 / 3, 10, 10])
    q = trim_weights(d, "w", quantile=0.8)
    assert q.cap == pytest.approx(np.quantile(w, 0.8))
    eq = trim_weights(d, "w", upper=12.0, redistribute="equal")
    assert eq.weights.sum() == pytest.approx(w.sum()) and eq.weights.max() <= 12.0 * (1 + 1e-9)


def test_trim_errors_and_too_tight_cap() -> None:
    d = pd.DataFrame({"w": [1.0, 1.0, 5.0]})
    with pytest.raises(WeightingError, match="exactly one"):
        trim_weights(d, "w")
    with pytest.raises(WeightingError, match="greater than 1"):
        trim_weights(d, "w", cap=0.5)
    with pytest.raises(WeightingError, match="between 0 and 1"):
        trim_weights(d, "w", quantile=1.5)
    # margins force one case to 10 = all of its cell: a cap of 2 cannot hold
    d2 = pd.DataFrame({"g": ["a", "b", "b", "b"], "w": 1.0})
    res = trim_weights(d2, "w", upper=2.0, margins={"g": {"a": 10.0, "b": 3.0}}, max_rounds=20)
    assert not res.converged and "too tight" in res.notes[0]


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_kish_deff_and_effective_n() -> None:
    w = np.array([1.0, 2.0, 3.0, 4.0, 0.0])
    diag = weight_diagnostics(w)
    pos = w[w > 0]
    assert diag.n == 5 and diag.n_positive == 4 and diag.total == 10
    assert diag.cv == pytest.approx(pos.std() / pos.mean())
    assert diag.deff == pytest.approx(1 + diag.cv**2)
    assert diag.deff == pytest.approx(4 * (pos**2).sum() / pos.sum() ** 2)
    assert diag.n_effective == pytest.approx(pos.sum() ** 2 / (pos**2).sum())
    assert (diag.minimum, diag.median, diag.maximum) == (1.0, 2.5, 4.0)
    assert "effective n" in " ".join(diag.lines())


def test_diagnostics_margins_and_factor_tables() -> None:
    d, margins = _synthetic(400)
    res = rake(d, "w", margins)
    diag = weight_diagnostics(res.weights, data=d, margins=margins,
                              factors={"rake": res.factors}, classes=d["sex"])
    assert diag.margins is not None and diag.margins["rel_error"].abs().max() < 1e-9
    assert diag.factors is not None and set(diag.factors["class"]) == {"m", "f"}
    assert (diag.factors["min"] <= diag.factors["max"]).all()
    assert diag.to_dict()["factors"][0]["step"] == "rake"
    with pytest.raises(WeightingError):
        weight_diagnostics([0.0, 0.0])


# ---------------------------------------------------------------- files


def test_read_margins(tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("variable,level,total\nsex,男,100\nsex,女,120\nage,1,50\nage,2.0,170\n",
                 encoding="utf-8-sig")
    m = read_margins(f)
    assert m == {"sex": {"男": 100.0, "女": 120.0}, "age": {"1": 50.0, "2": 170.0}}
    g = tmp_path / "gbk.csv"
    g.write_bytes("variable,level,total\n性别,男,100\n".encode("gbk"))
    assert read_margins(g) == {"性别": {"男": 100.0}}


@pytest.mark.parametrize(
    ("text", "match", "row"),
    [
        ("variable,level\nsex,m\n", "lacks required columns", None),
        ("variable,level,total\nsex,m,abc\n", "not a number", 2),
        ("variable,level,total\nsex,m,1\nsex,m,2\n", "given twice", 3),
        ("variable,level,total\nsex,m,-1\n", ">= 0", 2),
        ("variable,level,total\n,m,1\n", "empty variable", 2),
        ("variable,level,total\n", "no rows", None),
    ],
)
def test_read_margins_errors(tmp_path: Path, text: str, match: str, row: int | None) -> None:
    f = tmp_path / "m.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises((WeightingError, ColumnError), match=match) as exc:
        read_margins(f)
    assert exc.value.row == row and exc.value.file == str(f)


def test_read_case_file_encoding_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(b"a,b\n\xff\xfe\x00\x81,1\n")
    with pytest.raises(EncodingError):
        read_case_file(f)


# ---------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(40, 300), scale=st.floats(0.01, 100.0))
def test_rake_properties(seed: int, n: int, scale: float) -> None:
    """Every margin is met; scaling the input weights does not change the result."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"a": rng.choice(["x", "y", "z"], n), "b": rng.choice(["u", "v"], n),
                      "w": rng.uniform(0.5, 5.0, n)})
    # every cross cell present, so any positive margins can be met
    d.loc[:5, ["a", "b"]] = [["x", "u"], ["x", "v"], ["y", "u"], ["y", "v"], ["z", "u"], ["z", "v"]]
    ta = rng.uniform(1, 10, 3)
    tb = rng.uniform(1, 10, 2)
    tb *= ta.sum() / tb.sum()
    margins = {"a": dict(zip("xyz", ta, strict=True)), "b": dict(zip("uv", tb, strict=True))}
    res = rake(d, "w", margins, tol=1e-11, max_iter=5000)
    for var, totals in margins.items():
        sums = res.weights.groupby(d[var]).sum()
        for level, total in totals.items():
            assert sums[level] == pytest.approx(total, rel=1e-9)
    scaled = rake(d, d["w"] * scale, margins, tol=1e-11, max_iter=5000)
    np.testing.assert_allclose(scaled.weights, res.weights, rtol=1e-8)
