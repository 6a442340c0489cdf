"""``fieldsurvey form``: check a questionnaire and preview it as text."""

from __future__ import annotations

import argparse
import sys

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.preview import preview_text, structure_text


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``form`` verb."""
    p = subparsers.add_parser(
        "form",
        help="check or preview a questionnaire (XLSForm .xlsx/.xls or YAML)",
        description="Check a questionnaire or print it as text.",
    )
    sub = p.add_subparsers(dest="form_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="load and validate a form; print its structure")
    c.add_argument("file", metavar="FILE")
    c.set_defaults(func=run_check)
    v = sub.add_parser("preview", help="print the form as text in one language")
    v.add_argument("file", metavar="FILE")
    v.add_argument("--lang", default=None, help="language, e.g. zh or en (default: the form's)")
    v.set_defaults(func=run_preview)


def run_check(args: argparse.Namespace) -> int:
    """Validate a form and print its outline."""
    form = load_form(args.file)
    sys.stdout.write(structure_text(form))
    sys.stdout.write(f"OK: {args.file} is a valid form ({len(form.questions)} questions).\n")
    return 0


def run_preview(args: argparse.Namespace) -> int:
    """Print the form in a language."""
    form = load_form(args.file)
    if (
        args.lang
        and form.languages
        and not any(
            (
                lg == args.lang
                or lg.lower() == args.lang.lower()
                or lg.lower().endswith(f"({args.lang.lower()})")
            )
            for lg in form.languages
        )
    ):
        raise QuestionnaireError(
            f"the form has no language '{args.lang}'",
            file=args.file,
            expected=", ".join(form.languages),
        )
    sys.stdout.write(preview_text(form, args.lang))
    return 0
