"""fieldsurvey: map-based household surveys for community-governance research.

The public API is re-exported here lazily, so ``import fieldsurvey`` stays light
(no geopandas, no Textual) until a function is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "FieldsurveyError": "fieldsurvey.io.errors",
    "District": "fieldsurvey.example.district",
    "generate_district": "fieldsurvey.example.district",
    "load_district": "fieldsurvey.example.district",
    "write_district": "fieldsurvey.example.district",
    "load_form": "fieldsurvey.questionnaire",
    "Form": "fieldsurvey.questionnaire.model",
    "InterviewRunner": "fieldsurvey.questionnaire.runner",
    "read_boundaries": "fieldsurvey.io.boundaries",
    "read_listing": "fieldsurvey.io.listings",
    "build_frame": "fieldsurvey.frame.build",
    "check_frame": "fieldsurvey.frame.build",
    "read_frame": "fieldsurvey.frame.files",
    "FrameResult": "fieldsurvey.frame.files",
    "draw_sample": "fieldsurvey.sampling.stages",
    "load_design": "fieldsurvey.sampling.design",
    "release_reserve": "fieldsurvey.sampling.release",
    "sample_size": "fieldsurvey.sampling.size",
    "simulate_design": "fieldsurvey.sampling.simulate",
    "kish_select": "fieldsurvey.sampling.kish",
    "read_sample": "fieldsurvey.sampling.output",
    "write_sample": "fieldsurvey.sampling.output",
    "joint_probabilities": "fieldsurvey.sampling.stage1",
    "draw_field_maps": "fieldsurvey.reports.maps",
    "find_cjk_font": "fieldsurvey.reports.fonts",
    "write_report": "fieldsurvey.reports.analysis",
    "FieldStore": "fieldsurvey.store.store",
    "merge_stores": "fieldsurvey.store.merge",
    "export_store": "fieldsurvey.store.export",
    "make_app": "fieldsurvey.tui.app",
    "Disposition": "fieldsurvey.rates",
    "lookup_disposition": "fieldsurvey.rates",
    "aapor_rates": "fieldsurvey.rates",
    "rates_from_counts": "fieldsurvey.rates",
    "RateTable": "fieldsurvey.rates",
    "base_weights": "fieldsurvey.weights",
    "adjust_nonresponse": "fieldsurvey.weights",
    "rake": "fieldsurvey.weights",
    "poststratify": "fieldsurvey.weights",
    "trim_weights": "fieldsurvey.weights",
    "weight_diagnostics": "fieldsurvey.weights",
    "read_margins": "fieldsurvey.weights",
    "weight_sample": "fieldsurvey.weights.pipeline",
    "SurveyDesign": "fieldsurvey.estimate", "ReplicateDesign": "fieldsurvey.estimate", "as_replicate": "fieldsurvey.estimate", "svymean": "fieldsurvey.estimate", "svytotal": "fieldsurvey.estimate", "svyprop": "fieldsurvey.estimate", "svyratio": "fieldsurvey.estimate", "svyquantile": "fieldsurvey.estimate", "svyby": "fieldsurvey.estimate", "satisfaction_items": "fieldsurvey.estimate", "satisfaction_index": "fieldsurvey.estimate", "satisfaction_summary": "fieldsurvey.estimate", "EstimateTable": "fieldsurvey.estimate",  # noqa: E501
}

__all__ = sorted(["__version__", *_EXPORTS])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldsurvey' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
