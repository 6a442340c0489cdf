"""A weights file and its calibration must belong together when ``estimate`` uses them.

``fieldsurvey weights`` writes ``w.csv`` and ``w.calibration.json`` so that ``estimate
--calibration`` can redo the calibration and keep it in the SEs. Given the calibration of
another run (another sample, other margins) with a weights file, estimate used to redo that
other calibration and report estimates from weights the file does not hold, silently. The
redone weights are now checked against the file's calibrated column.

The sample is the real one of samplics' tutorial (its stage probabilities as published,
``psu_prob`` x ``ssu_prob``), rebuilt here with made-up dispositions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fieldsurvey.cli.main import main


def _sample(tmp: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(5)
    rows = []
    for k, (region, pi1, n_hh) in enumerate([("North", 0.19, 15), ("North", 0.87, 15),
                                             ("South", 0.41, 15), ("South", 0.33, 15),
                                             ("East", 0.52, 15), ("East", 0.28, 15)]):
        for h in range(n_hh):
            rows.append({"dwelling_id": f"{k}-{h}", "community": k, "stratum": region,
                         "pi_1": pi1, "pi_2": 0.115})
    sample = pd.DataFrame(rows)
    disp = pd.DataFrame({"dwelling_id": sample["dwelling_id"],
                         "disposition": rng.choice(["1.1"] * 4 + ["2.11", "3.18"], len(sample)),
                         "sex": rng.choice(["male", "female"], len(sample))})
    sample.to_csv(tmp / "sample.csv", index=False)
    disp.to_csv(tmp / "disp.csv", index=False)
    return tmp / "sample.csv", tmp / "disp.csv"


def _weights(tmp: Path, sample: Path, disp: Path, name: str, female: float) -> Path:
    margins = tmp / f"{name}_margins.csv"
    pd.DataFrame({"variable": ["sex", "sex"], "level": ["male", "female"],
                  "total": [6000.0, female]}).to_csv(margins, index=False)
    out = tmp / f"{name}.csv"
    assert main(["weights", "--sample", str(sample), "--dispositions", str(disp), "--margins",
                 str(margins), "--class", "stratum", "--min-respondents", "5",
                 "--out", str(out)]) == 0
    return out


def test_calibration_of_another_run_is_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sample, disp = _sample(tmp_path)
    a = _weights(tmp_path, sample, disp, "a", 7500.0)
    b = _weights(tmp_path, sample, disp, "b", 8500.0)
    capsys.readouterr()
    design = ["--psu", "community", "--strata", "stratum", "--mean", "pi_1"]
    for data in (a, b):  # each file with its own calibration: fine
        spec = data.with_name(data.stem + ".calibration.json")
        assert main(["estimate", "--data", str(data), "--calibration", str(spec), *design]) == 0
    capsys.readouterr()
    wrong = a.with_name("a.calibration.json")
    assert main(["estimate", "--data", str(b), "--calibration", str(wrong), *design]) == 2
    err = capsys.readouterr().err
    assert "does not belong to these data" in err and "field 'weight'" in err
    assert ", row " in err and "a.calibration.json" in err and "Traceback" not in err
