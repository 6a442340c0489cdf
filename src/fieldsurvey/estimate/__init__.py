"""Design-based estimation: Taylor linearisation and replicate weights, domains, satisfaction.

Vocabulary and numbers follow R's ``survey`` package (Lumley): build a design with
:class:`SurveyDesign` (``svydesign``) or :func:`as_replicate` /
:meth:`ReplicateDesign.from_columns` (``as.svrepdesign`` / ``svrepdesign``), then call
:func:`svymean`, :func:`svytotal`, :func:`svyprop`, :func:`svyratio`, :func:`svyquantile`
(each with ``by=`` for domains, or through :func:`svyby`), and for Likert items
:func:`satisfaction_items`, :func:`satisfaction_index` and :func:`satisfaction_summary`.
Every estimator returns a frozen :class:`EstimateTable`.

Calibrated designs (R's ``rake``, ``postStratify``, ``calibrate``): ``design.rake(margins)``,
``design.poststratify(variable, totals)``, ``design.calibrate(margins, calfun=..., bounds=...)``
return a design whose SEs account for the calibration (see
:mod:`fieldsurvey.estimate.calibration`); PPS without replacement: ``SurveyDesign(...,
pps="brewer" | "overton" | "hr" | "ppsmat")``; small areas: :func:`fay_herriot`,
:func:`small_area_table`.
"""

from fieldsurvey.estimate.design import LONELY_PSU_RULES, SurveyDesign
from fieldsurvey.estimate.domains import svyby
from fieldsurvey.estimate.estimators import svymean, svyprop, svyratio, svytotal
from fieldsurvey.estimate.quantile import svyquantile
from fieldsurvey.estimate.replicate import REPLICATE_TYPES, ReplicateDesign, as_replicate
from fieldsurvey.estimate.results import Estimate, EstimateTable
from fieldsurvey.estimate.sae import FayHerriot, fay_herriot, small_area_table
from fieldsurvey.estimate.satisfaction import (
    satisfaction_index,
    satisfaction_items,
    satisfaction_summary,
)

__all__ = [
    "LONELY_PSU_RULES",
    "REPLICATE_TYPES",
    "Estimate",
    "EstimateTable",
    "FayHerriot",
    "ReplicateDesign",
    "SurveyDesign",
    "as_replicate",
    "fay_herriot",
    "satisfaction_index",
    "satisfaction_items",
    "satisfaction_summary",
    "small_area_table",
    "svyby",
    "svymean",
    "svyprop",
    "svyquantile",
    "svyratio",
    "svytotal",
]
