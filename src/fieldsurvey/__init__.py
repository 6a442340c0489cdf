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
    "FieldsurveyError": "fieldsurvey.errors",
}

__all__ = sorted(["__version__", *_EXPORTS])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fieldsurvey' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
