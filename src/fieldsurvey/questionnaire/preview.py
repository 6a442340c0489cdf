"""Plain-text views of a form.

its structure (``form check``) and a readable preview in one language (``form preview``), for review
on paper or screen.
"""

from __future__ import annotations

from fieldsurvey.questionnaire.model import Form, Group, Item, Question, Repeat

__all__ = ["preview_text", "structure_text"]


def _lang_ok(form: Form, lang: str | None) -> str | None:
    return lang or form.default_language


def preview_text(form: Form, lang: str | None = None) -> str:
    """The questionnaire as text in ``lang``: sections, questions, choices, skips, checks."""
    lang = _lang_ok(form, lang)
    d = form.default_language
    lines = [
        form.settings.title.get(lang, d) or form.form_id,
        f"[{form.form_id} {form.version}]".replace(" ]", "]"),
        "",
    ]
    specials = ", ".join(
        f"{s.code} {s.label.get(lang, d) or s.name}" for s in form.settings.special_answers
    ) if form.declares_special else ""

    def rec(items: tuple[Item, ...], depth: int) -> None:
        pad = "  " * depth
        for it in items:
            if isinstance(it, Group | Repeat):
                kind = "repeat" if isinstance(it, Repeat) else "section"
                title = it.label.get(lang, d) or it.name
                lines.append(f"{pad}== {title} ({kind} {it.name}) ==")
                if it.hint:
                    lines.append(f"{pad}   ({it.hint.get(lang, d)})")
                if it.relevant is not None:
                    lines.append(f"{pad}   [if {it.relevant.source}]")
                if isinstance(it, Repeat) and it.repeat_count is not None:
                    lines.append(f"{pad}   [times {it.repeat_count.source}]")
                rec(it.children, depth + 1)
                lines.append("")
                continue
            q: Question = it
            if q.type == "calculate":
                lines.append(f"{pad}({q.name} = {q.calculation.source if q.calculation else ''})")
                continue
            mark = "*" if q.required else " "
            flags = (
                [q.type]
                + (["sensitive"] if q.sensitive else [])
                + (["read-only"] if q.read_only else [])
            )
            lines.append(f"{pad}{mark}{q.name}. {q.label.get(lang, d)}  <{', '.join(flags)}>")
            if q.hint:
                lines.append(f"{pad}    ({q.hint.get(lang, d)})")
            if q.relevant is not None:
                lines.append(f"{pad}    [ask if {q.relevant.source}]")
            for c in form.choices(q):
                extra = " (missing)" if c.missing else ""
                extra += " (exclusive)" if c.exclusive else ""
                lines.append(f"{pad}    {c.name}  {c.label.get(lang, d)}{extra}")
            if q.choice_filter is not None:
                lines.append(f"{pad}    [choices where {q.choice_filter.source}]")
            if q.constraint is not None:
                msg = q.constraint_message.get(lang, d)
                lines.append(
                    f"{pad}    [check {q.constraint.source}]" + (f" -> {msg}" if msg else "")
                )
            if q.special:
                lines.append(
                    f"{pad}    [also: "
                    + ", ".join(
                        f"{s.code} {s.label.get(lang, d) or s.name}" for s in form.special_for(q)
                    )
                    + "]"
                )

    rec(form.children, 0)
    lines.append(f"* required. Special answers of this form: {specials or 'none'}.")
    return "\n".join(lines).rstrip() + "\n"


def structure_text(form: Form) -> str:
    """A compact outline: counts, languages, and the tree of groups/repeats/questions."""
    qs = form.questions
    by_type: dict[str, int] = {}
    for q in qs:
        by_type[q.type] = by_type.get(q.type, 0) + 1
    lines = [
        f"form_id: {form.form_id}   version: {form.version or '-'}",
        f"languages: {', '.join(form.languages) or '(one, unnamed)'}   "
        f"default: {form.default_language or '-'}",
        f"questions: {len(qs)} (" + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())) + ")",
        f"choice lists: {len(form.choice_lists)}   "
        f"relevant: {sum(q.relevant is not None for q in qs)}   "
        f"constraints: {sum(q.constraint is not None for q in qs)}   sensitive: "
        + (", ".join(form.sensitive_names) or "none"),
        "special answers: "
        + (", ".join(f"{s.code} {s.name}" for s in form.settings.special_answers)
           if form.declares_special else "none"),
        "",
    ]

    def rec(items: tuple[Item, ...], depth: int) -> None:
        for it in items:
            pad = "  " * depth
            if isinstance(it, Repeat):
                lines.append(f"{pad}[repeat] {it.name}")
                rec(it.children, depth + 1)
            elif isinstance(it, Group):
                lines.append(f"{pad}[group] {it.name}" + (" (field-list)" if it.field_list else ""))
                rec(it.children, depth + 1)
            else:
                extra = f" {it.choice_list.removesuffix('__or_other')}" if it.choice_list else ""
                lines.append(
                    f"{pad}{it.name}: {it.type}{extra}" + (" ?" if it.relevant is not None else "")
                )

    rec(form.children, 0)
    return "\n".join(lines) + "\n"
