"""The file fallback (``fieldsurvey pull``): a device's updates from a copy of the central store.

For places without a network: the supervisor's ``central.sqlite`` on a USB stick; the
device takes from it exactly what a sync would give it (the slice of its interviewer,
:func:`~.protocol.build_pull`), never another interviewer's households. The central file
is only read.
"""

from __future__ import annotations

from pathlib import Path

from fieldsurvey.io.errors import StoreError
from fieldsurvey.store import merge as _merge
from fieldsurvey.store.store import Clock, FieldStore
from fieldsurvey.store.sync import protocol

__all__ = ["pull_from_file"]


def pull_from_file(central: str | Path, device: str | Path, *,
                   clock: Clock | None = None) -> int:
    """Bring ``device``'s interviewer's updates from ``central``; the rows added or changed.

    Raises
    ------
    StoreError
        A central file that is not a field store or belongs to another survey, a device
        store that is not an interviewer's, the same file twice.
    """
    central, device = Path(central), Path(device)
    _, meta = _merge._source_meta(central, None)
    store = FieldStore.open(device, clock=clock)
    try:
        if central.resolve() == device.resolve():
            raise StoreError("a store cannot pull from itself", file=str(device))
        who = store.meta.get("interviewer")
        if store.meta.get("role") != "device" or not who:
            raise StoreError("only an interviewer's device store pulls its updates",
                             file=str(device), got=f"role {store.meta.get('role')!r}",
                             hint="Give the device store (e.g. stores/int01.sqlite) to --into")
        if meta.get("role") == "device":
            raise StoreError("updates come from the central store, not from a device's",
                             file=str(central), hint="Give the supervisor's central.sqlite")
        if meta.get("survey_id") != store.survey_id:
            raise StoreError("the central store belongs to another survey", file=str(central),
                             expected=store.survey_id, got=meta.get("survey_id"),
                             hint="Pull from your own survey's central store")
        c = store.connection
        data = protocol.build_pull(
            central, survey_id=store.survey_id, interviewer=who, device_id=store.device_id,
            held=[r[0] for r in c.execute("SELECT dwelling_id FROM assignments")],
            known=[r[0] for r in c.execute("SELECT uuid FROM interviews")],
            forms=[(r[0], r[1]) for r in c.execute("SELECT form_id, version FROM forms")])
        return protocol.apply_pull(store, data)
    finally:
        store.close()
