"""The frozen form model: what a questionnaire *is*, independent of the file it came from.

An XLSForm workbook (:mod:`.xlsform`) and a YAML file (:mod:`.yamlform`) both load into
the same :class:`Form`; the headless runner (:mod:`.runner`), the interviewer TUI, the
field store and the exports only ever see this model.

Shape::

    Form
     ├── settings: Settings (form_id, version, default_language, special answers)
     ├── languages: ("zh", "en", ...)
     ├── choice_lists: {list_name: ChoiceList(choices=(Choice, ...))}
     └── children: (Question | Group | Repeat, ...)      the tree, in order
              Group / Repeat have their own children

    Form.questions            every Question in document order (flattened)
    Form.question(name)       one by name (names are unique in a form)

Values that answers take (the "answer types", see :data:`AnswerValue`):

==================  ===========================================
question type       Python value in the runner
==================  ===========================================
integer             ``int``
decimal             ``float``
text                ``str``
select_one          ``str`` (the choice *name*, e.g. ``"3"``)
select_multiple     ``tuple[str, ...]`` of choice names, form order
date                ``datetime.date``
acknowledge         ``True``
calculate           ``str`` / ``float`` / ``int`` / ``bool`` (computed)
note                no value
any (if allowed)    :class:`SpecialAnswer` (不知道 -8 / 拒绝回答 -9 ...)
==================  ===========================================

``or_other`` selects add a choice named ``other``; its text goes to the companion
question ``<name>_other`` (a ``text`` question the loader adds after the select).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pragma: no cover
    from fieldsurvey.questionnaire.expr import Node
    from fieldsurvey.questionnaire.external import Attachment

__all__ = [
    "QUESTION_TYPES",
    "AnswerValue",
    "Choice",
    "ChoiceList",
    "CompletionRules",
    "DEFAULT_SPECIAL_ANSWERS",
    "METADATA_KEYS",
    "METADATA_TYPES",
    "Expression",
    "Form",
    "Group",
    "Item",
    "LangText",
    "Question",
    "QuestionType",
    "Repeat",
    "Settings",
    "SpecialAnswer",
]

QuestionType = Literal[
    "integer",
    "decimal",
    "text",
    "select_one",
    "select_multiple",
    "note",
    "date",
    "calculate",
    "acknowledge",
    "time",
    "datetime",
    "range",
    "rank",
    "barcode",
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "hidden",
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "phonenumber",
    "simserial",
    "subscriberid",
    "email",
    "imei",
    "audit",
    "caseid",
    "comments",
    "audio_audit",
    "speed_violations",
    "sensor",
    "start_geopoint",
]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]
#: Metadata a caller may give (``InterviewEnv(metadata=...)``), as ODK/SurveyCTO name them.
METADATA_KEYS: tuple[str, ...] = (
    "deviceid", "username", "phonenumber", "simserial", "subscriberid", "email", "imei",
    "audit", "start_geopoint",
)
#: Filled by the runner, never shown (the interview's metadata).
METADATA_TYPES: frozenset[str] = frozenset(
    {"start", "end", "today", *METADATA_KEYS, "caseid", "comments", "audio_audit",
     "speed_violations", "sensor"}
)
#: Media questions: the answer is a file path (see the README's XLSForm table).
MEDIA_TYPES: frozenset[str] = frozenset({"image", "audio", "video", "file"})
#: Location questions: typed as ``lat lon [alt [accuracy]]`` (points joined by ``;``).
GEO_TYPES: frozenset[str] = frozenset({"geopoint", "geotrace", "geoshape"})
INPUT_TYPES: frozenset[str] = (
    frozenset(QUESTION_TYPES) - {"note", "calculate", "hidden"} - METADATA_TYPES
)


@dataclass(frozen=True)
class LangText:
    """A text in one or more languages, e.g. ``{"zh": "性别", "en": "Sex"}``.

    ``""`` is the key of a text given without a language (plain ``label`` column).
    """

    texts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str] | str | None) -> LangText:
        """Build from a mapping language -> text (or one plain string)."""
        if mapping is None:
            return cls()
        if isinstance(mapping, str):
            return cls((("", mapping),)) if mapping else cls()
        return cls(tuple((k, v) for k, v in mapping.items() if v not in (None, "")))

    def __bool__(self) -> bool:
        return bool(self.texts)

    def as_dict(self) -> dict[str, str]:
        """The texts as a plain dict language -> text."""
        return dict(self.texts)

    def get(self, lang: str | None = None, default_lang: str | None = None) -> str:
        """The text in ``lang``, falling back to ``default_lang``, the plain text, then any.

        ``lang`` matches a language key exactly, case-insensitively, or by the code in
        parentheses (``"en"`` matches ``"English (en)"``).
        """
        if not self.texts:
            return ""
        for wanted in (lang, default_lang, ""):
            if wanted is None:
                continue
            hit = _match_lang(wanted, self.texts)
            if hit is not None:
                return hit
        return self.texts[0][1]


def _match_lang(wanted: str, texts: tuple[tuple[str, str], ...]) -> str | None:
    w = wanted.strip().lower()
    for key, text in texts:
        if key == wanted:
            return text
    for key, text in texts:
        k = key.lower()
        if k == w or (k.endswith(")") and k.rsplit("(", 1)[-1].rstrip(")").strip() == w):
            return text
    # the app's zh/en against a form's language names (label::Chinese, label::中文, zh-CN)
    names = _LANG_NAMES.get(w, ())
    for key, text in texts:
        k = key.lower()
        if k.split("-")[0].split("_")[0] == w or any(n in k for n in names):
            return text
    return None


_LANG_NAMES = {"zh": ("chinese", "中文", "汉语", "简体", "繁體", "普通话", "mandarin"),
               "en": ("english", "英文", "英语")}


@dataclass(frozen=True)
class Expression:
    """An expression parsed once at load: its source text and its syntax tree.

    ``deps`` are the question names it refers to with ``${name}``.
    """

    source: str
    tree: Node
    deps: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SpecialAnswer:
    """A non-substantive answer such as 不知道 (don't know) or 拒绝回答 (refused).

    ``code`` is what exports carry (conventionally negative: -8, -9) and ``name`` the
    stable identifier (``dont_know``, ``refused``). Statistics treat it as missing.
    """

    code: int
    name: str
    label: LangText = field(default_factory=LangText, compare=False)

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


DEFAULT_SPECIAL_ANSWERS: tuple[SpecialAnswer, ...] = (
    SpecialAnswer(-8, "dont_know", LangText.of({"zh": "不知道", "en": "Don't know"})),
    SpecialAnswer(-9, "refused", LangText.of({"zh": "拒绝回答", "en": "Refused"})),
)


@dataclass(frozen=True)
class Choice:
    """One option of a choice list.

    ``name`` is the stored value (a code such as ``"3"``); ``attributes`` holds extra
    columns of the choices sheet used by ``choice_filter`` (e.g. ``category``);
    ``missing`` marks a substantive option that statistics treat as missing
    (e.g. ``8 不了解``); ``exclusive`` one that cannot be combined with others in a
    select_multiple (e.g. ``0 都没有``).
    """

    name: str
    label: LangText = field(default_factory=LangText)
    attributes: tuple[tuple[str, str], ...] = ()
    missing: bool = False
    exclusive: bool = False

    def attribute(self, key: str) -> str:
        """An extra column's value ("" when absent); ``name`` and ``label`` work too."""
        if key == "name":
            return self.name
        for k, v in self.attributes:
            if k == key:
                return v
        if key == "label" or key.startswith("label::"):
            return self.label.get(key.partition("::")[2] or None)
        return ""


@dataclass(frozen=True)
class ChoiceList:
    """A named list of choices (the ``list_name`` of the choices sheet)."""

    name: str
    choices: tuple[Choice, ...]

    @cached_property
    def by_name(self) -> dict[str, Choice]:
        """Choices by their name."""
        return {c.name: c for c in self.choices}


@dataclass(frozen=True)
class Question:
    """One row of the survey sheet that is neither a group nor a repeat.

    Attributes
    ----------
    name, type
        Unique name and one of :data:`QUESTION_TYPES`.
    label, hint
        Texts per language.
    required, required_message
        Whether an answer (or an allowed special answer) is needed to move on.
    relevant
        When the question is asked; ``None`` means always (within its groups).
    constraint, constraint_message
        A check on the answer (``.`` is the answer); the message shown when it fails.
    calculation
        For ``calculate``: the value's expression.
    default
        The initial answer as text (parsed like an entered answer).
    choice_list, or_other, choice_filter
        For selects: the list's name, whether an "other" option is added, and the
        expression that keeps a choice (bare names are the choice's columns).
    appearance, read_only
        Display hints (``likert``, ``minimal``, ...); whether the value can be changed.
    sensitive
        Personal data (names, phone, exact address): left out or pseudonymised in exports.
    special
        The codes of the :class:`SpecialAnswer` s this question accepts.
    parents
        Names of the enclosing groups and repeats, outermost first.
    repeats
        Names of the enclosing repeats only, outermost first (``()`` outside repeats).
    row
        The 1-based source row (sheet row, or item number in YAML) for error messages.
    """

    name: str
    type: QuestionType
    label: LangText = field(default_factory=LangText)
    hint: LangText = field(default_factory=LangText)
    required: bool = False
    required_message: LangText = field(default_factory=LangText)
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_message: LangText = field(default_factory=LangText)
    calculation: Expression | None = None
    default: str | None = None
    choice_list: str | None = None
    or_other: bool = False
    choice_filter: Expression | None = None
    appearance: str = ""
    read_only: bool = False
    sensitive: bool = False
    special: tuple[int, ...] = ()
    parents: tuple[str, ...] = ()
    repeats: tuple[str, ...] = ()
    row: int | None = field(default=None, compare=False)
    required_if: Expression | None = None
    default_expression: Expression | None = None
    warning: Expression | None = None
    warning_message: LangText = field(default_factory=LangText)
    guidance_hint: LangText = field(default_factory=LangText)
    parameters: tuple[tuple[str, str], ...] = ()
    media: tuple[tuple[str, str], ...] = ()
    trigger: tuple[str, ...] = ()
    extra_columns: tuple[tuple[str, str], ...] = ()

    @property
    def extra(self) -> dict[str, str]:
        """Survey columns fieldsurvey does not interpret (e.g. ``indicator``), by header."""
        return dict(self.extra_columns)

    @property
    def parameter(self) -> dict[str, str]:
        """The ``parameters`` column as a dict (``start=1 end=10 step=1`` ...)."""
        return dict(self.parameters)

    @property
    def is_metadata(self) -> bool:
        """True for ``start``, ``end``, ``today``, ``deviceid`` ... (filled, never shown)."""
        return self.type in METADATA_TYPES

    @property
    def hidden(self) -> bool:
        """True for questions never shown: metadata and ``hidden``."""
        return self.type in METADATA_TYPES or self.type == "hidden"

    @property
    def is_input(self) -> bool:
        """True for questions the interviewer answers (not notes or calculates)."""
        return self.type in INPUT_TYPES

    @property
    def is_select(self) -> bool:
        """True for select_one, select_multiple and rank."""
        return self.type in ("select_one", "select_multiple", "rank")


@dataclass(frozen=True)
class Group:
    """``begin group`` ... ``end group``: a section, shown on one screen with ``field-list``."""

    name: str
    label: LangText = field(default_factory=LangText)
    relevant: Expression | None = None
    appearance: str = ""
    children: tuple[Item, ...] = ()
    hint: LangText = field(default_factory=LangText)
    parents: tuple[str, ...] = ()
    row: int | None = field(default=None, compare=False)

    @property
    def field_list(self) -> bool:
        """True when all its questions are shown on one screen."""
        return "field-list" in self.appearance.split()


@dataclass(frozen=True)
class Repeat:
    """``begin repeat`` ... ``end repeat``: a block asked once per instance (e.g. a person).

    ``repeat_count`` (an expression) fixes the number of instances; without it the
    interviewer adds instances until done.
    """

    name: str
    label: LangText = field(default_factory=LangText)
    relevant: Expression | None = None
    appearance: str = ""
    repeat_count: Expression | None = None
    children: tuple[Item, ...] = ()
    hint: LangText = field(default_factory=LangText)
    parents: tuple[str, ...] = ()
    row: int | None = field(default=None, compare=False)


Item = Question | Group | Repeat

#: A value an answer can take (see the module docstring).
AnswerValue = (
    int | float | str | bool | tuple[str, ...] | _dt.date | _dt.datetime | _dt.time
    | SpecialAnswer | None
)


@dataclass(frozen=True)
class CompletionRules:
    """When an interview counts as complete, partial or a break-off (issue 17).

    Shares of the applicable input questions answered (or of the ``essential`` ones when
    listed): ``complete`` at or above :attr:`complete`, ``partial`` at or above
    :attr:`partial`, else ``break-off``. Defaults follow AAPOR (50 % and 80 %); set in
    the settings sheet as ``completion_partial``, ``completion_complete`` (fractions or
    percentages) and ``essential_questions`` (names separated by spaces or commas).
    """

    partial: float = 0.5
    complete: float = 0.8
    essential: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    """The settings sheet and the special answers the form allows.

    ``form_id``, ``version``, ``default_language``, ``form_title``, completion rules and
    other settings.

    ``other`` keeps the accepted settings fieldsurvey stores but does not act on
    (``instance_name``, ``style``, ``public_key``, ``submission_url`` ...).
    """

    form_id: str
    version: str = ""
    default_language: str | None = None
    title: LangText = field(default_factory=LangText)
    special_answers: tuple[SpecialAnswer, ...] = DEFAULT_SPECIAL_ANSWERS
    completion: CompletionRules = field(default_factory=CompletionRules)
    allow_choice_duplicates: bool = False
    other: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Form:
    """A loaded, checked questionnaire. Build it with :func:`fieldsurvey.load_form`."""

    settings: Settings
    languages: tuple[str, ...]
    choice_lists: Mapping[str, ChoiceList]
    children: tuple[Item, ...]
    source: str | None = field(default=None, compare=False)
    attachments: Mapping[str, Attachment] = field(default_factory=dict, compare=False)
    declares_special: bool = field(default=True, compare=False)
    warnings: tuple[Any, ...] = field(default=(), compare=False)

    # -- convenience --------------------------------------------------------------
    @property
    def form_id(self) -> str:
        """The ``form_id`` setting."""
        return self.settings.form_id

    @property
    def version(self) -> str:
        """The ``version`` setting."""
        return self.settings.version

    @property
    def default_language(self) -> str | None:
        """The ``default_language`` setting (or the first language)."""
        return self.settings.default_language or (self.languages[0] if self.languages else None)

    def walk(self) -> Iterator[Item]:
        """Every item (questions, groups, repeats) in document order, depth first."""

        def rec(items: tuple[Item, ...]) -> Iterator[Item]:
            for it in items:
                yield it
                if isinstance(it, Group | Repeat):
                    yield from rec(it.children)

        return rec(self.children)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """All questions in document order."""
        return tuple(it for it in self.walk() if isinstance(it, Question))

    @cached_property
    def items_by_name(self) -> dict[str, Item]:
        """Questions, groups and repeats by name."""
        return {it.name: it for it in self.walk()}

    def question(self, name: str) -> Question:
        """The question called ``name`` (KeyError if none)."""
        it = self.items_by_name[name]
        if not isinstance(it, Question):
            raise KeyError(name)
        return it

    def choices(self, question: Question) -> tuple[Choice, ...]:
        """The choices of a select question (without filtering), ``other`` included."""
        if question.choice_list is None:
            return ()
        return self.choice_lists[question.choice_list].choices

    def special_for(self, question: Question) -> tuple[SpecialAnswer, ...]:
        """The special answers ``question`` accepts, in the form's order."""
        allowed = set(question.special)
        return tuple(s for s in self.settings.special_answers if s.code in allowed)

    def special_by_code(self, code: int) -> SpecialAnswer | None:
        """The form's special answer with this code, if any."""
        for s in self.settings.special_answers:
            if s.code == code:
                return s
        return None

    @property
    def sensitive_names(self) -> tuple[str, ...]:
        """Names of the questions marked as personal data (pseudonymise on export)."""
        return tuple(q.name for q in self.questions if q.sensitive)
