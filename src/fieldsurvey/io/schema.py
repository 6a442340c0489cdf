"""Column names of the data contracts shared by the modules (see DESIGN.md, "Data contracts").

Files use English snake_case names; labels shown to people may be Chinese. These
constants are the single place where the frame, sample and store agree on names.
"""

from __future__ import annotations

__all__ = [
    "DWELLING_STATUSES",
    "FRAME_COLUMNS",
    "FRAME_META_KEY",
    "SAMPLE_COLUMNS",
    "SAMPLE_TEXT_COLUMNS",
    "WGS84",
]

WGS84 = "EPSG:4326"

#: Key of the Parquet metadata a frame written by ``fieldsurvey frame build`` carries.
FRAME_META_KEY = b"fieldsurvey"

#: Dwelling status values in the listing and the frame.
DWELLING_STATUSES: tuple[str, ...] = ("occupied", "vacant", "non_residential", "unknown")

#: Columns every frame has (community attributes from the boundary file are added
#: under their own names; a community attribute whose name clashes with one of these
#: is prefixed ``community_``). ``dwelling_households`` is the number of households
#: living in the dwelling (the listing's ``households``), so that the community's
#: registered ``households`` keeps its name for designs that size by it.
FRAME_COLUMNS: tuple[str, ...] = (
    "dwelling_id",      # stable id: from the listing or made as <community>-<row>
    "community_id",     # community the dwelling lies in (spatial), else the listed one
    "listed_community_id",  # the community the listing named, if any
    "source_row",       # 1-based data row number in the listing file
    "compound",         # 小区
    "building",         # 楼栋
    "unit",             # 单元
    "floor",            # 楼层
    "door",             # 门牌号 / 户号
    "address",
    "status",           # one of DWELLING_STATUSES
    "dwelling_households",
    "estimated",        # True when the dwelling was estimated from a footprint
    "lon", "lat",       # WGS 84
    "x", "y",           # projected metric CRS (frame metadata names it)
    "order",            # geographic order within the community (0-based)
    "geometry",         # point, WGS 84
)

#: Columns every sample has (frame columns of the selected dwellings follow).
SAMPLE_COLUMNS: tuple[str, ...] = (
    "stratum",
    "community_id",
    "dwelling_id",
    "line",          # sample line number, 1-based within community, printed on sheets
    "replicate",     # 0 = main sample; 1, 2, ... = reserve in its random release order
    "released",      # True for the main sample and for released reserve
    "release_batch", # 0 = main sample; k = released in the k-th release (NA if not released)
    "segment",       # segment of a split large community (NA if not split)
    "kish_table",    # A, B1, B2, C, D, E1, E2, F
    "pi_1",
    "pi_2",
    "pi",
    "base_weight",
)

#: Sample columns read as text whatever they look like (ids and address parts keep their
#: leading zeros; ``floor`` ``"03"`` stays ``"03"``).
SAMPLE_TEXT_COLUMNS: tuple[str, ...] = (
    "stratum", "community_id", "dwelling_id", "building", "unit", "floor", "door", "segment",
    "kish_table",
)
