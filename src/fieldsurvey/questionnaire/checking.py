"""Checking answers: what a question accepts, and what the interview still lacks.

:class:`AnswerChecks` is the runner's judge. ``validate`` gives the reason a value is
refused (its kind, a choice not offered, a constraint, a read-only question) or ``None``;
``choices`` applies ``choice_filter``; ``missing_required`` lists what blocks the end.

Soft checks (issue 17): a question's ``warning`` expression (column ``warning``, message
``warning_message``; ``.`` is the answer) that comes out false gives a :class:`Warning`
the interviewer may confirm with a reason; ``warnings()`` lists the open ones. Unlike a
constraint, a warning never blocks an answer or the end of the interview.

Terminal behaviour: a media answer (``image``, ``audio``, ``video``, ``file``) is the
path of an existing file (:func:`media_fingerprint` gives the SHA-256 and size a store
keeps beside it); a geopoint's typed accuracy worse than its ``warning-accuracy``
parameter is a soft warning.

Completion by rule: ``completion()`` gives the share of applicable questions answered
(or of the essential ones, when the form lists them) and the status it means under the
form's thresholds (AAPOR defaults: break-off < 50 %, partial 50–80 %, complete ≥ 80 %).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldsurvey.questionnaire.checks import TEXT_REF
from fieldsurvey.questionnaire.messages import say
from fieldsurvey.questionnaire.model import (
    MEDIA_TYPES,
    AnswerValue,
    Choice,
    LangText,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.sequence import StepSequence
from fieldsurvey.questionnaire.state import InterviewState
from fieldsurvey.questionnaire.steps import Step
from fieldsurvey.questionnaire.values import KIND_CHECKS
from fieldsurvey.questionnaire.xpath import to_bool, to_str

__all__ = ["AnswerChecks", "Completion", "SoftWarning", "media_fingerprint"]


@dataclass(frozen=True)
class SoftWarning:
    """An open soft check: the answer at ``key`` is unusual (``message``)."""

    key: str
    name: str
    message: str
    expression: str


@dataclass(frozen=True)
class Completion:
    """How much of an interview is done and what that makes it.

    ``share`` is answered / applicable (``applicable`` counts the relevant input
    questions, or the relevant essential ones when the form lists them; a special answer
    such as 不知道 counts as answered); ``status`` is ``complete``, ``partial`` or
    ``break-off`` by the form's thresholds.
    """

    answered: int
    applicable: int
    share: float
    status: str
    basis: str  # "applicable" or "essential"


class AnswerChecks:
    """Validation, soft checks and completion over the state (see the module docstring)."""

    def __init__(self, state: InterviewState, seq: StepSequence, language: str | None) -> None:
        self.state = state
        self.seq = seq
        self.language = language

    def message(self, text: LangText, fallback: str) -> str:
        """A form text in the interview's language, or ``fallback`` when the form has none."""
        return text.get(self.language, self.state.form.default_language) if text else fallback

    def fill(self, raw: str, scope: tuple[str, ...], inst: tuple[int, ...]) -> str:
        """``raw`` with ``${name}`` replaced by the current values."""
        if "${" not in raw:
            return raw
        self.state.refresh()
        ctx = self.state.ctx.set(scope, inst)
        return TEXT_REF.sub(lambda m: _show(ctx.ref(m.group(1).strip())), raw)

    def choice_text(self, choice: Choice, step: Step, lang: str | None = None) -> str:
        """``choice``'s label at ``step`` in ``lang`` with ``${name}`` filled in.

        As ODK fills a choice label: with the current values seen from the question's
        repeat instance, for every list (filtered or not, the form's own or an
        attachment's). The choice's name when it has no label.
        """
        raw = choice.label.get(lang or self.language, self.state.form.default_language)
        if not raw:
            return choice.name
        q = step.question
        if q is None or "${" not in raw:
            return raw
        return self.fill(raw, self.state.plan.scope[q.name], step.instance)

    def choices(self, step: Step) -> tuple[Choice, ...]:
        """The choices shown at a select question (after its ``choice_filter``)."""
        q = step.question
        if q is None or not q.is_select:
            return ()
        st = self.state
        all_choices = st.form.choices(q)
        fn = st.plan.choice_filter.get(q.name)
        if fn is None:
            return all_choices
        st.refresh()
        fast = st.plan.filter_index.get(q.name)
        ctx = st.ctx.set(st.plan.scope[q.name], step.instance)
        if fast is not None:  # col = value [and ...]: an index lookup instead of a scan
            _columns, value_fns, index = fast
            key = tuple(_key_text(fn(ctx)) for fn in value_fns)
            if all(k is not None for k in key):
                return index.get(key, ())
        out = []
        for c in all_choices:
            ctx.choice = c
            if to_bool(fn(ctx)):
                out.append(c)
        ctx.choice = None
        return tuple(out)

    def missing_required(self) -> list[Step]:
        """Relevant required questions still without an answer."""
        out = []
        st = self.state
        for s, ok in self.seq.with_relevance():
            q = s.question
            if ok and q is not None and q.is_input and not st.has_answer(s.key, q.name):
                if self.required(s):
                    out.append(s)
        return out

    def required(self, step: Step) -> bool:
        """Whether the question at ``step`` must be answered.

        ``required`` may be an expression, evaluated in the step's repeat instance.
        """
        q = step.question
        if q is None or not q.is_input:
            return False
        fn = self.state.plan.required.get(q.name)
        if fn is None:
            return q.required
        st = self.state
        st.refresh()
        return to_bool(fn(st.ctx.set(st.plan.scope[q.name], step.instance,
                                     st.answers.get(step.key))))

    def validate(self, value: AnswerValue, step: Step) -> str | None:
        """The message why ``value`` is not acceptable at ``step``, or None."""
        q = step.question
        lang = self.language
        form = self.state.form
        if q is None or not q.is_input:
            return say("no_question", lang)
        if value is None or value == "" or value == ():
            return None
        if isinstance(value, SpecialAnswer):
            allowed = {s.code for s in form.special_for(q)}
            return None if value.code in allowed else say("special_not_allowed", lang,
                                                          value=value, name=q.name)
        if not KIND_CHECKS[q.type](value):
            return say("wrong_kind", lang, value=repr(value), kind=say(f"kind_{q.type}", lang))
        problem = self._parameters(q.parameters, value) if q.parameters else None
        if problem:
            return problem
        if q.type in MEDIA_TYPES and isinstance(value, str) and not Path(value).is_file():
            return say("no_file", lang, path=value)
        if q.is_select:
            problem = self._choice_problem(value, step)
            if problem:
                return problem
        fn = self.state.plan.constraint.get(q.name)
        if fn is not None:
            st = self.state
            st.refresh()
            check_value: Any = " ".join(value) if isinstance(value, tuple) else value
            if not to_bool(fn(st.ctx.set(st.plan.scope[q.name], step.instance, check_value))):
                return self.message(
                    q.constraint_message,
                    say("not_acceptable", lang)
                    + (f" ({q.constraint.source})" if q.constraint else ""),
                )
        return None

    def _choice_problem(self, value: AnswerValue, step: Step) -> str | None:
        lang = self.language
        shown = {c.name: c for c in self.choices(step)}
        picked: tuple[str, ...] = (
            (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ()
        )
        for v in picked:
            if v not in shown:
                return say("not_offered", lang, value=v)
        if len(set(picked)) != len(picked):
            return say("twice", lang)
        if len(picked) > 1 and any(shown[v].exclusive for v in picked):
            ex = next(v for v in picked if shown[v].exclusive)
            return say("exclusive", lang, value=ex)
        if step.question is not None and step.question.type == "rank":
            if len(picked) != len(shown):
                return say("rank_all", self.language)
        return None

    def _parameters(self, params: tuple[tuple[str, str], ...], value: AnswerValue) -> str | None:
        """``range`` start/end/step."""
        p = dict(params)
        if "start" not in p and "end" not in p:
            return None
        try:
            lo, hi = float(p.get("start", "0")), float(p.get("end", "10"))
            stp = float(p.get("step", "1"))
        except ValueError:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        x = float(value)
        low, high = min(lo, hi), max(lo, hi)
        on_step = stp == 0 or abs((x - lo) / stp - round((x - lo) / stp)) < 1e-9
        if not (low <= x <= high and on_step):
            return say("range", self.language, lo=_num(lo), hi=_num(hi), step=_num(stp))
        return None

    # ------------------------------------------------------------------ soft checks
    def warning_for(self, step: Step, value: AnswerValue | None = None) -> str | None:
        """The soft-check message at ``step`` for ``value`` (default: its answer), or None."""
        q = step.question
        if q is None:
            return None
        accuracy = self._accuracy_warning(step, value)
        if accuracy is not None:
            return accuracy
        fn = self.state.plan.warning.get(q.name)
        if fn is None:
            return None
        st = self.state
        st.refresh()
        v = st.answers.get(step.key) if value is None else value
        if v in (None, "", ()) or isinstance(v, SpecialAnswer):
            return None
        check_value: Any = " ".join(v) if isinstance(v, tuple) else v
        if to_bool(fn(st.ctx.set(st.plan.scope[q.name], step.instance, check_value))):
            return None
        text = self.message(q.warning_message, say("unusual", self.language))
        return self.fill(text, st.plan.scope[q.name], step.instance)

    def _accuracy_warning(self, step: Step, value: AnswerValue | None) -> str | None:
        """``warning-accuracy`` of a geopoint: a typed accuracy worse than it."""
        q = step.question
        if q is None or q.type != "geopoint" or "warning-accuracy" not in q.parameter:
            return None
        v = self.state.answers.get(step.key) if value is None else value
        parts = v.split() if isinstance(v, str) else []
        try:
            limit = float(q.parameter["warning-accuracy"])
            acc = float(parts[3]) if len(parts) > 3 else None
        except ValueError:
            return None
        if acc is None or acc <= limit:
            return None
        return say("accuracy", self.language, acc=_num(acc), limit=_num(limit))

    def warnings(self) -> list[SoftWarning]:
        """Every soft check that fails on a relevant answer, in interview order."""
        out = []
        for s, ok in self.seq.with_relevance():
            q = s.question
            if ok and q is not None and (q.warning is not None or q.type == "geopoint"):
                msg = self.warning_for(s)
                if msg is not None:
                    source = q.warning.source if q.warning is not None else "warning-accuracy"
                    out.append(SoftWarning(s.key, q.name, msg, source))
        return out

    # ------------------------------------------------------------------ completion
    def completion(self) -> Completion:
        """Share of applicable (or essential) questions answered and the resulting status."""
        st = self.state
        rules = st.form.settings.completion
        essential = set(rules.essential)
        answered = applicable = 0
        for s, ok in self.seq.with_relevance():
            q = s.question
            if not ok or q is None or not q.is_input or q.hidden:
                continue
            if essential and q.name not in essential:
                continue
            applicable += 1
            if st.answers.get(s.key) not in (None, "", ()):
                answered += 1
        share = answered / applicable if applicable else 1.0
        if share >= rules.complete - 1e-12:
            status = "complete"
        elif share >= rules.partial - 1e-12:
            status = "partial"
        else:
            status = "break-off"
        return Completion(answered, applicable, share, status,
                          "essential" if essential else "applicable")


def _key_text(v: Any) -> str | None:
    """A filter value as the text it equals in the index (None: use the scan)."""
    if isinstance(v, bool) or isinstance(v, list):
        return None
    if isinstance(v, float) and v != v:
        return "\0nan"  # equal to nothing
    return to_str(v)


def _num(x: float) -> str:
    return str(int(x)) if x.is_integer() else repr(x)


def _show(v: Any) -> str:
    if isinstance(v, float) and (math.isnan(v) or v.is_integer()):
        return "" if math.isnan(v) else str(int(v))
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, list):
        return " ".join(to_str(x) for x in v)
    return to_str(v)



def media_fingerprint(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size in bytes of a media answer's file."""
    import hashlib

    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size
