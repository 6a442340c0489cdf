"""End to end: ``fieldsurvey demo`` on a small district, checking every output it writes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from fieldsurvey.cli.main import main


@pytest.fixture(scope="module")
def demo_dir(demo_run: Path) -> Path:
    """The session's ``demo --scale 0.15 --seed 7`` (conftest), read only here."""
    return demo_run


def test_frame_and_self_check(demo_dir: Path) -> None:
    qa = json.loads((demo_dir / "qa.json").read_text(encoding="utf-8"))
    checks = {c["check"]: c for c in qa["checks"]}
    # the planted faults of the example listing are found
    for name in ("outside_boundaries", "missing_coordinates", "duplicate_id", "empty_community"):
        assert checks[name]["count"] > 0, name
    from fieldsurvey.frame.files import read_frame

    frame = read_frame(demo_dir / "frame.parquet")
    assert len(frame.frame) > 1000 and frame.fingerprint


def test_sample_probabilities(demo_dir: Path) -> None:
    sample = pd.read_csv(demo_dir / "sample.csv", encoding="utf-8-sig")
    released = sample[sample["released"].astype(str).str.lower() == "true"]
    assert sample["community_id"].nunique() == 12
    # pi = pi_1 * pi_2 and base_weight = 1 / pi for every released line
    assert (released["pi"] - released["pi_1"] * released["pi_2"]).abs().max() < 1e-12
    assert ((released["base_weight"] * released["pi"]) - 1).abs().max() < 1e-9
    assert set(released["kish_table"]) <= {"A", "B1", "B2", "C", "D", "E1", "E2", "F"}


def test_field_maps_pdf(demo_dir: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(demo_dir / "maps.pdf")
    assert len(reader.pages) >= 24  # at least an overview map and a sheet per community
    text = reader.pages[0].extract_text()
    assert "社区" in text


def test_stores_merged_without_loss(demo_dir: Path) -> None:
    devices = sorted((demo_dir / "devices").glob("int*.sqlite"))
    assert len(devices) == 6
    on_devices: set[tuple[str, int]] = set()
    for path in devices:
        with sqlite3.connect(path) as conn:
            on_devices |= set(conn.execute("SELECT device_id, seq FROM events").fetchall())
    with sqlite3.connect(demo_dir / "devices" / "central.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        merged = set(conn.execute("SELECT device_id, seq FROM events").fetchall())
    # every event of every device reached the central store (shared events counted once)
    assert on_devices <= merged
    assert len(on_devices) > 1000


def test_rates_weights_estimates(demo_dir: Path) -> None:
    rates = json.loads((demo_dir / "rates.json").read_text(encoding="utf-8"))
    overall = rates["overall"]
    assert 0 < overall["RR1"] <= overall["RR3"] <= overall["RR5"] <= 1
    weights = pd.read_csv(demo_dir / "weights.csv", encoding="utf-8-sig")
    resp = weights[weights["weight"] > 0]
    margins = pd.read_csv(demo_dir / "maps" / "margins.csv")
    sex = margins[margins["variable"] == "sex"].set_index("level")["total"]
    achieved = resp.groupby("sex")["weight"].sum()
    for level, total in sex.items():
        assert achieved[level] == pytest.approx(total, rel=1e-6)
    est = pd.read_csv(demo_dir / "estimates.csv", encoding="utf-8-sig")
    idx = est[(est["variable"] == "satisfaction_index") & est["domain"].isna()].iloc[0]
    assert 0 < idx["ci_low"] < idx["estimate"] < idx["ci_high"] < 100
    assert {"type=示范类", "type=强基类"} <= set(est["domain"].dropna())


def test_report_pdf(demo_dir: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(demo_dir / "report.pdf")
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert len(reader.pages) >= 3
    assert "RR1" in text and "满意" in text


def test_one_index_and_n_in_summary_estimates_and_report(demo_dir: Path) -> None:
    from pypdf import PdfReader

    summary = json.loads((demo_dir / "demo.json").read_text(encoding="utf-8"))["figures"]
    est = pd.read_csv(demo_dir / "estimates.csv", encoding="utf-8-sig")
    idx = est[(est["variable"] == "satisfaction_index") & est["domain"].isna()].iloc[0]
    ci = f"{idx['estimate']:.1f} (95% CI {idx['ci_low']:.1f}-{idx['ci_high']:.1f})"
    assert summary["satisfaction_index"] == ci
    assert summary["satisfaction_index_n"] == idx["n"]
    assert summary["satisfaction_index_items"] == " ".join(f"d{i}" for i in range(1, 13))
    # every row says its variance method: the design raked to the weights' margins
    assert set(est["variance"]) == {"taylor, raked on sex, age_group"}
    text = "".join(p.extract_text() or "" for p in PdfReader(demo_dir / "report.pdf").pages)
    text = text.replace("\n", "")
    assert f"{idx['estimate']:.1f} [{idx['ci_low']:.1f}, {idx['ci_high']:.1f}]" in text
    assert f"n = {int(idx['n'])}" in text
    assert "satisfaction" not in text and "interview(s)" not in text  # no English in zh
    assert "EBLUP" in text  # the communities' small-area estimates beside the direct ones
    part = est[(est["variable"] == "b1_any") & est["domain"].isna()].iloc[0]
    assert f"{100 * part['estimate']:.1f} [" in text  # the participation headline


def test_summary_is_written_last_and_names_every_output(demo_dir: Path) -> None:
    summary = json.loads((demo_dir / "demo.json").read_text(encoding="utf-8"))
    assert summary["seed"] == 7 and summary["scale"] == 0.15
    assert summary["figures"]["communities"] > 0
    for path in summary["outputs"].values():
        assert (demo_dir / path).exists(), path
    written = [demo_dir / p for k, p in summary["outputs"].items() if k != "summary"]
    newest = max(p.stat().st_mtime_ns for p in written)  # (readers add -shm files later)
    assert (demo_dir / "demo.json").stat().st_mtime_ns >= newest


def test_an_interrupted_rerun_leaves_no_summary(tmp_path: Path, monkeypatch) -> None:
    import fieldsurvey.example.demo as demo

    (tmp_path / "demo.json").write_text("{}", encoding="utf-8")  # from an earlier run

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "_frame_step", interrupted)
    assert main(["demo", "--out", str(tmp_path), "--scale", "0.15"]) != 0
    assert not (tmp_path / "demo.json").exists()
