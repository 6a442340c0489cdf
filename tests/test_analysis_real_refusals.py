"""Real analysis files that used to end in a traceback now get one clear paragraph.

Found by running ``fieldsurvey estimate`` on R's MU284 cluster sample with the kinds of damage
real files carry: a domain column that is empty throughout (a question asked of nobody), a
weight column of zeros (the non-respondents' weights given by mistake), a variable with no
value at all (every answer a special code), and an ``inf`` left by a spreadsheet division by
zero. Each gave ``IndexError`` / ``ZeroDivisionError`` or an ``inf`` estimate with exit 0.
Rows are named as a spreadsheet shows them (the header is row 1), as every other reader of
the project names them; the estimators used to count from the first respondent, one less.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main

DESIGN = ["--psu", "社区", "--strata", "层", "--nest", "--weights", "权重", "--fpc", "社区数"]


def sample() -> pd.DataFrame:
    """A two-stage sample: 4 strata x 3 communities x 5 households (as MU284's clusters)."""
    rng = np.random.default_rng(3)
    n = 60
    return pd.DataFrame({
        "层": np.repeat([1, 2, 3, 4], 15),
        "社区": np.tile(np.repeat([1, 2, 3], 5), 4),
        "社区数": np.repeat([12, 9, 15, 7], 15),
        "权重": rng.uniform(30, 90, n).round(2),
        "收入": rng.gamma(4, 900, n).round(0),
        "人口": rng.integers(1, 7, n),
        "类型": rng.choice(["城镇", "农村"], n),
    })


def refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: pd.DataFrame,
            *stats: str) -> str:
    path = tmp_path / "s.csv"
    data.to_csv(path, index=False)
    assert main(["estimate", "--data", str(path), *DESIGN, *stats]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and str(path) in err
    return err


def test_domain_column_empty_throughout(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d["类型"] = np.nan
    err = refused(tmp_path, capsys, d, "--mean", "收入", "--by", "类型")
    assert "domain variable(s) 类型" in err


def test_every_weight_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d["权重"] = 0.0
    for stats in (["--mean", "收入"], ["--quantile", "收入:0.5"], ["--ratio", "收入/人口"]):
        assert "every sampling weight is zero" in refused(tmp_path, capsys, d, *stats)


def test_variable_without_any_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d["收入"] = np.nan
    for stats in (["--mean", "收入"], ["--total", "收入"], ["--quantile", "收入:0.5"],
                  ["--ratio", "收入/人口"], ["--mean", "收入", "--by", "类型"]):
        assert "'收入' has no value for any respondent" in refused(tmp_path, capsys, d, *stats)


def test_answered_only_by_zero_weights(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d.loc[d.index[5:], "收入"] = np.nan
    d.loc[d.index[:5], "权重"] = 0.0
    err = refused(tmp_path, capsys, d, "--mean", "收入")
    assert "no respondent with a weight above zero has a value of '收入'" in err


def test_infinite_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d["收入"] = d["收入"].astype(float)
    d.loc[7, "收入"] = np.inf
    err = refused(tmp_path, capsys, d, "--mean", "收入")
    assert "infinite value" in err and "Got inf" in err and "field '收入'" in err
    assert "row 9" in err  # d.loc[7]: the spreadsheet row (header = row 1), as io names rows


def test_rows_are_named_as_the_spreadsheet_shows_them(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    d = sample()
    d["权重"] = d["权重"].astype(float)
    d.loc[4, "权重"] = np.nan  # the 5th respondent: row 6 under the header
    assert "row 6" in refused(tmp_path, capsys, d, "--mean", "收入")
    d = sample()
    d["社区"] = d["社区"].astype(float)
    d.loc[11, "社区"] = np.nan
    assert "row 13" in refused(tmp_path, capsys, d, "--mean", "收入")
    d = sample()
    d["收入"] = d["收入"].astype(str)
    d.loc[20, "收入"] = "不详"
    assert "row 22" in refused(tmp_path, capsys, d, "--mean", "收入")
