"""The options of a frame build: one frozen object, defaults written once.

:class:`FrameOptions` is what :func:`fieldsurvey.frame.build_frame` and
:func:`~fieldsurvey.frame.check_frame` take, what the CLI fills from its arguments and
what the demo passes. The boundary-reading part is a
:class:`~fieldsurvey.io.boundaries.BoundaryOptions` (shared with ``maps``), the rest
says how to read the listing and how strict the self-check is.

``FrameOptions.from_keywords(id_field="CPTVID", storey_height=3.5)`` accepts the flat
keyword names of earlier versions (the boundary names ``id_field``, ``encoding``,
``crs``, ``boundary_coords``, ``name_field`` ... go into ``boundaries``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldsurvey.io.boundaries import BoundaryOptions
from fieldsurvey.io.errors import InputError

__all__ = ["FrameOptions"]

#: Flat keyword -> field of BoundaryOptions.
_BOUNDARY_KEYWORDS = {
    "id_field": "id_field", "encoding": "encoding", "crs": "crs",
    "boundary_coords": "coords", "name_field": "name_field", "street_field": "street_field",
    "type_field": "type_field", "size_field": "size_field",
    "boundary_columns": "columns", "boundary_layer": "layer", "dissolve": "dissolve",
}


@dataclass(frozen=True)
class FrameOptions:
    """Everything that shapes a frame (and so its fingerprint), with the defaults.

    Attributes
    ----------
    boundaries
        How to read the boundary file (:class:`~fieldsurvey.io.boundaries.BoundaryOptions`).
    listing_encoding, listing_crs, coords, columns, sheet
        How to read the listing: CSV encoding (detected when None), CRS of x/y (default
        the boundaries' ``crs``), ``gcj02``/``bd09`` for web-map lon/lat, a header
        mapping, the spreadsheet sheet.
    dwellings_per_floor, storey_height
        For footprints with storeys or a height but no dwelling count.
    dwelling_area
        Square metres of floor per dwelling, to estimate footprints that have neither
        a count, storeys nor a height from their area (one storey); None = do not.
    skip_unsized
        Leave such footprints out (counted in the self-check) instead of refusing them.
    keep
        An expression in the ``eligible`` language (``building in ('residential',
        'apartments')``) selecting the listing rows or footprints to keep.
    projected_crs
        Metric CRS for ``x``/``y`` and the order (default: UTM zone of the boundaries).
    coverage_tolerance, vacancy_threshold
        Self-check thresholds.
    strict
        Refuse to write a frame whose self-check has errors.
    chunk_size
        Dwellings assigned per chunk.
    """

    boundaries: BoundaryOptions = field(default_factory=BoundaryOptions)
    listing_encoding: str | None = None
    listing_crs: Any = None
    coords: str = "wgs84"
    columns: Mapping[str, str] | str | Path | None = None
    sheet: str | int | None = None
    dwellings_per_floor: float | None = None
    storey_height: float = 3.0
    dwelling_area: float | None = None
    skip_unsized: bool = False
    keep: str | None = None
    projected_crs: Any = None
    coverage_tolerance: float = 0.10
    vacancy_threshold: float = 0.30
    strict: bool = False
    chunk_size: int = 1_000_000

    def __post_init__(self) -> None:
        # Checked here, not only where footprints are expanded, so that a wrong value is
        # refused even when the listing happens to be points (it would be silently ignored).
        for key in ("dwellings_per_floor", "storey_height", "dwelling_area"):
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise InputError(f"{key.replace('_', ' ')} must be a positive number", field=key,
                                 got=str(value), hint=f"Give --{key.replace('_', '-')} > 0")
        if self.chunk_size < 1:
            raise InputError("the chunk size must be at least 1", field="chunk_size",
                             got=str(self.chunk_size))

    @classmethod
    def from_keywords(cls, base: FrameOptions | None = None, **keywords: Any) -> FrameOptions:
        """``base`` (default: the defaults) with the flat keyword names applied.

        Raises
        ------
        TypeError
            For a keyword that is no option (as a misspelt argument would).
        """
        base = base or cls()
        bnd = {_BOUNDARY_KEYWORDS[k]: keywords.pop(k) for k in list(keywords)
               if k in _BOUNDARY_KEYWORDS}
        own = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(keywords) - own)
        if unknown:
            raise TypeError(f"unexpected frame option(s) {unknown}")
        if bnd:
            keywords["boundaries"] = dataclasses.replace(
                keywords.get("boundaries", base.boundaries), **bnd
            )
        return dataclasses.replace(base, **keywords)

    @property
    def point_crs(self) -> Any:
        """CRS of the listing's x/y: ``listing_crs``, else the boundaries' ``crs``."""
        return self.listing_crs if self.listing_crs is not None else self.boundaries.crs

    def record(self) -> dict[str, Any]:
        """JSON-ready form for the fingerprint and the frame's metadata.

        What shapes the frame; ``strict`` and ``chunk_size`` do not change it and are
        left out.
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("strict", "chunk_size"):
                continue
            if f.name == "boundaries":
                out.update({("boundary_" + k if k in ("coords", "columns", "layer") else k): v
                            for k, v in value.record().items()})
            elif f.name in ("listing_crs", "projected_crs"):
                out[f.name] = None if value is None else str(value)
            elif isinstance(value, Path):
                out[f.name] = str(value)
            elif isinstance(value, Mapping):
                out[f.name] = dict(value)
            else:
                out[f.name] = value
        return out
