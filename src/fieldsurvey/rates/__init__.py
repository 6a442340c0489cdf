"""AAPOR final dispositions and outcome rates (response, cooperation, refusal, contact).

``codes`` holds the in-person household disposition scheme with English and Chinese labels;
``compute`` the rate formulas, unweighted and base-weighted, overall and by group.
"""

from __future__ import annotations

from fieldsurvey.rates.codes import (
    CATEGORIES,
    DISPOSITIONS,
    Disposition,
    disposition_categories,
    lookup_disposition,
    normalise_code,
)
from fieldsurvey.rates.compute import (
    COUNT_NAMES,
    RATE_NAMES,
    RateTable,
    aapor_rates,
    count_dispositions,
    estimate_e,
    rates_from_counts,
)

__all__ = [
    "CATEGORIES",
    "COUNT_NAMES",
    "DISPOSITIONS",
    "RATE_NAMES",
    "Disposition",
    "RateTable",
    "aapor_rates",
    "count_dispositions",
    "disposition_categories",
    "estimate_e",
    "lookup_disposition",
    "normalise_code",
    "rates_from_counts",
]
