"""``fieldsurvey form``: check a questionnaire and preview it as text.

``form check`` loads the form once and reports **every** problem it finds: errors
(which stop the form from running: exit 2) and warnings (which do not: exit 0), each
naming sheet, row and column. ``form preview`` prints the form in one language; a
language the form does not have is a warning and the form's default is used.
"""

from __future__ import annotations

import argparse
import sys

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire import load_form
from fieldsurvey.questionnaire.preview import preview_text, structure_text

SUPPORT = """\
What fieldsurvey runs of an XLSForm (the README's "XLSForm support" table has the detail):
  types      integer decimal text select_one select_multiple (also _from_file, _external,
             and the search('file', ...) appearance)
             rank note date time datetime range barcode calculate acknowledge hidden;
             groups, repeats, "begin loop over list" (a group per choice);
             metadata start end today deviceid imei username phonenumber simserial
             subscriberid email audit start-geopoint (filled by the runner, never
             shown; start-geopoint from the caller's fix, else blank); SurveyCTO
             caseid comments "audio audit" "speed violations" sensor_* stay blank;
             terminal behaviour: geopoint geotrace geoshape typed as "lat lon [alt acc]",
             image audio video file take a file path (stored as text)
  columns    label hint guidance_hint (any language, label::zh or label:English), required
             (yes/no or an expression) required_message, relevant, constraint
             constraint_message, warning warning_message (soft checks), calculation (also
             on a visible question: a default until answered), default (value or
             expression), choice_filter, appearance, read_only, repeat_count, parameters,
             trigger, media columns, sensitive, special; other columns are kept
             (Question.extra) with a warning
  functions  XPath operators; if coalesce selected count-selected selected-at jr:choice-name
             string-length substr concat contains starts-with ends-with regex (whole value,
             RE2) round int abs sqrt pow exp log sin..atan2 pi number string boolean not
             today now date decimal-date-time format-date once random uuid sum count max min
             count-non-empty join indexed-repeat position index duration device-info pulldata
             instance('x')/root/item[...]/col
  settings   form_id version form_title default_language allow_choice_duplicates
             completion_partial completion_complete essential_questions; kept only:
             instance_name style public_key submission_url add_none_option auto_send ...
  kept, not acted on: entities (the entities sheet, save_to): no entity is made
  not supported (refused by name): background-audio, osm, bind::odk:length,
             body::intent, area() distance() digest(), ${last-saved#x}
  as pyxform reads them: typographic quotes in expressions are plain quotes; a
             whole yes/no cell in relevant/constraint/calculation is true()/false();
             a bare name (null, a column the choices lack) is blank, with a warning
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``form`` verb."""
    p = subparsers.add_parser(
        "form",
        help="check or preview a questionnaire (XLSForm .xlsx/.xls or YAML)",
        description="Check a questionnaire or print it as text.",
    )
    sub = p.add_subparsers(dest="form_command", metavar="ACTION", required=True)
    c = sub.add_parser(
        "check",
        help="load and validate a form; print its structure and every problem",
        description="Load a form and list every error (exit 2) and warning (exit 0) at once.",
        epilog=SUPPORT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("file", metavar="FILE")
    c.set_defaults(func=run_check)
    v = sub.add_parser("preview", help="print the form as text in one language")
    v.add_argument("file", metavar="FILE")
    v.add_argument("--lang", default=None, help="language, e.g. zh or en (default: the form's)")
    v.set_defaults(func=run_preview)


def _warnings(warnings: tuple[QuestionnaireError, ...] | list[QuestionnaireError]) -> None:
    if not warnings:
        return
    n = len(warnings)
    sys.stderr.write(f"{n} warning{'s' if n != 1 else ''}:\n")
    for i, w in enumerate(warnings, 1):
        sys.stderr.write(f"  {i}. {w.paragraph()}\n")


def run_check(args: argparse.Namespace) -> int:
    """Validate a form and print its outline, warnings and errors."""
    from fieldsurvey.questionnaire.problems import FormErrors

    try:
        form = load_form(args.file)
    except FormErrors as exc:
        _warnings(exc.warnings)
        raise
    sys.stdout.write(structure_text(form))
    _warnings(form.warnings)
    n = len(form.warnings)
    tail = f", {n} warning{'s' if n != 1 else ''}" if n else ""
    sys.stdout.write(
        f"OK: {args.file} is a valid form ({len(form.questions)} questions{tail}).\n"
    )
    return 0


def _has_language(form_languages: tuple[str, ...], lang: str) -> bool:
    low = lang.lower()
    return any(lg == lang or lg.lower() == low or lg.lower().endswith(f"({low})")
               for lg in form_languages)


def run_preview(args: argparse.Namespace) -> int:
    """Print the form in a language (a language it lacks is a warning)."""
    form = load_form(args.file)
    lang = args.lang
    if lang and form.languages and not _has_language(form.languages, lang):
        _warnings([QuestionnaireError(
            f"the form has no language '{lang}'; showing {form.default_language}",
            file=args.file,
            expected=", ".join(form.languages),
        )])
        lang = None
    sys.stdout.write(preview_text(form, lang))
    return 0
