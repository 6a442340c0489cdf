"""Questionnaires: the form model, XLSForm and YAML loaders, expressions and the runner.

``load_form(path)`` reads an XLSForm workbook (``.xlsx``, legacy ``.xls``) or a YAML
form (``.yaml``/``.yml``) into a frozen :class:`~.model.Form`, collecting every problem
(:class:`~.problems.FormErrors`; warnings in ``form.warnings``);
:class:`~.runner.InterviewRunner` runs it headless, as ODK's JavaRosa would.

Modules by role:

* the form: :mod:`.model` (what a form is), :mod:`.xlsform` (with :mod:`.workbook`) /
  :mod:`.yamlform` (reading) into :mod:`.rows`, :mod:`.build` (the walk over the rows) with
  :mod:`.items` (a row to its item), :mod:`.choicelists`, :mod:`.settings`,
  :mod:`.types`, :mod:`.loops`, :mod:`.checks` (turning rows into a checked form),
  :mod:`.external` (attachments),
  :mod:`.problems` (all errors at once), :mod:`.preview` (text views);
* expressions: :mod:`.expr` (parser), :mod:`.compiler` (closures), :mod:`.xpath`
  (values and functions), :mod:`.regex` (RE2), :mod:`.plan` (compiled form);
* an interview: :mod:`.runner` (the public object) composed of :mod:`.state`,
  :mod:`.context`, :mod:`.env`, :mod:`.sequence`, :mod:`.checking`,
  :mod:`.navigation`, with :mod:`.resume` (persistence), :mod:`.values` (answer
  values and keys), :mod:`.preload` (roster preloads), :mod:`.simulate`.
"""

from __future__ import annotations

from pathlib import Path

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.model import Form

__all__ = ["Form", "load_form"]


def load_form(path: str | Path) -> Form:
    """Load a questionnaire from an XLSForm workbook or a YAML file.

    Parameters
    ----------
    path
        ``.xlsx`` / ``.xls`` (XLSForm) or ``.yaml`` / ``.yml``.

    Returns
    -------
    Form
        The checked, frozen form.

    Raises
    ------
    QuestionnaireError
        When the file cannot be read or uses anything unsupported (naming sheet, row
        and column).
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from fieldsurvey.questionnaire.xlsform import load_xlsform

        return load_xlsform(p)
    if suffix in (".yaml", ".yml"):
        from fieldsurvey.questionnaire.yamlform import load_yamlform

        return load_yamlform(p)
    raise QuestionnaireError(
        "unknown questionnaire format",
        file=str(p),
        expected=".xlsx or .xls (XLSForm), or .yaml/.yml",
        got=suffix or "no extension",
    )
