"""R's ``survey.adjust.domain.lonely`` (``SurveyDesign(adjust_domain_lonely=True)``,
``estimate --domain-lonely``) equals R survey 4.1.1 for every lonely-PSU rule (1e-8).

Reference: tests/reference/domains/make_domain_lonely_reference.R.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.estimate import SurveyDesign, svymean, svytotal

REF = Path(__file__).parent / "reference"


@pytest.mark.parametrize("adjust", [True, False])
@pytest.mark.parametrize("rule", ["remove", "certainty", "adjust", "average"])
def test_domain_lonely_matches_r(rule: str, adjust: bool) -> None:
    ref = pd.read_csv(REF / "domains" / "domain_lonely_reference.csv")
    ref = ref[(ref.rule == rule) & (ref.adjust == adjust)]
    data = pd.read_csv(REF / "estimate" / "apiclus1.csv")
    d = SurveyDesign(data, ids="dnum", strata="lstr", weights="pw", fpc="fpc",
                     lonely_psu=rule, adjust_domain_lonely=adjust)  # type: ignore[arg-type]
    t = (svymean("api00", d, by="stype") + svytotal("api00", d, by="stype")
         + svymean("api00", d, by="awards") + svytotal("api00", d, by="awards"))
    assert len(ref) == 10
    for r in ref.itertuples():
        row = t.get("api00", r.statistic, domain=r.domain)
        assert row.estimate == pytest.approx(r.estimate, rel=1e-8)
        assert row.se == pytest.approx(r.se, rel=1e-8), (rule, adjust, r.statistic, r.domain)


def test_domain_lonely_from_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from fieldsurvey.cli.main import main

    ref = pd.read_csv(REF / "domains" / "domain_lonely_reference.csv")
    r = ref[(ref.rule == "average") & ref.adjust & (ref.statistic == "mean")
            & (ref.domain == "stype=H")]
    assert main(["estimate", "--data", str(REF / "estimate" / "apiclus1.csv"), "--psu", "dnum",
                 "--strata", "lstr", "--weights", "pw", "--fpc", "fpc", "--lonely-psu", "average",
                 "--domain-lonely", "--mean", "api00", "--by", "stype", "--format", "json"]) == 0
    row = next(x for x in json.loads(capsys.readouterr().out) if x["domain"] == "stype=H")
    assert row["se"] == pytest.approx(float(r.se.iloc[0]), rel=1e-8)
