"""The design file: parsing, defaults, and every unknown key or impossible value named."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.design import Design, load_design

ISSUE_EXAMPLE = """\
seed = 20261121                 # optional; --seed overrides
[stratify]
by = "type"
[stage1]
unit = "community"
method = "pps_systematic"
size = "households"
n = { 示范类 = 4, 强基类 = 6 }
sort = ["street", "community_id"]
[stage2]
unit = "dwelling"
method = "systematic"
eligible = "status == 'occupied'"
m = 25
reserve = 10
[respondent]
method = "kish"
min_age = 18
"""


def base() -> dict:
    return {
        "stage1": {"method": "pps_systematic", "size": "households", "n": 12},
        "stage2": {"method": "systematic", "m": 25, "reserve": 10},
    }


def test_issue_example_parses(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    d = load_design(path)
    assert d.seed == 20261121 and d.stratify == ("type",)
    assert d.n_by_stratum() == {"示范类": 4, "强基类": 6}
    assert d.stage1.allocation == "table" and d.stage1.sort == ("street", "community_id")
    assert d.stage2 is not None and d.stage2.m == 25 and d.stage2.reserve == 10
    assert d.stage2.eligible == "status == 'occupied'" and d.respondent.min_age == 18
    assert d.source == str(path)
    assert load_design(d) is d


def test_defaults_from_dict() -> None:
    d = load_design(base())
    assert isinstance(d, Design) and d.seed is None and d.stratify == ()
    assert d.stage1.allocation == "proportional" and d.stage1.minimum == 1
    assert d.stage1.is_pps and d.stage1.zero_size == "error"
    assert d.stage2 is not None and d.stage2.order == "order" and d.stage2.segment_size is None
    assert d.respondent.method == "kish"
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.seed = 3  # type: ignore[misc]


def test_stage1_only_design() -> None:
    d = load_design({"stage1": {"method": "srs", "n": 3}})
    assert d.stage2 is None and not d.stage1.is_pps


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(sede=1), "sede"),
        (lambda d: d["stage1"].update(metod="srs"), "stage1.metod"),
        (lambda d: d["stage2"].update(reserv=3), "stage2.reserv"),
        (lambda d: d.update(stratify={"bye": "type"}), "stratify.bye"),
        (lambda d: d.update(respondent={"method": "kish", "age": 18}), "respondent.age"),
        (lambda d: d["stage1"].update(method="pps"), "stage1.method"),
        (lambda d: d["stage1"].pop("method"), "stage1.method"),
        (lambda d: d["stage1"].update(n=0), "stage1.n"),
        (lambda d: d["stage1"].update(n=2.5), "stage1.n"),
        (lambda d: d["stage1"].pop("n"), "stage1.n"),
        (lambda d: d["stage1"].pop("size"), "stage1.size"),
        (lambda d: d["stage1"].update(n={"a": 2}), "stage1.n"),
        (lambda d: d["stage1"].update(allocation="table"), "stage1.allocation"),
        (lambda d: d["stage1"].update(allocation="optimal"), "stage1.allocation"),
        (lambda d: d["stage1"].update(allocation="neyman"), "stage1.sd"),
        (lambda d: d["stage1"].update(power=1.5), "stage1.power"),
        (lambda d: d["stage1"].update(minimum=-1), "stage1.minimum"),
        (lambda d: d["stage1"].update(unit="street"), "stage1.unit"),
        (lambda d: d["stage1"].update(zero_size="drop"), "stage1.zero_size"),
        (lambda d: d["stage1"].update(sort=[]), "stage1.sort"),
        (lambda d: d["stage2"].update(m=0), "stage2.m"),
        (lambda d: d["stage2"].update(m=True), "stage2.m"),
        (lambda d: d["stage2"].pop("m"), "stage2.m"),
        (lambda d: d["stage2"].update(reserve=-2), "stage2.reserve"),
        (lambda d: d["stage2"].update(method="pps"), "stage2.method"),
        (lambda d: d["stage2"].update(segment_size=20), "stage2.segment_size"),
        (lambda d: d["stage2"].update(unit="person"), "stage2.unit"),
        (lambda d: d["stage2"].update(eligible=""), "stage2.eligible"),
        (lambda d: d.update(seed=-1), "seed"),
        (lambda d: d.update(respondent={"method": "birthday"}), "respondent.method"),
        (lambda d: d.pop("stage1"), "stage1"),
        (lambda d: d.update(stage2=[1, 2]), "stage2"),
    ],
)
def test_bad_designs_name_the_key(mutate, field: str) -> None:
    d = base()
    mutate(d)
    with pytest.raises(DesignError) as exc:
        load_design(d)
    assert exc.value.field == field
    assert field in exc.value.paragraph()


def test_take_all_refuses_n() -> None:
    with pytest.raises(DesignError, match="take_all"):
        load_design({"stage1": {"method": "take_all", "n": 3}})
    assert load_design({"stage1": {"method": "take_all"}}).stage1.n is None


def test_table_needs_stratify_and_entries() -> None:
    with pytest.raises(DesignError) as exc:
        load_design({"stratify": {"by": "type"}, "stage1": {"method": "srs", "n": {"a": -1}}})
    assert exc.value.field == "stage1.n.a"
    with pytest.raises(DesignError):
        load_design({"stratify": {"by": "type"}, "stage1": {"method": "srs", "n": {"a": 0}}})


def test_neyman_sd_table_checked() -> None:
    d = load_design({"stratify": {"by": ["type", "street"]},
                     "stage1": {"method": "srs", "n": 4, "allocation": "neyman",
                                "sd": {"a": 1.5, "b": 2}}})
    assert d.stage1.sd == (("a", 1.5), ("b", 2.0)) and d.stratify == ("type", "street")
    with pytest.raises(DesignError) as exc:
        load_design({"stage1": {"method": "srs", "n": 4, "allocation": "neyman",
                                "sd": {"a": -1}}})
    assert exc.value.field == "stage1.sd.a"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DesignError, match="does not exist"):
        load_design(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[stage1\nmethod = 'srs'\n", encoding="utf-8")
    with pytest.raises(DesignError, match="not valid TOML") as exc:
        load_design(bad)
    assert exc.value.file == str(bad)
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes("name = '社区'\n".encode("gbk"))
    with pytest.raises(DesignError, match="UTF-8"):
        load_design(gbk)
    bom = tmp_path / "bom.toml"
    bom.write_text("\ufeff[stage1]\nmethod = 'take_all'\n", encoding="utf-8")
    assert load_design(bom).stage1.method == "take_all"
    with pytest.raises(DesignError):
        load_design(42)  # type: ignore[arg-type]


def test_sampling_modules_are_headless() -> None:
    """Design, selection and Kish code never import the CLI's rich or the TUI's textual."""
    import subprocess
    import sys

    code = ("import sys, fieldsurvey.sampling.design, fieldsurvey.sampling.size, fieldsurvey.sampling.kish, "
            "fieldsurvey.sampling.stages, fieldsurvey.sampling.simulate, fieldsurvey.sampling.release, "
            "fieldsurvey.sampling.output, fieldsurvey.sampling.joint; "
            "print(sorted(m for m in ('rich', 'textual') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
