"""fieldsurvey: map-based household surveys for community-governance research.

The public API is re-exported here lazily, so ``import fieldsurvey`` stays light (no pandas,
geopandas or Textual) until a name is used: ``fieldsurvey.build_frame`` imports
:mod:`fieldsurvey.frame.build` on first use. A type checker reads the same names from the
``TYPE_CHECKING`` imports below, so ``from fieldsurvey import build_frame`` is typed.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# typing.TYPE_CHECKING without importing typing (a few ms of every start-up); mypy and ruff
# read a module-level TYPE_CHECKING the same way
TYPE_CHECKING = False

if TYPE_CHECKING:
    from fieldsurvey.estimate import (
        EstimateTable,
        ReplicateDesign,
        SurveyDesign,
        as_replicate,
        satisfaction_index,
        satisfaction_items,
        satisfaction_summary,
        svyby,
        svymean,
        svyprop,
        svyquantile,
        svyratio,
        svytotal,
    )
    from fieldsurvey.example.district import (
        District,
        generate_district,
        load_district,
        write_district,
    )
    from fieldsurvey.frame.build import build_frame, check_frame
    from fieldsurvey.frame.files import FrameResult, read_frame
    from fieldsurvey.frame.options import FrameOptions
    from fieldsurvey.io.boundaries import read_boundaries
    from fieldsurvey.io.errors import FieldsurveyError
    from fieldsurvey.io.listings import read_listing
    from fieldsurvey.io.tables import read_table
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.questionnaire.model import Form
    from fieldsurvey.questionnaire.runner import InterviewRunner
    from fieldsurvey.rates import (
        Disposition,
        RateTable,
        aapor_rates,
        lookup_disposition,
        rates_from_counts,
    )
    from fieldsurvey.reports.analysis import write_report
    from fieldsurvey.reports.fonts import find_cjk_font
    from fieldsurvey.reports.maps import draw_field_maps
    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.kish import kish_select
    from fieldsurvey.sampling.output import read_sample, write_sample
    from fieldsurvey.sampling.release import release_reserve
    from fieldsurvey.sampling.simulate import simulate_design
    from fieldsurvey.sampling.size import sample_size
    from fieldsurvey.sampling.stage1 import joint_probabilities
    from fieldsurvey.sampling.stages import draw_sample
    from fieldsurvey.store.export import export_store
    from fieldsurvey.store.merge import merge_stores
    from fieldsurvey.store.store import FieldStore
    from fieldsurvey.tui.app import make_app
    from fieldsurvey.weights import (
        adjust_nonresponse,
        base_weights,
        poststratify,
        rake,
        read_margins,
        trim_weights,
        weight_diagnostics,
    )
    from fieldsurvey.weights.pipeline import weight_sample

# public name -> module that defines it (the same pairs as the imports above)
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
    "SurveyDesign": "fieldsurvey.estimate",
    "ReplicateDesign": "fieldsurvey.estimate",
    "as_replicate": "fieldsurvey.estimate",
    "svymean": "fieldsurvey.estimate",
    "svytotal": "fieldsurvey.estimate",
    "svyprop": "fieldsurvey.estimate",
    "svyratio": "fieldsurvey.estimate",
    "svyquantile": "fieldsurvey.estimate",
    "svyby": "fieldsurvey.estimate",
    "satisfaction_items": "fieldsurvey.estimate",
    "satisfaction_index": "fieldsurvey.estimate",
    "satisfaction_summary": "fieldsurvey.estimate",
    "EstimateTable": "fieldsurvey.estimate",
    "FrameOptions": "fieldsurvey.frame.options",
    "read_table": "fieldsurvey.io.tables",
}

__all__ = [
    "Disposition",
    "District",
    "EstimateTable",
    "FieldStore",
    "FieldsurveyError",
    "Form",
    "FrameOptions",
    "FrameResult",
    "InterviewRunner",
    "RateTable",
    "ReplicateDesign",
    "SurveyDesign",
    "__version__",
    "aapor_rates",
    "adjust_nonresponse",
    "as_replicate",
    "base_weights",
    "build_frame",
    "check_frame",
    "draw_field_maps",
    "draw_sample",
    "export_store",
    "find_cjk_font",
    "generate_district",
    "joint_probabilities",
    "kish_select",
    "load_design",
    "load_district",
    "load_form",
    "lookup_disposition",
    "make_app",
    "merge_stores",
    "poststratify",
    "rake",
    "rates_from_counts",
    "read_boundaries",
    "read_frame",
    "read_listing",
    "read_margins",
    "read_sample",
    "read_table",
    "release_reserve",
    "sample_size",
    "satisfaction_index",
    "satisfaction_items",
    "satisfaction_summary",
    "simulate_design",
    "svyby",
    "svymean",
    "svyprop",
    "svyquantile",
    "svyratio",
    "svytotal",
    "trim_weights",
    "weight_diagnostics",
    "weight_sample",
    "write_district",
    "write_report",
    "write_sample",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldsurvey' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
