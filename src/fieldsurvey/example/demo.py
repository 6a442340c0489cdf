"""The whole method on the example district, step by step: ``fieldsurvey demo``.

Each step is a small function that calls the same library API a survey team would, writes
its outputs into the demo directory, and records them in a :class:`DemoRun`, so the CLI
can print a summary and the end-to-end test can check every output. Steps:

1. generate the example district (:mod:`fieldsurvey.example.district`) and write its maps and
   listing;
2. build the checked frame and its self-check (:func:`fieldsurvey.build_frame`);
3. draw the stratified two-stage sample (:func:`fieldsurvey.draw_sample`);
4. print the field maps and assignment sheets (:func:`fieldsurvey.reports.draw_field_maps`);
5. issue one device store per interviewer (:func:`fieldsurvey.store.issue.issue_stores`);
6. simulate the fieldwork through the :class:`~fieldsurvey.store.FieldStore` API
   (:mod:`fieldsurvey.example.fieldwork`), release a reserve batch where a community falls short,
   and visit the released dwellings;
7. merge the device stores into the central store (:func:`fieldsurvey.store.merge.merge_stores`);
8. compute the AAPOR rates overall, by community and by interviewer (:mod:`fieldsurvey.rates`);
9. weight the respondents: base, eligibility, nonresponse, respondent selection, raking to
   the district's sex and age-group margins, trimming (:mod:`fieldsurvey.example.analysis`);
10. estimate satisfaction, participation and needs with design-based standard errors,
    overall and by community type (:mod:`fieldsurvey.estimate`);
11. write the analysis report (:func:`fieldsurvey.reports.analysis.write_report`).

Last, ``demo.json`` records the figures, timings and outputs; it is removed when a run
starts and written when it ends, so a folder without it is from an interrupted run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from fieldsurvey.io.atomic import atomic_write_text
from fieldsurvey.io.progress import Progress, report

__all__ = ["DemoRun", "demo_design_path", "demo_team", "run_demo"]

#: The run's summary, written last.
SUMMARY = "demo.json"

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
    qa: Any = None
    notes: list[str] = field(default_factory=list)


def demo_design_path() -> Path:
    """The demo's design file shipped with the package."""
    return Path(str(resources.files("fieldsurvey.example").joinpath("data/demo_design.toml")))


def demo_form_path() -> Path:
    """The example resident questionnaire shipped with the package."""
    pkg = resources.files("fieldsurvey.example")
    return Path(str(pkg.joinpath("questionnaires/resident_survey.xlsx")))


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
    from fieldsurvey.example.district import generate_district, write_district

    run = DemoRun(out=Path(out), seed=seed)
    steps = ["district", "frame", "sample", "maps", "stores", "fieldwork", "merge", "rates",
             "weights", "estimates", "report"]
    total = len(steps)

    def step(i: int) -> None:
        report(progress, "demo", i, total)

    step(0)
    with _Timer(run, "district"):
        district = generate_district(seed, scale=scale)  # checks scale before any output
        run.out.mkdir(parents=True, exist_ok=True)
        # written last: a folder without it is an interrupted (or failed) run
        (run.out / SUMMARY).unlink(missing_ok=True)
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
    issued = _stores_step(run, sample)
    step(5)
    sample = _fieldwork_step(run, sample, district, issued, seed, progress)
    step(6)
    _merge_step(run, issued, progress)
    step(7)
    cases = _rates_step(run, issued.central)
    step(8)
    weighted = _weights_step(run, sample, cases)
    step(9)
    _estimates_step(run, weighted)
    step(10)
    _report_step(run, issued.central, progress)
    run.outputs["summary"] = run.out / SUMMARY
    atomic_write_text(run.out / SUMMARY, json.dumps(
        {"seed": seed, "scale": scale, "figures": run.figures, "timings_s": run.timings,
         "outputs": {k: str(v.relative_to(run.out)) if v.is_relative_to(run.out) else str(v)
                     for k, v in run.outputs.items()},
         "notes": run.notes}, ensure_ascii=False, indent=2, default=_plain) + "\n")
    step(11)
    return run


def _plain(value: Any) -> Any:
    """JSON for the numpy scalars among the figures."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _frame_step(run: DemoRun, progress: Progress | None) -> None:
    from fieldsurvey.frame.build import build_frame

    with _Timer(run, "frame"):
        result = build_frame(run.out / "maps" / "boundaries.geojson",
                             run.out / "maps" / "listing.csv",
                             out=run.out / "frame.parquet", report_path=run.out / "qa.json",
                             progress=progress)
    run.outputs["frame"] = run.out / "frame.parquet"
    run.outputs["self-check"] = run.out / "qa.json"
    run.qa = result.qa
    run.figures["frame_dwellings"] = len(result.frame)
    run.figures["self_check_problems"] = {c.check: c.count for c in result.qa.checks if c.count}
    run.figures["fingerprint"] = result.fingerprint


def _sample_step(run: DemoRun, seed: int, progress: Progress | None) -> pd.DataFrame:
    from fieldsurvey.frame.files import read_frame
    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.output import write_sample
    from fieldsurvey.sampling.stages import draw_sample

    with _Timer(run, "sample"):
        frame = read_frame(run.outputs["frame"]).frame
        design = load_design(demo_design_path())
        sample = draw_sample(frame, design, seed=seed, progress=progress)
        paths = write_sample(sample, run.out / "sample", design)
    run.outputs.update({f"sample.{k}": v for k, v in paths.items()})
    main = sample[sample["replicate"] == 0]
    run.figures["sampled_communities"] = int(sample["community_id"].nunique())
    run.figures["sampled_dwellings"] = len(main)
    run.figures["reserve_dwellings"] = int((sample["replicate"] > 0).sum())
    return sample


def _maps_step(run: DemoRun, sample: pd.DataFrame, district: Any,
               progress: Progress | None) -> None:
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


def _stores_step(run: DemoRun, sample: pd.DataFrame) -> Any:
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
    return issued


#: A community "falls short" when fewer than this share of its main sample completed.
SHORTFALL = 0.6
#: First morning of the simulated fieldwork.
FIELD_START = dt.datetime(2026, 11, 2, 9, 0)


def _fieldwork_step(run: DemoRun, sample: pd.DataFrame, district: Any, issued: Any, seed: int,
                    progress: Progress | None) -> pd.DataFrame:
    from fieldsurvey.example.fieldwork import communities_table, simulate_store
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.sampling.design import load_design
    from fieldsurvey.sampling.output import release_history, write_sample
    from fieldsurvey.sampling.release import release_reserve
    from fieldsurvey.store.store import FieldStore

    form = load_form(demo_form_path())
    comms = communities_table(district.boundaries)
    devices = dict(sorted(issued.devices.items()))
    completes = partials = answers = 0
    with _Timer(run, "fieldwork"):
        finals: dict[str, str] = {}
        for i, path in enumerate(devices.values()):
            res = simulate_store(path, form, district.persons, comms, seed=seed + i,
                                 start=FIELD_START + dt.timedelta(minutes=7 * i),
                                 progress=progress)
            finals.update(res.finals)
            completes, partials, answers = (completes + res.completes,
                                            partials + res.partials, answers + res.answers)
        # Where a community falls short, release a batch of reserve dwellings (random
        # replicates, so the probabilities stay known) and visit them in a second wave.
        main = sample[sample["replicate"] == 0]
        done = main["dwelling_id"].map(lambda d: finals.get(str(d), "")).isin(["1.1", "1.2"])
        rate = done.groupby(main["community_id"]).mean()
        short = rate[rate < SHORTFALL]
        reserve_left = sample[~sample["released"].astype(bool)].groupby("community_id").size()
        wanted = {cid: int(min(reserve_left.get(cid, 0), 5)) for cid in short.index}
        wanted = {c: k for c, k in wanted.items() if k > 0}
        if wanted:
            sample = release_reserve(sample, wanted)
            batch = int(sample.attrs.pop("release_batch", sample["release_batch"].max()))
            design = load_design(demo_design_path())
            history = release_history(
                run.out / "sample", batch, wanted, when=FIELD_START + dt.timedelta(days=10),
                note=f"communities with fewer than {SHORTFALL:.0%} interviews after the "
                     "first visits")
            paths = write_sample(sample, run.out / "sample", design, extra=history)
            run.outputs.update({f"sample.{k}": v for k, v in paths.items()})
            new = sample[sample["release_batch"] == batch]
            owner = _owners(devices)
            for i, (name, path) in enumerate(devices.items()):
                mine = new[new["community_id"].map(owner.get) == name]
                if not len(mine):
                    continue
                with FieldStore.open(path) as store:
                    form_row = store.forms()[0]
                    store.assign(mine, interviewer=name, form_id=form_row["form_id"],
                                 form_version=form_row["version"])
                res = simulate_store(path, form, district.persons, comms, seed=seed + 100 + i,
                                     start=FIELD_START + dt.timedelta(days=10, minutes=7 * i),
                                     dwelling_ids=list(mine["dwelling_id"].astype(str)))
                completes, partials, answers = (completes + res.completes,
                                                partials + res.partials, answers + res.answers)
        run.figures["released_reserve"] = sum(wanted.values())
        run.figures["communities_short"] = len(wanted)
    run.figures["completed_interviews"] = completes
    run.figures["partial_interviews"] = partials
    run.figures["answers_recorded"] = answers
    return sample


def _owners(devices: dict[str, Path]) -> dict[str, str]:
    """community_id -> interviewer whose store holds it."""
    from fieldsurvey.store.store import FieldStore

    owner: dict[str, str] = {}
    for name, path in devices.items():
        with FieldStore.open(path, readonly=True) as store:
            for cid in store.assignments()["community_id"].astype(str).unique():
                owner[cid] = name
    return owner


def _merge_step(run: DemoRun, issued: Any, progress: Progress | None) -> None:
    from fieldsurvey.store.merge import merge_stores

    with _Timer(run, "merge"):
        result = merge_stores(sorted(issued.devices.values()), issued.central, progress=progress)
    run.outputs["central store"] = issued.central
    run.figures["merge_conflicts"] = len(result.conflicts)
    run.notes.extend(result.log[-1:])


def _write_json(path: Path, data: Any) -> None:
    from fieldsurvey.io.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _write_csv(path: Path, frame: pd.DataFrame, index: bool = False) -> None:
    from fieldsurvey.io.atomic import atomic_write_text

    atomic_write_text(path, "\ufeff" + frame.to_csv(index=index, lineterminator="\n"))


def _rates_step(run: DemoRun, central: Path) -> pd.DataFrame:
    from fieldsurvey.example.analysis import case_table
    from fieldsurvey.rates.compute import aapor_rates

    with _Timer(run, "rates"):
        cases = case_table(central, reference_year=FIELD_START.year)
        released = cases[cases["released"].astype(str).str.lower().isin(["true", "1"])] \
            if "released" in cases.columns else cases
        overall = aapor_rates(released)
        tables = {"overall": overall.to_dict()}
        frames = [overall.to_frame().assign(by="all")]
        for by in ("community_id", "interviewer", "stratum"):
            t = aapor_rates(released, by=by)
            tables[by] = t.to_dict()
            frames.append(t.to_frame().assign(by=by))
        _write_json(run.out / "rates.json", tables)
        # the case table (final dispositions, answers without personal data, and the
        # calibration variables) for `fieldsurvey weights --dispositions cases.csv`
        _write_csv(run.out / "cases.csv", cases)
        _write_csv(run.out / "rates.csv", pd.concat(frames).rename_axis("group").reset_index(),
                   index=False)
    run.outputs["rates"] = run.out / "rates.json"
    run.outputs["cases"] = run.out / "cases.csv"
    o = overall.overall
    run.figures["response_rate_RR3"] = f"{float(o['RR3']):.1%}"
    run.figures["cooperation_COOP1"] = f"{float(o['COOP1']):.1%}"
    run.figures["refusal_REF1"] = f"{float(o['REF1']):.1%}"
    run.figures["contact_CON1"] = f"{float(o['CON1']):.1%}"
    return cases


def _weights_step(run: DemoRun, sample: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    from fieldsurvey.example.analysis import final_weights
    from fieldsurvey.weights.io import read_margins

    with _Timer(run, "weights"):
        result = final_weights(sample, cases, read_margins(run.out / "maps" / "margins.csv"))
        weighted: pd.DataFrame = result.cases
        keep = [c for c in ("dwelling_id", "community_id", "stratum", "interviewer",
                            "disposition", "base_weight", "weight_class", "f_eligibility",
                            "f_nonresponse", "f_person", "f_calibration", "weight", "sex",
                            "age_group") if c in weighted.columns]
        _write_csv(run.out / "weights.csv", weighted[keep])
        _write_json(run.out / "weights.json", result.to_dict())
    run.outputs["weights"] = run.out / "weights.csv"
    d = result.diagnostics
    run.figures["respondents"] = int(d.n_positive)
    run.figures["weighting_effect_kish"] = round(float(d.deff), 3)
    run.figures["effective_sample_size"] = round(float(d.n_effective), 1)
    return weighted


def _estimates_step(run: DemoRun, weighted: pd.DataFrame) -> None:
    from fieldsurvey.example.analysis import headline_estimates
    from fieldsurvey.questionnaire import load_form
    from fieldsurvey.questionnaire.indicators import read_indicators

    form = load_form(demo_form_path())
    ind = read_indicators(form)
    from fieldsurvey.weights.io import read_margins

    margins = {k: v for k, v in read_margins(run.out / "maps" / "margins.csv").items()
               if k in ("sex", "age_group")}
    with _Timer(run, "estimates"):
        head = headline_estimates(weighted, form=form, margins=margins)
        _write_csv(run.out / "estimates.csv", head.table)
        _write_json(run.out / "estimates.json", head.table.to_dict(orient="records"))
    run.outputs["estimates"] = run.out / "estimates.csv"
    comp = ind.headline
    if comp is not None:
        idx = head.get(comp.name, "index")
        run.figures["satisfaction_index"] = (
            f"{idx['estimate']:.1f} (95% CI {idx['ci_low']:.1f}-{idx['ci_high']:.1f})")
        run.figures["satisfaction_index_n"] = int(idx["n"])
        run.figures["satisfaction_index_items"] = " ".join(comp.items)
    part = ind.participation_any
    if part is not None:
        row = head.table[(head.table["variable"] == part.any_column)
                         & (head.table["level"].astype(str) == "1")
                         & head.table["domain"].isna()].iloc[0]
        run.figures["took_part_in_community_affairs"] = (
            f"{row['estimate']:.1%} (95% CI {row['ci_low']:.1%}-{row['ci_high']:.1%})")
    run.figures["variance_method"] = str(head.table["variance"].iloc[0])


def _community_aux(out: Path) -> pd.DataFrame:
    """Community-level auxiliaries for the small-area estimates.

    The migrant share, persons per household and whether the community is a model (示范类)
    community, from the district's community attributes (what a street office's records give).
    """
    import geopandas as gpd

    b = gpd.read_file(out / "maps" / "boundaries.geojson")
    return pd.DataFrame({
        "community_id": b["community_id"].astype(str),
        "migrant_share": pd.to_numeric(b["migrant_share"], errors="coerce"),
        "persons_per_household": pd.to_numeric(b["residents"], errors="coerce")
        / pd.to_numeric(b["households"], errors="coerce"),
        "model_community": (b["type"] == "示范类").astype(float),
    })


def _report_step(run: DemoRun, central: Path, progress: Progress | None) -> None:
    from fieldsurvey.reports.analysis import write_report

    with _Timer(run, "report"):
        from fieldsurvey.weights.io import read_margins

        margins = {k: v for k, v in read_margins(run.out / "maps" / "margins.csv").items()
                   if k in ("sex", "age_group")}
        result = write_report(central, run.outputs["weights"], run.out / "report.pdf",
                              margins=margins, aux=_community_aux(run.out),
                              title="青岚区社区治理居民调查（示例）",
                              date=FIELD_START.date().isoformat(),
                              progress=progress)
    run.outputs["report"] = run.out / "report.pdf"
    pages = getattr(result, "pages", None)
    if pages is not None:
        run.figures["report_pages"] = pages if isinstance(pages, int) else len(pages)
