"""The household list as the interviewer sees it: one row per case with its status.

Read-only shaping of what the store says (assignments, attempts, interviews and the final
disposition rule of :mod:`fieldsurvey.store.dispositions`) into display rows; no rule of
its own beyond naming the status.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fieldsurvey.store.store import FieldStore

__all__ = ["STATUSES", "CaseRow", "case_rows", "split_address"]

#: Status keys in display order (labels in :mod:`.i18n` as ``st_<key>``).
STATUSES: tuple[str, ...] = ("new", "pending", "open", "rejected", "partial", "done", "closed")


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


def _text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    text = str(v).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def split_address(address: str, community: str, *, street: str = "", compound: str = "",
                  parts: tuple[str, str, str, str] = ("", "", "", "")) -> tuple[str, str]:
    """``(street, place)`` of an address: the street and community are cut off the front
    (they go to their own column or the header); the place is what is left, i.e. the
    compound and building-unit-floor-door, which differ between neighbours.

    When the address does not contain the community's name, a given ``street`` prefix is
    cut; when nothing is left, the place is written from ``compound`` and the building,
    unit, floor and door ``parts``.
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


def _community_names(a: pd.DataFrame) -> pd.Series:
    if "name" in a.columns:
        names = a["name"].astype(object)
        return names.where(names.notna(), a["community_id"]).astype(str)
    return a["community_id"].astype(str)


def case_rows(store: FieldStore) -> list[CaseRow]:
    """Every released case of the store as a display row.

    Each row has its status, attempt count and the appointment of its latest visit
    (if it made one).
    """
    a = store.assignments()
    if not len(a):
        return []
    if "released" in a.columns:
        a = a[a["released"].fillna(1).astype(int) == 1]
    att = pd.DataFrame(store.attempts(), columns=["dwelling_id", "time", "appointment"])
    n_att = att.groupby("dwelling_id").size() if len(att) else pd.Series(dtype=int)
    last_appt = (att.sort_values("time").groupby("dwelling_id")["appointment"].last()
                 if len(att) else pd.Series(dtype=object))
    itv = pd.DataFrame(store.interviews(), columns=["dwelling_id", "status", "review_state",
                                                    "started_at"])
    latest = (itv.sort_values("started_at").groupby("dwelling_id").last()
              if len(itv) else pd.DataFrame(columns=["status", "review_state"]))
    disp = store.dispositions().set_index("dwelling_id")
    names = _community_names(a)
    rows = []
    for i, r in enumerate(a.itertuples(index=False)):
        did = str(r.dwelling_id)
        n = int(n_att.get(did, 0))
        cat = str(disp.at[did, "category"]) if did in disp.index else "UH"
        code = str(disp.at[did, "disposition"]) if did in disp.index else ""
        if did in latest.index:
            st, rv = latest.at[did, "status"], latest.at[did, "review_state"]
            status = ("rejected" if rv == "rejected" else "open" if st == "in_progress"
                      else "partial" if st == "partial" else "done")
        elif n == 0:
            status = "new"
        elif cat in ("R", "O", "NE", "I", "P"):
            status = "closed"
        else:
            status = "pending"
        appt = last_appt.get(did) if n else None
        addr = _text(r.address) or did
        community = str(names.iloc[i])
        street, place = split_address(
            addr if addr != did else "", community, street=_text(getattr(r, "street", "")),
            compound=_text(getattr(r, "compound", "")),
            parts=(_text(r.building), _text(r.unit), _text(r.floor), _text(r.door)))
        line_text = _text(r.line)
        rows.append(CaseRow(did, int(line_text) if line_text.isdigit() else None, community,
                            addr, status, code, n, str(appt)[:16].replace("T", " ")
                            if isinstance(appt, str) and appt else "", place=place or did,
                            street=street))
    return rows
