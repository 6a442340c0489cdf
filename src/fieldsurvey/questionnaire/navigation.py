"""Moving through an interview.

the current position, next/back/jump, field-list screens, and adding or removing repeat instances at
the position.

:class:`Navigator` holds the one piece of state that is not an answer: where the
interviewer is. It refuses to leave a required question empty (``next``), shows a
``field-list`` group as one screen, and, after adding an instance of a repeat, goes to
the first question of *that* repeat's new instance (sibling repeats stay apart).
"""

from __future__ import annotations

from fieldsurvey.io.errors import QuestionnaireError
from fieldsurvey.questionnaire.checking import AnswerChecks
from fieldsurvey.questionnaire.messages import say
from fieldsurvey.questionnaire.model import Group
from fieldsurvey.questionnaire.sequence import StepSequence
from fieldsurvey.questionnaire.state import MAX_REPEAT, InterviewState
from fieldsurvey.questionnaire.steps import InvalidAnswer, Step

__all__ = ["Navigator"]


class Navigator:
    """The position in the interview (see the module docstring)."""

    def __init__(self, state: InterviewState, seq: StepSequence, checks: AnswerChecks) -> None:
        self.state = state
        self.seq = seq
        self.checks = checks
        self.pos = seq.first_relevant(0)

    @property
    def current(self) -> Step:
        """The current step (the first relevant one if its repeat instance was removed)."""
        if self.pos.key not in self.seq.index:
            self.pos = self.seq.first_relevant(0)
        return self.pos

    def _refuse_empty(self, steps: list[Step]) -> None:
        st = self.state
        for s in steps:
            q = s.question
            if q is not None and q.is_input and not st.has_answer(s.key, q.name):
                if self.checks.required(s):
                    fallback = say("required", self.checks.language)
                    raise InvalidAnswer(self.checks.message(q.required_message, fallback),
                                        field=s.key)

    def next(self) -> Step:
        """Move to the next relevant step; refuses to leave a required question empty."""
        cur = self.current
        if cur.kind == "question":
            self._refuse_empty([cur])
        if cur.kind == "end":
            return cur
        self.pos = self.seq.first_relevant(self.seq.index[cur.key] + 1)
        return self.pos

    def back(self) -> Step:
        """Move to the previous relevant step (stays at the first)."""
        cur = self.current
        i = self.seq.index[cur.key] - 1
        struct = self.seq.struct
        while i >= 0:
            s = struct[i]
            if self.seq.ok(s):
                self.pos = s
                break
            i -= 1
        return self.pos

    def jump(self, key: str) -> Step:
        """Go to the step ``key`` (an answer key, ``+repeat[..]`` or ``@end``) if relevant."""
        i = self.seq.index.get(key)
        if i is None:
            raise QuestionnaireError(f"there is no step '{key}' in this interview", field=key)
        s = self.seq.struct[i]
        if not self.seq.ok(s):
            raise QuestionnaireError(f"'{key}' is not relevant with the answers given", field=key)
        self.pos = s
        return s

    # ------------------------------------------------------------------ screens
    def _field_list(self, step: Step) -> Group | None:
        q = step.question
        if q is None:
            return None
        for name in q.parents:  # outermost first: a field-list shows all it contains
            g = self.state.form.items_by_name[name]
            if isinstance(g, Group) and g.field_list:
                return g
        return None

    def screen(self, step: Step | None = None) -> list[Step]:
        """The steps shown together with ``step`` (default current)."""
        step = step or self.current
        g = self._field_list(step)
        if g is None:
            return [step]
        depth = len(self.state.plan.scope[g.name])
        return [
            s
            for s in self.seq.struct
            if s.question is not None
            and g.name in s.question.parents
            and s.instance[:depth] == step.instance[:depth]
            and self.seq.ok(s)
        ]

    def next_screen(self) -> Step:
        """Leave the current screen: every required question on it must be answered."""
        shown = self.screen()
        self._refuse_empty(shown)
        last = shown[-1]
        if last.kind == "end":
            return last
        self.pos = self.seq.first_relevant(self.seq.index[last.key] + 1)
        return self.pos

    def back_screen(self) -> Step:
        """Go to the first step of the previous screen."""
        first = self.screen()[0]
        self.pos = first
        prev = self.back()
        if prev is first:
            return first
        self.pos = self.screen(prev)[0]
        return self.pos

    # ------------------------------------------------------------------ repeats
    def add_instance(self) -> Step:
        """At a repeat step: add an instance and go to its first relevant question."""
        cur = self.current
        if cur.kind != "repeat" or cur.repeat is None:
            raise QuestionnaireError(
                "a repeat instance can only be added at the repeat's prompt", field=cur.key
            )
        repeat = cur.repeat.name
        if self.state.count(repeat, cur.instance) >= MAX_REPEAT:
            raise QuestionnaireError(f"at most {MAX_REPEAT} instances", field=repeat)
        n = self.state.add_instance(repeat, cur.instance)
        new = (*cur.instance, n)
        depth = len(new)
        struct = self.seq.struct
        start = next(
            (
                i
                for i, s in enumerate(struct)
                if s.instance[:depth] == new
                and (
                    (s.question is not None and repeat in s.question.parents)
                    or (s.repeat is not None and repeat in s.repeat.parents)
                )
            ),
            self.seq.index.get(cur.key, 0),
        )
        self.pos = self.seq.first_relevant(start)
        return self.pos

    def remove_instance(self, repeat: str, instance: tuple[int, ...]) -> None:
        """Delete one instance of a manual repeat; later instances move up by one."""
        n = self.state.count(repeat, instance[:-1])
        if not 1 <= instance[-1] <= n:
            raise QuestionnaireError(
                f"repeat '{repeat}' has no instance {instance[-1]}", field=repeat
            )
        self.state.remove_instance(repeat, instance)
