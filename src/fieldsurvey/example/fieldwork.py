"""Simulated fieldwork for the demo: contact attempts, rosters, Kish selection and answers.

The demo shows the whole method without interviewers, so this module plays them: it
works through each device store's assignments **through the same** :class:`FieldStore`
**API the interviewer TUI uses** (``record_attempt``, ``set_roster_member``,
``record_selection``, ``start_interview``, ``set_answer``, ``complete``), so the rates,
weights and estimates downstream meet data shaped exactly like real fieldwork.

What happens at the door is drawn from the district's true population (the people who
live in each dwelling, :attr:`District.persons`) and from outcome probabilities that
differ by community type (示范类 communities are easier to enter and refuse less than
强基类 ones), over up to four visits: the building cannot be entered (2.23), nobody is
home (2.24), the selected respondent is away (2.25, with an appointment), the dwelling
turns out vacant (4.61) or a business (4.51), the household or the respondent refuses
(2.111 / 2.112), the interview breaks off (a partial 1.2 when most questions were
answered, else 2.12), or it completes (1.1). Answers follow plausible distributions with
community-level differences (satisfaction, participation, needs), so the estimates
differ by community and type and have real design effects.

Every interview is a visit: the session that starts it records a contact attempt with
the outcome it ended with (1.1, 1.2 or 2.12), as the interviewer app does, so a case with
an interview always has at least one attempt.

Interviewers differ in their habits (:data:`STYLES`): ``fast`` answers in about a second
per question (speeding), ``straight`` gives every item of a grid the same answer
(straight-lining); ``fieldsurvey quality`` on the demo flags them. The demo team's
``int05`` is fast and ``int06`` straight-lines.

Simulated time advances on a virtual clock (days of fieldwork, minutes per visit,
seconds per question), so the paradata (time per question) and appointment times look
like fieldwork. Everything is reproducible from the seed. Durability is relaxed
(``PRAGMA synchronous=OFF``) on the simulation's own connections only: no person is
typing, and a crashed demo is simply run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fieldsurvey.io.progress import Progress, report
from fieldsurvey.questionnaire.model import Form, Question, SpecialAnswer
from fieldsurvey.questionnaire.runner import InterviewRunner
from fieldsurvey.questionnaire.steps import InvalidAnswer, Step
from fieldsurvey.sampling.kish import kish_select
from fieldsurvey.sampling.rng import child_rngs
from fieldsurvey.store.quality import grids_of

__all__ = ["OUTCOME_PROFILES", "STYLES", "OutcomeProfile", "SimulationResult",
           "simulate_store"]

#: Interviewer id -> habit (``normal`` when not listed): see the module docstring.
STYLES: dict[str, str] = {"int05": "fast", "int06": "straight"}


@dataclass(frozen=True)
class OutcomeProfile:
    """Per-visit outcome probabilities for one community type."""

    no_entry: float          # building access control stops the interviewer (2.23)
    nobody_home: float       # no one opens (2.24)
    household_refusal: float  # the household refuses before the roster (2.111)
    respondent_refusal: float  # the selected person refuses (2.112)
    away: float              # the selected person is away; appointment made (2.25)
    breakoff: float          # the interview stops part-way (1.2 or 2.12)
    satisfaction: float      # shift of the latent satisfaction (scale points)
    participation: float     # probability of having taken part in something


OUTCOME_PROFILES: dict[str, OutcomeProfile] = {
    "示范类": OutcomeProfile(0.05, 0.36, 0.08, 0.04, 0.08, 0.03, 0.45, 0.62),
    "创优类": OutcomeProfile(0.09, 0.42, 0.11, 0.05, 0.09, 0.04, 0.15, 0.50),
    "强基类": OutcomeProfile(0.14, 0.48, 0.15, 0.06, 0.10, 0.05, -0.20, 0.38),
}
_DEFAULT_PROFILE = OUTCOME_PROFILES["创优类"]
MAX_VISITS = 4

_SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂兰")


@dataclass
class SimulationResult:
    """What one store's simulated fieldwork produced."""

    cases: int = 0
    attempts: int = 0
    completes: int = 0
    partials: int = 0
    answers: int = 0
    finals: dict[str, str] = field(default_factory=dict)


class _Clock:
    """A virtual clock: advanced explicitly by the simulation."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=float(seconds))

    def next_day(self, rng: np.random.Generator) -> None:
        """Come back one to three days later, at a time people are home (9:00-20:30)."""
        day = (self.now + dt.timedelta(days=int(rng.integers(1, 4)))).date()
        minutes = int(rng.integers(9 * 60, 20 * 60 + 30))
        self.now = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))


@dataclass
class _Person:
    line: int
    sex: str
    age: int
    migrant: bool


def simulate_store(
    store_path: str | Path,
    form: Form,
    persons: pd.DataFrame,
    communities: pd.DataFrame,
    *,
    seed: int,
    start: dt.datetime,
    dwelling_ids: Sequence[str] | None = None,
    progress: Progress | None = None,
    style: str | None = None,
) -> SimulationResult:
    """Play the interviewer of one device store: visit its cases and record everything.

    Parameters
    ----------
    store_path
        A device store made by ``fieldsurvey assign`` (its interviewer is the device's).
    form
        The questionnaire pinned in the store.
    persons
        The true residents: ``dwelling_id``, ``person``, ``sex`` (male/female), ``age``,
        ``migrant`` (from :class:`~fieldsurvey.example.district.District`).
    communities
        Community attributes: ``community_id``, ``type``, ``migrant_share``.
    seed
        Seed of this store's simulation (one stream per case, so adding cases later,
        e.g. released reserve, does not change earlier cases).
    start
        Virtual start time of the fieldwork.
    dwelling_ids
        Only these cases (default: every case without an attempt yet).
    style
        The interviewer's habit: ``normal``, ``fast`` or ``straight`` (default: by the
        store's interviewer in :data:`STYLES`).
    """
    from fieldsurvey.store.store import FieldStore

    clock = _Clock(start)
    result = SimulationResult()
    store = FieldStore.open(store_path, clock=clock)
    try:
        store.connection.execute("PRAGMA synchronous=OFF")
        habit = style or STYLES.get(store.meta.get("interviewer", ""), "normal")
        grids = {q for qs in grids_of(form).values() for q in qs}
        assigned = store.assignments()
        if dwelling_ids is not None:
            assigned = assigned[assigned["dwelling_id"].isin(list(dwelling_ids))]
        else:
            tried = {a["dwelling_id"] for a in store.attempts()}
            assigned = assigned[~assigned["dwelling_id"].isin(tried)]
        wanted = persons[persons["dwelling_id"].isin(assigned["dwelling_id"].astype(str))]
        people = {str(k): g for k, g in wanted.groupby("dwelling_id", sort=False)}
        comm = communities.set_index("community_id")
        total = len(assigned)
        for i, row in enumerate(assigned.itertuples(index=False)):
            report(progress, "fieldwork", i, total)
            # first visits: eight a day from 9:00, one every 75 minutes or so
            clock.now = (start + dt.timedelta(days=i // 8, minutes=75 * (i % 8))
                         + dt.timedelta(minutes=(i * 37) % 30))
            cid = str(row.community_id)
            ctype = str(comm.at[cid, "type"]) if cid in comm.index else ""
            profile = OUTCOME_PROFILES.get(ctype, _DEFAULT_PROFILE)
            share: Any = (comm.at[cid, "migrant_share"]
                          if "migrant_share" in comm.columns and cid in comm.index else 0.1)
            mshare = float(share)
            case_seed = np.random.SeedSequence([seed, _stable_int(str(row.dwelling_id))])
            rng = child_rngs(case_seed, 1)[0]
            members = people.get(str(row.dwelling_id))
            _Case(store, form, clock, rng, result, profile, mshare, cid, habit, grids).visit(
                str(row.dwelling_id), str(getattr(row, "kish_table", "") or "A"), members)
        report(progress, "fieldwork", total, total)
    finally:
        store.close()
    return result


def _stable_int(text: str) -> int:
    """A stable 63-bit integer of a string (Python's hash() is salted per process)."""
    import hashlib

    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


class _Case:
    """One case visited up to four times."""

    def __init__(self, store: Any, form: Form, clock: _Clock, rng: np.random.Generator,
                 result: SimulationResult, profile: OutcomeProfile, migrant_share: float,
                 community_id: str, style: str = "normal",
                 grids: frozenset[str] | set[str] = frozenset()) -> None:
        self.store, self.form, self.clock, self.rng = store, form, clock, rng
        self.result, self.p, self.migrant_share = result, profile, migrant_share
        self.community_id = community_id
        self.style, self.grids = style, grids

    def attempt(self, dwelling_id: str, code: str, note: str | None = None,
                appointment: dt.datetime | None = None) -> None:
        self.store.record_attempt(dwelling_id, code, note=note, appointment=appointment)
        self.result.attempts += 1

    def visit(self, dwelling_id: str, kish_table: str, members: pd.DataFrame | None) -> None:
        r, p = self.rng, self.p
        self.result.cases += 1
        if members is None or not len(members):
            # Listed as occupied, but nobody lives there (or it is a shop now).
            code = "4.61" if r.random() < 0.85 else "4.51"
            self.attempt(dwelling_id, code, note="现场核实" if code == "4.61" else "商铺")
            self.result.finals[dwelling_id] = code
            return
        people = members.sort_values("person")
        roster = [_Person(i + 1, str(sex), int(age), bool(migrant))
                  for i, (sex, age, migrant) in enumerate(zip(
                      people["sex"], people["age"].astype(int), people["migrant"],
                      strict=True))]
        selected: _Person | None = None
        for visit in range(MAX_VISITS):
            if visit:
                self.clock.next_day(r)
            u = r.random()
            if u < p.no_entry:
                self.attempt(dwelling_id, "2.23", note="门禁/物业未放行")
                continue
            if u < p.no_entry + p.nobody_home:
                self.attempt(dwelling_id, "2.24")
                continue
            if selected is None:
                if r.random() < p.household_refusal:
                    self.attempt(dwelling_id, "2.111", note="户内拒访")
                    self.result.finals[dwelling_id] = "2.111"
                    return
                selected = self._select(dwelling_id, kish_table, roster)
                if selected is None:
                    self.attempt(dwelling_id, "4.7", note="无18岁及以上常住成员")
                    self.result.finals[dwelling_id] = "4.7"
                    return
            u = r.random()
            if u < p.respondent_refusal:
                self.attempt(dwelling_id, "2.112", note="被选受访者拒访")
                self.result.finals[dwelling_id] = "2.112"
                return
            if u < p.respondent_refusal + p.away and visit < MAX_VISITS - 1:
                appt = dt.datetime.combine(
                    self.clock.now.date() + dt.timedelta(days=int(r.integers(1, 4))),
                    dt.time(int(r.integers(9, 20)), 30 * int(r.integers(0, 2))))
                self.attempt(dwelling_id, "2.25", note="受访者不在家，已预约", appointment=appt)
                continue
            self._interview(dwelling_id, roster, selected)
            return
        self.result.finals.setdefault(dwelling_id, "2.2")

    def _select(self, dwelling_id: str, kish_table: str, roster: list[_Person]) -> _Person | None:
        for m in roster:
            self.store.set_roster_member(dwelling_id, m.line, sex=m.sex, age=m.age,
                                         name=_name(self.rng), resident=True,
                                         eligible=m.age >= 18)
            self.clock.advance(self.rng.uniform(15, 40))
        eligible = [{"sex": m.sex, "age": m.age, "line": m.line} for m in roster]
        if not any(m.age >= 18 for m in roster):
            return None
        sel = kish_select(eligible, kish_table, method="kish", min_age=18)
        chosen = roster[int(sel.index)]
        self.store.record_selection(dwelling_id, method="kish", eligible_count=sel.eligible,
                                    chosen_line=chosen.line, probability=sel.probability,
                                    kish_table=kish_table)
        return chosen

    def _interview(self, dwelling_id: str, roster: list[_Person], resp: _Person) -> None:
        r = self.rng
        uuid = self.store.start_interview(dwelling_id, respondent_line=resp.line)
        runner = InterviewRunner(self.form, clock=lambda: self.clock.now.date())
        gen = _Answers(self.form, runner, r, self.p, roster, resp, self.migrant_share,
                       self.community_id)
        if self.style == "straight":
            gen.straight = self.grids
        breakoff_at = int(r.integers(8, 50)) if r.random() < self.p.breakoff else None
        answered = 0
        for _ in range(2000):  # a bound, never reached by a sane form
            step = runner.current
            if step.kind == "end":
                break
            if step.kind == "repeat":
                if gen.wants_instance(step):
                    runner.add_instance()
                else:
                    runner.next()
                continue
            q = step.question
            assert q is not None
            if q.type in ("note", "calculate") or not q.is_input:
                runner.next()
                continue
            if breakoff_at is not None and answered >= breakoff_at:
                break
            value = gen.value(step)
            if value is not None:
                self.store.set_answer(uuid, step.key, value)
                answered += 1
                self.result.answers += 1
            self.clock.advance(r.gamma(1.0, 0.5) + 0.4 if self.style == "fast"
                               else r.gamma(2.0, 6.0) + 3)
            runner.next()
        if breakoff_at is not None and runner.current.kind != "end":
            # partial or break-off by the form's rule on the share of applicable questions
            if runner.completion().status != "break-off":
                self.store.complete(uuid, outcome="1.2")
                self.attempt(dwelling_id, "1.2", note="部分完成")
                self.result.partials += 1
                self.result.finals[dwelling_id] = "1.2"
            else:
                self.attempt(dwelling_id, "2.12", note="访问中断")
                self.result.finals[dwelling_id] = "2.12"
            return
        self.store.complete(uuid, outcome="1.1")
        self.attempt(dwelling_id, "1.1", note="访问完成")
        self.result.completes += 1
        self.result.finals[dwelling_id] = "1.1"


def _name(rng: np.random.Generator) -> str:
    return str(rng.choice(_SURNAMES)) + "".join(rng.choice(_GIVEN, size=int(rng.integers(1, 3))))


_ORDERED_UP = {"sat5", "willing5", "open5"}  # 1 = worst ... 5 = best
_ORDERED_DOWN = {"coop4", "need4", "role4", "change3", "aware", "coop"}  # 1 = best


class _Answers:
    """Plausible answers for one respondent, with community-level differences."""

    def __init__(self, form: Form, runner: InterviewRunner, rng: np.random.Generator,
                 profile: OutcomeProfile, roster: list[_Person], resp: _Person,
                 migrant_share: float, community_id: str) -> None:
        self.form, self.runner, self.r, self.p = form, runner, rng, profile
        self.roster, self.resp = roster, resp
        self.migrant = resp.migrant or rng.random() < migrant_share * 0.3
        # Community effect: a stable draw per community, plus the type's shift.
        crng = np.random.default_rng(_stable_int(community_id))
        self.c_sat = profile.satisfaction + crng.normal(0, 0.35)
        self.c_item = crng.normal(0, 0.3, size=64)
        self.person_sat = rng.normal(0, 0.6)
        self.partic = min(0.95, max(0.05, profile.participation + crng.normal(0, 0.08)
                                    - (0.15 if self.migrant else 0.0)))
        self.instances = 0
        #: Grid items answered all alike (an interviewer who straight-lines).
        self.straight: frozenset[str] | set[str] = frozenset()
        self.straight_pick: dict[str, str] = {}
        specials = {s.code: s for s in form.settings.special_answers}
        self.dont_know: SpecialAnswer | None = specials.get(-8)

    def wants_instance(self, step: Step) -> bool:
        if (step.repeat is not None and step.repeat.name == "h_roster"
                and self.instances < len(self.roster)):
            self.instances += 1
            return True
        return False

    def value(self, step: Step) -> Any:
        q = step.question
        assert q is not None
        if q.read_only:
            if q.name == "resp_line":
                self.runner.set_value(step.key, self.resp.line)
                return self.resp.line
            return None
        candidates = self._candidates(q, step)
        for value in candidates:
            try:
                self.runner.answer(value, step)
                return value
            except InvalidAnswer:
                continue
        if self.dont_know is not None and self.dont_know.code in q.special:
            self.runner.answer(self.dont_know, step)
            return self.dont_know
        return None

    def _candidates(self, q: Question, step: Step) -> list[Any]:
        r = self.r
        inst = step.instance
        member = self.roster[inst[0] - 1] if inst and q.name.startswith("h_") else None
        today = self.runner.clock()
        if member is not None:
            fixed: dict[str, Any] = {"h_name": _name(r),
                                     "h_sex": "1" if member.sex == "male" else "2",
                                     "h_age": member.age, "h_resident": "1"}
            if q.name in fixed:
                return [fixed[q.name]]
        if q.name == "a1":
            return ["1" if self.resp.sex == "male" else "2"]
        if q.name == "a2":
            return [today.year - self.resp.age, today.year - self.resp.age - 1]
        if q.name == "a4" and self.migrant:
            return ["3"]
        if q.name == "a5":
            top = max(self.resp.age - 18, 0) if not self.migrant else min(self.resp.age, 8)
            return [int(r.integers(0, top + 1)), 0]
        if q.name == "b2":
            return [int(1 + r.poisson(4))]
        if q.type == "text":
            if q.sensitive:
                return ["1" + str(r.integers(3, 9)) + "".join(str(d) for d in r.integers(0, 10, 9))]
            return ["其他"]
        if q.type == "integer":
            return [int(v) for v in r.integers(0, 20, size=5)]
        if q.type == "decimal":
            return [float(np.round(r.uniform(0, 100), 1))]
        if q.type == "date":
            return [today]
        if q.type == "acknowledge":
            return [True]
        if self.dont_know is not None and self.dont_know.code in q.special and r.random() < 0.01:
            return [self.dont_know]
        choices = self.runner.choices(step)
        names = [c.name for c in choices if not c.missing]
        if not names:
            return []
        if q.name in self.straight and q.choice_list:
            # the same answer to every item of the grid (the first pick of its list)
            return [self.straight_pick.setdefault(q.choice_list, names[len(names) // 2])]
        if q.type == "select_multiple":
            return self._multiple(q, choices)
        lst = q.choice_list or ""
        if lst in _ORDERED_UP or lst in _ORDERED_DOWN:
            if lst == "sat5" and r.random() < 0.03:
                missing = [c.name for c in choices if c.missing]
                if missing:
                    return missing[:1]
            return [self._ordered(q, names, up=lst in _ORDERED_UP)]
        weights = r.dirichlet(np.full(len(names), 2.0))
        return list(r.choice(names, size=min(3, len(names)), replace=False, p=weights))

    def _ordered(self, q: Question, names: list[str], *, up: bool) -> str:
        k = len(names)
        item = self.c_item[q.row % len(self.c_item)] if q.row else 0.0
        latent = 0.8 + self.c_sat + item + self.person_sat + self.r.normal(0, 0.7)
        # thresholds spread around the middle of a k-point scale
        cuts = np.linspace(-1.5, 1.5, k - 1)
        level = int(np.searchsorted(cuts, latent))  # 0 .. k-1, higher = better
        return names[level] if up else names[k - 1 - level]

    def _multiple(self, q: Question, choices: Sequence[Any]) -> list[tuple[str, ...]]:
        r = self.r
        exclusive = [c.name for c in choices if c.exclusive]
        plain = [c.name for c in choices if not c.exclusive and not c.missing]
        if q.choice_list == "partic":
            p_each = 0.35 if r.random() < self.partic else 0.0
        elif q.choice_list == "reasons":
            picked = tuple(sorted(r.choice(plain, size=int(r.integers(1, 3)), replace=False),
                                  key=plain.index))
            return [picked, picked[:1]]
        else:
            shift = self.c_item[_stable_int(q.choice_list or "") % 7] * 0.3
            p_each = float(np.clip(0.28 + shift, 0.05, 0.8))
        picked = tuple(n for n in plain if r.random() < p_each)
        if not picked:
            picked = tuple(exclusive[:1]) or (plain[0],)
        return [picked, tuple(exclusive[:1]) or (plain[0],)]


def communities_table(boundaries: pd.DataFrame) -> pd.DataFrame:
    """The community attributes the simulation needs, from the district's boundaries."""
    cols = [c for c in ("community_id", "type", "migrant_share") if c in boundaries.columns]
    return pd.DataFrame(boundaries[cols]).reset_index(drop=True)


def starts(n: int, first: dt.datetime) -> list[dt.datetime]:
    """Staggered virtual start times for ``n`` interviewers (same first morning)."""
    return [first + dt.timedelta(minutes=7 * i) for i in range(n)]

