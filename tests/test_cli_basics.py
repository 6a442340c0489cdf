"""The command line: help, version, and how a user's mistake is reported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fieldsurvey.cli.main import main
from fieldsurvey.io.errors import ColumnError, FieldsurveyError


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "fieldsurvey" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_error_paragraph_names_file_row_field_and_hint() -> None:
    err = ColumnError(
        "the listing has no coordinate columns and no community column",
        file="listing.csv",
        row=3,
        field="lon",
        expected="lon/lat or x/y or community_id",
        got="building, unit, door",
        hint="Add coordinates or a community_id column",
    )
    text = err.paragraph()
    assert text.startswith("file listing.csv, row 3, field 'lon':")
    assert "Expected lon/lat" in text and "Got building" in text and text.endswith("column.")
    assert isinstance(err, FieldsurveyError) and "\n" not in text


def test_module_entry_point_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fieldsurvey", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("fieldsurvey ")


def test_import_is_light() -> None:
    """Importing the package must not pull in the TUI, rich or geopandas."""
    code = (
        "import sys, fieldsurvey, fieldsurvey.io.errors;"
        "bad=[m for m in ('textual','rich','geopandas','reportlab') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
