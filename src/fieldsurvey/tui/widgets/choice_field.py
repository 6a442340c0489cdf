"""Options of a select question.

Number keys (the codes) choose, space toggles, likert scales sit on one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from fieldsurvey.tui.widgets.odk_text import odk_text, wrap_cells

__all__ = ["ChoiceField"]


class ChoiceField(Widget, can_focus=True):
    """The options of one select question.

    ``options`` are ``(name, label)`` pairs; ``value`` is the chosen name (select_one),
    the tuple of names (select_multiple) or None; ``exclusive`` names the options that
    cannot be combined with others (choosing one clears the rest). Choosing posts
    :class:`Picked` with the value the question would take; the owner saves it, or puts
    the saved answer back into ``value`` when the form refuses it.
    """

    DEFAULT_CSS = """
    ChoiceField { height: auto; padding: 0 1; }
    ChoiceField:focus { background: $boost; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,left", "move(-1)", show=False),
        Binding("down,right", "move(1)", show=False),
        Binding("space", "toggle_option", show=False),
    ]

    @dataclass
    class Picked(Message):
        """An option was chosen (or toggled): ``value`` is the answer it makes."""

        field: ChoiceField
        value: str | tuple[str, ...] | None
        done: bool
        """True when the choice is complete (a single choice), False for a toggle."""

        @property
        def control(self) -> ChoiceField:
            """The field that posted the message."""
            return self.field

    value: reactive[object] = reactive(None, always_update=True)
    cursor: reactive[int] = reactive(0)

    def __init__(self, options: list[tuple[str, str]], *, multiple: bool = False,
                 inline: bool = False, value: object = None,
                 exclusive: frozenset[str] = frozenset(), id: str | None = None,
                 empty_text: str = "") -> None:
        super().__init__(id=id)
        self.options = options
        self.exclusive = exclusive
        self.multiple = multiple
        self.inline = inline
        self._typed = ""
        names = [n for n, _ in options]
        numeric = all(n.isdigit() for n in names) and len(set(names)) == len(names)
        #: The key typed for each option: its code when every code is a number (as on
        #: the paper questionnaire), else its position.
        self.keys = names if numeric else [str(i + 1) for i in range(len(options))]
        #: What an empty list says (a choice_filter that keeps no option).
        self.empty_text = empty_text
        self._lines: list[tuple[int, int]] = []
        self.set_reactive(ChoiceField.value, value)
        # the cursor starts on the answer given (back on a long list: it stays in view)
        first = value[0] if isinstance(value, tuple) and value else value
        if first in names:
            self.set_reactive(ChoiceField.cursor, names.index(str(first)))

    def render(self) -> Text:
        """The options, one per line (or on one line for a likert scale).

        A label longer than the line wraps under its own start (never under the marks),
        and a CJK label is cut between characters, never inside one.
        """
        # the size of the last layout (content_size would lay the page out again)
        width = max(self.size.width or 76, 12)
        if not self.options:
            self._lines = []
            return Text(self.empty_text, style="dim italic")
        chosen = set(self.value) if isinstance(self.value, tuple) else {self.value}
        out = Text()
        lines: list[tuple[int, int]] = []  # per option: first line, number of lines
        row, used = 0, 0
        for i, (name, label) in enumerate(self.options):
            on = name in chosen
            mark = ("[x]" if on else "[ ]") if self.multiple else ("(•)" if on else "( )")
            style = "bold reverse" if on else ""
            if i == self.cursor and self.has_focus:
                style += " underline"
            key = self.keys[i]
            text = odk_text(label)
            if self.inline:
                piece = Text(f"[{key} " if on else f" {key} ").append_text(text).append(
                    "]" if on else " ")
                if i:  # a likert option never breaks across lines: it moves down whole
                    if used + 1 + piece.cell_len > width:
                        out.append("\n")
                        row, used = row + 1, 0
                    else:
                        out.append(" ")
                        used += 1
                piece.stylize(style.strip() or "")
                lines.append((row, 1))
                used += piece.cell_len
                out.append_text(piece)
                continue
            head = f"{mark} {key:>2} "
            body = self._wrap(text, width - cell_len(head))
            if i:
                out.append("\n")
            lines.append((row, len(body)))
            for j, part in enumerate(body):
                # one span per line: the marks and the label read as one piece
                if j:  # a wrapped label goes on under its start, in the same style
                    out.append("\n" + " " * cell_len(head))
                line = Text(head) if j == 0 else Text()
                line.append_text(part)
                if style.strip():
                    line.stylize(style.strip())
                out.append_text(line)
            row += len(body)
        self._lines = lines
        return out

    def _wrap(self, text: Text, width: int) -> list[Text]:
        """``text`` in lines of at most ``width`` cells (between words, else characters)."""
        return [text] if text.cell_len <= width else wrap_cells(text, width)

    def watch_cursor(self, _old: int, _new: int) -> None:
        """Keep the option under the cursor on the screen in a long list."""
        if self.has_focus:
            self.call_after_refresh(self.follow_cursor)

    def on_focus(self) -> None:
        """Coming to a long list: show the option under the cursor (the answer given)."""
        self.call_after_refresh(self.follow_cursor)

    def follow_cursor(self) -> None:
        """Scroll the page as little as needed to show the cursor's option (all its lines).

        Nothing moves while the option is on the screen.
        """
        if not self.is_mounted or not self._lines or self.cursor >= len(self._lines):
            return
        body = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        if body is None:
            return
        first, n = self._lines[self.cursor]
        top = self.region.y + self.styles.padding.top + first
        view = body.content_region
        if view.y <= top and top + n <= view.bottom:
            return
        y = top - view.y + round(body.scroll_y)
        body.scroll_to_region(Region(0, y, 1, n), animate=False, immediate=True)

    def _pick(self, i: int) -> None:
        """Show the choice at once (keys typed quickly build on it) and tell the owner.

        The owner puts back the saved answer if the form refuses this one.
        """
        self.cursor = i
        name = self.options[i][0]
        if self.multiple:
            cur = list(self.value) if isinstance(self.value, tuple) else []
            if name in cur:
                cur = [n for n in cur if n != name]
            elif name in self.exclusive:
                cur = [name]  # "none of these" replaces the others
            else:
                cur = [n for n in cur if n not in self.exclusive] + [name]
            order = [n for n, _ in self.options]
            new = tuple(sorted(cur, key=order.index)) or None
            self.value = new
            self.post_message(self.Picked(self, new, False))
        else:
            self.value = name
            self.post_message(self.Picked(self, name, True))

    def on_key(self, event: events.Key) -> None:
        """Digits choose the option with that code (two digits in a row for 10+)."""
        if event.character is None or not event.character.isdigit():
            return
        event.stop()
        event.prevent_default()
        keys = self.keys
        typed = self._typed + event.character
        cands = [i for i, k in enumerate(keys) if k.startswith(typed)]
        if not cands:
            typed = event.character
            cands = [i for i, k in enumerate(keys) if k.startswith(typed)]
        if not cands:
            self._typed = ""
            return
        exact = [i for i in cands if keys[i] == typed]
        if exact and len(cands) == 1:
            self._typed = ""
            self._pick(exact[0])
        else:
            self._typed = typed
            self.cursor = exact[0] if exact else cands[0]

    def pending(self) -> bool:
        """True while a first digit waits for a second (e.g. ``1`` of ``11``)."""
        return bool(self._typed)

    def commit_pending(self) -> bool:
        """Choose the option of a waiting first digit; True if one was chosen."""
        if not self._typed:
            return False
        typed, self._typed = self._typed, ""
        if typed in self.keys:
            self._pick(self.keys.index(typed))
            return True
        return False

    def action_move(self, step: int) -> None:
        """Key action: move."""
        self._typed = ""
        self.cursor = max(0, min(len(self.options) - 1, self.cursor + step))

    def action_toggle_option(self) -> None:
        """Key action: toggle option."""
        self._typed = ""
        if self.options:
            self._pick(self.cursor)
