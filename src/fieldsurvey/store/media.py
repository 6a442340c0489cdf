"""Media answers (``image``, ``audio``, ``video``, ``file``) kept inside the field store.

The interviewer names an existing file; :func:`add_media` copies its bytes into the
store's ``media`` table under their SHA-256 (one row per distinct content, so the same
photo twice is stored once) and returns the answer text ``<sha256>-<name>``: the file's
name with its hash, which is also its name under ``media/`` in an export
(:func:`write_media`). Merging stores unites the tables by hash (idempotent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from fieldsurvey.io.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.store.store import FieldStore

__all__ = ["MAX_MEDIA_BYTES", "add_media", "media_answer", "media_content", "write_media"]

#: The largest file kept in a store (a store travels by USB stick and sync).
MAX_MEDIA_BYTES = 256 * 1024 * 1024
_ANSWER = re.compile(r"^([0-9a-f]{64})-(.+)$")


def media_answer(text: str) -> tuple[str, str] | None:
    """``(sha256, name)`` of a stored media answer, or None when it is not one."""
    m = _ANSWER.match(str(text))
    return (m.group(1), m.group(2)) if m else None


def add_media(store: FieldStore, path: str | Path) -> str:
    """Copy the file at ``path`` into the store; return the answer text ``<sha256>-<name>``.

    Raises :class:`~fieldsurvey.io.errors.StoreError` when the file cannot be read or is
    larger than :data:`MAX_MEDIA_BYTES`.
    """
    p = Path(path).expanduser()
    try:
        size = p.stat().st_size
        if size > MAX_MEDIA_BYTES:
            raise StoreError("the media file is too large to keep in the field store",
                             file=str(p), got=f"{size:,} bytes",
                             expected=f"at most {MAX_MEDIA_BYTES:,} bytes",
                             hint="Reduce the photo or recording, then answer again")
        data = p.read_bytes()
    except OSError as exc:
        raise StoreError("the media file cannot be read", file=str(p),
                         got=exc.strerror or str(exc),
                         hint="Give the path of an existing, readable file") from exc
    digest = hashlib.sha256(data).hexdigest()
    name = p.name.replace("/", "_") or "file"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with store._write() as conn:  # the store's own transaction (same package)
        conn.execute("INSERT OR IGNORE INTO media (sha256, name, size, content, added_at) "
                     "VALUES (?, ?, ?, ?, ?)", (digest, name, len(data), data, now))
    return f"{digest}-{name}"


def media_content(store: FieldStore, sha256: str) -> bytes | None:
    """The bytes stored under ``sha256``, or None."""
    row = store.connection.execute("SELECT content FROM media WHERE sha256 = ?",
                                   (sha256,)).fetchone()
    return None if row is None else bytes(row[0])


def write_media(store: FieldStore, folder: Path, answers: list[str]) -> list[str]:
    """Write the media of ``answers`` (answer texts) into ``folder`` as ``<sha256>-<name>``.

    Each file is checked against its hash on the way out. Returns the names written (a
    media answer whose bytes the store lacks is left out: it came from a device store
    not merged yet).
    """
    written: list[str] = []
    seen: set[str] = set()
    for text in answers:
        parsed = media_answer(text)
        if parsed is None or text in seen:
            continue
        seen.add(text)
        data = media_content(store, parsed[0])
        if data is None:
            continue
        if hashlib.sha256(data).hexdigest() != parsed[0]:
            raise StoreError("a media file in the store does not match its hash",
                             file=str(store.path), field="media", got=text,
                             hint="The store is damaged: export from a backup copy")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / text).write_bytes(data)
        written.append(text)
    return written
