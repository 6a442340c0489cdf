"""Printed field materials and the analysis report (PDF, reportlab).

* :mod:`.maps` -- :func:`~fieldsurvey.reports.maps.draw_field_maps`: per sampled community
  an overview map (总图), detail maps (分图) with an index when needed, and the
  assignment sheets (:mod:`.sheets`);
* :mod:`.analysis` -- :func:`~fieldsurvey.reports.analysis.write_report`: response rates,
  weights, satisfaction, participation, needs, results by community type;
* :mod:`.fonts` -- :func:`~fieldsurvey.reports.fonts.find_cjk_font`: the CJK font embedded
  in both (or the STSong-Light fallback).

Private helpers: ``_readers``/``_inputs``/``_geom`` (inputs per community, in metres),
``_layout`` (scale, tiles, scale bar), ``_draw``/``_mappage`` (drawing), ``_labels``
and ``_report_text`` (words), ``_report_data``/``_sections``/``_charts`` (the report).
The package is imported lazily: ``import fieldsurvey`` does not load reportlab.
"""
