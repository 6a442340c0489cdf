"""Satisfaction statistics equal R survey's svymean / svyciprop of the derived variables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.estimate import (
    SurveyDesign,
    satisfaction_index,
    satisfaction_items,
    satisfaction_summary,
    svymean,
)
from fieldsurvey.io.errors import EstimationError

REF = Path(__file__).parent / "reference" / "estimate"


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    data = pd.read_csv(REF / "apiclus2.csv")
    return SurveyDesign(data, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"])


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    r = pd.read_csv(REF / "estimate_reference.csv", keep_default_na=False, na_values=[""])
    r = r[r.case == "satis"].copy()
    r["domain"] = r["domain"].fillna("").astype(str)
    return r


def pick(ref: pd.DataFrame, variable: str, statistic: str, domain: str | None) -> pd.Series:
    rows = ref[(ref.variable == variable) & (ref.statistic == statistic) & (ref.domain == (domain or ""))]
    assert len(rows) == 1
    return rows.iloc[0]


def near(a: float, b: float, rel: float = 1e-8) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


@pytest.mark.parametrize("by", [None, "stype"])
def test_items_match_r(design: SurveyDesign, ref: pd.DataFrame, by: str | None) -> None:
    table = satisfaction_items(design, ["s1", "s2"], by=by)
    assert len(table) == 2 * 3 * (1 if by is None else 3)
    for item, x, t in (("s1", "x1", "t1"), ("s2", "x2", "t2")):
        for row in table:
            if row.variable != item:
                continue
            if row.statistic == "top2box":
                m = pick(ref, t, "mean", row.domain)
                ci = pick(ref, x, "top2ci", row.domain)
                assert row.level == "4-5"
                # R's logit interval comes from an IRLS fit (svyglm, deviance tolerance 1e-8);
                # in the small H domain its convergence error reaches 1e-8 relative
                assert near(row.ci_low, ci.ci_low, 1e-7) and near(row.ci_high, ci.ci_high, 1e-7)
            else:
                m = pick(ref, x, "mean", row.domain)
            scale = 25.0 if row.statistic == "index" else 1.0
            shift = 1.0 if row.statistic == "index" else 0.0
            assert near(row.estimate, (m.estimate - shift) * scale), (row, m)
            assert near(row.se, m.se * scale)
            assert near(row.deff, m.deff)
            if row.statistic != "top2box":
                assert near(row.ci_low, (m.ci_low - shift) * scale)


def test_composite_index_matches_r(design: SurveyDesign, ref: pd.DataFrame) -> None:
    table = satisfaction_index(design, ["s1", "s2"], min_items=1, by="stype", name="满意度指数")
    for row in table:
        m = pick(ref, "score", "mean", row.domain)
        assert row.variable == "满意度指数" and row.statistic == "index"
        assert near(row.estimate, m.estimate) and near(row.se, m.se) and near(row.deff, m.deff)


def test_composite_needs_half_the_items_by_default(design: SurveyDesign) -> None:
    both = satisfaction_index(design, ["s1", "s2"], min_items=2)[0]
    default = satisfaction_index(design, ["s1", "s2"])[0]  # ceil(2/2) = 1 item
    assert default.n > both.n
    data = design.data
    answered = (~data["s1"].isin([8, -8, -9])) & (~data["s2"].isin([8, -8, -9]))
    assert both.n == int(answered.sum())


def test_summary_overall_then_domains(design: SurveyDesign) -> None:
    s = satisfaction_summary(design, ["s1", "s2"], by="stype")
    overall = [r for r in s if r.domain is None]
    assert len(overall) == 2 * 3 + 1
    assert {r.domain for r in s} == {None, "stype=E", "stype=H", "stype=M"}
    frame = s.to_frame()
    assert set(frame.statistic) == {"top2box", "mean_score", "index"}
    assert "stype" in frame.columns


def test_off_scale_answer_is_an_error(design: SurveyDesign) -> None:
    bad = design.data.copy()
    bad.loc[5, "s1"] = 7
    d = SurveyDesign(bad, ids=["dnum", "snum"], fpc=["fpc1", "fpc2"], source="answers.csv")
    with pytest.raises(EstimationError) as err:
        satisfaction_items(d, "s1")
    assert err.value.row == 7 and err.value.field == "s1" and "1-5" in str(err.value)
    # declared as a missing code it is fine
    t = satisfaction_items(d, "s1", missing_codes=(7, 8, -8, -9))
    assert t[0].n == satisfaction_items(design, "s1")[0].n - 1


def test_index_is_linear_in_the_mean(design: SurveyDesign) -> None:
    t = satisfaction_items(design, "s1", scale=(1, 5))
    mean = t.get("s1", "mean_score")
    idx = t.get("s1", "index")
    assert np.isclose(idx.estimate, (mean.estimate - 1) * 25)
    assert np.isclose(idx.ci_high - idx.ci_low, (mean.ci_high - mean.ci_low) * 25)


def test_invalid_scale(design: SurveyDesign) -> None:
    with pytest.raises(EstimationError):
        satisfaction_items(design, "s1", scale=(5, 1))
    with pytest.raises(EstimationError):
        satisfaction_items(design, "s1", top=5)


def test_top_box_of_single_point(design: SurveyDesign) -> None:
    t = satisfaction_items(design, "s1", top=1)
    assert t.get("s1", "top2box").level == "5"
    raw = design.data["s1"].where(~design.data["s1"].isin([8, -8, -9]))
    design.data["_t5"] = (raw == 5).astype(float).where(raw.notna())
    try:
        m = svymean("_t5", design)[0]
    finally:
        del design.data["_t5"]
    assert np.isclose(t.get("s1", "top2box").estimate, m.estimate, rtol=1e-12)


def test_with_replicate_weights(design: SurveyDesign) -> None:
    from fieldsurvey.estimate import as_replicate

    rep = as_replicate(SurveyDesign(design.data, ids="dnum", weights="pw"), "jk1")
    t = satisfaction_summary(rep, ["s1", "s2"], by="stype")
    assert t.method == "jk1"
    for row in t:
        assert np.isfinite(row.se) and row.se > 0
        assert row.ci_low <= row.estimate <= row.ci_high


def test_estimation_imports_no_presentation_libraries() -> None:
    import subprocess
    import sys

    code = ("import sys, fieldsurvey.estimate; "
            "print(sorted(m for m in ('rich', 'textual', 'reportlab') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
