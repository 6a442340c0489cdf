"""The sample-size calculator: textbook values and its explanation."""

from __future__ import annotations

import math

import pytest

from fieldsurvey.io.errors import DesignError
from fieldsurvey.sampling.size import sample_size


def test_srs_textbook_385() -> None:
    res = sample_size(0.05)
    assert res.interviews == 385 and res.households == 385 and res.communities is None
    assert math.isclose(res.n0, 1.959963984540054**2 * 0.25 / 0.0025)
    assert "n0 = z^2 p(1-p) / e^2" in res.explain()


def test_finite_population_correction() -> None:
    # Cochran: n = n0 / (1 + (n0 - 1) / N); N = 1000 gives 277.7 -> 278
    res = sample_size(0.05, population=1000)
    assert res.interviews == 278 and math.isclose(res.n_fpc, res.n0 / (1 + (res.n0 - 1) / 1000))


def test_icc_deff_rates_and_communities() -> None:
    res = sample_size(0.05, 0.95, 0.5, icc=0.05, per_community=25, eligibility=0.9,
                      response=0.6)
    assert math.isclose(res.deff, 2.2)
    assert res.interviews == math.ceil(2.2 * res.n0)
    assert res.households == math.ceil(res.interviews / 0.54)
    assert res.communities == math.ceil(res.interviews / 25)
    assert res.households_per_community == math.ceil(25 / 0.54)
    text = res.explain()
    assert "1 + (25 - 1) x 0.05" in text and "communities" in text


def test_given_deff_and_confidence() -> None:
    res = sample_size(0.03, confidence=0.99, p=0.3, deff=1.5)
    z = 2.5758293035489
    assert res.interviews == math.ceil(1.5 * z * z * 0.21 / 0.0009)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"moe": 0}, "moe"),
        ({"moe": 0.05, "confidence": 1.2}, "confidence"),
        ({"moe": 0.05, "p": 1.0}, "p"),
        ({"moe": 0.05, "response": 0}, "response"),
        ({"moe": 0.05, "eligibility": 1.5}, "eligibility"),
        ({"moe": 0.05, "icc": 0.1}, "per_community"),
        ({"moe": 0.05, "icc": 0.1, "deff": 2.0, "per_community": 5}, "deff"),
        ({"moe": 0.05, "deff": -1.0}, "deff"),
        ({"moe": 0.05, "population": 0}, "population"),
        ({"moe": 0.05, "per_community": 0}, "per_community"),
    ],
)
def test_bad_inputs_name_the_argument(kwargs: dict, field: str) -> None:
    with pytest.raises(DesignError) as exc:
        sample_size(**kwargs)
    assert exc.value.field == field
