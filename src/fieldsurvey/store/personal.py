"""What is personal data in a store: one declaration, used by every export path.

Personal data is

* the answers to questions a form version marks ``sensitive`` (names, phone numbers,
  exact addresses), in **any** of the versions pinned in the store;
* free text: answers to ``text`` questions, and text answers to questions no pinned form
  declares, unless the export is told they are safe (``safe_text``);
* the roster's names, the address and location of each dwelling (address parts,
  compound, coordinates, geometry), and the interviewers' notes on contact attempts.

Exports leave it out (the default), replace it by stable pseudonyms, or keep it when
asked; :func:`personal_columns` is the single list the exports and their summary use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

from fieldsurvey.store._labels import FormSpec

__all__ = ["PERSONAL_COLUMNS", "personal_questions", "pseudonym", "write_key_file"]

#: Columns of the exported tables that are personal data (table -> columns), besides the
#: personal questions of the ``interviews`` table.
PERSONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("address", "building", "unit", "floor", "door", "street", "compound", "lon",
              "lat", "x", "y", "geometry"),
    "rosters": ("name",),
    "attempts": ("note",),
}

#: Why a column of :data:`PERSONAL_COLUMNS` is personal (for the export's summary).
REASONS: dict[str, str] = {
    "cases": "address or location of the dwelling",
    "rosters": "household member's name",
    "attempts": "interviewer's free-text note",
}


def personal_questions(spec: FormSpec | None, safe_text: frozenset[str] = frozenset()
                       ) -> frozenset[str]:
    """The questions whose answers are personal data.

    marked sensitive, or free text (type ``text``) unless named in ``safe_text``.
    """
    if spec is None:
        return frozenset()
    return frozenset(q.name for q in spec.questions.values()
                     if q.sensitive or (q.type == "text" and q.name not in safe_text))


def pseudonym(salt: str, value: Any) -> str | None:
    """A stable pseudonym of a value: HMAC-SHA256 keyed by the survey's key, 12 hex."""
    if value is None:
        return None
    return "P" + hmac.new(salt.encode(), str(value).encode(), hashlib.sha256).hexdigest()[:12]


def write_key_file(key: str, path: str | Path, *, group: bool = False) -> Path:
    """Write the survey's pseudonymisation key to a new file readable by its owner only.

    The key exists only at HQ (the central store holds it); a key file lets an export of
    another copy (``--key-file``) give the same pseudonyms. An existing file is never
    replaced.
    """
    from fieldsurvey.io.errors import StoreError

    p = Path(path)
    if not key:
        raise StoreError("this store does not hold the pseudonymisation key",
                         hint="Take the key from the survey's central store")
    try:
        fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640 if group else 0o600)
    except FileExistsError as exc:
        raise StoreError("a file already exists at this path", file=str(p),
                         hint="Choose another name; a key file is never overwritten") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(p, 0o640 if group else 0o600)
    return p
