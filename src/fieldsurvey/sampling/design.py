"""The sample design file: a TOML description of a multi-stage design, parsed and checked.

A design names how communities are stratified, how many are drawn and how (stage 1),
how dwellings are drawn inside them (stage 2), and how the respondent is chosen. It is
parsed into a frozen :class:`Design`; every unknown key and every impossible value
raises :class:`~fieldsurvey.io.errors.DesignError` naming the key (``stage1.n``), so a
typo never silently changes a sample. Example::

    seed = 20261121
    [stratify]
    by = "type"
    [stage1]
    method = "pps_systematic"     # srs | systematic | pps_systematic | pps_brewer | take_all
    size = "households"
    n = 12                        # or a table per stratum: { 示范类 = 4, 强基类 = 6 }
    allocation = "proportional"   # proportional | equal | neyman | power | table
    sort = ["street", "community_id"]
    [stage2]
    method = "systematic"         # srs | systematic (in the frame's geographic order)
    eligible = "status == 'occupied'"
    m = 25
    reserve = 10
    [respondent]
    method = "kish"               # kish | random | none

The sample-size calculator lives in :mod:`fieldsurvey.sampling.size`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldsurvey.io.errors import DesignError

__all__ = [
    "ALLOCATIONS",
    "STAGE1_METHODS",
    "STAGE2_METHODS",
    "Design",
    "Respondent",
    "Stage1",
    "Stage2",
    "load_design",
]

STAGE1_METHODS = ("srs", "systematic", "pps_systematic", "pps_brewer", "take_all")
STAGE2_METHODS = ("srs", "systematic")
ALLOCATIONS = ("proportional", "equal", "neyman", "power", "table")
RESPONDENT_METHODS = ("kish", "random", "none")
ZERO_SIZE_RULES = ("error", "exclude")

_TOP_KEYS = {"seed", "name", "stratify", "stage1", "stage2", "respondent"}
_STRATIFY_KEYS = {"by"}
_STAGE1_KEYS = {
    "unit", "id", "method", "size", "n", "allocation", "minimum", "power", "sd", "sort",
    "zero_size",
}
_STAGE2_KEYS = {"unit", "method", "eligible", "m", "reserve", "segment_size", "order"}
_RESPONDENT_KEYS = {"method", "min_age"}


@dataclass(frozen=True)
class Stage1:
    """How communities (primary sampling units) are drawn within strata."""

    method: str
    """One of :data:`STAGE1_METHODS`."""
    n: int | None
    """Total number of communities, allocated over strata (None when ``n_table`` is given)."""
    n_table: tuple[tuple[str, int], ...] | None = None
    """Number of communities per stratum, as given in the file."""
    allocation: str = "proportional"
    """How a total ``n`` is shared among strata; one of :data:`ALLOCATIONS`."""
    size: str | None = None
    """Community attribute holding the measure of size (households)."""
    id: str = "community_id"
    """Community id column."""
    unit: str = "community"
    minimum: int = 1
    """Smallest number of communities per stratum when allocating a total."""
    power: float = 0.5
    """Exponent q of power allocation, n_h proportional to X_h ** q (Bankier 1988)."""
    sd: str | tuple[tuple[str, float], ...] | None = None
    """Neyman allocation: a column whose within-stratum standard deviation is used, or a table."""
    sort: tuple[str, ...] = ()
    """Sort order within strata for systematic methods (implicit stratification)."""
    zero_size: str = "error"
    """What to do with communities of size 0: ``error`` or ``exclude`` (they cannot be drawn)."""

    @property
    def is_pps(self) -> bool:
        """True for methods with probability proportional to size."""
        return self.method.startswith("pps_")


@dataclass(frozen=True)
class Stage2:
    """How dwellings are drawn within each selected community."""

    method: str
    """``systematic`` (random start, in geographic order) or ``srs``."""
    m: int
    """Dwellings per community (all are taken when fewer are eligible)."""
    reserve: int = 0
    """Reserve dwellings per community, drawn with the main sample, released in random order."""
    eligible: str | None = None
    """Eligibility expression such as ``status == 'occupied'`` (None: every dwelling)."""
    segment_size: int | None = None
    """Split communities with more than about 2·S eligible dwellings into segments of about S."""
    order: str = "order"
    """Column giving the geographic order of dwellings within the community."""
    unit: str = "dwelling"


@dataclass(frozen=True)
class Respondent:
    """How one person is chosen within the household."""

    method: str = "kish"
    min_age: int = 18


@dataclass(frozen=True)
class Design:
    """A complete, checked sample design. Build it with :func:`load_design`."""

    stage1: Stage1
    stage2: Stage2 | None = None
    stratify: tuple[str, ...] = ()
    respondent: Respondent = Respondent()
    seed: int | None = None
    name: str | None = None
    source: str | None = None
    """The file the design was read from, for error messages."""

    def n_by_stratum(self) -> dict[str, int] | None:
        """The per-stratum table of stage-1 sizes, or None when a total is allocated."""
        return dict(self.stage1.n_table) if self.stage1.n_table is not None else None


def load_design(design: str | Path | Mapping[str, Any] | Design) -> Design:
    """Read and check a sample design.

    Parameters
    ----------
    design
        Path of a TOML file, an already parsed mapping, or a :class:`Design` (returned as is).

    Returns
    -------
    Design
        The frozen, validated design.

    Raises
    ------
    DesignError
        For an unreadable file, an unknown key or an impossible value; the error names the
        key (``stage1.n``) and says what is allowed.
    """
    if isinstance(design, Design):
        return design
    source: str | None = None
    if isinstance(design, (str, Path)):
        path = Path(design)
        source = str(path)
        if not path.is_file():
            raise DesignError("the design file does not exist", file=source,
                              hint="Give the path of a TOML design file")
        try:
            data: Mapping[str, Any] = _parse_toml(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise DesignError("the design file is not UTF-8 text", file=source,
                              got=str(exc), hint="Save the file as UTF-8") from exc
        except tomllib.TOMLDecodeError as exc:
            raise DesignError("the design file is not valid TOML", file=source, got=str(exc),
                              hint="Fix the line named above (strings need quotes)") from exc
    elif isinstance(design, Mapping):
        data = design
    else:
        raise DesignError("a design must be a TOML path or a mapping",
                          got=type(design).__name__)
    return _Parser(source).design(data)


# A bare key made of anything but TOML syntax, containing at least one non-ASCII letter.
_UNICODE_BARE_KEY = re.compile(
    r"""(?P<lead>^[ \t]*|[{,][ \t]*)(?P<key>[^\s"'=,{}\[\]#.]*[^\x00-\x7f][^\s"'=,{}\[\]#.]*)"""
    r"""(?=[ \t]*=)""",
    re.MULTILINE,
)


def _parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML, also accepting unquoted Chinese keys (``{ 示范类 = 4 }``) as TOML 1.1 does.

    Python's ``tomllib`` implements TOML 1.0, where bare keys are ASCII only; when the text
    fails to parse, non-ASCII bare keys are quoted and the parse is tried once more.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        quoted = _UNICODE_BARE_KEY.sub(lambda m: f'{m["lead"]}"{m["key"]}"', text)
        if quoted == text:
            raise
        try:
            return tomllib.loads(quoted)
        except tomllib.TOMLDecodeError:
            pass
        raise


class _Parser:
    """Turns a parsed TOML mapping into a :class:`Design`, naming every bad key."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def fail(self, key: str, message: str, *, expected: str | None = None,
             got: Any = None, hint: str | None = None) -> DesignError:
        return DesignError(message, file=self.source, field=key, expected=expected,
                           got=None if got is None else repr(got), hint=hint)

    def table(self, data: Any, key: str, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(key, "this must be a table", expected=f"[{key}]", got=data)
        unknown = sorted(set(data) - allowed)
        if unknown:
            name = f"{key}.{unknown[0]}" if key else unknown[0]
            raise self.fail(name, "unknown key in the design",
                            expected="one of " + ", ".join(sorted(allowed)), got=unknown[0],
                            hint="Check the spelling; unknown keys are never ignored")
        return data

    def choice(self, value: Any, key: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(key, "not an allowed value", expected=" | ".join(allowed), got=value)
        return str(value)

    def integer(self, value: Any, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "this must be a whole number", got=value)
        if value < minimum:
            raise self.fail(key, f"this must be at least {minimum}", got=value)
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "this must be a non-empty string", got=value)
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(key, "this must be a column name or a list of column names", got=value)
        return tuple(self.string(v, key) for v in value)

    def design(self, data: Mapping[str, Any]) -> Design:
        data = self.table(data, "", _TOP_KEYS)
        seed = data.get("seed")
        if seed is not None:
            seed = self.integer(seed, "seed", 0)
        name = self.string(data["name"], "name") if "name" in data else None
        stratify: tuple[str, ...] = ()
        if "stratify" in data:
            strat = self.table(data["stratify"], "stratify", _STRATIFY_KEYS)
            if "by" in strat:
                stratify = self.strings(strat["by"], "stratify.by")
        if "stage1" not in data:
            raise self.fail("stage1", "the design has no [stage1] table",
                            hint="Add [stage1] with method and n")
        stage1 = self.stage1(self.table(data["stage1"], "stage1", _STAGE1_KEYS), stratify)
        stage2 = None
        if "stage2" in data:
            stage2 = self.stage2(self.table(data["stage2"], "stage2", _STAGE2_KEYS))
        respondent = Respondent()
        if "respondent" in data:
            r = self.table(data["respondent"], "respondent", _RESPONDENT_KEYS)
            respondent = Respondent(
                method=self.choice(r.get("method", "kish"), "respondent.method",
                                   RESPONDENT_METHODS),
                min_age=self.integer(r.get("min_age", 18), "respondent.min_age", 0),
            )
        return Design(stage1=stage1, stage2=stage2, stratify=stratify, respondent=respondent,
                      seed=seed, name=name, source=self.source)

    def stage1(self, s: Mapping[str, Any], stratify: tuple[str, ...]) -> Stage1:
        if "method" not in s:
            raise self.fail("stage1.method", "stage 1 needs a method",
                            expected=" | ".join(STAGE1_METHODS))
        method = self.choice(s["method"], "stage1.method", STAGE1_METHODS)
        unit = self.string(s.get("unit", "community"), "stage1.unit")
        if unit != "community":
            raise self.fail("stage1.unit", "stage-1 units must be communities",
                            expected="'community'", got=unit)
        size = self.string(s["size"], "stage1.size") if "size" in s else None
        if method.startswith("pps_") and size is None:
            raise self.fail("stage1.size", f"method {method} needs a measure of size",
                            hint="Name the community attribute, e.g. size = \"households\"")
        n: int | None = None
        n_table: tuple[tuple[str, int], ...] | None = None
        if method == "take_all":
            if "n" in s:
                raise self.fail("stage1.n", "take_all draws every community; n must be omitted",
                                got=s["n"])
        elif "n" not in s:
            raise self.fail("stage1.n", "stage 1 needs n, a total or a table per stratum")
        elif isinstance(s["n"], Mapping):
            if not stratify:
                raise self.fail("stage1.n", "a table of n per stratum needs [stratify] by",
                                hint="Add [stratify] by = \"type\" or give n as a total")
            if not s["n"]:
                raise self.fail("stage1.n", "the table of n per stratum is empty")
            n_table = tuple(
                (str(k), self.integer(v, f"stage1.n.{k}", 0)) for k, v in s["n"].items()
            )
            if sum(v for _, v in n_table) == 0:
                raise self.fail("stage1.n", "the table asks for no community at all")
        else:
            n = self.integer(s["n"], "stage1.n", 1)
        default_alloc = "table" if n_table is not None else "proportional"
        allocation = self.choice(s.get("allocation", default_alloc), "stage1.allocation",
                                 ALLOCATIONS)
        if n_table is not None and allocation != "table":
            raise self.fail("stage1.allocation", "n is a table per stratum, so the allocation "
                            "is 'table'", got=allocation)
        if n is not None and allocation == "table":
            raise self.fail("stage1.allocation", "allocation 'table' needs n as a table per "
                            "stratum", got=n, hint="Write n = { stratumA = 4, stratumB = 6 }")
        minimum = self.integer(s.get("minimum", 1), "stage1.minimum", 0)
        power = s.get("power", 0.5)
        if isinstance(power, bool) or not isinstance(power, (int, float)) or not 0 <= power <= 1:
            raise self.fail("stage1.power", "the power allocation exponent must be in [0, 1]",
                            got=power)
        sd: str | tuple[tuple[str, float], ...] | None = None
        if "sd" in s:
            if isinstance(s["sd"], Mapping):
                items = []
                for k, v in s["sd"].items():
                    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                        raise self.fail(f"stage1.sd.{k}", "a standard deviation must be a "
                                        "number of at least 0", got=v)
                    items.append((str(k), float(v)))
                sd = tuple(items)
            else:
                sd = self.string(s["sd"], "stage1.sd")
        if allocation == "neyman" and sd is None:
            raise self.fail("stage1.sd", "Neyman allocation needs the standard deviation per "
                            "stratum", hint="Give sd = \"column\" or sd = { stratum = 1.5, ... }")
        sort = self.strings(s["sort"], "stage1.sort") if "sort" in s else ()
        zero_size = self.choice(s.get("zero_size", "error"), "stage1.zero_size", ZERO_SIZE_RULES)
        return Stage1(method=method, n=n, n_table=n_table, allocation=allocation, size=size,
                      id=self.string(s.get("id", "community_id"), "stage1.id"), unit=unit,
                      minimum=minimum, power=float(power), sd=sd, sort=sort,
                      zero_size=zero_size)

    def stage2(self, s: Mapping[str, Any]) -> Stage2:
        unit = self.string(s.get("unit", "dwelling"), "stage2.unit")
        if unit != "dwelling":
            raise self.fail("stage2.unit", "stage-2 units must be dwellings",
                            expected="'dwelling'", got=unit)
        if "method" not in s:
            raise self.fail("stage2.method", "stage 2 needs a method",
                            expected=" | ".join(STAGE2_METHODS))
        method = self.choice(s["method"], "stage2.method", STAGE2_METHODS)
        if "m" not in s:
            raise self.fail("stage2.m", "stage 2 needs m, the dwellings per community")
        m = self.integer(s["m"], "stage2.m", 1)
        reserve = self.integer(s.get("reserve", 0), "stage2.reserve", 0)
        eligible = self.string(s["eligible"], "stage2.eligible") if "eligible" in s else None
        segment_size = None
        if "segment_size" in s:
            segment_size = self.integer(s["segment_size"], "stage2.segment_size", 1)
            if segment_size < m + reserve:
                raise self.fail("stage2.segment_size", "a segment must hold at least the m + "
                                "reserve dwellings drawn from it", got=segment_size,
                                expected=f"at least {m + reserve}")
        order = self.string(s.get("order", "order"), "stage2.order")
        return Stage2(method=method, m=m, reserve=reserve, eligible=eligible,
                      segment_size=segment_size, order=order, unit=unit)
