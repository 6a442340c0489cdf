"""The field store: SQLite files per device, merged centrally, exported for analysis.

:class:`~.store.FieldStore` writes (each entry its own committed transaction);
:func:`~.merge.merge_stores` merges device stores; :func:`~.export.export_store` writes
the analysis tables (:func:`~.export.answers_frame`, :func:`~._frames.cases_frame` give
them as DataFrames); :func:`~.progress.progress_table` counts the fieldwork;
:func:`~.issue.issue_stores` writes one store per interviewer.
"""

from __future__ import annotations

from fieldsurvey.store.store import FieldStore, InterviewState

__all__ = ["FieldStore", "InterviewState"]
