"""A generator with LLMGenerator's traffic but none of its parsing: for the big benchmark runs.

It sends one request per task through ``complete`` (so through the real Scheduler), shaped like
LLMGenerator's: the same system prompt, a user message of the same size (the chunk text, or one
JSON line per flashcard) that names as many cards or questions as LLMGenerator asks for, the
same ``max_tokens`` rule (``flashgen.providers.estimate.OutputAllowance``: sized from those
items, and
asked again with a bigger allowance when a reply is cut off below the cap), and the
coordinator's priority. The answer is not parsed: the items come ready-made
(``model_construct``, no validation), distinct per lecture, chunk, level and group, so the
coordinator's dedupe and saving do their real work. What building them costs is counted apart
(``cpu_seconds``) so that the client CPU the benchmark reports is the coordinator's and the
scheduler's. LLMGenerator's own parsing and validation are measured by the
``flashgen + LLMGenerator`` rows, which use the real LLMGenerator.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from benchmarks.sim import LatencyModel, words
from flashgen.generate.base import Generated, GenerationContext
from flashgen.generate.llm import Complete, LLMGenerator
from flashgen.models import (
    QUIZ_LEVELS,
    Answers,
    CardSource,
    ChoiceQuestion,
    Chunk,
    Flashcard,
    QuizQuestion,
    RelevanceScore,
    TaskKind,
)
from flashgen.providers.base import Completion, CompletionRequest, Message, Priority
from flashgen.providers.estimate import OutputAllowance

CARDS_PER_CHUNK = 6
SYSTEM = "You are a careful teaching assistant. You reply with JSON only."
# The product's defaults decide the shape of the task graph: cards per quiz request and
# questions per card (read from LLMGenerator so the benchmark follows them).
_DEFAULTS = LLMGenerator(lambda request, priority: None, name="-", model="-")  # type: ignore[arg-type, return-value]


def mean_output_tokens_per_call(latency: LatencyModel) -> float:
    """Mean output of a call the simulated server answers for the benchmark workloads (whole
    chunks of CARDS_PER_CHUNK cards, in whole quiz groups): per chunk, one flashcard call and,
    per level, one quiz call for each group of cards, asking for what LLMGenerator asks."""
    group = _DEFAULTS.quiz_group_size
    quiz_calls = CARDS_PER_CHUNK / group * len(QUIZ_LEVELS)
    cards = CARDS_PER_CHUNK * latency.tokens_per_card
    questions = _DEFAULTS.questions_asked(group) * latency.tokens_per_question
    return (cards + quiz_calls * questions) / (1 + quiz_calls)


class SimGenerator:
    name = "sim"
    model = "sim-1"

    def __init__(self, complete: Complete) -> None:
        self._complete = complete
        self.max_tokens = _DEFAULTS.max_tokens
        self.allowance = OutputAllowance(self.max_tokens)
        self.quiz_group_size = _DEFAULTS.quiz_group_size
        self.questions_per_card = _DEFAULTS.questions_per_card
        self.sizing = None  # flashgen plan does not size simulated requests
        self.cpu_seconds = 0.0

    @property
    def identity(self) -> dict[str, Any]:
        return {"generator": "sim"}

    async def _ask(
        self, prompt: str, kind: TaskKind, items: int, priority: Priority
    ) -> tuple[Completion, int]:
        """One request for ``items`` items, asked again with a bigger ``max_tokens`` while the
        reply is cut off below the cap (as LLMGenerator does); the completion and the calls."""
        max_tokens = self.allowance.initial(kind, items)
        calls = 0
        while True:
            request = CompletionRequest(
                system=SYSTEM,
                messages=(Message("user", prompt),),
                max_tokens=max_tokens,
                temperature=0.3,
                schema_name=f"sim-{kind.envelope}",
            )
            completion = await self._complete(request, priority)
            calls += 1
            if not completion.truncated or max_tokens >= self.max_tokens:
                return completion, calls
            max_tokens = self.allowance.raised(kind, items, max_tokens)

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        prompt = (
            f"Lecture: {ctx.lecture_id}, part {chunk.index + 1}\n"
            f"Write {CARDS_PER_CHUNK} flashcards.\n<content>\n{chunk.text}"
        )
        completion, calls = await self._ask(
            prompt, TaskKind.FLASHCARDS, CARDS_PER_CHUNK, ctx.priority
        )
        started = time.process_time()
        cards = [_card(ctx.lecture_id, chunk.index, n) for n in range(CARDS_PER_CHUNK)]
        self.cpu_seconds += time.process_time() - started
        return Generated(items=cards, usage=completion.usage, calls=calls)

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        started = time.process_time()
        lines = "\n".join(
            f'{{"id": "{c.id}", "term": "{c.term}", "question": "{c.question}", '
            f'"answer": "{c.answers.concise}", "example": "{c.example}"}}'
            for c in cards
        )
        self.cpu_seconds += time.process_time() - started
        asked = _DEFAULTS.questions_asked(len(cards))
        prompt = f"Level {level}. Write exactly {asked} questions from these flashcards:\n{lines}"
        completion, calls = await self._ask(prompt, TaskKind.QUIZ, asked, ctx.priority)
        started = time.process_time()
        count = len(cards) * self.questions_per_card
        questions: list[QuizQuestion] = [
            _question(ctx.lecture_id, level, cards[n % len(cards)], n) for n in range(count)
        ]
        self.cpu_seconds += time.process_time() - started
        return Generated(items=questions, usage=completion.usage, calls=calls)


def _card(lecture_id: str, chunk: int, n: int) -> Flashcard:
    w = words(f"{lecture_id}/{chunk}/{n}", 8)
    return Flashcard.model_construct(
        id=f"{lecture_id}-fc-{chunk:03d}{n:05d}",
        type="definition",
        term=f"{w[0]} {w[1]}",
        question=f"What does {w[0]} {w[1]} mean for {w[2]} and {w[3]}?",
        answers=Answers.model_construct(
            concise=f"{w[0]} {w[1]} is the {w[4]} of {w[5]}.",
            analogy=f"Like a {w[6]} holding a {w[7]}.",
            eli5=f"It is how {w[2]} helps {w[3]}.",
            real_world_use_case=f"Used when {w[5]} meets {w[6]}.",
            common_mistakes=f"Taking {w[4]} for {w[7]}.",
        ),
        context="Simulated section",
        example=f"{w[2]} with {w[3]}.",
        relevance_score=RelevanceScore.model_construct(score=7, justification="Central."),
        source=CardSource.model_construct(lecture=lecture_id, chunk=chunk, pages=[], slides=[]),
    )


def _question(lecture_id: str, level: int, card: Flashcard, n: int) -> QuizQuestion:
    w = words(f"{card.id}/{level}/{n}", 6)
    return ChoiceQuestion.model_construct(
        id=f"{lecture_id}-q{level}-{card.id[-8:]}{n:03d}",
        type="mcq",
        question_text=f"Which {w[0]} best explains {w[1]}?",
        options={
            "A": f"{w[2]} first",
            "B": f"{w[3]} second",
            "C": f"{w[4]} third",
            "D": f"{w[5]} fourth",
        },
        correct_answer=["A"],
        explanation=f"Option A is correct: {w[2]} first explains {w[1]}.",
        difficulty_level=level,
        source_flashcard_ids=[card.id],
        tags=[w[0], w[1]],
    )
