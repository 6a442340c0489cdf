"""The household list as the interviewer sees it: one row per case with its status.

Read-only shaping of what the store says (assignments, attempts, interviews, overrides)
into display rows, with plain SQL on a read-only connection: the list is the first thing
the command shows, before pandas and the store's classes are imported.

The status names where a case stands. "Closed" is a case whose final disposition (the
rule of :mod:`fieldsurvey.store.dispositions`: the most informative outcome wins) is an
interview, a refusal or break-off, another eligible non-interview or not eligible; those
outcomes outrank every non-contact and unknown-eligibility code, so a case is closed as
soon as one of its outcomes (or an override) is of those kinds. AAPOR codes are
hierarchical, so the kind is read from the code's prefix (:func:`closing_code`; a test
checks it against :mod:`fieldsurvey.rates.codes` for every code).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.store.store import FieldStore

__all__ = ["STATUSES", "CaseRow", "Place", "case_rows", "closing_code", "places",
           "split_address"]

#: Status keys in display order (labels in :mod:`.i18n` as ``st_<key>``).
STATUSES: tuple[str, ...] = ("new", "pending", "open", "rejected", "partial", "done", "closed")

def closing_code(code: object) -> bool:
    """True for an outcome that closes a case.

    An interview (1.x), a refusal or break-off (2.1x), another eligible non-interview (2, 2.3x,
    2.9) or not eligible (4.x).
    """
    c = str(code or "").strip()
    if "." in c:
        c = c.rstrip("0").rstrip(".")
    return (c in ("1", "2", "4") or c.startswith(("1.", "4.", "2.1", "2.3", "2.9")))


@dataclass(frozen=True)
class CaseRow:
    """One household of the list."""

    dwelling_id: str
    line: int | None
    community: str
    address: str
    status: str
    disposition: str
    attempts: int
    appointment: str
    place: str = ""
    """What tells the dwelling apart: compound, building, unit, floor, door (the address
    without its street and community)."""
    street: str = ""


@dataclass(frozen=True)
class Place:
    """Where a case is: its community, the street and the place within the community."""

    dwelling_id: str
    community: str
    street: str
    place: str
    address: str
    line: int | None


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v) or str(v) in ("<NA>", "nan", "NaT"):
        return ""
    text = str(v).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def split_address(address: str, community: str, *, street: str = "", compound: str = "",
                  parts: tuple[str, str, str, str] = ("", "", "", "")) -> tuple[str, str]:
    """``(street, place)`` of an address.

    The street and community are cut off the front (they go to their own column or the
    header); the place is what is left, i.e. the compound and building-unit-floor-door,
    which differ between neighbours. When the address does not contain the community's
    name, a given ``street`` prefix is cut; when nothing is left, the place is written
    from ``compound`` and the building, unit, floor and door ``parts``.
    """
    addr = address.strip()
    found_street = street
    rest = addr
    if community and community in addr:
        before, _, rest = addr.partition(community)
        found_street = before.strip() or street
    elif street and addr.startswith(street):
        rest = addr[len(street):]
    rest = rest.strip(" ,，")
    if not rest:
        building, unit, floor, door = parts
        bits = [b for b in (compound, f"{building}栋" if building else "",
                            f"{unit}单元" if unit else "",
                            f"{door}室" if door else (f"{floor}层" if floor else "")) if b]
        rest = "".join(bits)
    return found_street, rest


def places(records: Iterable[Mapping[str, Any]]) -> list[Place]:
    """The :class:`Place` of assignment records.

    Records have ``dwelling_id, community_id, address, building, unit, floor, door,
    line`` and the ``name``, ``street``, ``compound`` attributes when present.
    """
    out = []
    for rec in records:
        did = str(rec["dwelling_id"])
        community = _text(rec.get("name")) or _text(rec.get("community_id"))
        addr = _text(rec.get("address"))
        street, place = split_address(
            addr, community, street=_text(rec.get("street")),
            compound=_text(rec.get("compound")),
            parts=(_text(rec.get("building")), _text(rec.get("unit")),
                   _text(rec.get("floor")), _text(rec.get("door"))))
        line = _text(rec.get("line"))
        out.append(Place(did, community, street, place or did, addr or did,
                         int(line) if line.isdigit() else None))
    return out


def _connection(source: FieldStore | sqlite3.Connection | str | Path
                ) -> tuple[sqlite3.Connection, bool]:
    if isinstance(source, sqlite3.Connection):
        return source, False
    if isinstance(source, str | Path):
        uri = f"{Path(source).resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True), True
    return source.connection, False


def case_rows(source: FieldStore | sqlite3.Connection | str | Path) -> list[CaseRow]:
    """Every released case of a store as a display row.

    Each row has its status, attempt count and the appointment of its latest visit (if it
    made one). ``source`` is an open store, a connection, or a store's path (read-only).
    """
    conn, own = _connection(source)
    try:
        cur = conn.execute(
            "SELECT dwelling_id, community_id, line, released, address, building, unit, "
            "floor, door, attributes FROM assignments ORDER BY community_id, line, dwelling_id")
        records = []
        for did, cid, line, released, addr, b, u, f, d, attrs in cur:
            if released is not None and int(released) != 1:
                continue
            extra = json.loads(attrs or "{}")
            records.append({"dwelling_id": did, "community_id": cid, "line": line,
                            "address": addr, "building": b, "unit": u, "floor": f,
                            "door": d, "name": extra.get("name"),
                            "street": extra.get("street"), "compound": extra.get("compound")})
        n_att: dict[str, int] = {}
        appt: dict[str, str | None] = {}
        closed: set[str] = set()
        for did, outcome, when in conn.execute(
                "SELECT dwelling_id, outcome, appointment FROM attempts ORDER BY hlc"):
            n_att[did] = n_att.get(did, 0) + 1
            appt[did] = when
            if closing_code(outcome):
                closed.add(did)
        for did, code in conn.execute("SELECT dwelling_id, code FROM overrides"):
            if code is None:
                continue
            (closed.add if closing_code(code) else closed.discard)(did)
        latest: dict[str, tuple[str, str]] = {}
        for did, status, review in conn.execute(
                "SELECT dwelling_id, status, review_state FROM interviews "
                "ORDER BY started_at, uuid"):
            latest[did] = (status, review)
    finally:
        if own:
            conn.close()
    rows = []
    for p in places(records):
        did = p.dwelling_id
        n = n_att.get(did, 0)
        if did in latest:
            st, rv = latest[did]
            status = ("rejected" if rv == "rejected" else "open" if st == "in_progress"
                      else "partial" if st == "partial" else "done")
        elif n == 0:
            status = "new"
        else:
            status = "closed" if did in closed else "pending"
        when = appt.get(did) if n else None
        rows.append(CaseRow(did, p.line, p.community, p.address, status, "", n,
                            str(when)[:16].replace("T", " ") if when else "",
                            place=p.place, street=p.street))
    return rows
