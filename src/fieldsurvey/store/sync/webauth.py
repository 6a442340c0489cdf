"""Browser logins for supervisors (``fieldsurvey serve --web``): passwords, stored hashed.

A password is kept in the central store only as its scrypt hash (:func:`hashlib.scrypt`,
a random 16-byte salt per password, ``n=2**14, r=8, p=1``: about 50 ms and 16 MiB per
check, so a stolen store's passwords cannot be guessed fast), in the table
``web_logins`` (schema v5), one row per supervisor or HQ reviewer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fieldsurvey.io.errors import InputError, StoreError
from fieldsurvey.store.store import FieldStore

__all__ = ["MIN_LENGTH", "WebUser", "check_password", "find_login", "hash_password",
           "set_password"]

#: The shortest password accepted.
MIN_LENGTH = 8
_N, _R, _P, _LEN = 2**14, 8, 1, 32


@dataclass(frozen=True)
class WebUser:
    """Who logged in."""

    name: str
    role: str


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=128 * r * n * p + 1024 * 1024, dklen=length)


@functools.cache
def _dummy() -> str:
    return hash_password(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """``'scrypt$n$r$p$salt$hash'`` (hex) of ``password`` with a new random salt."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P, _LEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    """Whether ``password`` is the one hashed in ``stored`` (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = bytes.fromhex(digest)
        got = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p), len(want))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, want)


def set_password(central: str | Path, name: str, password: str,
                 role: str = "supervisor") -> WebUser:
    """Set (or replace) the browser password of supervisor or HQ reviewer ``name``.

    Raises
    ------
    InputError
        No name, a role other than supervisor or hq, or a password shorter than
        :data:`MIN_LENGTH` characters.
    StoreError
        ``central`` is a device store.
    """
    name = name.strip()
    if not name:
        raise InputError("the supervisor needs a name", field="--set-password")
    if role not in ("supervisor", "hq"):
        raise InputError("a browser login's role is supervisor or hq", field="--role",
                         got=repr(role))
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password is too short for {name}", field="password",
                         expected=f"at least {MIN_LENGTH} characters",
                         got=f"{len(password)} characters",
                         hint="Choose a longer password (a few words work well)")
    hub = FieldStore.open(central)
    try:
        if hub.meta.get("role") == "device":
            raise StoreError("browser logins are kept in the central store, not in a "
                             "device's", file=str(central),
                             hint="Give the supervisor's central.sqlite")
        stored = hash_password(password)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with hub._write() as c:
            c.execute("INSERT INTO web_logins VALUES (?,?,?,?) ON CONFLICT (name) DO UPDATE "
                      "SET role=excluded.role, scrypt=excluded.scrypt, "
                      "set_at=excluded.set_at", (name, role, stored, now))
    finally:
        hub.close()
    return WebUser(name, role)


def find_login(conn: sqlite3.Connection, name: str, password: str) -> WebUser | None:
    """The login ``name`` if ``password`` is theirs (on a central store's connection)."""
    row = conn.execute("SELECT name, role, scrypt FROM web_logins WHERE name = ?",
                       (name.strip(),)).fetchone()
    if row is None:
        check_password(_dummy(), password)  # as slow as a wrong password: names do not show
        return None
    if not check_password(str(row[2]), password):
        return None
    return WebUser(str(row[0]), str(row[1]))
