"""Files in and out, and the contracts every package shares.

The one reading layer: community boundaries (:mod:`.boundaries`), dwelling listings
(:mod:`.listings`, :mod:`.normalise`, :mod:`.columns`), coordinates and CRSs
(:mod:`.coords`, :mod:`.crs`), encodings (:mod:`.encoding`), building footprints
(:mod:`.footprints`). Beside them the small shared parts that every other package uses and
that import nothing heavy: the error hierarchy (:mod:`.errors`), the column contracts
(:mod:`.schema`), atomic writes (:mod:`.atomic`) and the progress protocol
(:mod:`.progress`).

The readers are loaded lazily, so importing :mod:`fieldsurvey.io.errors` does not pull in
geopandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fieldsurvey.io.boundaries import Boundaries, read_boundaries
    from fieldsurvey.io.listings import read_listing
    from fieldsurvey.io.normalise import normalise_listing

__all__ = ["Boundaries", "normalise_listing", "read_boundaries", "read_listing"]

_EXPORTS = {
    "Boundaries": "fieldsurvey.io.boundaries",
    "read_boundaries": "fieldsurvey.io.boundaries",
    "read_listing": "fieldsurvey.io.listings",
    "normalise_listing": "fieldsurvey.io.normalise",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldsurvey.io' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
