"""Fieldwork over the network: an HTTP sync server over the central store and its client.

:mod:`~.tokens` issues per-device credentials (the token kept in the device store, only
its SHA-256 in the central store); :mod:`~.protocol` builds and applies the changes sent
either way as small field-store files, merged by :mod:`fieldsurvey.store.merge`'s rules
(so a sync is a merge: idempotent, order-free, nothing lost); :mod:`~.server` is the
aiohttp server (``fieldsurvey serve``); :mod:`~.client` the device side (``fieldsurvey
sync``); :mod:`~.pull` the file fallback (``fieldsurvey pull``); :mod:`~.work` issues
released reserve lines and reassignments into a running survey (``assign --add``);
:mod:`~.moved` finds, records and settles households moved to another interviewer after
the old device had worked on them (``review --moved``, ``review --resolve``).
"""

from __future__ import annotations

__all__: list[str] = []
