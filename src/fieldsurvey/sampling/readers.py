"""Read the tables the sampler is given: communities, dwelling frames, stage-1 samples.

A communities table may be a boundary file (GeoPackage, GeoJSON, Shapefile, KML; read by
:func:`fieldsurvey.io.boundaries.read_boundaries`, geometry dropped) or a plain table read
by :func:`fieldsurvey.io.tables.read_table` (CSV in UTF-8/UTF-8 with BOM/GBK, XLSX,
Parquet, by content). A dwelling frame is the GeoParquet made by ``fieldsurvey frame
build`` (read and checked by :func:`fieldsurvey.frame.read_frame`) or any table with the
frame's columns. Ids (``community_id``, ``dwelling_id``) are always read as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsurvey.io.errors import InputError
from fieldsurvey.io.schema import FRAME_META_KEY
from fieldsurvey.io.tables import read_table, table_format

if TYPE_CHECKING:
    import pandas as pd

    from fieldsurvey.io.progress import Progress
    from fieldsurvey.sampling.design import Design

__all__ = ["ID_COLUMNS", "draw_from_partitioned", "read_communities", "read_dwelling_frame",
           "read_selected"]

#: Columns read as text whatever they look like (leading zeros in ids survive).
ID_COLUMNS: tuple[str, ...] = ("community_id", "dwelling_id")

_VECTOR = {".gpkg", ".geojson", ".json", ".shp", ".kml", ".fgb", ".gml"}


def read_communities(path: str | Path, *, id_field: str = "community_id",
                     encoding: str | None = None, crs: Any = None,
                     text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a communities table from a boundary file or a plain table (no geometry).

    The id column and the ``text`` columns (a design's stratifiers) of a plain table are
    read as text, so codes such as ``340104001`` or ``01`` keep their leading zeros.
    """
    import pandas as pd

    path = Path(path)
    if path.suffix.lower() in _VECTOR or path.is_dir():
        from fieldsurvey.io.boundaries import read_boundaries

        b = read_boundaries(path, id_field=id_field, encoding=encoding, crs=crs)
        table = pd.DataFrame(b.frame.drop(columns=["geometry"], errors="ignore")).reset_index(
            drop=True)
        # the reader names the id community_id and some fields by role (name, households);
        # a design names the file's own fields (CPTVID, VNAME, 户数): keep those names too
        for std, src in {**b.fields, "community_id": b.id_field}.items():
            if src and src not in table.columns and std in table.columns:
                table[src] = table[std]
        table.attrs["source"] = str(path)
        return table
    from fieldsurvey.io.tables import file_row

    keep = (id_field, *text, *ID_COLUMNS)
    table = read_table(path, what="communities table", text=keep, encoding=encoding)
    first = 0
    if id_field not in table.columns:
        table, first = _below_titles(path, id_field, keep, encoding, table)
    if any(c in table.columns and table[c].isna().any() for c in text) and \
            table_format(path) == "xlsx":
        _fill_merged(path, table, [c for c in text if c in table.columns], file_row(first),
                     table.attrs.get("sheet"))
    table.attrs["source"] = str(path)  # for messages naming the file and its rows
    table.attrs["first_row"] = file_row(first)
    return table


def _fill_merged(path: Path, table: pd.DataFrame, columns: list[str], first_row: int,
                 sheet: str | None) -> None:
    """Give every cell of a merged range of ``columns`` the range's value (in place).

    A workbook typed by hand often merges a stratum (街道) over its communities' rows;
    only the top cell then holds the value. Only in the sheet read, and only when its
    header row holds the column names where the table has them.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception:  # noqa: BLE001 - unreadable here: the table stays as read
        return
    try:
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        header = first_row - 1
        where: dict[int, str] = {}
        for cell in ws[header]:
            text = str(cell.value).strip() if cell.value is not None else ""
            if text in columns and isinstance(cell.column, int):
                where[cell.column] = text
        for rng in ws.merged_cells.ranges:
            for col in range(rng.min_col, rng.max_col + 1):
                name = where.get(col)
                if name is None or rng.max_row <= header:
                    continue
                value = ws.cell(rng.min_row, rng.min_col).value
                if value is None:
                    continue
                lo = max(rng.min_row, first_row) - first_row
                hi = rng.max_row - first_row
                if hi >= len(table):
                    continue
                block = table[name].iloc[lo:hi + 1]
                table.loc[block.index[block.isna()], name] = str(value).strip()
    finally:
        wb.close()


def _csv_below_titles(path: Path, id_field: str, keep: tuple[str, ...],
                      encoding: str | None, table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """:func:`_below_titles` for a CSV whose title lines have fewer fields than the table."""
    import csv
    import io

    import pandas as pd

    from fieldsurvey.io.encoding import decode_text
    from fieldsurvey.io.tables import csv_separator

    text = decode_text(path.read_bytes(), encoding, file=str(path))[0].lstrip("\ufeff")
    lines = text.splitlines(keepends=True)
    for k, line in enumerate(lines[:20]):
        sep = csv_separator(line, path.suffix.lower())
        cells = [c.strip() for c in next(csv.reader([line], delimiter=sep), [])]
        if id_field not in cells:
            continue
        body = pd.read_csv(io.StringIO("".join(lines[k:])), sep=sep,
                           dtype={c: str for c in keep if c in cells})
        body.columns = [str(c).strip() for c in body.columns]
        # table position p is spreadsheet row p + 2 of the file as read; the header here
        # is line k + 1, so its first data row is position k of that numbering
        return body, k
    return table, 0


def _sheet_names(path: Path) -> list[str]:
    """The sheets of an XLSX workbook, in order (empty when they cannot be listed)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - read_table has already named what is wrong
        return []
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _below_titles(path: Path, id_field: str, keep: tuple[str, ...], encoding: str | None,
                  table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The table under its real header when title lines or sheets come first.

    A workbook's sheet is the first whose top rows hold ``id_field`` as a cell (past a
    填表说明 / notes sheet); in it, or in a CSV, the header is the first of the top rows
    holding ``id_field``. Columns below such a header are parsed as numbers where every
    cell is a number, ``keep`` stays text. Returns the table (``attrs["sheet"]`` naming
    a sheet other than the first) and the position, in the sheet read with its first row
    as header, of its first data row; the table as read when no such row is found (the
    caller names the missing column).
    """
    if table_format(path) == "csv":
        return _csv_below_titles(path, id_field, keep, encoding, table)
    sheets: list[str | int] = list(_sheet_names(path)) or [0]
    for i, sheet in enumerate(sheets):
        if i:
            whole = read_table(path, what="communities table", text=keep, sheet=sheet)
            if id_field in whole.columns:
                whole.attrs["sheet"] = str(sheet)
                return whole, 0
        raw = read_table(path, what="communities table", text=True, sheet=sheet)
        found = _header_below(raw, id_field, keep)
        if found is not None:
            if i:
                found[0].attrs["sheet"] = str(sheet)
            return found
    return table, 0


def _header_below(raw: pd.DataFrame, id_field: str,
                  keep: tuple[str, ...]) -> tuple[pd.DataFrame, int] | None:
    import pandas as pd

    for k in range(min(len(raw), 20)):
        cells = [str(v).strip() if isinstance(v, str) else "" for v in raw.iloc[k]]
        if id_field not in cells:
            continue
        names = [c or f"column {j + 1}" for j, c in enumerate(cells)]
        if len(set(names)) < len(names):
            continue
        body = raw.iloc[k + 1:].copy()
        body.columns = names
        for col in names:
            if col in keep:
                continue
            values = pd.to_numeric(body[col], errors="coerce")
            if (values.notna() | body[col].isna()).all():
                body[col] = values
        return body.reset_index(drop=True), k + 1
    return None


def read_selected(path: str | Path) -> pd.DataFrame:
    """Read a stage-1 sample (the communities drawn), ids as text."""
    return read_table(path, what="stage-1 sample", text=ID_COLUMNS)


def read_dwelling_frame(path: str | Path, text: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a dwelling frame (GeoParquet from ``fieldsurvey frame build``, or any table).

    A Parquet file carrying fieldsurvey frame metadata is read by
    :func:`fieldsurvey.frame.read_frame` (which checks it); any other table with the frame's
    columns is read as a plain table. The geometry is dropped (lon/lat stay).
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if table_format(path, what="dwelling frame") == "parquet":
        try:
            meta = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError):
            meta = {}  # damaged: read_table says so in the common words
        if FRAME_META_KEY in meta:
            from fieldsurvey.frame import read_frame

            table = read_frame(path).frame
            frame = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
            frame.attrs.update(table.attrs)  # e.g. the communities the listing missed
            return frame
    table = read_table(path, what="dwelling frame", text=(*ID_COLUMNS, *text))
    if {"line", "pi", "base_weight"} <= set(table.columns):
        raise InputError("this is a sample, not a dwelling frame", file=str(path),
                         expected="the frame written by 'fieldsurvey frame build'",
                         got="the sample columns line, pi, base_weight",
                         hint="Give --frame frame.parquet (the whole listing), not a sample")
    return table


def _design_columns(d: Design) -> list[str]:
    """The frame columns stage 1 reads (as :func:`.stages.communities_from_frame`)."""
    s1 = d.stage1
    used = (s1.id, *d.stratify, *s1.sort, s1.size, s1.sd if isinstance(s1.sd, str) else None)
    return [c for c in dict.fromkeys(used) if c is not None]


def _first_rows(root: Path, parts: list[str], columns: list[str], d: Design) -> Any:
    """Stage 1's columns at the first dwelling (in listing order) of every community.

    Each part holds whole communities, so the parts are read side by side, each
    checked as the whole frame would be (an attribute varying within a community).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from fieldsurvey.frame.partitions import read_parts
    from fieldsurvey.sampling.stages import communities_from_frame

    def one(name: str) -> Any:
        table = read_parts(root, [name], columns=[*columns, "source_row"])
        df = table.to_pandas()
        if len(df):
            communities_from_frame(df, d)  # its checks, part by part
        order = np.lexsort((df["source_row"].to_numpy(),
                            pd.factorize(df[d.stage1.id])[0]))
        codes = pd.factorize(df[d.stage1.id])[0][order]
        first = order[np.r_[True, codes[1:] != codes[:-1]]] if len(order) else order
        return table.take(pa.array(first, type=pa.int64()))

    with ThreadPoolExecutor(max_workers=max(1, min(len(parts), os.cpu_count() or 1))) as pool:
        tables = list(pool.map(one, parts))
    return pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()


def draw_from_partitioned(path: str | Path, design: Design, seed: int | None = None, *,
                          stage: int | None = None, selected: pd.DataFrame | None = None,
                          communities: pd.DataFrame | None = None,
                          progress: Progress | None = None) -> pd.DataFrame:
    """:func:`.stages.draw_sample` from a partitioned frame, reading only what it needs.

    Stage 1 reads its few columns from every part (side by side, one thread a part)
    and keeps each community's first dwelling; stage 2 then reads every column of the
    selected communities only (the parts are stored by community, so the row groups
    of the other communities are skipped). :func:`~.stages.draw_sample` draws from
    those rows plus one row per other community (their stage-1 attributes), with the
    random stream of each stratum and community, so the sample is byte for byte the one
    drawn from the whole frame read into memory. Designs without stage 2 read the
    whole frame.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fieldsurvey.frame.partitions import partitioned_manifest, read_parts, unlisted
    from fieldsurvey.io.progress import report
    from fieldsurvey.sampling._streams import resolve_seed
    from fieldsurvey.sampling.stages import draw_sample

    root = Path(path)
    info = partitioned_manifest(root)
    parts: list[str] = list(info["parts"])
    seed = resolve_seed(seed if seed is not None else design.seed)
    cid = design.stage1.id
    names = pq.read_schema(root / parts[0]).names if parts else []
    if design.stage2 is None or stage == 1 or cid not in names or not parts:
        frame = _whole(root)
        return draw_sample(frame, design, seed, stage=stage, selected=selected,
                           communities=communities, progress=progress)
    report(progress, "read frame", 0, 2)
    extra = None
    if stage == 2:
        assert selected is not None
        wanted = sorted({str(v) for v in selected["community_id"]})
    else:
        used = [c for c in _design_columns(design) if c in names]
        summary = (info.get("qa") or {}).get("summary") or {}
        known = {cid, *info.get("community_columns", ())}
        if info.get("first_rows") and set(used) <= known and \
                summary.get("assigned") == summary.get("dwellings"):
            # every column stage 1 uses is a community attribute (constant within each
            # community by construction) and every dwelling has a community: the
            # first dwellings written by the build are all stage 1 needs
            firsts = pq.read_table(root / info["first_rows"], columns=[*used, "source_row"])
        else:
            firsts = _first_rows(root, parts, used, design)
        thin = firsts.to_pandas().sort_values("source_row", kind="stable")
        thin["dwelling_id"] = ""  # (a dwelling frame for stage 1; no dwelling is drawn)
        chosen = draw_sample(thin.reset_index(drop=True), design, seed, stage=1,
                             communities=communities)
        wanted = sorted({str(v) for v in chosen["community_id"]})
        ids = firsts.column(cid).cast(pa.large_string()).to_numpy(zero_copy_only=False)
        extra = firsts.filter(pa.array(~np.isin(ids.astype(str), wanted)))
    report(progress, "read frame", 1, 2)
    table = read_parts(root, parts, only=(cid, wanted))
    if extra is not None and extra.num_rows:
        if table.num_rows == 0:
            frame = _whole(root)
            return draw_sample(frame, design, seed, stage=stage, selected=selected,
                               communities=communities, progress=progress)
        # one row per other community: stage-1 attributes of its first dwelling, the
        # other columns a copy of a drawn row (never drawn: only stage 1 looks at them)
        filler = table.take(pa.array(np.zeros(extra.num_rows, dtype=np.int64)))
        for name in extra.column_names:
            filler = filler.set_column(filler.schema.get_field_index(name),
                                       filler.schema.field(name),
                                       extra.column(name).cast(filler.schema.field(name).type))
        table = pa.concat_tables([table, filler]).unify_dictionaries()
    frame = table.drop_columns(["geometry"]).to_pandas()
    frame = frame.sort_values("source_row", kind="stable").reset_index(drop=True)
    frame.attrs["unlisted_communities"] = unlisted(info)
    report(progress, "read frame", 2, 2)
    sample = draw_sample(frame, design, seed, stage=stage, selected=selected,
                         communities=communities, progress=progress)
    drawn = {str(v) for v in sample["community_id"]}
    if not drawn <= set(wanted):  # stage 1 here must be the stage 1 above
        raise RuntimeError(f"communities drawn beyond those read: {sorted(drawn - set(wanted))}")
    return sample


def _whole(root: Path) -> pd.DataFrame:
    import pandas as pd

    from fieldsurvey.frame import read_frame

    table = read_frame(root).frame
    frame = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
    frame.attrs.update(table.attrs)
    return frame
