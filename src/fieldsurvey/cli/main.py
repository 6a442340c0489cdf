"""Entry point of the ``fieldsurvey`` command.

Each verb lives in its own module (:data:`COMMANDS` maps the verb to it) exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``(args) -> int``. Only the module of the verb being run is imported: ``fieldsurvey --help``
lists the verbs from their modules' docstrings without importing them, so the command starts
in a fraction of a second; a verb module keeps its heavy imports (pandas, scipy, geopandas,
reportlab, textual, pyarrow) inside the functions that use them, so ``fieldsurvey VERB
--help`` is fast too.

``main`` turns every :class:`~fieldsurvey.io.errors.FieldsurveyError` (and file-system errors
a user can cause) into one paragraph on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import importlib.util
import re
import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from fieldsurvey import __version__
from fieldsurvey.io.errors import FieldsurveyError, InputError

# The verbs, in the order of the method: verb -> the module that registers it.
COMMANDS: dict[str, str] = {
    "demo": "fieldsurvey.cli.demo",
    "frame": "fieldsurvey.cli.frame",
    "sample": "fieldsurvey.cli.sample",
    "maps": "fieldsurvey.cli.maps",
    "form": "fieldsurvey.cli.form",
    "assign": "fieldsurvey.cli.assign",
    "interview": "fieldsurvey.cli.interview",
    "handin": "fieldsurvey.cli.handin",
    "merge": "fieldsurvey.cli.merge",
    "serve": "fieldsurvey.cli.serve",
    "sync": "fieldsurvey.cli.sync",
    "pull": "fieldsurvey.cli.pull",
    "review": "fieldsurvey.cli.review",
    "progress": "fieldsurvey.cli.progress",
    "quality": "fieldsurvey.cli.quality",
    "export": "fieldsurvey.cli.export",
    "store": "fieldsurvey.cli.store",
    "rates": "fieldsurvey.cli.rates",
    "weights": "fieldsurvey.cli.weights",
    "estimate": "fieldsurvey.cli.estimate",
    "report": "fieldsurvey.cli.report",
}

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130

# File-system errors a user causes (a wrong path, a read-only or full disk): rendered as one
# paragraph. Any other OSError is a programming error and keeps its traceback.
_USER_ERRNOS = frozenset({
    errno.ENOENT, errno.EACCES, errno.EPERM, errno.EISDIR, errno.ENOTDIR, errno.EEXIST,
    errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.ENAMETOOLONG, errno.ELOOP,
})

# The temporary name `io.atomic.atomic_path` writes to: ".<target name>.<8 random chars>.part".
_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}(?:\.part)?$")

# The first paragraph of a module docstring, and the "``fieldsurvey verb``: " it opens with.
_DOCSTRING = re.compile(r'^[rR]?"""(?P<text>.*?)(?:\n\s*\n|""")', re.DOTALL)
_VERB_PREFIX = re.compile(r"^``fieldsurvey [\w-]+``:\s*")


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
    """Raise if an output path is one of the input files.

    (``--out frame`` beside ``--frame frame.parquet`` would replace the frame with the sample.)
    """
    given = {Path(str(p)).resolve(): p for p in inputs if p}
    for out in outputs:
        if out and Path(str(out)).resolve() in given:
            raise InputError("the output would overwrite an input file", file=str(out),
                             field=option,
                             hint="Give another output name; inputs are never overwritten")


def output_format(given: str | None, out: Path | None) -> str:
    """The ``--format`` asked for, else the one the output's suffix (.csv/.json) names.

    Without either it is ``table``; a format that contradicts the output's name is a mistake.
    """
    if out is None:
        return given or "table"
    implied = {".csv": "csv", ".json": "json"}.get(out.suffix.lower())
    if given is not None and implied is not None and given != implied:
        raise InputError(f"--format {given} does not match the output name", file=str(out),
                         field="--format", expected=f"--format {implied} for a {out.suffix} file",
                         hint="Drop --format (the suffix decides) or rename the output")
    return given or implied or "table"


def verb_summary(module: str) -> str | None:
    """The one-line help of a verb: its module docstring's first paragraph, not imported.

    None when the module does not exist (a verb not built yet).
    """
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
    if spec is None or spec.origin is None:
        return None
    with open(spec.origin, encoding="utf-8") as fh:
        head = fh.read(4000)
    match = _DOCSTRING.match(head)
    if match is None:
        return ""
    text = " ".join(match["text"].split())
    return _VERB_PREFIX.sub("", text).replace("``", "").rstrip(".")


def build_parser(verbs: Collection[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser.

    Parameters
    ----------
    verbs
        The verbs whose modules are imported and whose full parsers are built (default: all);
        the others are listed by name and summary only.
    """
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
    for name, module_name in COMMANDS.items():
        if verbs is None or name in verbs:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:  # a verb not built yet
                if exc.name == module_name:
                    continue
                raise
            module.register(sub)
        else:
            summary = verb_summary(module_name)
            if summary is not None:
                sub.add_parser(name, help=summary, add_help=False)
    return parser


def _verb_of(argv: Sequence[str]) -> str | None:
    """The verb the command line names (the first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


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
    words = list(sys.argv[1:] if argv is None else argv)
    verb = _verb_of(words)
    parser = build_parser([verb] if verb in COMMANDS else [])
    args = parser.parse_args(words)
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
