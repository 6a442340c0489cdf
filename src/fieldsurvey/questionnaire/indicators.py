"""The indicators a questionnaire declares, and the one way their answers are scored.

A form marks the questions that feed its headline figures with extra survey columns
(XLSForm survey sheet, or the same keys on a YAML item):

``indicator``
    ``satisfaction`` (a rating scale), ``participation`` (a select_multiple of activities
    with an exclusive "none of these" choice, or a rating scale such as willingness) or
    ``need`` (a select_multiple of needs).
``indicator_direction``
    For a scale (a ``select_one`` whose codes are whole numbers): ``ascending`` when the
    highest code is the most favourable (5 非常满意), ``descending`` when the lowest is.
    A scale without a direction is refused.
``indicator_index``
    The name of the composite index the item joins (e.g. ``satisfaction_index``).
``indicator_missing``
    Codes on the scale that count as missing besides the choices marked ``missing`` in
    the choices sheet and the form's special answers (不知道 -8, 拒绝回答 -9).

The composite index is defined here and nowhere else: each item is put on 0-100 as
100 (x - lo) / (hi - lo) after turning a descending scale round, special and missing
codes are left out, a respondent who answered at least half of the items (rounded up)
gets the mean of the answered items, and the index is the weighted mean of that score
(:func:`fieldsurvey.estimate.satisfaction_index` over :func:`scored` columns).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import Form, LangText, Question

__all__ = [
    "COLUMNS",
    "KINDS",
    "Composite",
    "Indicator",
    "Indicators",
    "read_indicators",
]

#: The kinds of indicator a form can declare.
KINDS: tuple[str, ...] = ("satisfaction", "participation", "need")
#: The survey columns of the declaration.
COLUMNS: tuple[str, ...] = ("indicator", "indicator_direction", "indicator_index",
                            "indicator_missing")
_DIRECTIONS = {
    "ascending": "ascending", "asc": "ascending", "up": "ascending", "+": "ascending",
    "higher_is_better": "ascending", "increasing": "ascending",
    "descending": "descending", "desc": "descending", "down": "descending", "-": "descending",
    "lower_is_better": "descending", "decreasing": "descending",
}


@dataclass(frozen=True)
class Indicator:
    """One declared indicator item.

    Attributes
    ----------
    name, kind, type
        Question name, one of :data:`KINDS`, and the question type.
    label
        The question's label (per language).
    scale
        ``(lo, hi)`` of a rating scale, ``None`` for a select_multiple.
    direction
        ``"ascending"`` or ``"descending"`` for a scale.
    missing
        Codes that count as missing (special answers and choices marked missing).
    index
        The composite index the item joins, if any.
    options
        Substantive choices of a select_multiple (the "none" choice left out), with labels.
    none
        The exclusive "none of these" choice of a select_multiple, if any.
    row
        Source row of the question (for messages).
    """

    name: str
    kind: str
    type: str
    label: LangText
    scale: tuple[int, int] | None = None
    direction: str | None = None
    missing: tuple[int, ...] = ()
    index: str | None = None
    options: tuple[tuple[str, LangText], ...] = ()
    none: str | None = None
    row: int | None = None

    @property
    def is_scale(self) -> bool:
        """True for a rating scale (select_one with whole-number codes)."""
        return self.scale is not None

    @property
    def any_column(self) -> str:
        """Name of the derived 0/1 column "chose any option but none" of a select_multiple."""
        return f"{self.name}_any"

    def option_columns(self) -> list[str]:
        """The 0/1 columns of the substantive options (``b1_1``, ``b1_2`` ...)."""
        return [f"{self.name}_{code}" for code, _ in self.options]


@dataclass(frozen=True)
class Composite:
    """A composite 0-100 index over several scale items (see the module docstring)."""

    name: str
    items: tuple[str, ...]
    scale: tuple[int, int]
    min_items: int

    def describe(self, lang: str = "zh") -> str:
        """One sentence saying how the index is made, for report notes and screens."""
        items = "、".join(self.items) if lang == "zh" else ", ".join(self.items)
        lo, hi = self.scale
        if lang == "zh":
            return (f"综合指数：{len(self.items)} 题（{items}）各按 100×(x−{lo})/({hi}−{lo}) "
                    f"计为 0–100 分（反向量表先倒转），特殊回答与“不了解”等缺失码不计；"
                    f"至少回答 {self.min_items} 题者取已答题的平均分，指数为其加权均值。")
        return (f"{self.name}: the {len(self.items)} items ({items}) each scored "
                f"100 (x - {lo}) / ({hi} - {lo}) (descending scales turned round); special "
                f"answers and missing codes left out; respondents answering at least "
                f"{self.min_items} items get the mean of the answered items; the index is "
                "the weighted mean of that score.")


@dataclass(frozen=True)
class Indicators:
    """The indicators a form declares and its composite indices."""

    items: tuple[Indicator, ...]
    composites: tuple[Composite, ...] = ()
    form_id: str = ""
    source: str | None = field(default=None, compare=False)

    def of_kind(self, kind: str) -> tuple[Indicator, ...]:
        """The items of one kind, in form order."""
        return tuple(i for i in self.items if i.kind == kind)

    def get(self, name: str) -> Indicator:
        """The indicator of question ``name`` (KeyError if not declared)."""
        for i in self.items:
            if i.name == name:
                return i
        raise KeyError(name)

    @property
    def scales(self) -> tuple[Indicator, ...]:
        """Every rating-scale item (satisfaction and scale participation items)."""
        return tuple(i for i in self.items if i.is_scale)

    @property
    def headline(self) -> Composite | None:
        """The composite satisfaction index (the first composite of satisfaction items)."""
        for c in self.composites:
            if any(self.get(n).kind == "satisfaction" for n in c.items):
                return c
        return self.composites[0] if self.composites else None

    @property
    def participation_any(self) -> Indicator | None:
        """The select_multiple whose "any activity" share is the participation rate."""
        return next((i for i in self.of_kind("participation") if not i.is_scale), None)

    def scored(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``frame`` with every indicator column scored for estimation.

        Scale items become floats oriented so that the highest code is the most
        favourable, with special and missing codes as NaN; the option columns of a
        select_multiple become 0/1 floats (NaN when the question was not answered or got
        a special answer) and ``<name>_any`` says whether any option but "none" was
        chosen. Columns absent from ``frame`` stay absent.
        """
        out = frame.copy()
        for ind in self.items:
            if ind.is_scale:
                if ind.name in out.columns:
                    out[ind.name] = _score_scale(out[ind.name], ind)
                continue
            cols = [c for c in (*ind.option_columns(),
                                *([f"{ind.name}_{ind.none}"] if ind.none else []))
                    if c in out.columns]
            if not cols:
                continue
            block = out[cols].apply(pd.to_numeric, errors="coerce").astype(float)
            block = block.where(block.isin([0.0, 1.0]))
            answered = block.notna().all(axis=1)
            for c in cols:
                out[c] = block[c].where(answered)
            opts = [c for c in ind.option_columns() if c in block.columns]
            if opts:
                chose = (block[opts].sum(axis=1) > 0).astype(float)
                out[ind.any_column] = chose.where(answered)
        return out


def _score_scale(values: pd.Series, ind: Indicator) -> pd.Series:
    assert ind.scale is not None
    lo, hi = ind.scale
    v = pd.to_numeric(values, errors="coerce").astype(float)
    v = v.where(~v.isin([float(c) for c in ind.missing]))
    v = v.where((v >= lo) & (v <= hi))
    if ind.direction == "descending":
        v = lo + hi - v
    return v


def _declared(q: Question, fallback: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The declaration of one question: its extra columns, else what the file says."""
    extra = getattr(q, "extra", None)
    pairs: Iterable[tuple[Any, Any]] = ()
    if isinstance(extra, Mapping):
        pairs = extra.items()
    elif extra is not None:
        pairs = extra
    out = {}
    for k, v in pairs:
        key = str(k).strip().lower()
        if key in COLUMNS and v is not None and str(v).strip():
            out[key] = str(v).strip()
    if not out:
        out = {k: str(v).strip() for k, v in fallback.get(q.name, {}).items()
               if v is not None and str(v).strip()}
    return out


def _from_file(source: str | None) -> dict[str, dict[str, str]]:
    """Declarations read straight from the form file, for a model without ``extra``."""
    if not source or not Path(source).is_file():
        return {}
    path = Path(source)
    out: dict[str, dict[str, str]] = {}
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            return {}

        def walk(items: Any) -> None:
            for it in items if isinstance(items, list) else []:
                if not isinstance(it, Mapping):
                    continue
                decl = {str(k).lower(): str(v) for k, v in it.items()
                        if str(k).lower() in COLUMNS and v is not None}
                if decl and it.get("name"):
                    out[str(it["name"])] = decl
                walk(it.get("children"))

        walk(doc.get("survey") if isinstance(doc, Mapping) else None)
        return out
    from fieldsurvey.questionnaire.xlsform import read_workbook

    try:
        sheet = read_workbook(path).get("survey", [])
    except (OSError, ValueError, QuestionnaireError):
        return {}
    if not sheet:
        return {}
    headers = [(h or "").strip().lower() for h in sheet[0][1]]
    if "name" not in headers:
        return {}
    at = {h: i for i, h in enumerate(headers) if h in COLUMNS}
    ni = headers.index("name")
    for _, cells in sheet[1:]:
        name = cells[ni] if ni < len(cells) else None
        decl = {h: cells[i] for h, i in at.items() if i < len(cells) and cells[i]}
        if name and decl:
            out[str(name)] = {k: str(v) for k, v in decl.items()}
    return out


def _error(form: Form, q: Question, column: str, message: str, **kw: Any) -> QuestionnaireError:
    return QuestionnaireError(message, file=form.source, sheet="survey", row=q.row,
                              field=column, **kw)


def _codes(form: Form, q: Question, extra_missing: str | None) -> tuple[tuple[int, int] | None,
                                                                        tuple[int, ...]]:
    """The (lo, hi) of a select_one scale and its missing codes."""
    choices = form.choices(q)
    missing = {s.code for s in form.special_for(q)}
    if extra_missing:
        for tok in extra_missing.replace(",", " ").split():
            try:
                missing.add(int(tok))
            except ValueError:
                raise _error(form, q, "indicator_missing", "a missing code is not a whole number",
                             expected="codes such as 8 or -8 -9", got=repr(tok),
                             hint="List the scale's codes that count as missing, separated by "
                             "spaces") from None
    points: list[int] = []
    for c in choices:
        try:
            code = int(c.name)
        except ValueError:
            raise _error(form, q, "indicator", "a rating scale needs whole-number codes",
                         expected="choices named 1, 2, 3 ...", got=f"choice {c.name!r} of list "
                         f"{q.choice_list}", hint="Give the scale's choices numeric names, or "
                         "leave the question without an indicator") from None
        if c.missing:
            missing.add(code)
        elif code not in missing:
            points.append(code)
    if len(points) < 2:
        raise _error(form, q, "indicator", "a rating scale needs at least two points",
                     got=f"{len(points)} substantive choice(s) in list {q.choice_list}")
    lo, hi = min(points), max(points)
    if sorted(points) != list(range(lo, hi + 1)):
        raise _error(form, q, "indicator", "a rating scale's points must be consecutive codes",
                     expected=f"{lo}..{hi}", got=", ".join(map(str, sorted(points))),
                     hint="Mark codes that are not points of the scale as missing (choices "
                     "column 'missing', or indicator_missing)")
    return (lo, hi), tuple(sorted(missing))


def _one(form: Form, q: Question, decl: dict[str, str]) -> Indicator:
    kind = decl.get("indicator", "").lower()
    if kind not in KINDS:
        raise _error(form, q, "indicator", f"unknown indicator {kind!r} on question {q.name}",
                     expected=" | ".join(KINDS), got=repr(decl.get("indicator", "")),
                     hint="Declare satisfaction, participation or need, or leave the cell empty")
    if q.type not in ("select_one", "select_multiple"):
        raise _error(form, q, "indicator",
                     f"indicator {kind!r} is declared on {q.type} question {q.name}",
                     expected="a select_one rating scale or a select_multiple",
                     got=f"type {q.type}",
                     hint="Indicators are computed from coded answers; remove the indicator "
                     f"from {q.name} or declare it on a coded question")
    direction_raw = decl.get("indicator_direction")
    if q.type == "select_multiple":
        if kind == "satisfaction":
            raise _error(form, q, "indicator", f"satisfaction is declared on select_multiple "
                         f"question {q.name}", expected="a select_one rating scale",
                         got="select_multiple", hint="Declare it participation or need")
        for col in ("indicator_direction", "indicator_index"):
            if decl.get(col):
                raise _error(form, q, col, f"{col} is given for select_multiple question "
                             f"{q.name}", expected="an empty cell (only scales have a "
                             "direction or join an index)", got=repr(decl[col]))
        choices = form.choices(q)
        none = next((c.name for c in choices if c.exclusive), None)
        special = {str(s.code) for s in form.special_for(q)}
        opts = tuple((c.name, c.label) for c in choices
                     if not c.exclusive and not c.missing and c.name not in special
                     and c.name != "other")
        return Indicator(name=q.name, kind=kind, type=q.type, label=q.label, options=opts,
                         none=none, row=q.row)
    if kind == "need":
        raise _error(form, q, "indicator", f"need is declared on select_one question {q.name}",
                     expected="a select_multiple of needs", got="select_one",
                     hint="Declare need on the select_multiple questions of the needs list")
    if not direction_raw:
        raise _error(form, q, "indicator_direction",
                     f"the rating scale of {q.name} has no direction",
                     expected="ascending (highest code most favourable) or descending",
                     hint=f"Fill indicator_direction for {q.name}: without it the index "
                     "could run the wrong way")
    direction = _DIRECTIONS.get(direction_raw.strip().lower())
    if direction is None:
        raise _error(form, q, "indicator_direction", f"unknown direction for {q.name}",
                     expected="ascending or descending", got=repr(direction_raw))
    scale, missing = _codes(form, q, decl.get("indicator_missing"))
    return Indicator(name=q.name, kind=kind, type=q.type, label=q.label, scale=scale,
                     direction=direction, missing=missing,
                     index=decl.get("indicator_index") or None, row=q.row)


def read_indicators(form: Form, *,
                    declarations: Mapping[str, Mapping[str, str]] | None = None) -> Indicators:
    """The indicators ``form`` declares (see the module docstring), checked.

    Parameters
    ----------
    form
        A loaded questionnaire. The declaration is read from the questions' extra
        columns, or (for a model that does not keep them) from the form file itself.
    declarations
        Declarations given instead, ``{question: {"indicator": ..., ...}}``.

    Raises
    ------
    QuestionnaireError
        An indicator on a question that cannot carry one (text, date, ...), an unknown
        kind, a scale without a direction or with gaps, composite items on different
        scales, or a declaration naming a question the form does not have.
    """
    fallback: Mapping[str, Mapping[str, str]]
    if declarations is not None:
        fallback = declarations
        unknown = [n for n in declarations if n not in form.items_by_name]
        if unknown:
            raise QuestionnaireError("an indicator is declared for a question the form does "
                                     "not have", file=form.source, field=unknown[0],
                                     got=", ".join(unknown[:5]))
    else:
        fallback = _from_file(form.source)
    items: list[Indicator] = []
    for q in form.questions:
        decl = dict(declarations.get(q.name, {})) if declarations is not None \
            else _declared(q, fallback)
        decl = {k.lower(): str(v).strip() for k, v in decl.items() if v is not None
                and str(v).strip()}
        if not decl:
            continue
        if "indicator" not in decl:
            col = next(iter(decl))
            raise _error(form, q, col, f"{col} is given for {q.name} without an indicator",
                         expected="indicator = satisfaction | participation | need",
                         got=repr(decl[col]))
        items.append(_one(form, q, decl))
    comps: dict[str, list[Indicator]] = {}
    for ind in items:
        if ind.index:
            comps.setdefault(ind.index, []).append(ind)
    composites = []
    for name, members in comps.items():
        scales = {m.scale for m in members}
        if len(scales) > 1:
            m = members[-1]
            q = form.question(m.name)
            raise _error(form, q, "indicator_index", f"the items of index {name} are on "
                         "different scales", got=", ".join(f"{x.name} {x.scale}" for x in members),
                         hint="An index averages items of one scale; give the others their "
                         "own index")
        scale = members[0].scale
        assert scale is not None
        composites.append(Composite(name=name, items=tuple(m.name for m in members),
                                    scale=scale, min_items=math.ceil(len(members) / 2)))
    return Indicators(items=tuple(items), composites=tuple(composites), form_id=form.form_id,
                      source=form.source)


def needs_ranking(frame: pd.DataFrame, indicators: Indicators,
                  weights: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The need options ranked by the (weighted) share naming them, highest first."""
    scored = indicators.scored(frame)
    w = np.ones(len(scored)) if weights is None else np.asarray(weights, dtype=float)
    out = []
    for ind in indicators.of_kind("need"):
        for col in ind.option_columns():
            if col in scored.columns:
                v = scored[col].to_numpy(float)
                ok = ~np.isnan(v)
                if ok.any() and w[ok].sum() > 0:
                    out.append((col, float(np.sum(w[ok] * v[ok]) / np.sum(w[ok]))))
    return sorted(out, key=lambda kv: -kv[1])
