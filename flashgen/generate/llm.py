"""Generators turn a chunk into flashcards and a lecture's flashcards into quiz questions.

The coordinator only knows the ``Generator`` protocol. ``LLMGenerator`` drives a provider:
prompt → complete (through the scheduler) → parse → validate each item → re-ask for what is
missing, a bounded number of times. An item the model gets wrong (whatever the exception reading
it raises) is dropped and recorded with the reason; it never costs the task the other items.

Requests put what several calls share first, so providers can cache it: the system text (the
course, the teaching instructions, every level's rubric), then the chunk or the cards (shared by
a group's four quiz levels, marked ``cache_breakpoint``), and the level-specific instruction
last. A re-ask is a fresh request with that same prefix and a short note (what was kept, by
title; what was wrong; how many more to write), never the previous reply sent back.

Each request's ``max_tokens`` is sized from the items it asks for (``OutputAllowance``), within
the configured ``max_tokens``; a reply cut off below that cap is asked again as it was, with a
doubled allowance, and that costs no correction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from flashgen.errors import FlashgenError, GenerationError, TruncatedOutput
from flashgen.generate import prompts
from flashgen.generate.base import Generated, GenerationContext
from flashgen.generate.drafts import QUESTION_DRAFTS, DraftCard, envelope_schema, question_draft
from flashgen.generate.mix import QuestionMix, allocate
from flashgen.generate.replies import (
    TRUNCATED,
    Job,
    clip,
    collect,
    missing_types,
    reask_note,
    trim_to_mix,
    type_counts,
)
from flashgen.generate.validation import dedupe_questions, finalize_question
from flashgen.ids import card_id, digest
from flashgen.models import (
    CardSource,
    Chunk,
    Flashcard,
    QuizQuestion,
    TaskKind,
)
from flashgen.providers.base import Completion, CompletionRequest, Message, Priority
from flashgen.providers.estimate import OutputAllowance, expected_output_tokens

T = TypeVar("T")
# Questions asked beyond the target, so that items dropped by validation leave no gap. Valid
# ones are kept: output paid for is not thrown away.
QUESTION_BUFFER = 2
# Items a re-ask writes beyond the missing ones (kept when valid, like the first buffer).
REASK_BUFFER = 1
SYSTEM_PROMPT = "You are a careful teaching assistant. You reply with JSON only."


@dataclass(frozen=True)
class Prompt:
    """What every request of one task sends before its own note: the system text, then the
    messages, shared part first (the last shared message carries ``cache_breakpoint``)."""

    system: str
    messages: tuple[Message, ...]

    @property
    def cache_key(self) -> str:
        """A digest of the longest prefix other requests share: through the last message marked
        ``cache_breakpoint`` (the system text alone where none is)."""
        marked = [n for n, m in enumerate(self.messages) if m.cache_breakpoint]
        shared = self.messages[: marked[-1] + 1] if marked else ()
        return digest(self.system, *(m.content for m in shared), length=16)

    @property
    def text(self) -> str:
        """All of it but ``SYSTEM_PROMPT``, as one text (for token estimates)."""
        body = self.system.removeprefix(SYSTEM_PROMPT).strip()
        return "\n\n".join([body, *(m.content for m in self.messages)])


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

    # --- flashcards -------------------------------------------------------------------------

    def flashcard_messages(self, chunk: Chunk, ctx: GenerationContext) -> Prompt:
        """System text shared by every flashcard request of the course; the chunk after it."""
        system = prompts.template("flashcards").substitute(
            _course_fields(ctx),
            min_cards=self.cards_per_chunk[0],
            max_cards=self.cards_per_chunk[1],
        )
        location = ""
        if chunk.pages:
            location = f" (pages {_span(chunk.pages)})"
        elif chunk.slides:
            location = f" (slides {_span(chunk.slides)})"
        task = prompts.requests()["flashcards"].substitute(
            lecture_id=ctx.lecture_id,
            chunk_number=chunk.index + 1,
            location_note=location,
            min_cards=self.cards_per_chunk[0],
            max_cards=self.cards_per_chunk[1],
            material=prompts.fence(chunk.text),
        )
        # No breakpoint: only this task's re-asks would read the chunk back, and a cache write
        # costs more than a plain input token. The system text is the shared part.
        return Prompt(f"{SYSTEM_PROMPT}\n\n{system}", (Message("user", task),))

    def flashcard_request(self, chunk: Chunk, ctx: GenerationContext) -> CompletionRequest:
        """The first request of a flashcard task, as sent (for estimates)."""
        prompt = self.flashcard_messages(chunk, ctx)
        max_tokens = self.allowance.initial(TaskKind.FLASHCARDS, self.cards_asked)
        return self._request(prompt, prompt.messages, TaskKind.FLASHCARDS, [DraftCard], max_tokens)

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
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

        job: Job[Flashcard] = Job(
            kind=TaskKind.FLASHCARDS,
            drafts=[DraftCard],
            build=build,
            title=lambda card: card.term or card.question,
            asked=self.cards_asked,
            want=self.cards_per_chunk[0],
            replace_rejected_only=True,
        )
        return await self._generate(self.flashcard_messages(chunk, ctx), job, ctx.priority)

    @property
    def cards_asked(self) -> int:
        """Cards one flashcard request may bring: the top of ``cards_per_chunk``."""
        return self.cards_per_chunk[1]

    # --- quizzes ----------------------------------------------------------------------------

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

    def quiz_messages(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Prompt:
        """System text shared by every quiz request of the course (all four rubrics and the
        mix's type rules), the cards shared by the group's four levels, then the level."""
        rubrics = "\n\n".join(
            f"Level {spec.level} — {spec.name}.\n{spec.rubric}"
            for spec in prompts.levels().values()
        )
        types = [t for t in self.mix.types if t in prompts.type_rules()]
        system = prompts.template("quiz").substitute(
            _course_fields(ctx),
            level_rubrics=rubrics,
            type_rules="\n".join(f"- {prompts.type_rules()[t]}" for t in types),
        )
        asked = self.questions_asked(len(cards))
        shared = prompts.requests()["quiz_cards"].substitute(
            question_count=asked,
            material=prompts.fence("\n".join(prompts.card_line(c) for c in cards), "flashcards"),
        )
        spec = prompts.levels()[level]
        task = prompts.requests()["quiz_level"].substitute(
            level=level,
            level_name=spec.name,
            question_count=asked,
            type_counts=type_counts(allocate(self.mix.shares(level), asked)),
        )
        return Prompt(
            f"{SYSTEM_PROMPT}\n\n{system}",
            (Message("user", shared, cache_breakpoint=True), Message("user", task)),
        )

    def quiz_request(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> CompletionRequest:
        """The first request of a quiz task, as sent (for estimates)."""
        prompt = self.quiz_messages(cards, level, ctx)
        drafts = [QUESTION_DRAFTS[t] for t in self.mix.shares(level)]
        asked = self.questions_asked(len(cards))
        max_tokens = self.allowance.initial(TaskKind.QUIZ, asked)
        return self._request(prompt, prompt.messages, TaskKind.QUIZ, drafts, max_tokens)

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        shares = self.mix.shares(level)
        known_ids = [c.id for c in cards]

        def build(raw: Any) -> QuizQuestion:
            draft = question_draft(raw)
            kind = draft.model_dump().get("type")
            if kind not in shares:
                raise ValueError(f"question type {kind!r} was not asked for")
            cited = [i for i in draft.source_flashcard_ids if i in known_ids]
            if not cited:
                raise ValueError("source_flashcard_ids names none of the given flashcards")
            return finalize_question(
                ctx.course.id,
                ctx.lecture_id,
                level,
                {**draft.model_dump(), "source_flashcard_ids": cited},
            )

        target = self.quiz_target(len(cards))
        asked = self.questions_asked(len(cards))

        def type_note(kept: Sequence[QuizQuestion], count: int) -> str:
            counts = missing_types(shares, target, kept, count)
            return f" Of these: {type_counts(counts)}."

        job: Job[QuizQuestion] = Job(
            kind=TaskKind.QUIZ,
            drafts=[QUESTION_DRAFTS[t] for t in shares],
            build=build,
            title=lambda question: clip(question.question_text, 80),
            asked=asked,
            want=target,
            type_note=type_note,
            unique=lambda items: dedupe_questions(items)[0],
        )
        result = await self._generate(self.quiz_messages(cards, level, ctx), job, ctx.priority)
        # The buffer stays when valid; only near-duplicates and a reply longer than asked go.
        result.items = trim_to_mix(result.items, shares, asked)
        return result

    # --- the loop ---------------------------------------------------------------------------

    def _request(
        self,
        prompt: Prompt,
        messages: Sequence[Message],
        kind: TaskKind,
        drafts: Sequence[type[BaseModel]],
        max_tokens: int,
    ) -> CompletionRequest:
        return CompletionRequest(
            system=prompt.system,
            messages=tuple(messages),
            max_tokens=max_tokens,
            temperature=self.temperature,
            json_schema=envelope_schema(kind.envelope, drafts),
            schema_name=kind.envelope,
            cache_key=prompt.cache_key,
        )

    def expected_output(self, kind: TaskKind, items: int) -> int:
        """What a reply of ``items`` items takes, at most the ``max_tokens`` it is allowed."""
        return expected_output_tokens(kind, items, self.allowance.initial(kind, items))

    @property
    def sizing(self) -> LLMGenerator:  # it sizes its own requests (generate.base.RequestSizing)
        return self

    async def _generate(self, prompt: Prompt, job: Job[T], priority: Priority) -> Generated[T]:
        """Ask for ``job.asked`` items, read each, and re-ask (at most ``max_corrections``
        times) for the ones missing: a fresh request with the same prefix and a note naming
        what was kept and what went wrong. A reply cut off below the ``max_tokens`` cap is
        asked again unchanged with a bigger allowance; that is not a correction.

        Whatever ends the task early (invalid output after the corrections, a provider error, a
        stop) carries the usage and calls of the attempts made so far: they were paid for."""
        result: Generated[T] = Generated(items=[])
        try:
            return await self._attempts(prompt, job, priority, result)
        except FlashgenError as exc:
            exc.usage, exc.calls = result.usage, result.calls
            raise

    async def _attempts(
        self, prompt: Prompt, job: Job[T], priority: Priority, result: Generated[T]
    ) -> Generated[T]:
        messages = prompt.messages
        count = job.asked
        max_tokens = self.allowance.initial(job.kind, count)
        last_text = ""
        problem = ""
        corrections = 0
        while True:
            request = self._request(prompt, messages, job.kind, job.drafts, max_tokens)
            completion = await self._complete(request, priority)
            result.calls += 1
            result.usage = result.usage + completion.usage
            last_text = completion.text
            if completion.truncated and max_tokens < self.max_tokens:
                max_tokens = self.allowance.raised(job.kind, count, max_tokens)
                continue
            if completion.truncated:
                problem, errors = TRUNCATED, [TRUNCATED]
            else:
                problem, errors = collect(completion.text, job, result)
            kept = job.unique(result.items)
            missing = job.want - len(kept)
            if job.replace_rejected_only and not problem:
                missing = min(missing, len(result.rejected))
            if missing <= 0 or corrections == self.max_corrections:
                break
            corrections += 1
            count = missing + REASK_BUFFER
            note = reask_note(job, kept, errors, count)
            messages = (*prompt.messages, Message("user", note))
            if problem != TRUNCATED:  # cut off at the cap: the cap stays, the texts shrink
                max_tokens = self.allowance.initial(job.kind, count)
        if result.items or (job.replace_rejected_only and not problem):
            return result  # perhaps short of the target, but every item kept is valid
        problem = problem or f"no usable {job.key} came back"
        error_type = TruncatedOutput if problem == TRUNCATED else GenerationError
        raise error_type(
            f"the model's {job.key} stayed unusable after {result.calls} attempts: {problem[:300]}",
            attempts=result.calls,
            last_output=last_text[:2000],
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
