"""Entry point of the ``fieldsurvey`` command.

Each verb lives in its own module ``fieldsurvey.cli.<verb>`` exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``(args) -> int``. ``main`` turns every :class:`~fieldsurvey.io.errors.FieldsurveyError`
(and file-system errors a user can cause) into one paragraph on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from fieldsurvey import __version__
from fieldsurvey.io.errors import FieldsurveyError, InputError

# The verbs, in the order of the method. Each is a module of this package.
COMMANDS: tuple[str, ...] = (
    "demo",
    "frame",
    "sample",
    "maps",
    "form",
    "assign",
    "interview",
    "merge",
    "progress",
    "export",
    "rates",
    "weights",
    "estimate",
    "report",
)

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

# File-system errors a user causes (a wrong path, a read-only or full disk): rendered as one
# paragraph. Any other OSError is a programming error and keeps its traceback.
_USER_ERRNOS = frozenset({
    errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EEXIST,
    errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.ENAMETOOLONG, errno.ELOOP,
})

# The temporary name `_atomic.atomic_path` writes to: ".<target name>.<8 random chars>.part".
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}(?:\.part)?$")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one paragraph (no usage block) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            EXIT_USER_ERROR,
            f"{self.prog}: error: {message.rstrip('.')}. "
            f"Run '{self.prog} --help' to see the options.\n",
        )


def refuse_overwriting_inputs(outputs: Iterable[object], inputs: Iterable[object],
                              option: str = "--out") -> None:
    """Raise if an output path is one of the input files (``--out frame`` beside
    ``--frame frame.parquet`` would replace the frame with the sample).
    """
    given = {Path(str(p)).resolve(): p for p in inputs if p}
    for out in outputs:
        if out and Path(str(out)).resolve() in given:
            raise InputError("the output would overwrite an input file", file=str(out),
                             field=option,
                             hint="Give another output name; inputs are never overwritten")


def output_format(given: str | None, out: Path | None) -> str:
    """The ``--format`` asked for, else the one the output's suffix (.csv/.json) names, else
    table; a format that contradicts the output's name is a mistake.
    """
    if out is None:
        return given or "table"
    implied = {".csv": "csv", ".json": "json"}.get(out.suffix.lower())
    if given is not None and implied is not None and given != implied:
        raise InputError(f"--format {given} does not match the output name", file=str(out),
                         field="--format", expected=f"--format {implied} for a {out.suffix} file",
                         hint="Drop --format (the suffix decides) or rename the output")
    return given or implied or "table"


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available verb."""
    parser = _Parser(
        prog="fieldsurvey",
        description=(
            "Map-based household surveys: build a checked sampling frame, draw a multi-stage "
            "sample, print field maps, run interviews, and compute rates, weights and "
            "design-based estimates."
        ),
    )
    parser.add_argument("--version", action="version", version=f"fieldsurvey {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"fieldsurvey.cli.{name}")
        except ModuleNotFoundError as exc:  # a verb not built yet
            if exc.name == f"fieldsurvey.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def _user_path(name: object) -> object:
    """The path the user gave, for a temporary file written beside it."""
    if not isinstance(name, str | Path):
        return name
    path = Path(name)
    match = _TEMP_NAME.match(path.name)
    return path.with_name(match["name"]) if match else name


def _paragraph_for_os_error(exc: OSError) -> str:
    name = _user_path(getattr(exc, "filename", None))
    where = f"file {name}: " if name else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (
            f"{where}the disk is full, so nothing more could be written. Everything written "
            "before this point is safe. Free some space and run the command again."
        )
    if isinstance(exc, FileNotFoundError):
        return f"{where}no such file or directory. Check the path and run the command again."
    if isinstance(exc, PermissionError):
        return f"{where}permission denied. Check that you may read (or write) it."
    if isinstance(exc, IsADirectoryError):
        return f"{where}this is a directory, but a file was expected. Give the path of a file."
    if exc.errno == errno.EROFS:
        return (f"{where}the file system is read-only, so the output cannot be written there. "
                "Give an output path on a writable disk.")
    if isinstance(exc, NotADirectoryError | FileExistsError):
        return (f"{where}part of this path is an existing file where a directory is needed. "
                "Give an output path whose folders are folders (or a new name).")
    return f"{where}{exc.strerror or exc}. Check the path and the disk, then run the command again."


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR if args.command is None else 0
    try:
        return int(args.func(args) or 0)
    except FieldsurveyError as exc:
        print(f"fieldsurvey {args.command}: error: {exc.paragraph()}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        if exc.errno not in _USER_ERRNOS:
            raise
        print(f"fieldsurvey {args.command}: error: {_paragraph_for_os_error(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("fieldsurvey: interrupted; outputs not completed were not written.", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:  # pragma: no cover - console script shim
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
