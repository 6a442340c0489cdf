"""Choosing a media answer's file from a folder: a keyboard-only picker (F3 at a media question).

A :class:`MediaPicker` shows a folder as a tree of sub-folders and of the files the
question accepts (by extension: photos for ``image``, sound for ``audio``, films for
``video``, anything for ``file``), hidden files left out. ↑/↓ move, Enter opens a folder
or takes the file, Backspace goes up to the parent folder, Esc cancels. It starts in the
folder of the path already typed, else the folder a file was last picked from (in this
run of the app), else the user's usual folder for that kind (``~/Pictures``, ``~/Music``,
``~/Videos``, ``~/Downloads`` when present), else the home folder.

The picker only chooses: the path goes into the answer box, and Enter there saves it as a
typed path would be (the file is copied into the store).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Label

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.tui.app import FieldsurveyApp

__all__ = ["MEDIA_SUFFIXES", "MediaPicker", "MediaTree", "accepts", "start_folder"]

#: File name extensions each media question type accepts (``file``: any file).
MEDIA_SUFFIXES: dict[str, frozenset[str]] = {
    "image": frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".heic", ".heif",
                        ".tif", ".tiff"}),
    "audio": frozenset({".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".amr",
                        ".flac", ".3gpp"}),
    "video": frozenset({".mp4", ".m4v", ".mov", ".3gp", ".avi", ".mkv", ".webm", ".mpg",
                        ".mpeg"}),
}
#: The usual folder of each kind under the home folder.
_USUAL = {"image": "Pictures", "audio": "Music", "video": "Videos", "file": "Downloads"}


def accepts(kind: str, path: Path) -> bool:
    """Whether a ``kind`` question (``image``, ``audio``, ``video``, ``file``) takes ``path``."""
    suffixes = MEDIA_SUFFIXES.get(kind)
    return suffixes is None or path.suffix.lower() in suffixes


def start_folder(kind: str, typed: str = "", last: Path | None = None) -> Path:
    """Where the picker opens (see the module docstring)."""
    if typed.strip():
        p = Path(typed.strip()).expanduser()
        for cand in (p, p.parent):
            if cand.is_dir():
                return cand.resolve()
    if last is not None and last.is_dir():
        return last
    home = Path.home()
    usual = home / _USUAL.get(kind, "Downloads")
    return usual if usual.is_dir() else home


class MediaTree(DirectoryTree):
    """A directory tree of sub-folders and the files a media question accepts."""

    def __init__(self, path: Path, kind: str, *, id: str | None = None) -> None:
        super().__init__(path, id=id)
        self.kind = kind

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        """Folders and accepted files, hidden ones left out."""
        out = []
        for p in paths:
            if p.name.startswith("."):
                continue
            try:
                is_dir = p.is_dir()
            except OSError:  # unreadable entry: left out
                continue
            if is_dir or accepts(self.kind, p):
                out.append(p)
        return out


class MediaPicker(ModalScreen[Path | None]):
    """The file picker of a media question; dismisses with the file (None on Esc)."""

    app: FieldsurveyApp
    CSS_PATH = "../styles/media_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel"),
        Binding("backspace", "parent"),
    ]
    #: The folder a file was last picked from (the next picker opens there).
    last_folder: ClassVar[Path | None] = None

    def __init__(self, kind: str, typed: str = "") -> None:
        super().__init__(id="media-picker")
        self.kind = kind
        self.folder = start_folder(kind, typed, MediaPicker.last_folder)

    def compose(self) -> ComposeResult:
        """Title, the folder shown, the tree and the keys."""
        t = self.app.t
        with Vertical(id="picker"):
            yield Label(t("pick_title", kind=t(f"pick_kind_{self.kind}")), id="picker-title")
            yield Label(str(self.folder), id="picker-folder", markup=False)
            yield MediaTree(self.folder, self.kind, id="picker-tree")
            yield Label(t("pick_keys"), id="picker-keys")

    def on_mount(self) -> None:
        """Keys go to the tree."""
        self.query_one(MediaTree).focus()

    def action_cancel(self) -> None:
        """Esc: no file."""
        self.dismiss(None)

    def action_parent(self) -> None:
        """Backspace: show the parent folder."""
        parent = self.folder.parent
        if parent == self.folder or not os.access(parent, os.R_OK | os.X_OK):
            return
        self.folder = parent
        self.query_one(MediaTree).path = parent
        self.query_one("#picker-folder", Label).update(str(parent))

    @on(DirectoryTree.FileSelected)
    def _chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        path = Path(event.path)
        MediaPicker.last_folder = path.parent
        self.dismiss(path)
