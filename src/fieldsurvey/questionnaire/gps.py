"""A ``geopoint`` from a GPS receiver through gpsd, when one is attached.

gpsd (Debian's ``gpsd``) serves fixes as JSON lines on TCP port 2947. :func:`read_fix`
connects (a plain socket, 127.0.0.1 by default), asks ``?WATCH={"enable":true,
"json":true}`` and reads ``TPV`` reports until one is as accurate as the question's
``capture-accuracy`` (ODK's default 5 m) or the time is up, then returns the most
accurate fix seen (None without a 2D/3D fix, or without gpsd). The answer is ODK's
``lat lon alt accuracy``; the runner's ``warning-accuracy`` check then applies to it as
to a typed point. Typed coordinates remain the fallback.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.model import Question

__all__ = ["DEFAULT_CAPTURE_ACCURACY", "GPSD_PORT", "Fix", "capture_accuracy", "gpsd_address",
           "read_fix"]

GPSD_PORT = 2947
#: ODK Collect accepts a point by itself once it is this accurate (metres).
DEFAULT_CAPTURE_ACCURACY = 5.0


@dataclass(frozen=True)
class Fix:
    """One position: degrees, metres above sea level, horizontal accuracy in metres."""

    lat: float
    lon: float
    alt: float | None
    accuracy: float | None

    def answer(self) -> str:
        """ODK's geopoint text ``lat lon alt accuracy`` (0 for what is unknown)."""
        return " ".join(f"{v:.8g}" if i < 2 else f"{v:.2f}".rstrip("0").rstrip(".")
                        for i, v in enumerate((self.lat, self.lon, self.alt or 0.0,
                                               self.accuracy or 0.0)))


def gpsd_address() -> tuple[str, int]:
    """Where gpsd listens: ``$FIELDSURVEY_GPSD`` (``host:port``), else 127.0.0.1:2947."""
    raw = os.environ.get("FIELDSURVEY_GPSD", "").strip()
    host, _, port = raw.rpartition(":") if ":" in raw else (raw, "", "")
    try:
        return host or "127.0.0.1", int(port) if port else GPSD_PORT
    except ValueError:
        return host or "127.0.0.1", GPSD_PORT


def capture_accuracy(question: Question) -> float:
    """The question's ``capture-accuracy`` parameter in metres (default 5)."""
    raw = question.parameter.get("capture-accuracy") if question.parameter else None
    try:
        return float(raw) if raw not in (None, "") else DEFAULT_CAPTURE_ACCURACY
    except (TypeError, ValueError):
        return DEFAULT_CAPTURE_ACCURACY


def _fix(report: dict[str, Any]) -> Fix | None:
    """The fix of a TPV report (mode 2 or 3 with a position), else None."""
    if report.get("class") != "TPV" or int(report.get("mode") or 0) < 2:
        return None
    lat, lon = report.get("lat"), report.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    alt = report.get("altMSL", report.get("alt"))
    acc = report.get("eph")
    if not isinstance(acc, int | float):
        errs = [report[k] for k in ("epx", "epy") if isinstance(report.get(k), int | float)]
        acc = max(errs) if errs else None
    return Fix(float(lat), float(lon), float(alt) if isinstance(alt, int | float) else None,
               None if acc is None else float(acc))


def _better(a: Fix | None, b: Fix) -> Fix:
    if a is None:
        return b
    if b.accuracy is None:
        return a if a.accuracy is not None else b
    return b if a.accuracy is None or b.accuracy <= a.accuracy else a


def read_fix(*, host: str = "127.0.0.1", port: int = GPSD_PORT, timeout: float = 10.0,
             capture: float = DEFAULT_CAPTURE_ACCURACY) -> Fix | None:
    """The best fix gpsd gives within ``timeout`` seconds (sooner once within ``capture`` m).

    None when no gpsd listens there or it reports no position in time.
    """
    deadline = time.monotonic() + timeout
    best: Fix | None = None
    try:
        sock = socket.create_connection((host, port), timeout=min(timeout, 2.0))
    except OSError:
        return None
    with sock:
        try:
            sock.sendall(b'?WATCH={"enable":true,"json":true};\n')
            buf = b""
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    try:
                        report = json.loads(line)
                    except ValueError:
                        continue
                    fix = _fix(report) if isinstance(report, dict) else None
                    if fix is None:
                        continue
                    best = _better(best, fix)
                    if best.accuracy is not None and best.accuracy <= capture:
                        return best
        except OSError:
            return best
    return best
