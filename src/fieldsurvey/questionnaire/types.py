"""XLSForm ``type`` cells: the supported question types, their aliases and select syntax."""

from __future__ import annotations

import re
from collections.abc import Callable

from fieldsurvey.io.errors import QuestionnaireError

__all__ = ["ATTACHMENT_TYPES", "SIMPLE_TYPES", "parse_type"]

SIMPLE_TYPES: dict[str, str] = {
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "text": "text",
    "string": "text",
    "note": "note",
    "date": "date",
    "calculate": "calculate",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",
    "time": "time",
    "datetime": "datetime",
    "date time": "datetime",
    "range": "range",
    "barcode": "barcode",
    "geopoint": "geopoint",
    "location": "geopoint",
    "gps": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "image": "image",
    "photo": "image",
    "audio": "audio",
    "video": "video",
    "file": "file",
    "hidden": "hidden",
    "start": "start",
    "end": "end",
    "today": "today",
    "deviceid": "deviceid",
    "imei": "imei",
    "username": "username",
    "phonenumber": "phonenumber",
    "phone number": "phonenumber",
    "simserial": "simserial",
    "subscriberid": "subscriberid",
    "email": "email",
    "audit": "audit",
    "text audit": "audit",
    "calculate_here": "calculate",
    # SurveyCTO metadata a terminal does not record: accepted, always blank (stated)
    "caseid": "caseid",
    "comments": "comments",
    "audio audit": "audio_audit",
    "speed violations count": "speed_violations",
    "speed violations list": "speed_violations",
    "speed violations audit": "speed_violations",
    "sensor_statistic": "sensor",
    "sensor_stream": "sensor",
    # the location when the form opened: from the caller (a GPS fix), else blank (stated)
    "start-geopoint": "start_geopoint",
    # pyxform's older spellings (question_type_dictionary), still found in real forms
    **{f"{prefix} {base}": kind for base, kind in (
        ("text", "text"), ("string", "text"), ("int", "integer"), ("integer", "integer"),
        ("decimal", "decimal"), ("date", "date"), ("date time", "datetime"),
        ("datetime", "datetime"), ("time", "time"), ("note", "note"),
        ("acknowledge", "acknowledge"), ("calculate", "calculate"), ("barcode", "barcode"),
        ("location", "geopoint"), ("geopoint", "geopoint"), ("geotrace", "geotrace"),
        ("geoshape", "geoshape"), ("image", "image"), ("picture", "image"),
        ("audio", "audio"), ("video", "video"), ("file", "file"),
    ) for prefix in ("q", "add")},
    **{f"add {base} prompt": kind for base, kind in (
        ("text", "text"), ("integer", "integer"), ("decimal", "decimal"), ("date", "date"),
        ("date time", "datetime"), ("datetime", "datetime"), ("note", "note"),
        ("acknowledge", "acknowledge"), ("calculate", "calculate"), ("barcode", "barcode"),
        ("location", "geopoint"), ("image", "image"), ("audio", "audio"), ("video", "video"),
        ("file", "file"),
    )},
    "get start time": "start",
    "start time": "start",
    "get end time": "end",
    "end time": "end",
    "get today": "today",
    "device id": "deviceid",
    "get device id": "deviceid",
    "subscriber id": "subscriberid",
    "get subscriber id": "subscriberid",
    "sim id": "simserial",
    "get sim id": "simserial",
    "get phone number": "phonenumber",
}
#: Types that only declare an attachment for ``instance()`` (no question).
ATTACHMENT_TYPES = ("csv-external", "xml-external")
_CONTROL = {
    "begin group": "begin group",
    "begin_group": "begin group",
    "end group": "end group",
    "end_group": "end group",
    "begin repeat": "begin repeat",
    "begin_repeat": "begin repeat",
    "end repeat": "end repeat",
    "end_repeat": "end repeat",
}
_SELECT = re.compile(
    r"^(select_one_from_file|select_multiple_from_file|select one from file|"
    r"select multiple from file|select_one_external|select_multiple_external|rank|"
    r"select_one|select_multiple|select one|select all that apply|select1|select|"
    r"add select one prompt using|add select multiple prompt using|select one using|"
    r"select multiple using|select multiple|q select1|q select)"
    r"(?:\s+from)?\s+(\S+)(\s+or_other|\s+or specify other)?$",
    re.IGNORECASE,
)
_SELECT_KIND = {
    "select_one_from_file": "select_one@file",
    "select one from file": "select_one@file",
    "select_multiple_from_file": "select_multiple@file",
    "select multiple from file": "select_multiple@file",
    "select_one_external": "select_one@external",
    "select_multiple_external": "select_multiple@external",
    "rank": "rank",
    "select": "select_multiple",
    "select_one": "select_one",
    "select one": "select_one",
    "select1": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
    "add select one prompt using": "select_one",
    "select one using": "select_one",
    "q select1": "select_one",
    "add select multiple prompt using": "select_multiple",
    "select multiple using": "select_multiple",
    "select multiple": "select_multiple",
    "q select": "select_multiple",
}
_KNOWN_UNSUPPORTED = (
    "begin looped group",
    "begin lgroup",
    "background-audio",
    "background-geopoint",
    "entity",
    "osm",
    "xml-external-data",
)


def parse_type(
    raw: str, error: Callable[[str], QuestionnaireError]
) -> tuple[str, str | None, bool]:
    """Split a ``type`` cell into (kind, choice list name, or_other).

    ``kind`` is a question type of the model or one of ``begin group``, ``end group``,
    ``begin repeat``, ``end repeat``. Anything else raises ``error(message)``.
    """
    text = " ".join(str(raw).split())
    low = text.lower()
    if low in _CONTROL:
        return _CONTROL[low], None, False
    if low.startswith("uri:") and low[4:] in SIMPLE_TYPES:  # older ODK: uri:deviceid
        low = low[4:]
    if low in SIMPLE_TYPES:
        return SIMPLE_TYPES[low], None, False
    if low.split()[0] in ATTACHMENT_TYPES:
        return low.split()[0], None, False
    for prefix in _KNOWN_UNSUPPORTED:
        if low.startswith(prefix):
            raise error(f"not supported: question type '{text}' (see the README's XLSForm table)")
    m = _SELECT.match(text)
    if m:
        return _SELECT_KIND[" ".join(m.group(1).lower().split())], m.group(2), bool(m.group(3))
    if low.split()[0] in ("select_one", "select_multiple") and len(low.split()) == 1:
        raise error(f"'{text}' needs a choice list name")
    supported = ", ".join(
        sorted(set(SIMPLE_TYPES.values()) | {"select_one", "select_multiple", "rank"})
    )
    raise error(
        f"not supported: question type '{text}' (supported: {supported}, "
        "begin/end group, begin/end repeat)"
    )
