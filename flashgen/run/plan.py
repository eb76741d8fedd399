"""``flashgen plan``: what a run would do and cost, without calling any provider.

Flashcard tasks are known exactly (one per chunk) and checked against the task cache. A
lecture whose flashcards are all cached has known cards, so its quiz tasks and their prompts
are exact too; for the others, cards are estimated from the cards-per-chunk setting. Tokens
are estimated from the real prompts and the reply schema each request carries (see
``flashgen.providers.estimate``); cost comes from the price table.

Two effects beyond prompt and reply are counted. Thinking (Gemini's budget, a setting) is billed
as output. Caching: the four quiz levels over one group of cards share a prefix (schema, system
text, and the part of the prompt that does not depend on the level); when it reaches the
provider's minimum cacheable length, the three later levels read it from the cache. The prefix
is measured on the real prompts: over the known cards, or over cards of a typical size where the
cards are still to be made. Anthropic's surcharge on cache writes is left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from flashgen.config import Settings
from flashgen.errors import FlashgenError
from flashgen.events import Event, LectureSkipped
from flashgen.generate.base import GenerationContext, Generator, RequestSizing
from flashgen.generate.offline.generator import OfflineGenerator
from flashgen.ingest.discovery import LectureScan
from flashgen.models import (
    QUIZ_LEVELS,
    Answers,
    CardSource,
    Course,
    Flashcard,
    RelevanceScore,
    TaskKind,
    Usage,
)
from flashgen.output.cache import TaskCache
from flashgen.output.store import OutputStore
from flashgen.providers.base import Completion, CompletionRequest, Priority
from flashgen.providers.estimate import (
    min_cache_tokens,
    text_tokens,
    thinking_tokens,
)
from flashgen.run.assemble import PreparedLecture
from flashgen.run.runner import (
    RunOptions,
    course_chunks,
    llm_generator,
    offline_generator,
    prepare,
)
from flashgen.run.task_runner import CARDS
from flashgen.run.tasks import TaskMaker, group_sizes, quiz_groups

DEFAULT_MIN_CACHED = 1024


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
    # parts of the figures above, or beside them: the reply schema (in input_tokens), input
    # expected to come from the provider's cache (in input_tokens), thinking (billed as output)
    schema_tokens: int = 0
    cached_tokens: int = 0
    thinking_tokens: int = 0


@dataclass(frozen=True)
class Costs:
    """What each request adds besides its prompt and reply, for one provider and model."""

    thinking: int = 0
    min_cached: int = DEFAULT_MIN_CACHED


@dataclass
class Plan:
    course: str
    provider: str
    model: str
    price_known: bool
    lectures: list[LecturePlan] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    cost_usd: float = 0.0
    batch: bool = False  # cost_usd at the batch price (plan --batch)

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
                "schema_tokens",
                "cached_tokens",
                "thinking_tokens",
            )
        }
        return {
            "course": self.course,
            "provider": self.provider,
            "model": self.model,
            "price_known": self.price_known,
            "cost_usd": round(self.cost_usd, 4),
            "batch": self.batch,
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
    if name not in LLM_PROVIDERS:
        return "offline", OfflineGenerator.model
    return name, settings.model or DEFAULT_MODELS[name]


def make_plan(settings: Settings, scan: LectureScan, names: Sequence[str]) -> Plan:
    from flashgen.providers.pricing import PriceTable

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
    costs = Costs(
        thinking=thinking_tokens(name, model, settings.gemini_thinking_budget),
        min_cached=min_cache_tokens(name, model),
    )
    try:
        for lecture in lectures:
            plan.lectures.append(
                _plan_lecture(lecture, generator, scan.course, language, cache, settings, costs)
            )
    finally:
        if cache is not None:
            cache.close()
    if name != "offline":
        usage = Usage(
            input_tokens=plan.total("input_tokens"),
            output_tokens=plan.total("output_tokens") + plan.total("thinking_tokens"),
            cached_tokens=plan.total("cached_tokens"),
        )
        plan.cost_usd = prices.cost(model, usage, batch=settings.batch)
        plan.batch = settings.batch
    return plan


def _plan_lecture(
    lecture: PreparedLecture,
    generator: Generator,
    course: Course,
    language: str,
    cache: TaskCache | None,
    settings: Settings,
    costs: Costs,
) -> LecturePlan:
    plan = LecturePlan(lecture.id, len(lecture.chunks), flashcard_tasks=len(lecture.chunks))
    # Only a model's requests have a size and a price; the offline generator's tasks are counted.
    llm = generator.sizing
    ctx = GenerationContext(course, lecture.id, language)
    # the coordinator's own task specs: the same ids, groups and cache keys as a run
    tasks = TaskMaker(generator.identity, course, language, generator.quiz_group_size)
    cards: list[list[Flashcard]] = []
    for chunk in lecture.chunks:
        stored = _cached_cards(cache, tasks.flashcards(0, lecture.id, chunk).cache_key)
        if stored is not None:
            plan.flashcard_cached += 1
            cards.append(stored)
            continue
        plan.exact = False
        if llm is not None:
            output = llm.expected_output(TaskKind.FLASHCARDS, llm.cards_asked)
            _count_request(plan, llm.flashcard_request(chunk, ctx), output, costs)
    if plan.exact:
        _plan_exact_quizzes(plan, cards, generator, llm, tasks, cache, ctx, costs)
    else:
        per_chunk = math.ceil((settings.cards_per_chunk_min + settings.cards_per_chunk_max) / 2)
        _plan_estimated_quizzes(plan, [per_chunk] * len(lecture.chunks), generator, llm, ctx, costs)
    return plan


def _request_parts(request: CompletionRequest) -> tuple[str, str]:
    """(schema, prompt) of a request as it is sent: the prompt in the order the provider reads
    it (system text, then the messages), so that shared starts are measured as they are cached."""
    schema = json.dumps(request.json_schema or {}, separators=(",", ":"))
    prompt = "\n\n".join([request.system, *(m.content for m in request.messages)])
    return schema, prompt


def _count_request(plan: LecturePlan, request: CompletionRequest, output: int, costs: Costs) -> str:
    """Add one request's tokens to ``plan`` (its reply expected to take ``output``); return
    its text as sent, schema then prompt."""
    schema, prompt = _request_parts(request)
    schema_size = text_tokens(schema)
    plan.input_tokens += schema_size + text_tokens(prompt)
    plan.schema_tokens += schema_size
    plan.output_tokens += output
    plan.thinking_tokens += costs.thinking
    return schema + prompt


def _common_prefix(texts: Sequence[str]) -> str:
    """The longest start all ``texts`` share: that of the first and last in sorted order."""
    first, last = min(texts), max(texts)
    size = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first)
    )
    return first[:size]


def _cached_reads(plan: LecturePlan, shared: int, calls: int, costs: Costs) -> None:
    """``calls`` requests sharing a ``shared``-token prefix: all but the first read it from the
    cache, if it is long enough to be cached."""
    if calls > 1 and shared >= costs.min_cached:
        plan.cached_tokens += shared * (calls - 1)


def _plan_exact_quizzes(
    plan: LecturePlan,
    cards: list[list[Flashcard]],
    generator: Generator,
    llm: RequestSizing | None,
    tasks: TaskMaker,
    cache: TaskCache | None,
    ctx: GenerationContext,
    costs: Costs,
) -> None:
    for number, group in enumerate(quiz_groups(cards, generator.quiz_group_size)):
        plan.quiz_tasks += len(QUIZ_LEVELS)
        specs = [tasks.quiz(0, plan.lecture, level, 0, number, group) for level in QUIZ_LEVELS]
        levels = [
            spec.level
            for spec in specs
            if spec.level is not None and (cache is None or cache.get(spec.cache_key) is None)
        ]
        plan.quiz_cached += len(QUIZ_LEVELS) - len(levels)
        if llm is not None:
            _plan_group(plan, llm, group, levels, ctx, costs)


def _plan_estimated_quizzes(
    plan: LecturePlan,
    per_chunk: list[int],
    generator: Generator,
    llm: RequestSizing | None,
    ctx: GenerationContext,
    costs: Costs,
) -> None:
    """Quiz tasks for chunks of ``per_chunk`` cards each, grouped as the coordinator groups;
    their prompts are the real ones over cards of a typical size."""
    size = generator.quiz_group_size
    chunks = per_chunk if size is not None else [sum(per_chunk)]
    sizes = [group for cards in chunks for group in group_sizes(cards, size)]
    plan.quiz_tasks += len(sizes) * len(QUIZ_LEVELS)
    if llm is not None:
        for group in sizes:
            _plan_group(plan, llm, typical_cards(group), QUIZ_LEVELS, ctx, costs)


def _plan_group(
    plan: LecturePlan,
    llm: RequestSizing,
    cards: Sequence[Flashcard],
    levels: Sequence[int],
    ctx: GenerationContext,
    costs: Costs,
) -> None:
    """The requests of ``levels`` over one group of cards; all but the first read their shared
    start (schema, system text, the level-independent prompt) from the provider's cache."""
    sent: list[str] = []
    output = llm.expected_output(TaskKind.QUIZ, llm.questions_asked(len(cards)))
    for level in levels:
        sent.append(_count_request(plan, llm.quiz_request(cards, level, ctx), output, costs))
    shared = text_tokens(_common_prefix(sent)) if sent else 0
    _cached_reads(plan, shared, len(sent), costs)


def typical_cards(count: int) -> list[Flashcard]:
    """Cards of the size models typically write (each facet one or two sentences), to size
    quiz prompts before the real cards exist."""
    sentence = "A typical sentence of a flashcard written by a model, about this long. "
    return [
        Flashcard(
            id=f"planned-fc-{n:08x}",
            type="concept",
            term="a typical term",
            question=f"A typical question {n} about one idea of the lecture, about this long?",
            answers=Answers(
                concise=sentence * 2,
                analogy=sentence * 2,
                eli5=sentence * 2,
                real_world_use_case=sentence * 2,
                common_mistakes=sentence * 2,
            ),
            context=sentence,
            example=sentence * 2,
            relevance_score=RelevanceScore(score=7, justification=sentence),
            source=CardSource(lecture="planned", chunk=0),
        )
        for n in range(count)
    ]


def _cached_cards(cache: TaskCache | None, key: str) -> list[Flashcard] | None:
    return cache.items(key, CARDS) if cache is not None else None
