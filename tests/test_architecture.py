"""The shape of the code: a headless core, a documented command line, a public API that resolves."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import fieldsurvey
from fieldsurvey.cli.main import COMMANDS, build_parser

PRESENTATION = ("textual", "rich", "reportlab")
# Packages allowed to import presentation libraries: the TUI, the command line, the PDFs.
PRESENTATION_PACKAGES = ("fieldsurvey.tui", "fieldsurvey.cli", "fieldsurvey.reports")


def _domain_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(fieldsurvey.__path__, "fieldsurvey."):
        if info.name.startswith(PRESENTATION_PACKAGES) or info.name == "fieldsurvey.__main__":
            continue
        names.append(info.name)
    return sorted(names)


def test_domain_logic_never_imports_the_tui_the_cli_or_pdf_libraries() -> None:
    modules = _domain_modules()
    assert "fieldsurvey.store.store" in modules and "fieldsurvey.estimate.taylor" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in {PRESENTATION!r} if m in sys.modules)\n"
        "pres = sorted(m for m in sys.modules if m.startswith(('fieldsurvey.tui', 'fieldsurvey.cli')))\n"
        "print(','.join(bad + pres))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"domain modules import presentation code: {out.stdout}"


def test_every_verb_is_registered_documented_and_in_the_readme() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for verb in COMMANDS:
        assert verb in sub.choices, f"'fieldsurvey {verb}' is not available"
        assert (sub.choices[verb].description or "").strip(), f"'{verb}' has no description"
        assert f"fieldsurvey {verb}" in readme, f"README does not show 'fieldsurvey {verb}'"


@pytest.mark.parametrize("name", sorted(fieldsurvey._EXPORTS))
def test_public_names_resolve(name: str) -> None:
    assert getattr(fieldsurvey, name) is not None


def test_public_api_lists_the_main_verbs() -> None:
    for name in ("build_frame", "read_frame", "draw_sample", "load_form", "FieldStore",
                 "aapor_rates", "weight_sample", "SurveyDesign", "draw_field_maps",
                 "write_report", "generate_district"):
        assert name in fieldsurvey.__all__, name
        importlib.import_module(fieldsurvey._EXPORTS[name])
