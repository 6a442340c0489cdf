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
``export.json``             what was exported: survey, format, files, row counts, the special
                            codes, and how personal data was handled (written last)
==========================  ==================================================================

Special answers (不知道 / 拒绝回答, -8 / -9 by default) stay distinct from missing: they
are their codes, labelled in SPSS and Stata, declared as user-missing values in SPSS,
while an unanswered question is empty (system missing). Personal data — questions the
form marks sensitive, roster names, exact addresses — is left out (``pii="drop"``, the
default) or replaced by stable pseudonyms (HMAC with the survey's key) unless
``include_pii=True``; ``export.json`` says which.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.atomic import atomic_path
from fieldsurvey.io.errors import StoreError
from fieldsurvey.io.progress import Progress, report
from fieldsurvey.store._frames import (
    ADDRESS_COLUMNS,
    Wide,
    answers_wide,
    attempts_frame,
    cases_frame,
    paradata_frame,
    pseudonym,
    roster_frame,
)
from fieldsurvey.store._labels import form_spec
from fieldsurvey.store.store import FieldStore

__all__ = ["FORMATS", "ExportResult", "answers_frame", "cases_frame", "export_store"]

#: Export formats and their file extensions.
FORMATS: dict[str, str] = {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx", "sav": "sav",
                           "dta": "dta"}
TABLES: tuple[str, ...] = ("interviews", "cases", "attempts", "rosters", "paradata")
_XLSX_ROWS = 1_048_575


@dataclass(frozen=True)
class ExportResult:
    """Files written by :func:`export_store` (table name -> path), their row counts, and
    the columns treated as personal data with how they were handled.
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


def _load_form(store: FieldStore, form: Any) -> Any:
    """The form to label with: a Form, a path, or the one pinned in the store."""
    if form is None:
        pinned = store.forms()
        if len(pinned) != 1:
            return None
        import tempfile

        from fieldsurvey.questionnaire import load_form

        name, content = store.form_file(pinned[0]["form_id"], pinned[0]["version"])
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / Path(name).name
            p.write_bytes(content)
            return load_form(p)
    if isinstance(form, (str, Path)):
        from fieldsurvey.questionnaire import load_form

        return load_form(form)
    return form


def answers_frame(store: FieldStore | str | Path, form: Any = None, *,
                  include_pii: bool = False, pii: str = "drop",
                  language: str | None = None) -> Wide:
    """The respondent-level table: one row per interview, one column per question.

    Parameters
    ----------
    store
        A :class:`FieldStore` or the path of a store.
    form
        A loaded form, a form file, or None for the form pinned in the store (if exactly
        one); without any, columns are named and typed from the stored answers only.
    include_pii, pii
        Keep personal-data questions, or else ``"drop"`` them / ``"pseudonymise"`` them.
    language
        ``"zh"``, ``"en"``..., or None for all languages joined ("性别 / Sex").

    Returns
    -------
    Wide
        ``.frame`` (columns ``interview_uuid, dwelling_id, community_id, stratum,
        interviewer, device_id, respondent_line, form_id, form_version, status, outcome,
        review_state, started_at, completed_at`` then the questions), ``.variable_labels``,
        ``.value_labels``, ``.special_columns``, ``.pii_columns``.
    """
    st, close = _open(store)
    try:
        loaded = _load_form(st, form)
        spec = form_spec(loaded) if loaded is not None else None
        return answers_wide(st, spec, pii="include" if include_pii else _pii_mode(pii),
                            language=language)
    finally:
        if close:
            st.close()


def _pii_mode(pii: str) -> str:
    if pii not in ("drop", "pseudonymise", "pseudonymize"):
        raise StoreError("unknown handling of personal data", field="pii",
                         expected="drop or pseudonymise", got=repr(pii))
    return "pseudonymise" if pii.startswith("pseudonym") else "drop"


def export_store(store: FieldStore | str | Path, out_dir: str | Path, *,
                 format: str = "parquet", form: Any = None, include_pii: bool = False,
                 pii: str = "drop", language: str | None = None, bom: bool = False,
                 tables: Sequence[str] = TABLES,
                 progress: Progress | None = None) -> ExportResult:
    """Write the analysis tables of a store (see the module docstring).

    Parameters
    ----------
    store
        A :class:`FieldStore` or a store path (opened read-only, so a writer may go on).
    out_dir
        Directory for the files (created).
    format
        ``csv``, ``parquet``, ``xlsx``, ``sav`` (SPSS) or ``dta`` (Stata).
    form, include_pii, pii, language
        As in :func:`answers_frame`.
    bom
        CSV only: UTF-8 with a byte-order mark (Excel in China opens it correctly).
    tables
        Which of ``interviews, cases, attempts, rosters, paradata`` to write.
    progress
        Optional ``progress(step, done, total)`` callback.

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
    mode = "include" if include_pii else _pii_mode(pii)
    out = Path(out_dir)
    st, close = _open(store)  # a wrong store is reported before any folder is made
    try:
        conn = st.connection
        conn.execute("BEGIN")  # one consistent snapshot while a writer may go on
        try:
            result = _export(st, out, format, form, mode, language, bom, tuple(tables),
                             progress)
        finally:
            conn.execute("COMMIT")
        return result
    finally:
        if close:
            st.close()


def _export(st: FieldStore, out: Path, fmt: str, form: Any, mode: str, language: str | None,
            bom: bool, tables: tuple[str, ...], progress: Progress | None) -> ExportResult:
    files: dict[str, Path] = {}
    rows: dict[str, int] = {}
    pii_cols: list[str] = []
    salt = st.meta.get("pii_salt", "")
    loaded = _load_form(st, form)
    spec = form_spec(loaded) if loaded is not None else None
    if language and spec is not None and spec.languages and not any(
            k == language or k.lower().endswith(f"({language.lower()})") for k in spec.languages):
        raise StoreError("the questionnaire has no such language", field="language",
                         expected=", ".join(spec.languages), got=repr(language),
                         hint="Give one of the form's languages, or leave --language out")
    out.mkdir(parents=True, exist_ok=True)
    wide = answers_wide(st, spec, pii=mode, language=language) if "interviews" in tables \
        else Wide(pd.DataFrame())
    builders = {
        "interviews": lambda: wide.frame,
        "cases": lambda: _private(cases_frame(st), ADDRESS_COLUMNS, mode, salt, pii_cols,
                                  "cases"),
        "attempts": lambda: attempts_frame(st),
        "rosters": lambda: _private(roster_frame(st), ("name",), mode, salt, pii_cols,
                                    "rosters"),
        "paradata": lambda: paradata_frame(st),
    }
    for k, name in enumerate(tables):
        report(progress, "export", k, len(tables))
        df = builders[name]()
        path = out / f"{name}.{FORMATS[fmt]}"
        meta = wide if name == "interviews" else None
        _write(df, path, fmt, meta, bom)
        files[name], rows[name] = path, len(df)
    report(progress, "export", len(tables), len(tables))
    conflicts = st.conflicts()
    if len(conflicts):
        _write(conflicts, out / "conflicts.csv", "csv", None, bom)
        files["conflicts"], rows["conflicts"] = out / "conflicts.csv", len(conflicts)
    if "interviews" in tables:
        files.update(_codebook(wide, out, bom))
    pii_all = tuple(wide.pii_columns) + tuple(pii_cols)
    manifest = {
        "survey_id": st.survey_id,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "format": fmt,
        "form": None if spec is None else {"form_id": spec.form_id, "version": spec.version},
        "files": {k: p.name for k, p in files.items()},
        "rows": rows,
        "personal_data": {
            "handling": {"include": "included", "drop": "left out",
                         "pseudonymise": "replaced by stable pseudonyms"}[mode],
            "columns": list(pii_all),
        },
        "special_codes": None if spec is None else {str(c): n for c, n, _ in spec.specials},
        "missing": "empty cells are unanswered (system missing); special answers keep their "
                   "codes (declared user-missing in .sav)",
    }
    path = out / "export.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return ExportResult(files, rows, mode, pii_all, path)


def _private(df: pd.DataFrame, columns: tuple[str, ...], mode: str, salt: str,
             record: list[str], table: str) -> pd.DataFrame:
    present = [c for c in columns if c in df.columns]
    if mode == "include" or not present:
        return df
    record.extend(f"{table}.{c}" for c in present)
    if mode == "drop":
        return df.drop(columns=present)
    df = df.copy()
    for c in present:
        df[c] = [pseudonym(salt, v) for v in df[c]]
    return df


def _codebook(wide: Wide, out: Path, bom: bool) -> dict[str, Path]:
    var = pd.DataFrame({"variable": list(wide.variable_labels),
                        "question": [wide.questions.get(c, c) for c in wide.variable_labels],
                        "label": list(wide.variable_labels.values())})
    val = pd.DataFrame([{"variable": c, "code": k, "label": v}
                        for c, labels in wide.value_labels.items() for k, v in labels.items()],
                       columns=["variable", "code", "label"])
    paths = {"codebook_variables": out / "codebook_variables.csv",
             "codebook_values": out / "codebook_values.csv"}
    _write(var, paths["codebook_variables"], "csv", None, bom)
    _write(val, paths["codebook_values"], "csv", None, bom)
    return paths


def _for_stats(df: pd.DataFrame) -> pd.DataFrame:
    """Plain numpy/object columns for pyreadstat (nullable ints -> float, bools -> 0/1)."""
    out = {}
    for c in df.columns:
        s = df[c]
        if (isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iub") \
                or s.dtype == bool or s.dtype.kind in "if":
            out[c] = s.astype("float64")
        else:
            vals = s.astype(object).to_numpy()
            if all(v is None or isinstance(v, bool | np.bool_) or
                   (isinstance(v, float) and np.isnan(v)) for v in vals):
                out[c] = pd.Series([np.nan if v is None or isinstance(v, float) else float(v)
                                    for v in vals], index=df.index, dtype="float64")
            else:
                out[c] = pd.Series(["" if v is None or (isinstance(v, float) and np.isnan(v))
                                    else str(v) for v in vals], index=df.index, dtype=object)
    return pd.DataFrame(out, index=df.index)


def _write(df: pd.DataFrame, path: Path, fmt: str, wide: Wide | None, bom: bool) -> None:
    if fmt == "xlsx" and len(df) > _XLSX_ROWS:
        raise StoreError("the table has more rows than an Excel sheet holds", file=str(path),
                         got=f"{len(df)} rows", hint="Export as csv or parquet instead")
    if fmt in ("xlsx", "sav", "dta"):
        df = _naive_times(df)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            df.to_csv(tmp, index=False, encoding="utf-8-sig" if bom else "utf-8")
        elif fmt == "parquet":
            _for_parquet(df).to_parquet(tmp, index=False)
        elif fmt == "xlsx":
            df.to_excel(tmp, index=False, engine="openpyxl")
        else:
            import pyreadstat

            plain = _for_stats(df)
            labels = dict(wide.variable_labels) if wide else {}
            vlabels = dict(wide.value_labels) if wide else {}
            col_labels = [labels.get(c, c) for c in plain.columns]
            if fmt == "sav":
                missing: dict[str, list[Any]] = {c: [float(x) for x in v][:3]
                           for c, v in (wide.special_columns.items() if wide else ())
                           if plain[c].dtype.kind == "f"}
                pyreadstat.write_sav(plain, str(tmp), column_labels=col_labels,
                                     variable_value_labels=vlabels, missing_ranges=missing)
            else:
                long = [c for c in plain.columns if len(c) > 32]
                if long:
                    raise StoreError("Stata variable names have at most 32 characters",
                                     file=str(path), field=long[0],
                                     got=f"{len(long)} longer name(s)",
                                     hint="Shorten the question names in the form, or export "
                                     "as sav, parquet or csv")
                pyreadstat.write_dta(plain, str(tmp), version=15,
                                     column_labels=[x[:80] for x in col_labels],
                                     variable_value_labels=vlabels)


def _naive_times(df: pd.DataFrame) -> pd.DataFrame:
    """Time-zone aware columns as naive UTC (Excel, SPSS and Stata have no time zones)."""
    aware = [c for c in df.columns if isinstance(df[c].dtype, pd.DatetimeTZDtype)]
    if not aware:
        return df
    df = df.copy()
    for c in aware:
        df[c] = df[c].dt.tz_convert("UTC").dt.tz_localize(None)
    return df


def _for_parquet(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns that mix types become text, so Arrow gets one type per column."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object:
            vals = out[c].to_numpy()
            kinds = {type(v) for v in vals if v is not None and not
                     (isinstance(v, float) and np.isnan(v))}
            if len(kinds) > 1:
                out[c] = [None if v is None else str(v) for v in vals]
    return out
