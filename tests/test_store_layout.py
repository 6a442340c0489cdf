"""The field store's modules form no import cycle (reads do not import the writer, the
writer imports neither the exports nor the merge), counting imports made inside functions
and under ``TYPE_CHECKING`` too; and the old colliding names are gone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fieldsurvey.store

STORE = Path(fieldsurvey.store.__file__).parent


def _module(path: Path) -> str:
    rel = path.relative_to(STORE).with_suffix("")
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(["fieldsurvey.store", *parts])


def import_graph() -> dict[str, set[str]]:
    """Module -> the store modules it imports (anywhere in its file)."""
    mods = {_module(p): p for p in STORE.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                base = node.module
                if node.level:  # relative import
                    base = ".".join(mod.split(".")[:-node.level] + [node.module])
                # ``from pkg import submodule`` imports the submodule; a name, the module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                           for a in node.names]
            for t in targets:
                if t in mods and t != mod:
                    graph[mod].add(t)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_inside_the_store():
    graph = import_graph()
    assert "fieldsurvey.store.queries" in graph and graph["fieldsurvey.store.store"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_reads_are_plain_functions_that_do_not_know_the_writer():
    graph = import_graph()
    for reader in ("queries", "tables", "conflicts", "personal"):
        assert "fieldsurvey.store.store" not in graph[f"fieldsurvey.store.{reader}"], reader


def test_one_name_one_meaning():
    assert not (STORE / "progress.py").exists()  # fieldwork status, not a progress bar
    assert not (STORE / "_reads.py").exists()
    for path in STORE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert "read_frame" not in names, path  # frame/files.py's read_frame is a frame
