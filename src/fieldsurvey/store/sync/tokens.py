"""Per-device credentials: a random token per device store, only its hash centrally.

A token is 32 random bytes (``secrets.token_urlsafe``); the central store keeps its
SHA-256 (a hash of a full-entropy secret needs no slow key derivation), the device store
the token itself (``meta`` key ``sync_token``). Roles: ``interviewer`` (one device store,
bound to its device id and interviewer), ``supervisor`` and ``hq`` (named reviewers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store.store import FieldStore

__all__ = ["ROLES", "Credential", "IssuedToken", "add_user", "find_credential",
           "issue_tokens", "token_hash", "write_sheet"]

#: The roles a credential can have.
ROLES: tuple[str, ...] = ("interviewer", "supervisor", "hq")


@dataclass(frozen=True)
class Credential:
    """Who a token belongs to."""

    device_id: str
    interviewer: str | None
    role: str


@dataclass(frozen=True)
class IssuedToken:
    """A token as printed on the team sheet (the only place besides the device store)."""

    interviewer: str
    device_id: str
    role: str
    store: str
    token: str


def token_hash(token: str) -> str:
    """The SHA-256 (hex) kept centrally for ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _put(central: FieldStore, cred: Credential, token: str) -> None:
    with central._write() as c:
        c.execute("INSERT INTO credentials VALUES (?,?,?,?,?,NULL) ON CONFLICT (device_id) "
                  "DO UPDATE SET interviewer=excluded.interviewer, role=excluded.role, "
                  "token_sha256=excluded.token_sha256, issued_at=excluded.issued_at, "
                  "revoked_at=NULL",
                  (cred.device_id, cred.interviewer, cred.role, token_hash(token), _now()))


def issue_tokens(central: str | Path, devices: Sequence[str | Path]) -> list[IssuedToken]:
    """Give each device store a new token; keep its hash in ``central``.

    A device store that had a token gets a new one (the old one stops working).

    Raises
    ------
    StoreError
        A store of another survey, a store that is not a device's, or one whose
        interviewer has no assignment in the central store.
    """
    out: list[IssuedToken] = []
    hub = FieldStore.open(central)
    try:
        if hub.meta.get("role") == "device":
            raise StoreError("tokens are kept in the central store, not in a device's",
                             file=str(central), hint="Give the supervisor's central.sqlite")
        for path in devices:
            dev = FieldStore.open(path)
            try:
                meta = dev.meta
                if meta.get("role") != "device" or not meta.get("interviewer"):
                    raise StoreError("this is not an interviewer's device store",
                                     file=str(path), got=f"role {meta.get('role')!r}",
                                     hint="Issue tokens for the stores `fieldsurvey assign` "
                                     "wrote per interviewer")
                if dev.survey_id != hub.survey_id:
                    raise StoreError("this device store belongs to another survey",
                                     file=str(path), expected=hub.survey_id,
                                     got=dev.survey_id)
                token = secrets.token_urlsafe(32)
                with dev._write() as c:
                    c.execute("INSERT OR REPLACE INTO meta VALUES ('sync_token', ?)", (token,))
                who = meta["interviewer"]
                _put(hub, Credential(dev.device_id, who, "interviewer"), token)
                out.append(IssuedToken(who, dev.device_id, "interviewer", str(path), token))
            finally:
                dev.close()
    finally:
        hub.close()
    return out


def add_user(central: str | Path, name: str, role: str) -> IssuedToken:
    """A token for a supervisor or HQ reviewer ``name`` (a new one replaces the old)."""
    if role not in ROLES[1:]:
        raise StoreError("a reviewer's role is supervisor or hq", field="--role",
                         got=repr(role))
    if not name.strip():
        raise StoreError("the reviewer needs a name", field="--user")
    hub = FieldStore.open(central)
    try:
        token = secrets.token_urlsafe(32)
        _put(hub, Credential(f"user:{name}", None, role), token)
    finally:
        hub.close()
    return IssuedToken(name, f"user:{name}", role, str(central), token)


def find_credential(conn: sqlite3.Connection, token: str | None) -> Credential | None:
    """The credential of ``token`` in a central store's connection, or None."""
    if not token:
        return None
    digest = token_hash(token)
    row = conn.execute("SELECT device_id, interviewer, role, token_sha256 FROM credentials "
                       "WHERE token_sha256 = ? AND revoked_at IS NULL", (digest,)).fetchone()
    if row is None or not hmac.compare_digest(str(row[3]), digest):
        return None
    return Credential(str(row[0]), None if row[1] is None else str(row[1]), str(row[2]))


def write_sheet(path: str | Path, tokens: Sequence[IssuedToken]) -> Path:
    """Write the team sheet (who, device, token) readable by its owner only (0600)."""
    path = Path(path)
    lines = ["# fieldsurvey sync tokens: hand each line to its interviewer; keep this file "
             "private", "interviewer\tdevice_id\trole\tstore\ttoken"]
    lines += [f"{t.interviewer}\t{t.device_id}\t{t.role}\t{t.store}\t{t.token}" for t in tokens]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path
