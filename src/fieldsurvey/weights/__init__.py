"""Survey weights: base weights, nonresponse adjustment, calibration, trimming, diagnostics.

``base`` (design weights from the stage probabilities), ``nonresponse`` (unknown eligibility
and nonresponse within collapsed classes), ``calibrate`` (post-stratification, raking,
linear/GREG and bounded calibration), ``trim`` (trimming with re-calibration),
``diagnostics`` (Kish deff, effective n, margins met, factors per step), ``io`` (case and
margin files).
"""

from __future__ import annotations

from fieldsurvey.weights.base import base_weights
from fieldsurvey.weights.calibrate import CalibrationResult, calibrate, poststratify, rake
from fieldsurvey.weights.diagnostics import WeightDiagnostics, weight_diagnostics
from fieldsurvey.weights.io import read_case_file, read_margins
from fieldsurvey.weights.nonresponse import NonresponseResult, adjust_nonresponse
from fieldsurvey.weights.trim import trim_bounds, trim_weights

__all__ = [
    "CalibrationResult",
    "NonresponseResult",
    "WeightDiagnostics",
    "adjust_nonresponse",
    "calibrate",
    "base_weights",
    "poststratify",
    "rake",
    "read_case_file",
    "read_margins",
    "trim_bounds",
    "trim_weights",
    "weight_diagnostics",
]
