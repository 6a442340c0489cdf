"""``fieldsurvey estimate``, run as an analyst runs it, equals R ``survey`` on real public data.

The data are R's own (``survey``: fpc, hospital, mu284, election, scd, nhanes, yrbs;
``sampling``: MU284, belgianmunicipalities, swissmunicipalities), with the samples of the
``sampling`` populations drawn in ``tests/reference/real/make_real_reference.R``, Chinese
column names, FPC as population sizes and as fractions, strata with one PSU (stratified SRS
and a cluster design, every lonely-PSU rule, domain-lonely), PPS without replacement
(Brewer, Overton, ppsmat), BRR and bootstrap replicate columns, raking, post-stratification
and GREG. Each case of ``real_cases.csv`` is the command line; every figure of
``real_reference.csv`` (estimate, SE, CI, deff) must agree to a relative 1e-8.

The small data files are committed in ``tests/reference/real/data``; NHANES and YRBS
(0.4-0.6 MB) are not: their cases run when ``FIELDSURVEY_REAL_DATA`` names the directory the
R script wrote them to, and are skipped otherwise.
"""

from __future__ import annotations

import io
import math
import os
import shlex
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.cli.main import main

REF = Path(__file__).parent / "reference" / "real"
RTOL = 1e-8
STATS = {"--mean", "--total", "--prop", "--ratio", "--quantile", "--by"}
DESIGN = {"--psu", "--strata", "--weights", "--repweights", "--fpc"}


def _reference() -> pd.DataFrame:
    ref = pd.read_csv(REF / "real_reference.csv", keep_default_na=False, na_values=[""],
                      dtype={"domain": str, "level": str})
    ref["domain"] = ref["domain"].fillna("")
    ref["level"] = ref["level"].fillna("")
    return ref


CASES = pd.read_csv(REF / "real_cases.csv")


def _data_dir(file: str) -> Path | None:
    for d in (REF / "data", Path(os.environ.get("FIELDSURVEY_REAL_DATA", "/nonexistent"))):
        if (d / file).is_file():
            return d
    return None


def _commands(file: str, argtext: str, data: Path) -> list[list[str]]:
    """The estimate command lines of a case; parts after '|' reuse the first part's design."""
    out: list[list[str]] = []
    design: list[str] | None = None
    for part in argtext.split("|"):
        words = [str(data / w) if w.endswith(".csv") and (data / w).is_file() else w
                 for w in shlex.split(part)]
        if design is None:
            design, i = [], 0
            while i < len(words):
                if words[i] in STATS:
                    i += 2
                    continue
                design.append(words[i])
                i += 1
        elif not DESIGN.intersection(words):
            words = design + words
        out.append(["estimate", "--data", str(data / file), *words, "--format", "csv"])
    return out


def _close(got: float, want: float) -> bool:
    if math.isnan(want):
        return True  # R gives no figure there (e.g. no deff under replicate weights)
    if math.isinf(want):
        return got == want  # R's deff of a design with every weight 1 and a 0 % fraction
    return abs(got - want) <= RTOL * abs(want) or abs(got - want) < 1e-12


def _run_case(case: str, file: str, argtext: str, capsys: pytest.CaptureFixture[str],
              data: Path, ref: pd.DataFrame) -> int:
    frames = []
    for argv in _commands(file, argtext, data):
        assert main(argv) == 0, (case, argv, capsys.readouterr().err)
        frames.append(pd.read_csv(io.StringIO(capsys.readouterr().out), keep_default_na=False,
                                  na_values=[""], dtype={"domain": str, "level": str}))
    got = pd.concat(frames, ignore_index=True)
    got["domain"] = got["domain"].fillna("")
    got["level"] = got["level"].fillna("")
    rows = ref[ref["case"] == case]
    assert len(rows) > 0
    compared = 0
    for r in rows.itertuples(index=False):
        hit = got[(got["variable"] == r.variable) & (got["statistic"] == r.statistic)
                  & (got["domain"] == r.domain) & (got["level"] == r.level)]
        assert len(hit) == 1, (case, r.variable, r.statistic, r.domain, r.level)
        for col in ("estimate", "se", "ci_low", "ci_high", "deff"):
            want = float(getattr(r, col))
            value = float(hit[col].iloc[0])
            assert _close(value, want), (case, r.variable, r.statistic, r.domain, r.level, col,
                                         value, want)
            compared += 0 if math.isnan(want) else 1
    return compared


@pytest.mark.parametrize(("case", "file", "argtext"), list(CASES.itertuples(index=False)),
                         ids=list(CASES["case"]))
def test_case_equals_r(case: str, file: str, argtext: str,
                       capsys: pytest.CaptureFixture[str]) -> None:
    data = _data_dir(file)
    if data is None:
        pytest.skip(f"{file} is not committed (large); run make_real_reference.R and set "
                    "FIELDSURVEY_REAL_DATA to its DATA_DIR")
    assert _run_case(case, file, argtext, capsys, data, _reference()) > 0


def test_stata_file_equals_its_csv(capsys: pytest.CaptureFixture[str]) -> None:
    """The fpc example as a Stata .dta (as Stata's manual ships it) gives R's figures."""
    argtext = str(CASES.loc[CASES["case"] == "fpc_Nh", "args"].iloc[0])
    assert _run_case("fpc_Nh", "fpc.dta", argtext, capsys, REF / "data", _reference()) == 14


def test_every_committed_case_ran() -> None:
    """The committed data cover every case but NHANES and YRBS (so little is skipped)."""
    skipped = {c for c, f in zip(CASES["case"], CASES["file"], strict=True)
               if not (REF / "data" / f).is_file()}
    assert skipped == {"nhanes", "nhanes_jkn", "nhanes_sav", "nhanes_dta", "yrbs"}
    assert len(CASES) - len(skipped) >= 28
