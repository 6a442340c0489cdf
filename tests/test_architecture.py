"""The shape of the code: a headless core, a documented command line, a public API that resolves.

Two kinds of checks. The import checks read every module's syntax tree, so an import inside a
function (which a test that imports the modules never sees) counts like one at the top; the
same rules are declared as import-linter contracts in ``pyproject.toml`` (``lint-imports``
runs them in ``.ci/run``). The other checks keep the package's top level a table of contents
and the tests able to fail.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import fieldsurvey
from fieldsurvey.cli.main import COMMANDS, build_parser

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "fieldsurvey"

PRESENTATION = ("textual", "rich", "reportlab")
# Packages allowed to import presentation libraries: the TUI, the command line, the PDFs.
PRESENTATION_PACKAGES = ("fieldsurvey.tui", "fieldsurvey.cli", "fieldsurvey.reports")
# The domain: headless packages that never import the TUI, the CLI, the reports or the example.
DOMAIN = ("io", "frame", "sampling", "questionnaire", "store", "rates", "weights", "estimate")
DOMAIN_FORBIDDEN = ("fieldsurvey.tui", "fieldsurvey.cli", "fieldsurvey.reports",
                    "fieldsurvey.example", *PRESENTATION)
MAX_TOP_LEVEL_ENTRIES = 12


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to an absolute module name."""

    importer: str  # module doing the import
    target: str  # module imported (for ``from m import x``: ``m.x`` when that is a module)
    line: int
    in_function: bool

    @property
    def where(self) -> str:
        return f"{self.importer}:{self.line}{' (inside a function)' if self.in_function else ''}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:]) if "." in name else Path()
    return (PACKAGE / rel).with_suffix(".py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def _imports_of(path: Path) -> Iterator[Import]:
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def visit(node: ast.AST, in_function: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef
                                               | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, in_function)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package[:len(package) - (child.level - 1)]
                    source = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    source = child.module or ""
                for alias in child.names:
                    full = f"{source}.{alias.name}"
                    yield Import(module, full if source.startswith("fieldsurvey")
                                 and _is_module(full) else source, child.lineno, in_function)
            yield from visit(child, nested)

    yield from visit(tree, False)


@functools.cache
def _all_imports() -> list[Import]:
    return [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in _imports_of(path)]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_import_walk_sees_imports_inside_functions() -> None:
    found = [i for i in _all_imports() if i.in_function and _within(i.target, "pandas")]
    assert found, "no function-level import found: the walk is broken"
    found = [i for i in _all_imports() if i.importer == "fieldsurvey.cli.main"]
    assert any(i.target == "fieldsurvey.io.errors" for i in found)


def test_domain_never_imports_the_tui_the_cli_the_reports_or_presentation_libraries() -> None:
    bad = [f"{i.where} imports {i.target}" for i in _all_imports()
           if i.importer.split(".")[1:2] and i.importer.split(".")[1] in DOMAIN
           and any(_within(i.target, f) for f in DOMAIN_FORBIDDEN)]
    assert not bad, "the domain must stay headless:\n" + "\n".join(bad)


def test_reports_and_the_example_never_import_the_tui_or_the_cli() -> None:
    bad = [f"{i.where} imports {i.target}" for i in _all_imports()
           if i.importer.split(".")[1:2] in (["reports"], ["example"])
           and any(_within(i.target, f) for f in ("fieldsurvey.tui", "fieldsurvey.cli",
                                                  "textual", "rich"))]
    assert not bad, "\n".join(bad)


def test_only_the_cli_imports_the_cli() -> None:
    bad = [f"{i.where} imports {i.target}" for i in _all_imports()
           if _within(i.target, "fieldsurvey.cli") and not _within(i.importer, "fieldsurvey.cli")
           and i.importer != "fieldsurvey.__main__"]
    assert not bad, "\n".join(bad)


def test_no_package_imports_another_packages_private_module() -> None:
    bad = []
    for i in _all_imports():
        parts = i.target.split(".")
        if parts[0] != "fieldsurvey" or len(parts) < 3:
            continue
        importer_package = i.importer.split(".")[1] if "." in i.importer else ""
        if parts[1] == importer_package:
            continue
        private = [p for p in parts[2:] if p.startswith("_") and not p.startswith("__")]
        if private:
            bad.append(f"{i.where} imports {i.target}")
    assert not bad, ("a package's private (_x) modules are its own; make the name public "
                     "or move it:\n" + "\n".join(sorted(set(bad))))


def test_domain_modules_import_no_presentation_code_at_run_time() -> None:
    names = []
    for info in pkgutil.walk_packages(fieldsurvey.__path__, "fieldsurvey."):
        if info.name.split(".")[1] in DOMAIN:
            names.append(info.name)
    assert "fieldsurvey.store.store" in names and "fieldsurvey.estimate.taylor" in names
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(names)!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in {PRESENTATION!r} if m in sys.modules)\n"
        "pres = sorted(m for m in sys.modules if m.startswith(('fieldsurvey.tui', "
        "'fieldsurvey.cli', 'fieldsurvey.reports', 'fieldsurvey.example')))\n"
        "print(','.join(bad + pres))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"domain modules import presentation code: {out.stdout}"


def test_the_top_level_is_a_table_of_contents() -> None:
    entries = sorted(p.name for p in PACKAGE.iterdir()
                     if p.name not in ("__init__.py", "__main__.py", "py.typed", "__pycache__"))
    assert len(entries) <= MAX_TOP_LEVEL_ENTRIES, entries
    loose = [e for e in entries if not (PACKAGE / e / "__init__.py").is_file()]
    assert not loose, f"top-level modules outside a package: {loose}"


# ------------------------------------------------------------------------- tests that can fail


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(v) for v in test.values)
    return False


def _vacuous_assertions(source: str, filename: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source, filename=filename))
            if isinstance(node, ast.Assert) and _always_true(node.test)]


def test_the_vacuous_assertion_check_finds_what_it_should() -> None:
    src = ("def t(x):\n    assert True\n    assert x or True\n    assert (x == 1) or 1\n"
           "    assert x\n    assert x or y\n    assert not True\n")
    assert _vacuous_assertions(src, "example.py") == [2, 3, 4]


def test_no_test_asserts_something_that_cannot_fail() -> None:
    bad = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for line in _vacuous_assertions(path.read_text(encoding="utf-8"), str(path)):
            bad.append(f"{path.relative_to(REPO)}:{line}")
    assert not bad, "assertions that can never fail:\n" + "\n".join(bad)


# ------------------------------------------------------------------------- command line and API


def test_every_verb_is_registered_documented_and_in_the_readme() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for verb in COMMANDS:
        assert verb in sub.choices, f"'fieldsurvey {verb}' is not available"
        assert (sub.choices[verb].description or "").strip(), f"'{verb}' has no description"
        assert f"fieldsurvey {verb}" in readme, f"README does not show 'fieldsurvey {verb}'"


@pytest.mark.parametrize("name", sorted(fieldsurvey._EXPORTS))
def test_public_names_resolve(name: str) -> None:
    assert getattr(fieldsurvey, name) is not None


def test_the_public_api_is_typed_by_the_same_names_it_exports() -> None:
    """Each lazy export is also imported under TYPE_CHECKING, from the same module."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    typed: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                typed.update({alias.name: imp.module for alias in imp.names})
    assert typed == fieldsurvey._EXPORTS
    assert fieldsurvey.__all__ == sorted(["__version__", *fieldsurvey._EXPORTS])


def test_public_api_lists_the_main_verbs() -> None:
    for name in ("build_frame", "read_frame", "draw_sample", "load_form", "FieldStore",
                 "aapor_rates", "weight_sample", "SurveyDesign", "draw_field_maps",
                 "write_report", "generate_district"):
        assert name in fieldsurvey.__all__, name
        importlib.import_module(fieldsurvey._EXPORTS[name])
