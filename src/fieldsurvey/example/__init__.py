"""Everything that exists to make the example district and run the demo.

Nothing outside this package (and the CLI's ``demo`` verb) depends on it: the library works
on any survey's files. What is here:

- :mod:`.spec`, :mod:`.names`, :mod:`.geometry`, :mod:`.population`, :mod:`.listing`,
  :mod:`.district`, :mod:`.files` — the district generator (青岚区: boundaries, compounds,
  buildings, a listing with planted faults, population margins), from a seed;
- :mod:`.resident_form`, :mod:`.contact_form`, :mod:`.forms` — the example questionnaires,
  written once in Python and generated as XLSForm and YAML (``example/questionnaires/``);
- :mod:`.fieldwork` — simulated fieldwork through the same store API the TUI uses;
- :mod:`.analysis` — the example form's standard analysis (rates, weights, headline estimates);
- :mod:`.demo` — the ``fieldsurvey demo`` driver.
"""
