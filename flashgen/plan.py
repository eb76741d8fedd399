"""``flashgen plan``: what a run would do and cost, without calling any provider.

Flashcard tasks are known exactly (one per chunk) and checked against the task cache. A
lecture whose flashcards are all cached has known cards, so its quiz tasks and their prompts
are exact too; for the others, cards are estimated from the cards-per-chunk setting. Tokens
are estimated from the real prompts (see ``flashgen.estimate``); cost comes from the price
table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from flashgen.cache import TaskCache, TaskKeys
from flashgen.config import Settings
from flashgen.coordinator import PreparedLecture, group_sizes, quiz_groups
from flashgen.discovery import LectureScan
from flashgen.errors import FlashgenError
from flashgen.estimate import expected_output_tokens, text_tokens
from flashgen.events import Event, LectureSkipped
from flashgen.generation import (
    SYSTEM_PROMPT,
    GenerationContext,
    Generator,
    LLMGenerator,
)
from flashgen.models import QUIZ_LEVELS, Course, Flashcard, Usage
from flashgen.offline import OfflineGenerator
from flashgen.providers.base import Completion, CompletionRequest
from flashgen.runner import (
    RunOptions,
    course_chunks,
    llm_generator,
    offline_generator,
    prepare,
)
from flashgen.scheduler import Priority
from flashgen.store import OutputStore

_CARDS = TypeAdapter(list[Flashcard])


@dataclass
class LecturePlan:
    lecture: str
    chunks: int
    flashcard_tasks: int = 0
    flashcard_cached: int = 0
    quiz_tasks: int = 0
    quiz_cached: int = 0
    exact: bool = True
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Plan:
    course: str
    provider: str
    model: str
    price_known: bool
    lectures: list[LecturePlan] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    cost_usd: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(lecture, name)) for lecture in self.lectures)

    def to_dict(self) -> dict[str, Any]:
        totals = {
            name: self.total(name)
            for name in (
                "chunks",
                "flashcard_tasks",
                "flashcard_cached",
                "quiz_tasks",
                "quiz_cached",
                "input_tokens",
                "output_tokens",
            )
        }
        return {
            "course": self.course,
            "provider": self.provider,
            "model": self.model,
            "price_known": self.price_known,
            "cost_usd": round(self.cost_usd, 4),
            "totals": totals,
            "lectures": [asdict(lecture) for lecture in self.lectures],
            "skipped_lectures": self.skipped,
        }


async def _never_called(request: CompletionRequest, priority: Priority) -> Completion:
    raise FlashgenError("flashgen plan makes no provider calls")  # a bug if it ever runs


def _planned_provider(settings: Settings) -> tuple[str, str]:
    from flashgen.providers.factory import DEFAULT_MODELS, LLM_PROVIDERS, choose_provider

    # An explicit provider needs no key to be planned for; auto decides as a run would.
    name = settings.provider if settings.provider != "auto" else choose_provider(settings)[0]
    provider = next((p for p in LLM_PROVIDERS if p == name), None)
    if provider is None:
        return "offline", OfflineGenerator.model
    return provider, settings.model or DEFAULT_MODELS[provider]


def make_plan(settings: Settings, scan: LectureScan, names: Sequence[str]) -> Plan:
    from flashgen.pricing import PriceTable

    skipped: dict[str, str] = {}

    def note(event: Event) -> None:
        if isinstance(event, LectureSkipped):
            skipped[event.lecture] = event.reason

    store = OutputStore(settings.output_dir, scan.course.id)
    lectures = prepare(settings, scan, RunOptions(tuple(names)), store, note)
    name, model = _planned_provider(settings)
    generator: Generator = (
        offline_generator(settings, course_chunks(settings, scan, lectures))
        if name == "offline"
        else llm_generator(settings, name, model, _never_called)
    )
    prices = PriceTable.load(settings.prices_file)
    plan = Plan(scan.course.id, name, model, name == "offline" or prices.is_known(model))
    plan.skipped = skipped
    cache = TaskCache(settings.cache_path) if settings.cache_path.exists() else None
    language = settings.language or scan.course.language
    try:
        for lecture in lectures:
            plan.lectures.append(
                _plan_lecture(lecture, generator, scan.course, language, cache, settings)
            )
    finally:
        if cache is not None:
            cache.close()
    if name != "offline":
        usage = Usage(
            input_tokens=plan.total("input_tokens"), output_tokens=plan.total("output_tokens")
        )
        plan.cost_usd = prices.cost(model, usage)
    return plan


def _plan_lecture(
    lecture: PreparedLecture,
    generator: Generator,
    course: Course,
    language: str,
    cache: TaskCache | None,
    settings: Settings,
) -> LecturePlan:
    plan = LecturePlan(lecture.id, len(lecture.chunks), flashcard_tasks=len(lecture.chunks))
    llm = generator if isinstance(generator, LLMGenerator) else None
    ctx = GenerationContext(course, lecture.id, language)
    keys = TaskKeys(generator.identity, course, language)
    cards: list[list[Flashcard]] = []
    for chunk in lecture.chunks:
        stored = _cached_cards(cache, keys.flashcards(lecture.id, chunk))
        if stored is not None:
            plan.flashcard_cached += 1
            cards.append(stored)
            continue
        plan.exact = False
        if llm is not None:
            plan.input_tokens += text_tokens(SYSTEM_PROMPT + llm.flashcard_prompt(chunk, ctx))
            plan.output_tokens += _output_tokens(llm, "flashcards", llm.cards_asked)
    if plan.exact:
        _plan_exact_quizzes(plan, cards, generator, keys, cache, ctx)
    else:
        per_chunk = math.ceil((settings.cards_per_chunk_min + settings.cards_per_chunk_max) / 2)
        _plan_estimated_quizzes(plan, [per_chunk] * len(lecture.chunks), generator)
    return plan


def _plan_exact_quizzes(
    plan: LecturePlan,
    cards: list[list[Flashcard]],
    generator: Generator,
    keys: TaskKeys,
    cache: TaskCache | None,
    ctx: GenerationContext,
) -> None:
    llm = generator if isinstance(generator, LLMGenerator) else None
    groups = quiz_groups(cards, generator.quiz_group_size)
    for level in QUIZ_LEVELS:
        for group in groups:
            plan.quiz_tasks += 1
            key = keys.quiz(plan.lecture, level, group)
            if cache is not None and cache.get(key) is not None:
                plan.quiz_cached += 1
            elif llm is not None:
                prompt = llm.quiz_prompt(group, level, ctx)
                plan.input_tokens += text_tokens(SYSTEM_PROMPT + prompt)
                asked = llm.questions_asked(len(group))
                plan.output_tokens += _output_tokens(llm, "questions", asked)


# A card as the quiz prompt lists it: id, term, question, answer, context, example.
_TOKENS_PER_CARD_LINE = 110
_QUIZ_PROMPT_TOKENS = 450


def _plan_estimated_quizzes(plan: LecturePlan, per_chunk: list[int], generator: Generator) -> None:
    """Quiz tasks for chunks of ``per_chunk`` cards each, grouped as the coordinator groups."""
    llm = generator if isinstance(generator, LLMGenerator) else None
    size = generator.quiz_group_size
    chunks = per_chunk if size is not None else [sum(per_chunk)]
    sizes = [group for cards in chunks for group in group_sizes(cards, size)]
    plan.quiz_tasks += len(sizes) * len(QUIZ_LEVELS)
    if llm is None:
        return
    for group in sizes:
        per_level_in = _QUIZ_PROMPT_TOKENS + group * _TOKENS_PER_CARD_LINE
        per_level_out = _output_tokens(llm, "questions", llm.questions_asked(group))
        plan.input_tokens += per_level_in * len(QUIZ_LEVELS)
        plan.output_tokens += per_level_out * len(QUIZ_LEVELS)


def _output_tokens(llm: LLMGenerator, kind: str, asked: int) -> int:
    """What a reply of ``asked`` items takes, at most the ``max_tokens`` its request gets."""
    return expected_output_tokens(kind, asked, llm.allowance.initial(kind, asked))


def _cached_cards(cache: TaskCache | None, key: str) -> list[Flashcard] | None:
    stored = cache.get(key) if cache is not None else None
    if stored is None:
        return None
    try:
        return _CARDS.validate_python(stored)
    except ValidationError:
        return None  # written by an older flashgen: the run will regenerate it
