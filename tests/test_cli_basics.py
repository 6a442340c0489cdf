"""The command line: help, version, and how a user's mistake is reported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fieldsurvey.cli.main import COMMANDS, main, verb_summary
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


# ------------------------------------------------------------------------- a fast start

# Libraries that cost a visible part of a second to import; the start of the command (help,
# version, a verb's help) must not pay for them.
HEAVY = ("numpy", "pandas", "scipy", "geopandas", "shapely", "pyarrow", "reportlab", "textual")


def _heavy_modules_after(argv: list[str]) -> list[str]:
    code = (
        "import sys\n"
        "from fieldsurvey.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stderr.strip().split(",") if m]


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []], ids=["help", "version", "none"])
def test_the_command_starts_without_heavy_imports(argv: list[str]) -> None:
    assert _heavy_modules_after(argv) == []


@pytest.mark.parametrize("verb", list(COMMANDS))
def test_a_verbs_help_imports_no_heavy_module(verb: str) -> None:
    heavy = _heavy_modules_after([verb, "--help"])
    assert heavy == [], (f"'fieldsurvey {verb} --help' imports {', '.join(heavy)}: move the "
                         f"import into the function that needs it ({COMMANDS[verb]})")


def test_help_lists_every_verb_without_importing_its_module(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for verb, module in COMMANDS.items():
        assert verb in out
        summary = verb_summary(module)
        assert summary and summary.split()[0] in out, verb


def test_a_verbs_own_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["rates", "--help"])
    assert exc.value.code == 0
    assert "--dispositions" in capsys.readouterr().out


def test_an_unknown_verb_is_one_paragraph(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "invalid choice: 'frobnicate'" in err and "rates" in err
