"""Boundary files that arrive zipped, as portals and colleagues send shapefiles.

The archive is unpacked into a temporary folder (the user's file is left as it is) and
the one vector file inside is read; with several, the user names one by ``--layer``.
Entry names written by Chinese Windows tools are GBK without the zip's UTF-8 flag;
they are decoded as GBK so notes and messages show them as the user sees them.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fieldsurvey.io.errors import InputError

__all__ = ["VECTOR_SUFFIXES", "unzipped"]

#: Files inside an archive that can be a boundary layer.
VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".topojson", ".kml", ".kmz", ".gml")


def _entry_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


@contextmanager
def unzipped(path: Path, choice: str | None, option: str = "--layer") -> Iterator[tuple[Path, str]]:
    """Yield (the vector file inside ``path`` unpacked, its name in the archive).

    Raises
    ------
    InputError
        Not a zip archive, no vector file inside, or several and none chosen.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("the file is not a readable zip archive", file=path,
                         got=str(exc)[:120], hint="Download or copy the archive again") from None
    with archive, tempfile.TemporaryDirectory(prefix="fieldsurvey-zip-") as tmp:
        names = {}
        for info in archive.infolist():
            name = _entry_name(info)
            if info.is_dir() or name.startswith("__MACOSX/") or Path(name).name.startswith("."):
                continue
            target = Path(tmp) / name
            if not target.resolve().is_relative_to(Path(tmp).resolve()):
                continue  # an entry that would land outside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            names[name] = target
        found = sorted(n for n in names if Path(n).suffix.lower() in VECTOR_SUFFIXES)
        if choice is not None:
            picked = [n for n in found if choice in (n, Path(n).name, Path(n).stem)]
            if not picked:
                raise InputError("the archive has no vector file of that name", file=path,
                                 field="layer", expected=f"one of {', '.join(found) or '(none)'}",
                                 got=repr(choice), hint=f"Name one of them with {option}")
            found = picked[:1]
        if not found:
            raise InputError(
                "the archive holds no vector file", file=path,
                expected="a .shp (with its .shx, .dbf, .prj), .gpkg, .geojson or .kml inside",
                got=", ".join(sorted(names)[:12]) or "(empty)",
                hint="Zip the boundary layer itself, or unpack the archive and give the file")
        if len(found) > 1:
            raise InputError(
                f"the archive holds {len(found)} vector files", file=path, field="layer",
                got=", ".join(found[:12]),
                hint=f"Name the one with the community polygons with {option} (for example "
                f"{option} {Path(found[0]).stem})")
        yield names[found[0]], found[0]
