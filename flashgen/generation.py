"""Generators turn a chunk into flashcards and a lecture's flashcards into quiz questions.

The coordinator only knows the ``Generator`` protocol. ``LLMGenerator`` drives a provider:
prompt → complete (through the scheduler) → parse → validate each item → on unusable output,
re-ask with the error appended, a bounded number of times. Items the model gets wrong are
dropped and recorded with the reason; they never reach the output files.

Each request's ``max_tokens`` is sized from the items it asks for (``OutputAllowance``), within
the configured ``max_tokens``; a reply cut off below that cap is asked again as it was, with a
doubled allowance, and that costs no correction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from flashgen import prompts
from flashgen.drafts import QUESTION_DRAFTS, DraftCard, envelope_schema, question_draft
from flashgen.errors import GenerationError, TruncatedOutput
from flashgen.estimate import OutputAllowance
from flashgen.ids import card_id
from flashgen.mix import QuestionMix, allocate
from flashgen.models import (
    NO_USAGE,
    CardSource,
    Chunk,
    Course,
    Flashcard,
    QuizQuestion,
    Usage,
)
from flashgen.providers.base import Completion, CompletionRequest, Message
from flashgen.scheduler import Priority
from flashgen.validation import dedupe_questions, finalize_question

T = TypeVar("T")
# Questions asked beyond the target, so that items dropped by validation leave no gap.
QUESTION_BUFFER = 2
SYSTEM_PROMPT = "You are a careful teaching assistant. You reply with JSON only."


@dataclass(frozen=True)
class GenerationContext:
    course: Course
    lecture_id: str
    language: str
    priority: Priority = ()


@dataclass(frozen=True)
class Rejection:
    reason: str
    item: str = ""


@dataclass
class Generated(Generic[T]):
    items: list[T]
    usage: Usage = NO_USAGE
    rejected: list[Rejection] = field(default_factory=list)
    calls: int = 0


class Generator(Protocol):
    name: str
    model: str
    # The questions each card is expected to yield per level (to report what a failed quiz
    # task leaves missing).
    questions_per_card: int

    @property
    def quiz_group_size(self) -> int | None:
        """Cards per quiz request; None: all of a lecture's cards in one request."""
        ...

    @property
    def identity(self) -> dict[str, Any]:
        """Everything about the generator that changes its results; part of every cache key."""
        ...

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]: ...

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]: ...


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


def parse_items(text: str, key: str) -> list[Any]:
    """The list under ``key`` in a JSON reply; tolerant of code fences, strict about shape."""
    try:
        data = json.loads(_FENCE.sub("", text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at position {exc.pos})") from exc
    if isinstance(data, list):
        return data
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f'the reply must be a JSON object of the form {{"{key}": [...]}}')
    return list(data[key])


def _short_errors(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in error.errors()[:5]
    )


Complete = Callable[[CompletionRequest, Priority], Awaitable[Completion]]


class LLMGenerator:
    """Flashcards and quizzes from a model, whatever the provider behind ``complete``."""

    def __init__(
        self,
        complete: Complete,
        *,
        name: str,
        model: str,
        max_tokens: int = 8192,
        temperature: float = 0.3,
        max_corrections: int = 2,
        cards_per_chunk: tuple[int, int] = (4, 6),
        questions_per_card: int = 5,
        max_questions_per_request: int = 20,
        mix: QuestionMix | None = None,
    ) -> None:
        self._complete = complete
        self.name = name
        self.model = model
        self.max_tokens = max_tokens  # the cap; each request asks for what its items need
        self.allowance = OutputAllowance(max_tokens)
        self.temperature = temperature
        self.max_corrections = max_corrections
        self.cards_per_chunk = cards_per_chunk
        self.questions_per_card = questions_per_card
        self.max_questions_per_request = max_questions_per_request
        self.mix = mix or QuestionMix()

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "generator": self.name,
            "model": self.model,
            "prompt_version": prompts.prompt_version(),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,  # the cap, not the per-request allowance
            "cards_per_chunk": list(self.cards_per_chunk),
            "questions_per_card": self.questions_per_card,
            "max_questions_per_request": self.max_questions_per_request,
            **self.mix.identity,
        }

    def flashcard_prompt(self, chunk: Chunk, ctx: GenerationContext) -> str:
        location = ""
        if chunk.pages:
            location = f" (pages {_span(chunk.pages)})"
        elif chunk.slides:
            location = f" (slides {_span(chunk.slides)})"
        return prompts.template("flashcards").substitute(
            _course_fields(ctx),
            min_cards=self.cards_per_chunk[0],
            max_cards=self.cards_per_chunk[1],
            lecture_id=ctx.lecture_id,
            chunk_number=chunk.index + 1,
            location_note=location,
            content=chunk.text,
        )

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        prompt = self.flashcard_prompt(chunk, ctx)
        source = CardSource(
            lecture=ctx.lecture_id,
            chunk=chunk.index,
            pages=list(chunk.pages),
            slides=list(chunk.slides),
        )

        def build(raw: Any) -> Flashcard:
            draft = DraftCard.model_validate(raw)
            return Flashcard(
                id=card_id(ctx.course.id, ctx.lecture_id, draft.question),
                source=source,
                **draft.model_dump(),
            )

        return await self._generate(
            prompt, "flashcards", [DraftCard], build, ctx.priority, asked=self.cards_asked
        )

    @property
    def cards_asked(self) -> int:
        """Cards one flashcard request may bring: the top of ``cards_per_chunk``."""
        return self.cards_per_chunk[1]

    @property
    def quiz_group_size(self) -> int:
        """Cards per quiz request, so that the questions asked (plus the buffer) fit the cap."""
        return max(1, (self.max_questions_per_request - QUESTION_BUFFER) // self.questions_per_card)

    def quiz_target(self, cards: int) -> int:
        """Questions wanted from one request over ``cards`` cards."""
        return min(
            self.max_questions_per_request - QUESTION_BUFFER,
            max(1, cards * self.questions_per_card),
        )

    def questions_asked(self, cards: int) -> int:
        """Questions one request over ``cards`` cards asks for: the target plus the buffer."""
        return self.quiz_target(cards) + QUESTION_BUFFER

    def quiz_prompt(self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext) -> str:
        spec = prompts.levels()[level]
        shares = self.mix.shares(level)
        asked = self.questions_asked(len(cards))
        return prompts.template("quiz").substitute(
            _course_fields(ctx),
            level=level,
            level_name=spec.name,
            rubric=spec.rubric,
            question_count=asked,
            type_counts=_type_counts(allocate(shares, asked)),
            type_rules="\n".join(f"- {prompts.type_rules()[t]}" for t in shares),
            avoid="",
            cards="\n".join(_card_line(c) for c in cards),
        )

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        shares = self.mix.shares(level)
        target = self.quiz_target(len(cards))
        prompt = self.quiz_prompt(cards, level, ctx)
        known_ids = [c.id for c in cards]

        def build(raw: Any) -> QuizQuestion:
            draft = question_draft(raw)
            if draft.model_dump().get("type") not in shares:
                raise ValueError(f"question type {raw.get('type')!r} was not asked for")
            cited = [i for i in draft.source_flashcard_ids if i in known_ids]
            if not cited:
                raise ValueError("source_flashcard_ids names none of the given flashcards")
            return finalize_question(
                ctx.course.id,
                ctx.lecture_id,
                level,
                {**draft.model_dump(), "source_flashcard_ids": cited},
            )

        drafts = [QUESTION_DRAFTS[t] for t in shares]
        result = await self._generate(
            prompt,
            "questions",
            drafts,
            build,
            ctx.priority,
            asked=self.questions_asked(len(cards)),
            want=target,
        )
        result.items = trim_to_mix(result.items, shares, target)
        return result

    async def _generate(
        self,
        prompt: str,
        key: str,
        drafts: Sequence[type[BaseModel]],
        build: Callable[[Any], T],
        priority: Priority,
        asked: int,
        want: int | None = None,
    ) -> Generated[T]:
        """Ask for ``asked`` items, validate each, and re-ask: with the error when a reply is
        unusable, and for just the missing number when validation dropped items below
        ``want``. A reply cut off below the ``max_tokens`` cap is asked again unchanged with a
        bigger allowance; that is not a correction."""
        messages = [Message("user", prompt)]
        max_tokens = self.allowance.initial(key, asked)
        result: Generated[T] = Generated(items=[])
        last_text = ""
        problem = ""
        corrections = 0
        while True:
            request = CompletionRequest(
                system=SYSTEM_PROMPT,
                messages=tuple(messages),
                max_tokens=max_tokens,
                temperature=self.temperature,
                json_schema=envelope_schema(key, drafts),
                schema_name=key,
            )
            completion = await self._complete(request, priority)
            result.calls += 1
            result.usage = result.usage + completion.usage
            last_text = completion.text
            if completion.truncated and max_tokens < self.max_tokens:
                max_tokens = self.allowance.raised(key, asked, max_tokens)
                continue
            if completion.truncated:
                problem = TRUNCATED
            else:
                problem = self._collect(completion.text, key, build, result)
                missing = (want or 0) - len(result.items)
                if not problem and missing <= 0:
                    return result
                if not problem:
                    reasons = "; ".join(r.reason for r in result.rejected[-5:])
                    problem = (
                        f"{missing} more {key} are needed: some of yours were unusable "
                        f"({reasons}). Write {missing + 1} new {key}, different from the ones "
                        "you already wrote, following the same instructions. JSON only."
                    )
            if corrections == self.max_corrections:
                break
            corrections += 1
            messages += [Message("assistant", completion.text), Message("user", problem)]
        if result.items:
            return result  # short of the target, but every item kept is valid
        error_type = TruncatedOutput if problem == TRUNCATED else GenerationError
        raise error_type(
            f"the model's {key} stayed unusable after {result.calls} attempts: {problem[:300]}",
            attempts=result.calls,
            last_output=last_text[:2000],
        )

    @staticmethod
    def _collect(text: str, key: str, build: Callable[[Any], T], result: Generated[T]) -> str:
        """Add the usable items of a reply to ``result``; a re-ask message when none were."""
        try:
            raw_items = parse_items(text, key)
        except ValueError as exc:
            return f"Your reply could not be used: {exc}. Reply again with the JSON only."
        rejected: list[Rejection] = []
        items: list[T] = []
        for raw in raw_items:
            try:
                items.append(build(raw))
            except ValidationError as exc:
                rejected.append(Rejection(_short_errors(exc), json.dumps(raw)[:200]))
            except ValueError as exc:
                rejected.append(Rejection(str(exc), json.dumps(raw)[:200]))
        result.rejected.extend(rejected)
        if raw_items and not items:
            reasons = "; ".join(r.reason for r in rejected[:5])
            return (
                f"None of the {key} in your reply were valid: {reasons}. "
                "Reply again with corrected JSON only, following the same instructions."
            )
        result.items.extend(items)
        return ""


TRUNCATED = (
    "Your reply was cut off at the output token limit, so none of it can be used. "
    "Reply again with fewer items and shorter texts, JSON only."
)


def trim_to_mix(
    questions: Sequence[QuizQuestion], shares: Mapping[str, float], target: int
) -> list[QuizQuestion]:
    """At most ``target`` questions, near-duplicates out, keeping the type mix where the
    model's questions allow it; the first of each type in reply order win."""
    unique, _ = dedupe_questions(questions)
    quota = allocate(shares, min(target, len(unique)))
    kept: list[QuizQuestion] = []
    for question in unique:
        if quota.get(question.type, 0) > 0:
            quota[question.type] -= 1
            kept.append(question)
    leftovers = [q for q in unique if q not in kept]
    kept += leftovers[: min(target, len(unique)) - len(kept)]
    order = {id(q): n for n, q in enumerate(unique)}
    return sorted(kept, key=lambda q: order[id(q)])


def _type_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f'{n} of type "{t}"' for t, n in counts.items() if n)


def _card_line(card: Flashcard) -> str:
    return json.dumps(
        {
            "id": card.id,
            "term": card.term,
            "question": card.question,
            "answer": card.answers.concise,
            "context": card.context,
            "example": card.example,
        },
        ensure_ascii=False,
    )


def _course_fields(ctx: GenerationContext) -> dict[str, str]:
    course = ctx.course
    return {
        "course_name": course.name,
        "course_code_note": f" ({course.code})" if course.code else "",
        "textbook": course.textbook or "none given",
        "language": ctx.language,
    }


def _span(numbers: Sequence[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}–{numbers[-1]}"
