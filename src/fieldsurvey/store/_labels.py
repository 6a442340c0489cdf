"""What exports need from a questionnaire.

types, labels in each language, choices, special answers and personal-data flags, reduced to
plain data.

The store itself never needs the form (answers are question name + instance + typed
value); only the exports' labels do. Without a form, exports still work, with the names
as labels and the values as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["FormSpec", "QuestionSpec", "combine_specs", "form_spec", "label_text", "safe_name"]


@dataclass(frozen=True)
class QuestionSpec:
    """One question as the exports see it."""

    name: str
    type: str
    label: dict[str, str] = field(default_factory=dict)
    choices: tuple[tuple[str, dict[str, str]], ...] = ()
    sensitive: bool = False
    special: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()  # numeric choices the form marks missing (8 不了解)

    @property
    def numeric_choices(self) -> bool:
        """True when every choice name is an integer (``"1"``, ``"8"``)."""
        return bool(self.choices) and all(re.fullmatch(r"-?\d+", c) for c, _ in self.choices)


@dataclass(frozen=True)
class FormSpec:
    """The questions (in form order) and the special answers of a form."""

    form_id: str
    version: str
    languages: tuple[str, ...]
    questions: dict[str, QuestionSpec]
    specials: tuple[tuple[int, str, dict[str, str]], ...]


def form_spec(form: Any) -> FormSpec:
    """Reduce a :class:`fieldsurvey.questionnaire.model.Form` to a :class:`FormSpec`."""
    qs: dict[str, QuestionSpec] = {}
    for q in form.questions:
        if q.type == "note":
            continue
        listed = form.choices(q) if q.is_select else ()
        choices = tuple((c.name, c.label.as_dict()) for c in listed)
        missing = tuple(int(c.name) for c in listed
                        if getattr(c, "missing", False) and re.fullmatch(r"-?\d+", c.name))
        qs[q.name] = QuestionSpec(q.name, q.type, q.label.as_dict(), choices, bool(q.sensitive),
                                  tuple(q.special), missing)
    specials = tuple((s.code, s.name, s.label.as_dict()) for s in form.settings.special_answers)
    return FormSpec(form.form_id, form.version, tuple(form.languages), qs, specials)


def combine_specs(specs: list[FormSpec]) -> FormSpec | None:
    """One spec for several versions of a form (or several forms), oldest first.

    every question of any version; a question is personal data when any version says so; its
    type, labels and choices from the newest version that has it; every special answer.
    """
    if not specs:
        return None
    if len(specs) == 1:
        return specs[0]
    questions: dict[str, QuestionSpec] = {}
    for spec in specs:
        for name, q in spec.questions.items():
            old = questions.get(name)
            if old is not None:
                q = replace(q, sensitive=q.sensitive or old.sensitive,
                            special=tuple(sorted(set(q.special) | set(old.special))),
                            missing=tuple(sorted(set(q.missing) | set(old.missing))))
            questions[name] = q
    specials: dict[int, tuple[int, str, dict[str, str]]] = {}
    for spec in specs:
        for item in spec.specials:
            specials.setdefault(item[0], item)
    languages = tuple(dict.fromkeys(lang for s in specs for lang in s.languages))
    last = specs[-1]
    return FormSpec(last.form_id, " + ".join(s.version for s in specs), languages, questions,
                    tuple(specials.values()))


def label_text(texts: dict[str, str], language: str | None) -> str:
    """A label in ``language``.

    with ``None`` all languages joined by " / " (e.g. "性别 / Sex").
    """
    if not texts:
        return ""
    if language is not None:
        for k, v in texts.items():
            if k == language or k.lower().endswith(f"({language.lower()})"):
                return v
        return next(iter(texts.values()))
    seen: list[str] = []
    for v in texts.values():
        if v and v not in seen:
            seen.append(v)
    return " / ".join(seen)


_BAD = re.compile(r"[^A-Za-z0-9_]")


def safe_name(name: str) -> str:
    """A variable name SPSS and Stata accept.

    letters, digits, underscore, starting with a letter (others replaced by ``_``; a leading
    digit or underscore gets ``v``).
    """
    out = _BAD.sub("_", name)
    if not out or not out[0].isalpha():
        out = "v" + out
    return out
