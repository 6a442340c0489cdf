"""Entry point of the ``fieldsurvey`` command.

Each verb lives in its own module ``fieldsurvey.cli.<verb>`` exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a function
``(args) -> int``. ``main`` turns every :class:`~fieldsurvey.errors.FieldsurveyError`
(and file-system errors a user can cause) into one paragraph on stderr and a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import sys
from collections.abc import Sequence

from fieldsurvey import __version__
from fieldsurvey.errors import FieldsurveyError

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


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available verb."""
    parser = argparse.ArgumentParser(
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


def _paragraph_for_os_error(exc: OSError) -> str:
    name = getattr(exc, "filename", None)
    where = f"file {name}: " if name else ""
    if exc.errno == errno.ENOSPC:
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
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        print(f"fieldsurvey {args.command}: error: {_paragraph_for_os_error(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"fieldsurvey {args.command}: error: {_paragraph_for_os_error(exc)}", file=sys.stderr)
            return EXIT_USER_ERROR
        raise
    except KeyboardInterrupt:
        print("fieldsurvey: interrupted; outputs not completed were not written.", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:  # pragma: no cover - console script shim
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
