"""The field store: SQLite files per device, merged centrally, exported for analysis.

:class:`~.store.FieldStore` writes (each entry its own committed transaction);
:mod:`~.queries` reads (plain functions over a connection); :mod:`~.handin` copies a
device store into one self-contained, checksummed file; :func:`~.merge.merge_stores`
merges device stores; :func:`~.export.export_store` writes the analysis tables
(:func:`~.export.answers_frame`, :func:`~.tables.cases_frame` give them as DataFrames;
:mod:`~.personal` declares what is personal data);
:func:`~.fieldwork_status.progress_table` counts the fieldwork;
:func:`~.issue.issue_stores` writes one store per interviewer; :mod:`~.rekey` gives a
restored store a new device id.
"""

from __future__ import annotations

from fieldsurvey.store.store import FieldStore, InterviewState

__all__ = ["FieldStore", "InterviewState"]
