"""``begin loop over list`` ... ``end loop``, expanded as pyxform expands it.

A loop becomes a group holding one group per choice of the list; inside, every name
gets the choice's name appended (``number_pit``), ``${name}`` of a question of the loop
refers to the same choice's copy, and ``%(label)s`` / ``%(name)s`` in texts become the
choice's label and name. Works on the neutral rows of :mod:`.rows`, before the form
is built, so the rest of the loader never sees a loop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fieldsurvey.questionnaire.model import Choice

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.problems import Problems
    from fieldsurvey.questionnaire.rows import RawRow

__all__ = ["expand_loops"]


_LOOP = re.compile(r"^begin[ _]loop\s+over\s+(\S+)$", re.IGNORECASE)
_END_LOOP = re.compile(r"^end[ _]loop$", re.IGNORECASE)


def expand_loops(
    survey: Sequence[RawRow], lists: Mapping[str, list[Choice]], file: str | None,
    pr: Problems,
) -> list[RawRow]:
    """``begin loop over list`` ... ``end loop``: one group per choice, as pyxform makes it.

    Inside, names get the choice's name appended (``number_pit_latrine``), ``${name}`` of
    a question of the loop refers to the same choice's copy, and ``%(label)s`` /
    ``%(name)s`` in texts become the choice's label and name.
    """
    out: list[RawRow] = []
    i = 0
    rows = list(survey)
    while i < len(rows):
        row = rows[i]
        m = _LOOP.match(" ".join(str(row.get("type") or "").split()))
        if m is None:
            out.append(row)
            i += 1
            continue
        j = i + 1
        depth = 1
        while j < len(rows):
            t = " ".join(str(rows[j].get("type") or "").split())
            depth += 1 if _LOOP.match(t) else -1 if _END_LOOP.match(t) else 0
            if depth == 0:
                break
            j += 1
        if j >= len(rows):
            pr.error(row.error(file, "'begin loop' is never closed", "type",
                               expected="end loop"))
            return out
        inner = rows[i + 1 : j]
        if m.group(1) not in lists:
            pr.error(row.error(file, f"choice list '{m.group(1)}' is not on the choices sheet",
                               "type"))
            i = j + 1
            continue
        loop_name = str(row.get("name") or f"loop{row.row}")
        names = {str(r.get("name")) for r in inner if r.get("name")}
        out.append(type(row)(row.sheet, row.row, {**row.cells, "type": "begin group",
                                               "name": loop_name}, row.headers))
        for c in lists[m.group(1)]:
            labels = c.label.as_dict()
            out.append(type(row)(row.sheet, row.row, {"type": "begin group",
                                                   "name": f"{loop_name}_{c.name}",
                                                   "label": labels}, row.headers))
            out += [_loop_copy(r, c, names) for r in inner]
            out.append(type(row)(row.sheet, row.row, {"type": "end group"}, row.headers))
        out.append(type(row)(row.sheet, rows[j].row, {"type": "end group"}, rows[j].headers))
        i = j + 1
    return out


def _loop_copy(row: RawRow, c: Choice, names: set[str]) -> RawRow:
    labels = c.label.as_dict()

    def text(v: Any, lang: str = "") -> Any:
        if not isinstance(v, str):
            return v
        label = labels.get(lang) or c.label.get(lang or None)
        v = v.replace("%(label)s", label).replace("%(name)s", c.name)
        return re.sub(r"\$\{\s*([^}\s]+)\s*\}",
                      lambda m: "${" + (f"{m.group(1)}_{c.name}" if m.group(1) in names
                                        else m.group(1)) + "}", v)

    cells: dict[str, Any] = {}
    for k, v in row.cells.items():
        if k == "name" and v:
            cells[k] = f"{v}_{c.name}"
        elif isinstance(v, Mapping):
            cells[k] = {lang: text(t, lang) for lang, t in v.items()}
        else:
            cells[k] = text(v)
    return type(row)(row.sheet, row.row, cells, row.headers)

