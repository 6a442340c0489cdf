"""The field store: SQLite files per device, merged centrally, exported for analysis.

:class:`~.store.FieldStore` writes (each entry its own committed transaction);
:func:`~.merge.merge_stores` merges device stores; :func:`~.export.export_store` writes
the analysis tables; :func:`~.progress.progress_table` counts the fieldwork.
"""

from __future__ import annotations

from fieldsurvey.store.store import FieldStore, InterviewState

__all__ = ["FieldStore", "InterviewState"]
