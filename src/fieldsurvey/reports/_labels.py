"""Printed words of the field materials in Chinese and English, the Kish grid and outcome codes.

The Kish grid is Kish (1949), JASA 44:380, as reproduced in FIELDWORK.md section 4:
eight tables A, B1, B2, C, D, E1, E2, F; row = number of eligible persons (1..6+),
cell = line of the respondent in the roster (men oldest to youngest, then women).
"""

from __future__ import annotations

from fieldsurvey.rates.codes import IN_PERSON_OUTCOMES, outcome_label
from fieldsurvey.sampling.kish import KISH_TABLES

__all__ = ["KISH_GRID", "OUTCOME_CODES", "outcome_codes", "text"]

#: Kish table letter -> respondent line for 1, 2, 3, 4, 5, 6+ eligible persons
#: (the same tables the selection uses, so paper and software never disagree).
KISH_GRID: dict[str, tuple[int, ...]] = KISH_TABLES

#: The AAPOR final disposition codes an interviewer records at the door (in-person): the
#: one list of :mod:`fieldsurvey.rates.codes`, so paper, TUI and rates never disagree.
OUTCOME_CODES: tuple[str, ...] = IN_PERSON_OUTCOMES


def outcome_codes(lang: str) -> list[tuple[str, str]]:
    """(code, label) for the printed outcome legend, in the words of :mod:`fieldsurvey.rates`."""
    return [(code, outcome_label(code, lang, with_code=False)) for code in OUTCOME_CODES]


_TEXT: dict[str, dict[str, str]] = {
    "overview": {"zh": "总图", "en": "Overview map"},
    "detail": {"zh": "分图", "en": "Detail map"},
    "map_title": {"zh": "抽样地图", "en": "Sample map"},
    "sheet_title": {"zh": "入户接触记录表", "en": "Assignment and visit record sheet"},
    "street": {"zh": "街道", "en": "Street"},
    "code": {"zh": "社区代码", "en": "Code"},
    "segment": {"zh": "分段", "en": "Segment"},
    "team": {"zh": "调查队", "en": "Team"},
    "date": {"zh": "日期", "en": "Date"},
    "fingerprint": {"zh": "抽样框指纹", "en": "Frame"},
    "type": {"zh": "类型", "en": "Type"},
    "none": {"zh": "无", "en": "none"},
    "legend": {"zh": "图例", "en": "Legend"},
    "boundary": {"zh": "社区边界", "en": "Community boundary"},
    "hull_boundary": {"zh": "推定边界（住户凸包）", "en": "Inferred boundary (hull)"},
    "compound": {"zh": "小区/院落", "en": "Compound"},
    "building": {"zh": "建筑（轮廓）", "en": "Building footprint"},
    "building_group": {"zh": "楼栋（住户点归组）", "en": "Building (grouped dwellings)"},
    "road": {"zh": "道路", "en": "Road"},
    "dwelling": {"zh": "住户点", "en": "Dwelling"},
    "main": {"zh": "主样本（序号）", "en": "Main sample (line no.)"},
    "reserve": {"zh": "已启用备用样本", "en": "Released reserve"},
    "tile": {"zh": "分图范围", "en": "Detail map extent"},
    "other_segment": {"zh": "其他分段住户", "en": "Dwellings of other segments"},
    "segment_area": {"zh": "本分段范围", "en": "This segment"},
    "scale": {"zh": "比例尺", "en": "Scale"},
    "north": {"zh": "北", "en": "N"},
    "hull_note": {
        "zh": "注意：未提供社区边界文件，图中边界为住户点的凸包推定，须与居委会核实。",
        "en": "Note: no boundary file was given; the boundary drawn is the convex hull of "
              "the dwellings and must be checked with the community committee.",
    },
    "no_coords": {"zh": "注意：样本 {lines} 的住户没有坐标，未在图上标出，"
                        "请按入户接触记录表上的地址查找。",
                  "en": "Note: lines {lines} have no coordinates and are not on the map; find "
                        "them by the address on the assignment sheet."},
    "index": {"zh": "分图索引", "en": "Index of detail maps"},
    "index_entry": {"zh": "分图{n}：样本 {lines}", "en": "Map {n}: lines {lines}"},
    "index_empty": {"zh": "分图{n}：无样本", "en": "Map {n}: no sample"},
    "locator": {"zh": "位置", "en": "Locator"},
    "line": {"zh": "序号", "en": "Line"},
    "bufd": {"zh": "楼栋-单元-楼层-门牌", "en": "Bldg-unit-floor-door"},
    "address": {"zh": "地址", "en": "Address"},
    "kish": {"zh": "Kish表", "en": "Kish"},
    "visit": {"zh": "次", "en": "Visit"},
    "visit_date": {"zh": "日期", "en": "Date"},
    "visit_time": {"zh": "时间", "en": "Time"},
    "outcome": {"zh": "结果代码", "en": "Outcome"},
    "interviewer": {"zh": "访员", "en": "Interviewer"},
    "note": {"zh": "备注", "en": "Note"},
    "main_short": {"zh": "主样本", "en": "main"},
    "reserve_short": {"zh": "备用批{b}", "en": "reserve {b}"},
    "kish_title": {"zh": "Kish 选择表（行：合格成员数；格：被访者在成员表中的序号）",
                   "en": "Kish grid (row: eligible persons; cell: respondent's roster line)"},
    "kish_table": {"zh": "表", "en": "Table"},
    "kish_persons": {"zh": "{n}人", "en": "{n}"},
    "outcome_title": {"zh": "结果代码（AAPOR 最终处置代码）",
                      "en": "Outcome codes (AAPOR final dispositions)"},
    "sheet_note": {
        "zh": "成员按男性年长到年幼、再女性年长到年幼排序；只访问本表所列住户，不得替换；"
              "未启用的备用样本不列出。",
        "en": "List members men oldest to youngest, then women; visit only the households "
              "listed, never substitute; unreleased reserve is not listed.",
    },
    "households": {"zh": "样本户数", "en": "Households"},
    "page": {"zh": "第{p}/{n}页", "en": "page {p}/{n}"},
}


def text(key: str, lang: str, **fmt: object) -> str:
    """The printed text for ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    entry = _TEXT[key]
    s = entry.get(lang) or entry["en"]
    return s.format(**fmt) if fmt else s
