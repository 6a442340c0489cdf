"""AAPOR final disposition codes for in-person household surveys, with Chinese labels.

The scheme follows AAPOR's Standard Definitions (9th ed., 2016, Table 2, in-person household
surveys). Each final code belongs to one of eight outcome groups used by the rate formulas:

====  ==============================================  =====================
I     complete interview (1.1)                        访问完成
P     partial interview (1.2)                         部分完成
R     refusal and break-off (2.1x)                    拒访与中断
NC    non-contact (2.2x)                              未接触
O     other eligible non-interview (2.3x, 2.9)        其他合格未访
UH    unknown if housing unit / address (3.1x)        住房单元未知
UO    housing unit, unknown eligible respondent (3.2+) 合格受访者未知
NE    not eligible (4.x)                              不合格
====  ==============================================  =====================

Codes are read **by prefix**: a code not in the table is looked up again with its last digit
removed, so a detailed local code 2.111 counts as 2.11 (refusal), which counts as R; 4.612
counts as 4.61 (vacant), i.e. NE. Trailing zeros do not matter (``"2.110"`` is 2.11). The
top-level codes 1, 2 and 3 map to I, O and UH as in the ``leeper/responserates`` table
(``codes.tsv``); use a detailed code whenever the outcome is known.

A case file may also give the outcome group itself, as AAPOR's tables, its response rate
calculator and R's ``outcomerate`` do: ``I, P, R, NC, O, UH, UO, NE`` in any case
(:func:`category_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import InputError

__all__ = [
    "CATEGORIES",
    "DISPOSITIONS",
    "INTERVIEW_OUTCOMES",
    "IN_PERSON_OUTCOMES",
    "VISIT_OUTCOMES",
    "Disposition",
    "category_of",
    "disposition_categories",
    "lookup_disposition",
    "normalise_code",
    "outcome_label",
]

#: Outcome groups in the order used for counts everywhere (columns of count tables).
CATEGORIES: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "I": ("Complete interview", "访问完成"),
    "P": ("Partial interview", "部分完成"),
    "R": ("Refusal and break-off", "拒访与中断"),
    "NC": ("Non-contact", "未接触"),
    "O": ("Other eligible non-interview", "其他合格未访"),
    "UH": ("Unknown if housing unit", "住房单元未知"),
    "UO": ("Housing unit, unknown if eligible respondent", "合格受访者未知"),
    "NE": ("Not eligible", "不合格"),
}


@dataclass(frozen=True)
class Disposition:
    """One AAPOR final disposition code.

    Attributes
    ----------
    code
        Normalised code without trailing zeros, e.g. ``"2.11"``.
    category
        Outcome group: one of ``I, P, R, NC, O, UH, UO, NE``.
    label_en, label_zh
        English and Chinese labels.
    """

    code: str
    category: str
    label_en: str
    label_zh: str

    @property
    def eligible(self) -> bool | None:
        """True for eligible cases, False for not eligible, None when unknown."""
        if self.category in ("UH", "UO"):
            return None
        return self.category != "NE"

    @property
    def respondent(self) -> bool:
        """True for complete and partial interviews."""
        return self.category in ("I", "P")


_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("1", "I", "Interview", "访问"),
    ("1.1", "I", "Complete interview", "完成访问"),
    ("1.2", "P", "Partial interview", "部分完成访问"),
    ("2", "O", "Eligible, non-interview", "合格未访问"),
    ("2.1", "R", "Refusal and break-off", "拒访与中断"),
    ("2.11", "R", "Refusal", "拒访"),
    ("2.111", "R", "Household-level refusal", "户级拒访（家人/住户拒绝）"),
    ("2.112", "R", "Known-respondent refusal", "被选受访者本人拒访"),
    ("2.12", "R", "Break-off", "访问中断"),
    ("2.2", "NC", "Non-contact", "未接触"),
    ("2.23", "NC", "Unable to enter building or reach housing unit",
     "无法进入楼栋/到达住户（门禁、物业拦截）"),
    ("2.24", "NC", "No one at residence", "家中无人"),
    ("2.25", "NC", "Respondent away or unavailable", "受访者外出或无法接触"),
    ("2.3", "O", "Other eligible non-interview", "其他合格未访问"),
    ("2.31", "O", "Dead", "受访者已故"),
    ("2.32", "O", "Physically or mentally unable", "身体或精神原因无法受访"),
    ("2.33", "O", "Language problem", "语言障碍"),
    ("2.331", "O", "Household-level language problem", "户级语言障碍"),
    ("2.332", "O", "Respondent language problem", "受访者语言障碍"),
    ("2.333", "O", "No interviewer available for needed language", "无合适语言的访员"),
    ("2.36", "O", "Miscellaneous eligible non-interview", "其他原因未访问"),
    ("2.9", "O", "Miscellaneous", "其他"),
    ("3", "UH", "Unknown eligibility, non-interview", "合格性未知"),
    ("3.1", "UH", "Unknown if housing unit", "未知是否为住房单元"),
    ("3.11", "UH", "Not attempted or worked", "未尝试访问"),
    ("3.17", "UH", "Unable to reach or unsafe area", "无法到达/不安全区域"),
    ("3.18", "UH", "Unable to locate address", "找不到地址"),
    ("3.2", "UO", "Housing unit, unknown if eligible respondent", "住房单元，未知有无合格受访者"),
    ("3.21", "UO", "No screener completed", "未完成入户甄别"),
    ("3.3", "UO", "Unknown if person is a household resident", "未知是否为本户居民"),
    ("3.4", "UO", "Returned with forwarding information", "已转址"),
    ("3.5", "UO", "In dispute about delivery", "投递争议"),
    ("3.9", "UO", "Other unknown eligibility", "其他合格性未知"),
    ("4", "NE", "Not eligible", "不合格"),
    ("4.1", "NE", "Out of sample", "样本外（不在村居边界内）"),
    ("4.5", "NE", "Non-residence", "非住宅"),
    ("4.51", "NE", "Business, government office or other organisation", "商铺、办公或其他单位"),
    ("4.52", "NE", "Institution", "机构（养老院、医院等）"),
    ("4.53", "NE", "Group quarters", "集体宿舍"),
    ("4.6", "NE", "Vacant housing unit", "空置住房"),
    ("4.61", "NE", "Regular, vacant residence", "常规空置住房"),
    ("4.62", "NE", "Seasonal, vacation or temporary residence", "季节性/临时住房"),
    ("4.63", "NE", "Other vacant", "其他空置"),
    ("4.7", "NE", "No eligible respondent", "无合格受访者"),
    ("4.8", "NE", "Quota filled", "配额已满"),
    ("4.9", "NE", "Other not eligible", "其他不合格"),
)

#: Normalised code -> Disposition for every code in the scheme.
DISPOSITIONS: dict[str, Disposition] = {c: Disposition(c, cat, en, zh) for c, cat, en, zh in _TABLE}

#: The one list of final codes an interviewer of an in-person household survey records
#: (AAPOR Standard Definitions, Table 2): printed on the assignment sheet, offered by the
#: interviewer's visit dialog, known to the rates. Detailed codes only (the group headings
#: 2.1, 2.2, 3.1 ... are for tables, not for the door).
IN_PERSON_OUTCOMES: tuple[str, ...] = (
    "1.1", "1.2",
    "2.111", "2.112", "2.12",
    "2.23", "2.24", "2.25",
    "2.31", "2.32", "2.33", "2.36",
    "3.11", "3.17", "3.18", "3.21", "3.9",
    "4.1", "4.51", "4.52", "4.53", "4.61", "4.62", "4.63", "4.7", "4.9",
)

#: The outcomes a questionnaire session itself ends with (complete, partial).
INTERVIEW_OUTCOMES: tuple[str, ...] = ("1.1", "1.2")

#: What a recorded visit can be: every in-person code except 3.11 "not attempted or
#: worked", which is what a case *without* any visit is (a visit is an attempt).
#: 1.1 and 1.2 stay: an interview done on paper when the device failed is recorded so.
VISIT_OUTCOMES: tuple[str, ...] = tuple(c for c in IN_PERSON_OUTCOMES if c != "3.11")

_CODE_RE = re.compile(r"^[1-4](\.\d+)?$")


def normalise_code(value: object) -> str | None:
    """Return a code as a string without trailing zeros (``2.110`` -> ``"2.11"``), or None.

    Numbers and strings are accepted; None/NaN/empty give None; anything that is not a
    code of the form ``d`` or ``d.ddd`` with d in 1–4 gives None too.
    """
    if value is None:
        return None
    if isinstance(value, float):
        if np.isnan(value):
            return None
        text = str(float(value))
    else:
        text = str(value).strip()
    if not text or text.lower() in ("nan", "na", "<na>", "none"):
        return None
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if _CODE_RE.match(text) else None


def lookup_disposition(value: object) -> Disposition | None:
    """Return the Disposition for a code read by prefix (2.111 -> 2.11 -> R), or None."""
    code = normalise_code(value)
    while code:
        found = DISPOSITIONS.get(code)
        if found is not None:
            return found
        code = code[:-1].rstrip(".")
    return None


def category_of(value: object) -> str | None:
    """The outcome group of a final code (read by prefix) or of a group name, or None.

    ``"2.111"`` -> ``"R"``; ``"nc"`` and ``"NC"`` -> ``"NC"`` (the AAPOR group names are
    accepted as codes, as per-case files of R's ``outcomerate`` carry them); a code followed
    by its label (``"2.24 家中无人"``, ``"1.1 Complete interview"``) is read by its code.
    """
    if isinstance(value, str):
        name = value.strip().upper()
        if name in CATEGORY_LABELS:
            return name
        head = value.strip().split(maxsplit=1)
        if len(head) == 2 and normalise_code(head[0]) is not None:
            value = head[0]  # "2.24 家中无人", as outcome_label and many CATI systems write it
    found = lookup_disposition(value)
    return None if found is None else found.category


def outcome_label(code: str, lang: str, *, with_code: bool = True) -> str:
    """The label of an AAPOR code in ``lang`` (``zh`` or ``en``), e.g. ``2.24 家中无人``.

    A code that is not in the scheme is returned as given.
    """
    d = lookup_disposition(code)
    if d is None:
        return code
    label = d.label_zh if lang.startswith("zh") else d.label_en
    return f"{code} {label}" if with_code else label


def disposition_categories(
    codes: Iterable[object] | pd.Series,
    *,
    file: str | None = None,
    field: str = "disposition",
    first_row: int = 2,
) -> np.ndarray:
    """Map codes to integer category indices into :data:`CATEGORIES`, vectorised.

    Only the distinct codes are looked up, so this is fast for millions of cases.

    Parameters
    ----------
    codes
        Disposition codes (strings or numbers).
    file, field, first_row
        Where the codes came from, for the error message (``first_row`` is the file row
        of the first code; 2 for a CSV with a header).

    Returns
    -------
    numpy.ndarray
        ``int8`` array of indices into :data:`CATEGORIES`.

    Raises
    ------
    InputError
        If a code is missing or is not an AAPOR final disposition code.
    """
    series = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    uniques_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    index = {c: i for i, c in enumerate(CATEGORIES)}
    table = np.empty(len(uniques) + 1, dtype=np.int8)
    table[-1] = -1  # NA sentinel
    for k, value in enumerate(uniques):
        found = category_of(value)
        table[k] = -1 if found is None else index[found]
    out = table[uniques_codes]
    bad = np.flatnonzero(out < 0)
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{bad.size} case(s) have no valid AAPOR final disposition code",
            file=file,
            row=first_row + i,
            field=field,
            expected="an AAPOR code such as 1.1, 2.11, 2.24, 3.18 or 4.61 (1.x interview, "
            "2.x eligible non-interview, 3.x unknown eligibility, 4.x not eligible), or an "
            "AAPOR outcome group I, P, R, NC, O, UH, UO or NE",
            got="an empty cell" if pd.isna(series.iloc[i]) else repr(series.iloc[i]),
            hint="Give every case its final code (the most informative outcome of its attempts)",
        )
    return out
