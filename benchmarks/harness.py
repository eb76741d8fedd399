"""Workloads, the three strategies, and the measures the benchmark tables report.

Strategies, all over the same prepared lectures and the same simulated provider:

- ``sequential``: flashgen's own sequential mode (the real Coordinator, one call at a time).
- ``seed``: the seed system's design: a semaphore around each call, ``asyncio.gather`` over all
  flashcard tasks, a global barrier, then ``gather`` over all quiz tasks; 429s and server errors
  retried after ``retry-after`` (else exponential backoff), no client-side rate limit. It uses
  flashgen's LLMGenerator, so it sends the very same requests (and meets the same latencies).
- ``flashgen``: the real Coordinator + LLMGenerator + Scheduler, wired as ``flashgen.run.runner``
  wires them, with the scenario's ``--rpm/--itpm/--otpm`` (hedging on, its default).
- ``flashgen --no-hedge``: the same without hedging: every call is sent once (retries aside).
  A hedge's copy meets a latency of its own (the server draws one per attempt); the bound is
  taken over the calls served, each counted for the time it held a slot.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import heapq
import math
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from benchmarks.sim import CallRecord, SimProvider, SimTime, words
from benchmarks.simgen import SimGenerator
from flashgen.errors import RateLimited, TransientProviderError
from flashgen.events import Event, FileSaved, TaskUpdate
from flashgen.generate.base import Generated, GenerationContext
from flashgen.generate.llm import Complete, LLMGenerator
from flashgen.generate.validation import dedupe_cards
from flashgen.models import QUIZ_LEVELS, Chunk, Course, Flashcard, QuizQuestion
from flashgen.output.cache import CACHE_FILE, TaskCache
from flashgen.output.store import OutputStore
from flashgen.providers.base import Completion, CompletionRequest, Priority
from flashgen.run.assemble import PreparedLecture
from flashgen.run.coordinator import Coordinator
from flashgen.run.gc_tuning import fewer_collections
from flashgen.run.policies import HedgePolicy, RetryPolicy
from flashgen.run.ratelimit import RateLimits
from flashgen.run.scheduler import Scheduler

COURSE = Course(id="bench", path=Path("."), name="Benchmark course")
CHUNK_CHARS = 5800  # a full chunk at the default chunk size (6000 characters, 300 overlap)
MAX_RETRIES = 5
NO_HEDGING = "flashgen --no-hedge"
T = TypeVar("T")


# --- workloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    name: str
    lectures: tuple[PreparedLecture, ...]


def _lecture(number: int, chunks: int) -> PreparedLecture:
    lecture_id = f"lec-{number:03d}"
    filler = " ".join(words(lecture_id, CHUNK_CHARS // 9))[:CHUNK_CHARS]
    return PreparedLecture(
        lecture_id,
        [Chunk(lecture_id=lecture_id, index=i, text=f"Part {i}. {filler}") for i in range(chunks)],
    )


def seed_example() -> Workload:
    """The seed system's example: 3 lectures of 4 chunks (108 calls with 6 cards a chunk and
    flashgen's defaults of 5 questions a card, 3 cards a quiz request)."""
    return Workload("seed example", tuple(_lecture(n, 4) for n in range(3)))


def large_course(lectures: int = 200) -> Workload:
    """Lectures of 2 to 4 chunks (fixed by a hash of the lecture number): with 6 cards a chunk
    and flashgen's default 3 cards per quiz request, 9 calls a chunk, ~5,400 calls in all."""
    sizes = [2 + hashlib.blake2b(str(n).encode()).digest()[0] % 3 for n in range(lectures)]
    return Workload("large course", tuple(_lecture(n, size) for n, size in enumerate(sizes)))


# --- running a strategy -------------------------------------------------------------------------


@dataclass
class RunResult:
    strategy: str
    makespan: float
    lecture_done: list[float]
    cpu_seconds: float  # the client's: the process's CPU minus the simulated server's
    failed_tasks: int
    records: list[CallRecord]
    rejected: int
    first_rejection: float | None
    pace_cuts: int = 0

    @property
    def calls(self) -> int:
        return len(self.records)


@dataclass
class _Watch:
    """When each lecture's files were first saved (the course-wide dedupe at the end may save
    them again; that is not when the lecture was done), and how many tasks failed."""

    clock: SimTime
    first_saved: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    failed: int = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, FileSaved) and event.path not in self.first_saved:
            now = self.clock.now()
            self.first_saved[event.path] = now
            self.done[event.lecture] = now
        elif isinstance(event, TaskUpdate) and event.status == "failed":
            self.failed += 1


GeneratorKind = Literal["sim", "llm"]


def _generator(kind: GeneratorKind, complete: Complete) -> SimGenerator | LLMGenerator:
    if kind == "sim":
        return SimGenerator(complete)
    return LLMGenerator(complete, name="sim", model="sim-1")


async def run_flashgen(
    workload: Workload,
    provider: SimProvider,
    concurrency: int,
    limits: RateLimits,
    generator_kind: GeneratorKind,
    sequential: bool = False,
    hedging: bool = True,
) -> tuple[_Watch, Scheduler, SimGenerator | LLMGenerator]:
    clock = provider.clock
    scheduler = Scheduler(
        provider,
        1 if sequential else concurrency,
        RetryPolicy(max_retries=MAX_RETRIES),
        limits=limits,
        hedging=HedgePolicy() if hedging else None,  # flashgen run's default: on
    )
    watch = _Watch(clock)
    with tempfile.TemporaryDirectory(prefix="flashgen-bench-") as out:
        generator = _generator(generator_kind, scheduler.complete)
        # An empty task cache, as on a first run: every result is stored, none is found.
        cache = TaskCache(Path(out) / CACHE_FILE)
        coordinator = Coordinator(
            COURSE,
            generator,
            OutputStore(Path(out), COURSE.id),
            watch,
            language="English",
            sequential=sequential,
            quiz_group_size=generator.quiz_group_size,  # as flashgen.run.runner does
            questions_per_card=generator.questions_per_card,
            cache=cache,
        )
        try:
            with fewer_collections():  # as flashgen.run.runner runs the coordinator
                await coordinator.run(list(workload.lectures))
        finally:
            cache.close()
    return watch, scheduler, generator


async def run_seed(
    workload: Workload, provider: SimProvider, concurrency: int, generator_kind: GeneratorKind
) -> tuple[_Watch, SimGenerator | LLMGenerator]:
    clock = provider.clock
    gate = asyncio.Semaphore(concurrency)

    async def complete(request: CompletionRequest, priority: Priority) -> Completion:
        for attempt in range(MAX_RETRIES + 1):
            try:
                async with gate:
                    return await provider.complete(request)
            except RateLimited as exc:
                if attempt == MAX_RETRIES:
                    raise
                delay = exc.retry_after if exc.retry_after is not None else 2.0**attempt
            except TransientProviderError:
                if attempt == MAX_RETRIES:
                    raise
                delay = 2.0**attempt
            await clock.sleep(delay)
        raise AssertionError("unreachable")

    generator = _generator(generator_kind, complete)
    watch = _Watch(clock)

    async def task(job: Awaitable[Generated[T]]) -> Generated[T] | None:
        try:
            return await job
        except Exception:
            watch.failed += 1
            return None

    async def quiz(lecture_id: str, job: Awaitable[Generated[QuizQuestion]]) -> None:
        await task(job)
        # Counted done when its own last quiz call ends: kinder than the seed's save-at-the-end.
        watch.done[lecture_id] = clock.now()

    def context(lecture: PreparedLecture) -> GenerationContext:
        return GenerationContext(COURSE, lecture.id, "English")

    phase1 = await asyncio.gather(
        *(
            task(generator.flashcards(chunk, context(lecture)))
            for lecture in workload.lectures
            for chunk in lecture.chunks
        )
    )
    # The global barrier: no quiz call before every flashcard call of every lecture is done.
    results = iter(phase1)
    quiz_jobs = []
    for lecture in workload.lectures:
        cards: list[Flashcard] = []
        for _ in lecture.chunks:
            result = next(results)
            cards += result.items if result is not None else []
        cards, _ = dedupe_cards(cards)
        size = generator.quiz_group_size
        for level in QUIZ_LEVELS:
            for start in range(0, len(cards), size):
                group = cards[start : start + size]
                quiz_jobs.append(quiz(lecture.id, generator.quiz(group, level, context(lecture))))
    await asyncio.gather(*quiz_jobs)
    return watch, generator


async def run_strategy(
    strategy: str,
    workload: Workload,
    provider: SimProvider,
    concurrency: int,
    limits: RateLimits,
    generator_kind: GeneratorKind = "sim",
) -> RunResult:
    cpu = time.process_time()
    start = provider.clock.now()
    cuts = 0
    generator: SimGenerator | LLMGenerator
    if strategy == "seed":
        watch, generator = await run_seed(workload, provider, concurrency, generator_kind)
    else:
        watch, scheduler, generator = await run_flashgen(
            workload,
            provider,
            concurrency,
            limits,
            generator_kind,
            sequential=strategy == "sequential",
            hedging=strategy != NO_HEDGING,
        )
        cuts = scheduler.limiter.pace.cuts
    end = provider.clock.now()
    # The simulated server's work and the fake generator's item building are not the client's.
    elsewhere = provider.cpu_seconds + getattr(generator, "cpu_seconds", 0.0)
    client_cpu = time.process_time() - cpu - elsewhere
    return RunResult(
        strategy=strategy,
        makespan=end - start,
        lecture_done=sorted(t - start for t in watch.done.values()),
        cpu_seconds=client_cpu,
        failed_tasks=watch.failed,
        records=provider.records,
        rejected=provider.rejected,
        first_rejection=provider.first_rejection,
        pace_cuts=cuts,
    )


# --- measures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bound:
    work: float  # ΣL / C
    rate: float  # N / r
    critical_path: float  # slowest flashcard task + slowest quiz task of a lecture, at most
    per_second: float  # r, the effective request rate (inf without a limit)

    @property
    def value(self) -> float:
        return max(self.work, self.rate, self.critical_path)


def lower_bound(
    records: Sequence[CallRecord],
    concurrency: int,
    rpm: float | None = None,
    itpm: float | None = None,
    otpm: float | None = None,
) -> Bound:
    """T_lower = max(ΣL/C, N/r, max over lectures of CP) for the calls the server served."""
    n = len(records)
    rates = [math.inf]
    if rpm:
        rates.append(rpm / 60)
    if itpm:
        rates.append(itpm / 60 / (sum(r.input_tokens for r in records) / n))
    if otpm:
        rates.append(otpm / 60 / (sum(r.output_tokens for r in records) / n))
    r = min(rates)
    task_time = _task_times(records)
    slowest: defaultdict[tuple[str, str], float] = defaultdict(float)
    for (lecture, kind, _), seconds in task_time.items():
        slowest[(lecture, kind)] = max(slowest[(lecture, kind)], seconds)
    lectures = {lecture for lecture, _ in slowest}
    critical = max(
        (slowest[(lec, "flashcards")] + slowest[(lec, "questions")] for lec in lectures),
        default=0.0,
    )
    return Bound(
        work=sum(r.latency for r in records) / concurrency,
        rate=n / r if r < math.inf else 0.0,
        critical_path=critical,
        per_second=r,
    )


def _task_times(records: Sequence[CallRecord]) -> dict[tuple[str, str, str], float]:
    """How long each task kept a call in flight: the union of its calls' intervals. Attempts
    and re-asks run one after another (their latencies add up); a hedge overlaps the call it
    shadows (only the time either was in flight counts)."""
    spans: defaultdict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for record in records:
        spans[(record.lecture, record.kind, record.task)].append(
            (record.start, record.start + record.latency)
        )
    times = {}
    for task, intervals in spans.items():
        total, reach = 0.0, -math.inf
        for start, end in sorted(intervals):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        times[task] = total
    return times


def clairvoyant_makespan(records: Sequence[CallRecord], concurrency: int) -> float:
    """A reference no online scheduler can reach: list scheduling of the same calls (no rate
    limit) that knows every latency in advance. Flashcard tasks go first, the lecture with the
    longest critical path first; quiz tasks longest first (HLFET/LPT). One task = its calls."""
    tasks = _task_times(records)
    cards: defaultdict[str, list[float]] = defaultdict(list)
    quizzes: defaultdict[str, list[float]] = defaultdict(list)
    for (lecture, kind, _), seconds in tasks.items():
        (cards if kind == "flashcards" else quizzes)[lecture].append(seconds)
    ready: list[tuple[float, float, str, bool]] = []  # (-priority, seconds, lecture, is_card)
    for lecture, latencies in cards.items():
        path = max(latencies) + max(quizzes[lecture], default=0.0)
        ready += [(-(1e12 + path), seconds, lecture, True) for seconds in latencies]
    heapq.heapify(ready)
    running: list[tuple[float, str, bool]] = []
    left = {lecture: len(latencies) for lecture, latencies in cards.items()}
    now = 0.0
    while ready or running:
        while ready and len(running) < concurrency:
            _, seconds, lecture, is_card = heapq.heappop(ready)
            heapq.heappush(running, (now + seconds, lecture, is_card))
        now, lecture, is_card = heapq.heappop(running)
        if is_card:
            left[lecture] -= 1
            if not left[lecture]:
                for seconds in quizzes[lecture]:
                    heapq.heappush(ready, (-seconds, seconds, lecture, False))
    return now


def request_rate(
    result: RunResult,
    after_first_429: float | None = None,
    weight: Callable[[CallRecord], float] = lambda record: 1.0,
) -> float:
    """Served calls per second (or, with ``weight``, e.g. output tokens per second), between the
    first and the last start of a call: what the calls started before the last one weigh,
    over that time. Hedge copies are left out: sent only when no call waited, they are not
    the workload's progress (had they taken budget a waiting call needed, the rate of the
    others would show it). With ``after_first_429``, counted only from that many seconds after the
    first 429 (when there was one): the pace once adaptation is over."""
    records = sorted((r for r in result.records if not r.duplicate), key=lambda r: r.start)
    if after_first_429 is not None and result.first_rejection is not None:
        records = [r for r in records if r.start >= result.first_rejection + after_first_429]
    if len(records) < 2 or records[-1].start == records[0].start:
        return math.nan
    weighed = sum(weight(record) for record in records[:-1])
    return weighed / (records[-1].start - records[0].start)


def output_tokens(record: CallRecord) -> float:
    return float(record.output_tokens)


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# --- output ---------------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def argument_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
