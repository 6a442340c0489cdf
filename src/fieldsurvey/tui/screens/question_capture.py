"""Capturing answers from outside the keyboard (F3): a GPS fix, or a media file.

At a geopoint a fix is read from gpsd in a thread worker into the answer box; Enter
accepts it. Without a receiver the interviewer is told so and types the coordinates.

At a media question (``image``, ``audio``, ``video``, ``file``) F3 opens the
:class:`~fieldsurvey.tui.screens.media_picker.MediaPicker` on a folder; the file chosen
goes into the answer box, and Enter saves it as a typed path (copied into the store).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.widgets import Input

from fieldsurvey.questionnaire.model import MEDIA_TYPES
from fieldsurvey.tui.screens.question_answers import QuestionAnswers
from fieldsurvey.tui.widgets.question_view import QuestionView

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.gps import Fix

__all__ = ["GPS_TIMEOUT_S", "QuestionCapture"]

#: How long F3 waits for gpsd to give a fix as accurate as the question's capture-accuracy.
GPS_TIMEOUT_S = 20.0


class QuestionCapture(QuestionAnswers):
    """The capture role of the interview screen (GPS, media files)."""

    def action_capture(self) -> None:
        """F3: a GPS fix at a geopoint, the file picker at a media question."""
        view = self._focused_view() or (self.views[0] if self.views else None)
        q = view.step.question if view is not None else None
        if q is not None and q.type in MEDIA_TYPES:
            self.action_pick_media()
        else:
            self.action_gps()

    def action_pick_media(self) -> None:
        """At a media question: choose its file in the picker into the answer box."""
        from fieldsurvey.tui.screens.media_picker import MediaPicker

        view = self._focused_view() or (self.views[0] if self.views else None)
        q = view.step.question if view is not None else None
        if view is None or q is None or q.type not in MEDIA_TYPES or view.read_only:
            return
        w = view.answer_widget()
        typed = w.value if isinstance(w, Input) else ""

        def chosen(path: Path | None) -> None:
            box = view.answer_widget()
            if not isinstance(box, Input):
                return
            if path is not None:
                box.value = str(path)
                box.cursor_position = len(box.value)
            box.focus()

        self.app.push_screen(MediaPicker(q.type, typed), chosen)

    def action_gps(self) -> None:
        """At a geopoint: read a fix from gpsd into the answer box (Enter accepts it).

        Without a receiver the interviewer is told so and types the coordinates.
        """
        from fieldsurvey.questionnaire.gps import capture_accuracy, gpsd_address, read_fix

        view = self._focused_view() or (self.views[0] if self.views else None)
        q = view.step.question if view is not None else None
        if view is None or q is None or q.type != "geopoint":
            return
        zh = self.app.lang == "zh"
        self.app.notify("正在读取GPS…" if zh else "Reading the GPS…")
        host, port = gpsd_address()
        capture = capture_accuracy(q)

        def work() -> None:
            fix = read_fix(host=host, port=port, timeout=GPS_TIMEOUT_S, capture=capture)
            self.app.call_from_thread(self._gps_done, view, fix)

        self.run_worker(work, thread=True, exclusive=True, group="gps")

    def _gps_done(self, view: QuestionView, fix: Fix | None) -> None:
        zh = self.app.lang == "zh"
        if fix is None:
            self.app.notify("没有GPS定位: 请输入纬度 经度" if zh else
                            "No GPS fix: type the latitude and longitude", severity="warning")
            return
        w = view.answer_widget()
        if isinstance(w, Input):
            w.value = fix.answer()
            w.focus()
