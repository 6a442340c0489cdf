"""Export a (merged) store as analysis tables: CSV, Parquet, Excel, SPSS or Stata.

Files written to the output directory (``<ext>`` the format's extension):

==========================  ==================================================================
``interviews.<ext>``        one row per interview, one column per question; repeat instances
                            as ``name_<k>``; select_multiple as the raw list plus one 0/1
                            column per choice (``name_<choice>``)
``cases.<ext>``             one row per issued case with its sample probabilities, base
                            weight and final disposition (:func:`cases_frame`)
``attempts.<ext>``          contact attempts
``rosters.<ext>``           household members
``paradata.<ext>``          one row per interview event with the seconds it took
``conflicts.csv``           edits of one interview from two devices (when there are any)
``codebook_variables.csv``  variable, question key, label
``codebook_values.csv``     variable, code, label (choices and special answers)
``media/<sha256>-<name>``   the files of media answers (image, audio, video, file) kept in
                            the store (:mod:`fieldsurvey.store.media`); a sensitive
                            question's files only with personal data included
``audit.csv``, ``audit/``   forms with an ``audit`` question: ODK's audit log of each
                            interview, derived from the event log (:mod:`.audit`)
``export.json``             what was exported: survey, format, files, row counts, the special
                            codes, and how personal data was handled (written last)
==========================  ==================================================================

Special answers (不知道 / 拒绝回答, -8 / -9 by default, and choices the form marks missing
such as 8 不了解) stay distinct from an unanswered question: they are their codes,
labelled, declared user-missing in SPSS and tagged missing (``.a``, ``.b`` ...) in Stata,
and listed as missing in ``codebook_values.csv``; an unanswered question is empty (system
missing). Personal data (:mod:`fieldsurvey.store.personal`: sensitive questions of any
form version, free text, roster names, addresses and coordinates, attempt notes) is left
out (``pii="drop"``, the default) or replaced by stable pseudonyms (HMAC keyed by the
survey's key, which only the central store or a key file holds) unless
``include_pii=True``; ``export.json`` lists exactly which columns.

The export reads one consistent state (one read transaction across every table, while a
writer may go on), removes the folder's ``export.json`` first, writes every table under a
temporary folder, moves the tables into place only when all are written, and writes
``export.json`` last: a folder without it is an export that did not finish. Files are
created readable by their owner only (0600; 0640 with ``group=True``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from fieldsurvey.io.errors import StoreError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.store import _files
from fieldsurvey.store._arrow import Snapshot
from fieldsurvey.store._labels import FormSpec, combine_specs, form_spec
from fieldsurvey.store._writers import codebook_frames, stata_tags, write_table
from fieldsurvey.store.conflicts import find_conflicts
from fieldsurvey.store.personal import PERSONAL_COLUMNS, REASONS, personal_questions, pseudonym
from fieldsurvey.store.store import FieldStore
from fieldsurvey.store.tables import (
    Wide,
    answers_wide,
    attempts_frame,
    cases_frame,
    paradata_frame,
    roster_frame,
)

__all__ = ["FORMATS", "TABLES", "ExportResult", "answers_frame", "cases_frame", "export_store"]

#: Export formats and their file extensions.
FORMATS: dict[str, str] = {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx", "sav": "sav",
                           "dta": "dta"}
TABLES: tuple[str, ...] = ("interviews", "cases", "attempts", "rosters", "paradata")
_T = TypeVar("_T")


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_store` wrote.

    The files (table name -> path), their row counts, and the columns treated as personal
    data (``table.column``) with how they were handled.
    """

    files: dict[str, Path]
    rows: dict[str, int]
    pii_mode: str
    pii_columns: tuple[str, ...]
    manifest: Path


def _open(store: FieldStore | str | Path) -> tuple[FieldStore, bool]:
    if isinstance(store, FieldStore):
        return store, False
    return FieldStore.open(store, readonly=True), True


def _load_spec(store: FieldStore, form: Any) -> FormSpec | None:
    """What the exports need of the form.

    the given one (a Form or a path), else every questionnaire pinned in the store (all
    versions, combined: a question is personal data when any version says so).
    """
    from fieldsurvey.questionnaire import load_form

    if isinstance(form, (str, Path)):
        return form_spec(load_form(form))
    if form is not None:
        return form_spec(form)
    specs = []
    with tempfile.TemporaryDirectory(prefix="fieldsurvey-form-") as d:
        for k, pinned in enumerate(sorted(store.forms(), key=lambda f: str(f["added_at"]))):
            name, content = store.form_file(pinned["form_id"], pinned["version"])
            p = Path(d) / str(k) / Path(name).name
            p.parent.mkdir()
            p.write_bytes(content)
            specs.append(form_spec(load_form(p)))
    return combine_specs(specs)


def _pii_mode(include_pii: bool, pii: str) -> str:
    if include_pii:
        return "include"
    if pii not in ("drop", "pseudonymise", "pseudonymize"):
        raise StoreError("unknown handling of personal data", field="pii",
                         expected="drop or pseudonymise", got=repr(pii))
    return "pseudonymise" if pii.startswith("pseudonym") else "drop"


def _salt(store: FieldStore, mode: str, key_file: str | Path | None) -> str:
    """The pseudonymisation key: from the key file, else the (central) store's own."""
    if mode != "pseudonymise":
        return ""
    if key_file is not None:
        key = Path(key_file).read_text(encoding="utf-8").strip()
        if len(key) < 16:
            raise StoreError("the key file holds no usable key", file=str(key_file),
                             expected="the survey's key (at least 16 characters)",
                             hint="Use the key file HQ keeps for this survey")
        return key
    key = store.meta.get("pii_salt", "")
    if not key:
        raise StoreError(
            "this store does not hold the pseudonymisation key (device stores never do)",
            file=str(store.path), field="pii",
            hint="Export the central store (made by `fieldsurvey assign` or `merge`), or "
            "give the survey's key file with --key-file, or leave personal data out")
    return key


def read_consistent(store: FieldStore, read: Callable[[Snapshot], _T]) -> _T:
    """Run ``read`` on one consistent state of the store (see :class:`Snapshot`).

    Every read through the snapshot's connection happens in one read transaction. When a
    large store's big queries ran in child processes, a probe checks that no write was
    committed meanwhile (SQLite's ``data_version``); if one was, the read is repeated, and
    the third time it is done in this process only.
    """
    conn = store.connection
    for attempt in range(3):
        probe = sqlite3.connect(_files.read_uri(store.path), uri=True)
        try:
            before = probe.execute("PRAGMA data_version").fetchone()[0]
            snap = Snapshot(conn, store.path, children=attempt < 2)
            conn.execute("BEGIN")
            try:
                result = read(snap)
            except Exception:
                # a child reader that saw a later state than this snapshot can make the
                # tables disagree: read again; anything else is a real error
                if not snap.used_children or \
                        probe.execute("PRAGMA data_version").fetchone()[0] == before:
                    raise
                continue
            finally:
                conn.execute("COMMIT")
            if not snap.used_children or \
                    probe.execute("PRAGMA data_version").fetchone()[0] == before:
                return result
        finally:
            probe.close()
    raise AssertionError("unreachable: the third read is done in this process")


def answers_frame(store: FieldStore | str | Path, form: Any = None, *,
                  include_pii: bool = False, pii: str = "drop",
                  language: str | None = None, key_file: str | Path | None = None,
                  safe_text: Sequence[str] = ()) -> Wide:
    """The respondent-level table: one row per interview, one column per question.

    Parameters
    ----------
    store
        A :class:`FieldStore` or the path of a store.
    form
        A loaded form, a form file, or None for the forms pinned in the store (every
        version); without any, columns are named and typed from the stored answers only.
    include_pii, pii
        Keep personal data, or else ``"drop"`` it / ``"pseudonymise"`` it.
    language
        ``"zh"``, ``"en"``..., or None for all languages joined ("性别 / Sex").
    key_file
        The survey's pseudonymisation key (default: the central store's own).
    safe_text
        Free-text questions known to hold no personal data (kept).

    Returns
    -------
    Wide
        ``.frame`` (columns ``interview_uuid, dwelling_id, community_id, stratum,
        interviewer, device_id, respondent_line, form_id, form_version, status, outcome,
        review_state, started_at, completed_at`` then the questions), ``.variable_labels``,
        ``.value_labels``, ``.special_columns``, ``.pii_columns``.
    """
    mode = _pii_mode(include_pii, pii)
    st, close = _open(store)
    try:
        spec = _load_spec(st, form)
        salt = _salt(st, mode, key_file)
        safe = frozenset(safe_text)
        return read_consistent(st, lambda snap: answers_wide(
            snap, spec, pii=mode, personal=personal_questions(spec, safe), safe=safe,
            salt=salt, language=language))
    finally:
        if close:
            st.close()


def export_store(store: FieldStore | str | Path, out_dir: str | Path, *,
                 format: str = "parquet", form: Any = None, include_pii: bool = False,
                 pii: str = "drop", language: str | None = None, bom: bool = False,
                 tables: Sequence[str] = TABLES, progress: Progress | None = None,
                 key_file: str | Path | None = None, safe_text: Sequence[str] = (),
                 group: bool = False) -> ExportResult:
    """Write the analysis tables of a store (see the module docstring).

    Parameters
    ----------
    store
        A :class:`FieldStore` or a store path (opened read-only, so a writer may go on).
    out_dir
        Directory for the files (created).
    format
        ``csv``, ``parquet``, ``xlsx``, ``sav`` (SPSS) or ``dta`` (Stata).
    form, include_pii, pii, language, key_file, safe_text
        As in :func:`answers_frame`.
    bom
        CSV only: UTF-8 with a byte-order mark (Excel in China opens it correctly).
    tables
        Which of ``interviews, cases, attempts, rosters, paradata`` to write.
    progress
        Optional ``progress(step, done, total)`` callback.
    group
        Files readable by the owner's group too (0640 instead of 0600).

    Returns
    -------
    ExportResult
    """
    if format not in FORMATS:
        raise StoreError("unknown export format", field="format",
                         expected=" / ".join(FORMATS), got=repr(format))
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise StoreError("unknown export table", field="tables", expected=", ".join(TABLES),
                         got=", ".join(sorted(unknown)))
    mode = _pii_mode(include_pii, pii)
    out = Path(out_dir)
    st, close = _open(store)  # a wrong store is reported before any folder is made
    try:
        spec = _load_spec(st, form)
        if language and spec is not None and spec.languages and not any(
                k == language or k.lower().endswith(f"({language.lower()})")
                for k in spec.languages):
            raise StoreError("the questionnaire has no such language", field="language",
                             expected=", ".join(spec.languages), got=repr(language),
                             hint="Give one of the form's languages, or leave --language out")
        salt = _salt(st, mode, key_file)
        safe = frozenset(safe_text)
        frames = read_consistent(st, lambda snap: _read_tables(
            snap, spec, mode, salt, safe, language, tuple(tables), progress))
        return _write_all(st, out, format, spec, mode, frames, bom, group, progress)
    finally:
        if close:
            st.close()


@dataclass
class _Frames:
    wide: Wide
    tables: dict[str, pd.DataFrame]
    pii: list[str]
    conflicts: pd.DataFrame


def _read_tables(snap: Snapshot, spec: FormSpec | None, mode: str, salt: str,
                 safe: frozenset[str], language: str | None, tables: tuple[str, ...],
                 progress: Progress | None) -> _Frames:
    """Every table of the export, from one snapshot, personal data handled."""
    conn = snap.conn
    wide = answers_wide(snap, spec, pii=mode, personal=personal_questions(spec, safe),
                        safe=safe, salt=salt, language=language) \
        if "interviews" in tables else Wide(pd.DataFrame())
    readers: dict[str, Callable[[], pd.DataFrame]] = {
        "interviews": lambda: wide.frame,
        "cases": lambda: cases_frame(conn),
        "attempts": lambda: attempts_frame(conn),
        "rosters": lambda: roster_frame(conn),
        "paradata": lambda: paradata_frame(snap),
    }
    pii = [f"interviews.{c}" for c in wide.pii_columns]
    out: dict[str, pd.DataFrame] = {}
    for k, name in enumerate(tables):
        report(progress, "read", k, len(tables))
        df = readers[name]()
        present = [c for c in PERSONAL_COLUMNS.get(name, ()) if c in df.columns]
        if mode != "include" and present:
            pii.extend(f"{name}.{c}" for c in present)
            if mode == "drop":
                df = df.drop(columns=present)
            else:
                df = df.copy()
                for c in present:
                    df[c] = [pseudonym(salt, v) for v in df[c]]
        out[name] = df
    return _Frames(wide, out, pii, find_conflicts(conn))


def _write_all(st: FieldStore, out: Path, fmt: str, spec: FormSpec | None, mode: str,
               frames: _Frames, bom: bool, group: bool,
               progress: Progress | None) -> ExportResult:
    """Write the tables under a temporary folder, move them into place, then the marker."""
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    if created:
        _files.make_private(out, group=group, directory=True)
    marker = out / "export.json"
    marker.unlink(missing_ok=True)  # from now on the folder is an unfinished export
    _remove_stale_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=f".export-{os.getpid()}-", dir=out))
    codes = [c for c, _, _ in spec.specials] if spec else []
    codes += sorted({m for q in (spec.questions.values() if spec else ()) for m in q.missing})
    tags = stata_tags(codes)
    names: dict[str, str] = {}
    rows: dict[str, int] = {}
    try:
        todo: list[tuple[str, pd.DataFrame, str, Wide | None]] = [
            (name, df, fmt, frames.wide if name == "interviews" else None)
            for name, df in frames.tables.items()]
        if len(frames.conflicts):
            todo.append(("conflicts", frames.conflicts, "csv", None))
        if "interviews" in frames.tables:
            var, val = codebook_frames(frames.wide, tags)
            todo += [("codebook_variables", var, "csv", None),
                     ("codebook_values", val, "csv", None)]
        for k, (name, df, f, wide) in enumerate(todo):
            report(progress, "export", k, len(todo))
            names[name] = f"{name}.{FORMATS[f]}"
            write_table(df, stage / names[name], f, wide, bom, tags)
            _files.make_private(stage / names[name], group=group)
            if name in frames.tables or name == "conflicts":
                rows[name] = len(df)
        for name in names.values():
            (stage / name).replace(out / name)
        if "conflicts" not in names:  # an older export's conflicts no longer hold
            (out / "conflicts.csv").unlink(missing_ok=True)
        if "interviews" in frames.tables:
            personal = personal_questions(spec) if mode != "include" else frozenset()
            media = _write_media(st, stage / "media", out / "media", personal, group)
            if media:
                rows["media"] = media
            from fieldsurvey.store.audit import write_audits  # forms with an audit question

            audits = write_audits(st, stage, out, personal=personal, group=group) if (
                spec is None or any(q.type == "audit" for q in spec.questions.values())) else 0
            if audits:
                rows["audit"], names["audit"] = audits, "audit.csv"
        report(progress, "export", len(todo), len(todo))
        manifest = _manifest(st, fmt, spec, mode, names, rows, frames.pii, tags)
        with open(stage / "export.json", "w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, ensure_ascii=False, indent=2))
        _files.make_private(stage / "export.json", group=group)
        _files.fsync_file(stage / "export.json")
        (stage / "export.json").replace(marker)
        _files.fsync_dir(out)
    except OSError as exc:
        if _files.disk_error(exc):
            raise StoreError(
                "the disk is full: the export was not completed (no table of this export was "
                "put in place; export.json was removed, so the folder reads as unfinished)",
                file=str(out), got=str(exc), hint="Free some space and export again") from exc
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    files = {k: out / v for k, v in names.items()}
    if "media" in rows:
        files["media"] = out / "media"
    return ExportResult(files, rows, mode, tuple(frames.pii), marker)


def _write_media(st: FieldStore, stage: Path, dest: Path, personal: frozenset[str],
                 group: bool) -> int:
    """Media answers' files as ``media/<sha256>-<name>`` beside the data; how many.

    The files of ``personal`` questions (marked sensitive) stay out unless personal data
    is included (a pseudonym of a photo would not hide it).
    """
    from fieldsurvey.store.media import write_media

    try:
        rows = st.connection.execute(
            "SELECT DISTINCT a.question, a.value FROM answers a JOIN media m "
            "ON m.sha256 = substr(a.value, 1, 64) WHERE a.vtype IS NOT NULL").fetchall()
    except sqlite3.OperationalError:  # a store from before media (schema < 6)
        return 0
    texts = [str(v) for q, v in rows if q not in personal]
    written = write_media(st, stage, texts)
    if written:
        dest.mkdir(exist_ok=True)
        for name in written:
            _files.make_private(stage / name, group=group)
            (stage / name).replace(dest / name)
    return len(written)


def _remove_stale_stages(out: Path) -> None:
    """Remove staging folders that killed exports left (their process is gone)."""
    for stage in out.glob(".export-*"):
        pid = stage.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # an export in progress
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
        shutil.rmtree(stage, ignore_errors=True)


def _manifest(st: FieldStore, fmt: str, spec: FormSpec | None, mode: str,
              names: dict[str, str], rows: dict[str, int], pii: list[str],
              tags: dict[int, str]) -> dict[str, Any]:
    reasons = {c: ("personal question of the form, or free text" if c.startswith(
        "interviews.") else REASONS.get(c.partition(".")[0], "personal data")) for c in pii}
    labels = {c: n for c, n, _ in spec.specials} if spec else {}
    for q in spec.questions.values() if spec else ():
        for m in q.missing:
            labels.setdefault(m, "missing choice")
    return {
        "survey_id": st.survey_id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "format": fmt,
        "form": None if spec is None else {"form_id": spec.form_id, "version": spec.version},
        "files": names,
        "rows": rows,
        "personal_data": {
            "handling": {"include": "included", "drop": "left out",
                         "pseudonymise": "replaced by stable pseudonyms"}[mode],
            "columns": list(pii),
            "why": reasons,
        },
        "special_codes": None if spec is None else {str(c): n for c, n in labels.items()},
        "stata_tags": {str(c): f".{t}" for c, t in tags.items()},
        "missing": "empty cells are unanswered (system missing); special answers and choices "
                   "the form marks missing keep their codes: declared user-missing in .sav, "
                   "tagged missing (.a, .b ...) in .dta, listed in codebook_values.csv",
    }

