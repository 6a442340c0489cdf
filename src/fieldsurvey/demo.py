"""The whole method on the example district, step by step: ``fieldsurvey demo``.

Each step is a small function that calls the same library API a survey team would, writes
its outputs into the demo directory, and records them in a :class:`DemoRun`, so the CLI
can print a summary and the end-to-end test can check every output. Steps:

1. generate the example district (:mod:`fieldsurvey.district`) and write its maps and listing;
2. build the checked frame and its self-check (:func:`fieldsurvey.build_frame`);
3. draw the stratified two-stage sample (:func:`fieldsurvey.draw_sample`);
4. print the field maps and assignment sheets (:func:`fieldsurvey.reports.draw_field_maps`);
5. issue one device store per interviewer (:func:`fieldsurvey.store.issue.issue_stores`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from fieldsurvey.progress import Progress, report

__all__ = ["DemoRun", "demo_design_path", "demo_team", "run_demo"]

#: Interviewers of the demo team (one device store each).
DEMO_TEAM = (
    ("int01", "王芳"), ("int02", "李强"), ("int03", "张伟"),
    ("int04", "刘洋"), ("int05", "陈静"), ("int06", "杨磊"),
)


@dataclass
class DemoRun:
    """What a demo run produced: paths of outputs, headline figures and step timings."""

    out: Path
    seed: int
    outputs: dict[str, Path] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    qa_text: str = ""
    notes: list[str] = field(default_factory=list)


def demo_design_path() -> Path:
    """The demo's design file shipped with the package."""
    return Path(str(resources.files("fieldsurvey").joinpath("data/demo_design.toml")))


def demo_form_path() -> Path:
    """The example resident questionnaire shipped with the package."""
    return Path(str(resources.files("fieldsurvey").joinpath("questionnaires/resident_survey.xlsx")))


def demo_team() -> pd.DataFrame:
    """The demo's interviewers."""
    return pd.DataFrame(DEMO_TEAM, columns=["interviewer", "name"])


class _Timer:
    def __init__(self, run: DemoRun, name: str) -> None:
        self.run, self.name = run, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.run.timings[self.name] = time.perf_counter() - self.t0


def run_demo(out: str | Path = "fieldsurvey-demo", *, seed: int = 20261121, scale: float = 1.0,
             progress: Progress | None = None) -> DemoRun:
    """Run the whole method on the example district and write every output under ``out``.

    Parameters
    ----------
    out
        Output directory (created; existing demo outputs in it are replaced atomically).
    seed
        Seed of the district and of the sample.
    scale
        Size of the district (1.0 = the full example; the tests use a smaller one).
    progress
        ``progress(step, done, total)`` callback.
    """
    from fieldsurvey.district import generate_district, write_district

    run = DemoRun(out=Path(out), seed=seed)
    run.out.mkdir(parents=True, exist_ok=True)
    steps = ["district", "frame", "sample", "maps", "stores"]
    total = len(steps)

    def step(i: int) -> None:
        report(progress, "demo", i, total)

    step(0)
    with _Timer(run, "district"):
        district = generate_district(seed, scale=scale)
        written = write_district(district, run.out / "maps")
    run.outputs.update({f"maps/{k}": v for k, v in written.items()})
    run.figures["communities"] = len(district.boundaries)
    run.figures["listed_dwellings"] = len(district.listing)
    step(1)
    _frame_step(run, progress)
    step(2)
    sample = _sample_step(run, seed, progress)
    step(3)
    _maps_step(run, sample, district, progress)
    step(4)
    _stores_step(run, sample)
    step(5)
    return run


def _frame_step(run: DemoRun, progress: Progress | None) -> None:
    from fieldsurvey.frame.build import build_frame

    with _Timer(run, "frame"):
        result = build_frame(run.out / "maps" / "boundaries.geojson",
                             run.out / "maps" / "listing.csv",
                             out=run.out / "frame.parquet", report_path=run.out / "qa.json",
                             progress=progress)
    run.outputs["frame"] = run.out / "frame.parquet"
    run.outputs["self-check"] = run.out / "qa.json"
    run.qa_text = result.qa.to_text()
    run.figures["frame_dwellings"] = len(result.frame)
    run.figures["self_check_problems"] = {c.check: c.count for c in result.qa.checks if c.count}
    run.figures["fingerprint"] = result.fingerprint


def _sample_step(run: DemoRun, seed: int, progress: Progress | None) -> pd.DataFrame:
    from fieldsurvey.design import load_design
    from fieldsurvey.frame.files import read_frame
    from fieldsurvey.select.output import write_sample
    from fieldsurvey.select.stages import draw_sample

    with _Timer(run, "sample"):
        frame = read_frame(run.outputs["frame"]).frame
        design = load_design(demo_design_path())
        sample = draw_sample(frame, design, seed=seed, progress=progress)
        paths = write_sample(sample, run.out / "sample", design)
    run.outputs.update({f"sample.{k}": v for k, v in paths.items()})
    main = sample[sample["replicate"] == 0]
    run.figures["sampled_communities"] = int(sample["community_id"].nunique())
    run.figures["sampled_dwellings"] = int(len(main))
    run.figures["reserve_dwellings"] = int((sample["replicate"] > 0).sum())
    return sample


def _maps_step(run: DemoRun, sample: pd.DataFrame, district: Any, progress: Progress | None) -> None:
    from fieldsurvey.frame.files import read_frame
    from fieldsurvey.reports.maps import draw_field_maps

    with _Timer(run, "maps"):
        frame = read_frame(run.outputs["frame"])
        result = draw_field_maps(
            frame.frame, sample, run.out / "maps.pdf",
            boundaries=district.boundaries, footprints=district.buildings,
            compounds=district.compounds, fingerprint=frame.fingerprint,
            team="示例调查队", progress=progress)
    run.outputs["field maps"] = run.out / "maps.pdf"
    run.figures["map_pages"] = getattr(result, "pages", None) and len(result.pages)
    font_note = getattr(result, "font_message", None)
    if font_note:
        run.notes.append(str(font_note))


def _stores_step(run: DemoRun, sample: pd.DataFrame) -> None:
    import shutil

    from fieldsurvey.store.issue import issue_stores

    devices = run.out / "devices"
    if devices.exists():  # a re-run replaces the demo's own stores
        shutil.rmtree(devices)
    with _Timer(run, "stores"):
        issued = issue_stores(sample, demo_team(), devices, by="community", form=demo_form_path())
    run.outputs["central store"] = issued.central
    for name, path in issued.devices.items():
        run.outputs[f"device store {name}"] = path
    run.figures["interviewers"] = len(issued.devices)
