"""Questionnaires: the form model, XLSForm and YAML loaders, expressions and the runner.

``load_form(path)`` reads an XLSForm workbook (``.xlsx``, legacy ``.xls``) or a YAML
form (``.yaml``/``.yml``) into a frozen :class:`~.model.Form`;
:class:`~.runner.InterviewRunner` runs it headless.
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
