"""What an interview knows of the world outside its answers.

the clock, the device and interviewer, a random generator, and the form's attachments.

The runner fills metadata questions (``start``, ``end``, ``today``, ``deviceid``,
``username`` ...) and the functions ``now()``, ``today()``, ``random()``,
``duration()``, ``device-info()``, ``pulldata()`` from an :class:`InterviewEnv`. A caller
that has the field store passes its device id and interviewer and the interview's first
event time, the seconds of its earlier sessions and when this session started (the TUI
reads them from the store's event log: ``fieldsurvey.tui.session.interview_times``); tests
pass fixed clocks. The metadata names a caller may give are
:data:`~fieldsurvey.questionnaire.model.METADATA_KEYS`. Anything not given is blank, as
on a device that cannot tell (stated per item in the README's XLSForm table).
"""

from __future__ import annotations

import datetime as dt
import random as _random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.model import Form

__all__ = ["InterviewEnv"]

_DEVICE_INFO = {
    "deviceid": "deviceid",
    "device_id": "deviceid",
    "username": "username",
    "user": "username",
    "phonenumber": "phonenumber",
    "phone_number": "phonenumber",
    "imei": "deviceid",
    "start-geopoint": "start_geopoint",
}


class InterviewEnv:
    """Clock, metadata, randomness and attachments of one interview."""

    def __init__(
        self,
        form: Form,
        *,
        clock: Callable[[], dt.date] = dt.date.today,
        now: Callable[[], dt.datetime] | None = None,
        metadata: Mapping[str, Any] | None = None,
        started: dt.datetime | None = None,
        seed: int | None = None,
        previous_seconds: float = 0.0,
        session_started: dt.datetime | None = None,
    ) -> None:
        self.form = form
        self.clock = clock
        self._now = now
        self.metadata = {str(k).lower(): "" if v is None else str(v)
                         for k, v in (metadata or {}).items()}
        self.started = started or self.now()
        #: Seconds spent in the interview's earlier sessions (from the store's event log).
        self.previous_seconds = max(0.0, float(previous_seconds))
        #: When this session started (default: when the interview started).
        self.session_started = session_started or self.started
        self._rng = _random.Random(seed)

    def today(self) -> dt.date:
        """Today's date."""
        return self.clock()

    def now(self) -> dt.datetime:
        """The current time (from ``now``, else today's date at the wall-clock time)."""
        if self._now is not None:
            return self._now()
        wall = dt.datetime.now().astimezone()
        day = self.clock()
        return wall if wall.date() == day else dt.datetime.combine(day, wall.timetz())

    def random(self) -> float:
        """A uniform number in [0, 1)."""
        return self._rng.random()

    def meta(self, name: str) -> str:
        """A metadata value (``deviceid``, ``username`` ...); ``""`` when unknown."""
        key = str(name).strip().lower()
        if not key:  # SurveyCTO's device-info(): "manufacturer|model|system|app"
            import platform

            return self.metadata.get("device_info") or "|".join(
                ("", platform.machine(), f"{platform.system()} {platform.release()}",
                 "fieldsurvey"))
        key = _DEVICE_INFO.get(key, key)
        return self.metadata.get(key, "")

    def duration(self) -> float:
        """Seconds spent in the interview: earlier sessions plus this one so far.

        SurveyCTO's ``duration()`` counts the time the form was open, not the days between
        its first and last session; a caller with an event log gives ``previous_seconds``
        and ``session_started`` (without them: seconds since the interview started).
        """
        now = self.now()
        since = self.session_started
        if (now.tzinfo is None) != (since.tzinfo is None):  # one naive, one aware
            now, since = now.replace(tzinfo=None), since.replace(tzinfo=None)
        return self.previous_seconds + max(0.0, (now - since).total_seconds())

    def lookup(self, instance: str, column: str, key_col: str, key: Any) -> str:
        """A column of the first row of attachment ``instance`` whose ``key_col`` is ``key``."""
        table = self.form.attachments.get(instance)
        if table is None:
            return ""
        return table.lookup(column, key_col, key)
