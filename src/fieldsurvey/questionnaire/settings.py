"""The settings of a form: their names, the :class:`~.model.Settings` they make, their rules.

Why a module of its own: the XLSForm reader, the YAML reader and the form builder all
need the same list of settings (which fieldsurvey acts on, which it keeps without acting
on, the headers an XLSForm may use for each); it is written once here, with the one
function that turns a settings row into :class:`~.model.Settings`.

The completion thresholds have rules of their own:
``completion_partial`` and ``completion_complete`` are shares of the applicable input
questions answered, as fractions (``0.5``) or percentages (``50`` or ``50%``);
``essential_questions`` names the questions whose share counts instead (spaces or
commas between names). Defaults follow AAPOR: break-off below 50 %, partial from 50 %,
complete from 80 %. Impossible thresholds (partial above complete, outside 0–100 %)
are an error naming the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import (
    DEFAULT_SPECIAL_ANSWERS,
    CompletionRules,
    Form,
    LangText,
    Settings,
    SpecialAnswer,
)
from fieldsurvey.questionnaire.problems import Problems
from fieldsurvey.questionnaire.rows import TRUE_WORDS, lang_text

__all__ = [
    "KEPT_SETTINGS",
    "SETTINGS_COLUMNS",
    "USED_SETTINGS",
    "YAML_SETTINGS",
    "check_default_language",
    "completion_rules",
    "form_settings",
]

#: Settings fieldsurvey acts on: name -> the headers an XLSForm may give it under.
USED_SETTINGS: dict[str, tuple[str, ...]] = {
    "form_id": ("form_id", "set_form_id", "id_string"),
    "version": ("version",),
    "default_language": ("default_language",),
    "title": ("form_title", "set_form_title", "title"),
    "completion_partial": ("completion_partial",),
    "completion_complete": ("completion_complete",),
    "essential_questions": ("essential_questions",),
    "allow_choice_duplicates": ("allow_choice_duplicates",),
}
#: Settings stored on the form (``Settings.other``) but not acted on, except
#: ``add_none_option`` (see the README's XLSForm table); a YAML form may give them too.
KEPT_SETTINGS: tuple[str, ...] = (
    "instance_name", "style", "public_key", "submission_url", "add_none_option",
)
#: Further ODK settings an XLSForm may carry, stored in ``Settings.other`` as well.
_ODK_SETTINGS: tuple[str, ...] = (
    "namespaces", "auto_send", "auto_delete", "clean_text_values", "name", "omit_instanceid",
    "client_editable",
)
#: Every setting an XLSForm settings sheet may hold: name -> accepted headers (lower case).
SETTINGS_COLUMNS: dict[str, tuple[str, ...]] = {
    **USED_SETTINGS, **{k: (k,) for k in (*KEPT_SETTINGS, *_ODK_SETTINGS)},
}
#: The keys of a YAML form's ``settings`` mapping -> the setting each names.
YAML_SETTINGS: dict[str, str] = {
    key: name
    for name in (*USED_SETTINGS, *KEPT_SETTINGS)
    for key in (("form_title", "title") if name == "title" else (name,))
}


def _share(cells: Mapping[str, Any], key: str, default: float) -> float:
    raw = cells.get(key)
    if raw in (None, ""):
        return default
    text = str(raw).strip()
    percent = text.endswith("%")
    try:
        x = float(text.rstrip("%").strip())
    except ValueError:
        raise QuestionnaireError(
            f"setting {key} is not a share", sheet="settings", field=key, got=repr(text),
            expected="a fraction such as 0.8 or a percentage such as 80%",
        ) from None
    if percent or x > 1:
        x /= 100
    if not 0 <= x <= 1:
        raise QuestionnaireError(
            f"setting {key} is outside 0-100 %", sheet="settings", field=key, got=repr(text),
        )
    return x


def completion_rules(cells: Mapping[str, Any]) -> CompletionRules:
    """The completion rules of a settings row (see the module docstring)."""
    partial = _share(cells, "completion_partial", 0.5)
    complete = _share(cells, "completion_complete", 0.8)
    if partial > complete:
        raise QuestionnaireError(
            f"completion_partial ({partial:.0%}) is above completion_complete ({complete:.0%})",
            sheet="settings", field="completion_partial",
            hint="An interview must be partial before it can be complete: set "
            "completion_partial at or below completion_complete (AAPOR: 50 % and 80 %)",
        )
    raw = str(cells.get("essential_questions") or "").strip()
    essential = tuple(n for n in re.split(r"[\s,;]+", raw) if n)
    return CompletionRules(partial, complete, essential)


def form_settings(
    cells: Mapping[str, Any], specials: Sequence[SpecialAnswer] | None, default_id: str,
    problems: Problems,
) -> Settings:
    """The :class:`~.model.Settings` of a settings row (setting name -> value).

    Settings fieldsurvey does not act on are kept in ``other`` (without the ``other:``
    prefix a reader gives a setting it does not know); impossible completion thresholds
    are reported to ``problems`` and the defaults used.
    """
    rules = CompletionRules()
    try:
        rules = completion_rules(cells)
    except QuestionnaireError as exc:
        problems.error(exc)
    other = tuple(sorted((str(k).removeprefix("other:"), str(v)) for k, v in cells.items()
                         if k not in USED_SETTINGS))
    dup = str(cells.get("allow_choice_duplicates") or "").strip().lower() in TRUE_WORDS
    return Settings(
        form_id=str(cells.get("form_id") or default_id),
        version=str(cells.get("version") or ""),
        default_language=str(cells["default_language"])
        if cells.get("default_language")
        else None,
        title=lang_text(cells.get("title")),
        special_answers=tuple(specials) if specials is not None else DEFAULT_SPECIAL_ANSWERS,
        completion=rules,
        allow_choice_duplicates=dup,
        other=other,
    )


def check_default_language(form: Form, problems: Problems) -> None:
    """Warn when ``default_language`` names none of the form's label languages."""
    lang = form.settings.default_language
    if lang and form.languages and LangText.of(dict.fromkeys(form.languages, "x")).get(
        lang, "\0none"
    ) == "x" and not any(_lang_matches(lang, lg) for lg in form.languages):
        problems.warn(QuestionnaireError(
            f"default_language '{lang}' matches no label language of the form",
            file=form.source, sheet="settings", field="default_language",
            expected=", ".join(form.languages),
            hint=f"Labels will be shown in {form.languages[0]}",
        ))


def _lang_matches(wanted: str, lang: str) -> bool:
    w, k = wanted.strip().lower(), lang.lower()
    return k == w or (k.endswith(")") and k.rsplit("(", 1)[-1].rstrip(")").strip() == w)
