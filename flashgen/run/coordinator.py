"""Runs the task graph of every lecture: flashcard tasks per chunk, then quiz tasks per level.

There is no barrier between phases, neither across lectures nor inside one. A generator that
quizzes a few cards at a time (a model) gets each chunk's quiz tasks as soon as that chunk's
cards exist, while the lecture's other chunks may still be at their flashcards; one that quizzes
a lecture as a whole (the offline generator draws distractors from all of its cards) waits for
the lecture's cards. A lecture's flashcards file is saved as soon as its flashcard tasks end,
its quiz files when its quiz tasks end. Cards are deduplicated across the lecture at that save
(an earlier chunk's card wins), and the questions of a dropped duplicate are credited to the
card kept in its place. Every task is isolated: a failure is recorded and the others go on;
results that validated are saved even when some tasks of their lecture failed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from flashgen.errors import FatalProviderError, FlashgenError
from flashgen.events import (
    FileSaved,
    LecturePlanned,
    Listener,
    Phase,
    QuizTasksPlanned,
    TaskUpdate,
)
from flashgen.generate import prompts
from flashgen.generate.llm import Generated, GenerationContext, Generator
from flashgen.generate.validation import (
    card_text,
    dedupe_cards,
    dedupe_questions,
    is_near_duplicate,
    normalise,
)
from flashgen.models import (
    LEVEL_NAMES,
    QUIZ_LEVELS,
    Chunk,
    Course,
    FailedTask,
    Flashcard,
    FlashcardFile,
    FlashcardMetadata,
    QuizFile,
    QuizMetadata,
    QuizQuestion,
    Status,
)
from flashgen.output.cache import TaskCache, TaskKeys
from flashgen.output.course_dedupe import credit_kept_cards, dedupe_course
from flashgen.output.store import OutputStore
from flashgen.run.budget import BudgetExceeded
from flashgen.run.interrupt import Interrupted, RunControl

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")
_QUESTIONS: TypeAdapter[list[QuizQuestion]] = TypeAdapter(list[QuizQuestion])
_CARDS: TypeAdapter[list[Flashcard]] = TypeAdapter(list[Flashcard])
# Scheduler priorities (smaller is served first), a pipeline one lecture deep: lecture r's quiz
# calls are (r, level, chunk, group) and lecture r's flashcard calls are (r - 1, -1, chunk), just
# ahead of lecture r-1's quizzes. Lectures finish in order, a ready quiz call never waits
# behind flashcards of lectures further on, and the next lecture's cards are ready by the time
# the current one's quizzes drain, so the end of a run does not stall on a starved lecture.


def flashcard_priority(rank: int, chunk: int) -> tuple[int, ...]:
    return (rank - 1, -1, chunk)


def quiz_priority(rank: int, level: int, chunk: int, group: int) -> tuple[int, ...]:
    return (rank, level, chunk, group)


def group_sizes(cards: int, size: int | None) -> list[int]:
    """How ``cards`` consecutive cards split into groups of at most ``size`` (one group when
    ``size`` is None), as even as possible: 4 cards in groups of 3 make 2 + 2, not 3 + 1, so no
    request is asked about a lone card when a neighbour could share it."""
    if cards <= 0:
        return []
    count = math.ceil(cards / size) if size else 1
    small, extra = divmod(cards, count)
    return [small + (1 if number < extra else 0) for number in range(count)]


def card_groups(cards: Sequence[Flashcard], size: int | None) -> list[list[Flashcard]]:
    groups, start = [], 0
    for length in group_sizes(len(cards), size):
        groups.append(list(cards[start : start + length]))
        start += length
    return groups


def quiz_groups(
    cards_by_chunk: Sequence[Sequence[Flashcard]], size: int | None
) -> list[list[Flashcard]]:
    """Every quiz group of a lecture, as the coordinator forms them: per chunk from the
    chunk's own cards, or (``size`` None) one group of the whole lecture's cards."""
    if size is None:
        lecture = [card for chunk in cards_by_chunk for card in chunk]
        return card_groups(dedupe_cards(lecture)[0], None)
    return [
        group for chunk in cards_by_chunk for group in card_groups(dedupe_cards(chunk)[0], size)
    ]


@dataclass(frozen=True)
class PreparedLecture:
    id: str
    chunks: list[Chunk]
    source_digest: str = ""


@dataclass
class TaskResult:
    task_id: str
    ok: bool
    error: str = ""

    def failure(self, expected_items: int = 0) -> FailedTask:
        return FailedTask(task=self.task_id, error=self.error, expected_items=expected_items)


@dataclass
class ChunkCards:
    """A chunk's cards: this run's, or an earlier run's when its task failed this time."""

    chunk: int
    cards: list[Flashcard]
    result: TaskResult


@dataclass
class QuizRun:
    level: int
    cards: list[Flashcard]
    generated: Generated[QuizQuestion] | None
    result: TaskResult


@dataclass
class LectureOutcome:
    lecture: str
    cards: int = 0
    questions: dict[int, int] = field(default_factory=dict)
    failed_tasks: list[FailedTask] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.failed_tasks:
            return "partial" if self.cards else "failed"
        # Every task ran, but a lecture without cards or without questions at a level has
        # little to show: never called complete.
        if not self.cards or not all(self.questions.values()):
            return "empty"
        return "complete"


def _status(succeeded: int, failed: int, items: int) -> Status:
    if failed:
        return "partial" if succeeded else "failed"
    return "complete" if items else "empty"


class Coordinator:
    def __init__(
        self,
        course: Course,
        generator: Generator,
        store: OutputStore,
        emit: Listener,
        *,
        language: str,
        sequential: bool = False,
        levels: Sequence[int] = QUIZ_LEVELS,
        quiz_group_size: int | None = None,
        questions_per_card: int | None = None,
        cache: TaskCache | None = None,
        force: bool = False,
        control: RunControl | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.course = course
        self.generator = generator
        self.store = store
        self.emit = emit
        self.language = language
        self.sequential = sequential
        self.levels = tuple(levels)
        # The generator knows how it groups cards; tests may override.
        self.quiz_group_size = quiz_group_size or generator.quiz_group_size
        self.questions_per_card = questions_per_card or generator.questions_per_card
        self.cache = cache
        self.force = force
        self.control = control or RunControl()
        self._clock = clock
        self._keys = TaskKeys(generator.identity, course, language)
        # Set when no further task should start: auth/quota failures, the budget.
        self._stop_reason = ""

    async def run(self, lectures: Sequence[PreparedLecture]) -> list[LectureOutcome]:
        for lecture in lectures:
            self.emit(LecturePlanned(lecture.id, len(lecture.chunks)))
        outcomes = await self._all(
            [self._run_lecture(rank, lecture) for rank, lecture in enumerate(lectures)]
        )
        for lecture_id in dedupe_course(self.store, self.store.lecture_ids()):
            self._announce_files(lecture_id)
        return outcomes

    def _announce_files(self, lecture_id: str) -> None:
        """Tell subscribers what a lecture's files hold after the course-wide dedupe."""
        cards = self.store.load_flashcards(lecture_id)
        if cards is not None:
            path = str(self.store.flashcards_path(lecture_id))
            self.emit(FileSaved(lecture_id, path, cards.metadata.status, len(cards.flashcards)))
        for level in self.levels:
            quiz = self.store.load_quiz(lecture_id, level)
            if quiz is not None:
                path = str(self.store.quiz_path(lecture_id, level))
                self.emit(
                    FileSaved(lecture_id, path, quiz.metadata.status, len(quiz.questions), level)
                )

    async def _all(self, jobs: Sequence[Awaitable[T]]) -> list[T]:
        """Run jobs concurrently, or one after another in order when sequential."""
        if self.sequential:
            return [await job for job in jobs]
        tasks = [asyncio.ensure_future(job) for job in jobs]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # A failure no task records (a full disk): the others stop now, rather than run on
            # against a provider client the run is about to close.
            for task in tasks:
                task.cancel()
            raise

    async def _both(self, first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
        if self.sequential:
            return await first, await second
        return await asyncio.gather(first, second)

    # --- one lecture ----------------------------------------------------------------------------

    async def _run_lecture(self, rank: int, lecture: PreparedLecture) -> LectureOutcome:
        outcome = LectureOutcome(lecture.id)
        per_chunk = self.quiz_group_size is not None
        loop = asyncio.get_running_loop()
        chunk_cards: dict[int, asyncio.Future[ChunkCards]] = {
            chunk.index: loop.create_future() for chunk in lecture.chunks
        }

        async def chunk_pipeline(chunk: Chunk) -> list[QuizRun]:
            got = await self._chunk_cards(rank, lecture.id, chunk)
            chunk_cards[chunk.index].set_result(got)
            if not per_chunk:
                return []
            groups = quiz_groups([got.cards], self.quiz_group_size)
            return await self._quiz_runs(rank, lecture.id, chunk.index, groups)

        async def save_cards() -> tuple[list[Flashcard], dict[str, str]]:
            got = [await chunk_cards[chunk.index] for chunk in lecture.chunks]
            return await self._save_cards(lecture, got, outcome)

        chunk_runs, (cards, aliases) = await self._both(
            self._all([chunk_pipeline(chunk) for chunk in lecture.chunks]), save_cards()
        )
        runs = [run for chunk in chunk_runs for run in chunk]
        if not per_chunk and cards:
            runs = await self._quiz_runs(rank, lecture.id, 0, quiz_groups([cards], None))
        if not cards and not runs:
            return outcome
        for level in self.levels:
            level_runs = [run for run in runs if run.level == level]
            count, failed = await self._finish_level(lecture.id, level, level_runs, aliases)
            outcome.questions[level] = count
            outcome.failed_tasks.extend(failed)
        return outcome

    async def _chunk_cards(self, rank: int, lecture_id: str, chunk: Chunk) -> ChunkCards:
        generated, result = await self._flashcard_task(rank, lecture_id, chunk)
        if generated is not None:
            return ChunkCards(chunk.index, list(generated.items), result)
        return ChunkCards(chunk.index, self._kept_cards(lecture_id, chunk.index), result)

    async def _save_cards(
        self, lecture: PreparedLecture, got: list[ChunkCards], outcome: LectureOutcome
    ) -> tuple[list[Flashcard], dict[str, str]]:
        """Dedupe and save the lecture's cards; return them with, for every card dropped as a
        duplicate of another chunk's card, the id of the card kept in its place."""
        cards, dropped = dedupe_cards([card for chunk in got for card in chunk.cards])
        failed = [chunk.result.failure() for chunk in got if not chunk.result.ok]
        outcome.cards = len(cards)
        outcome.failed_tasks.extend(failed)
        await self._save_flashcards(lecture, cards, failed)
        return cards, _aliases(dropped, cards)

    async def _quiz_runs(
        self, rank: int, lecture_id: str, chunk: int, groups: list[list[Flashcard]]
    ) -> list[QuizRun]:
        if not groups:
            return []
        self.emit(QuizTasksPlanned(lecture_id, len(groups) * len(self.levels)))
        jobs = [
            self._quiz_task(rank, lecture_id, level, chunk, number, group)
            for level in self.levels
            for number, group in enumerate(groups)
        ]
        return await self._all(jobs)

    async def _finish_level(
        self, lecture_id: str, level: int, runs: list[QuizRun], aliases: dict[str, str]
    ) -> tuple[int, list[FailedTask]]:
        questions = [q for run in runs if run.generated for q in run.generated.items]
        if not all(run.result.ok for run in runs):
            redone = {card.id for run in runs if run.result.ok for card in run.cards}
            questions += self._kept_questions(lecture_id, level, redone)
        if aliases:
            questions = [credit_kept_cards(q, aliases) for q in questions]
        questions, _ = dedupe_questions(questions)
        failed = [
            run.result.failure(expected_items=len(run.cards) * self.questions_per_card)
            for run in runs
            if not run.result.ok
        ]
        source_cards = sum(len(run.cards) for run in runs)
        await self._save_quiz(lecture_id, level, questions, source_cards, failed, len(runs))
        return len(questions), failed

    # --- tasks ------------------------------------------------------------------------------------

    async def _flashcard_task(
        self, rank: int, lecture_id: str, chunk: Chunk
    ) -> tuple[Generated[Flashcard] | None, TaskResult]:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, flashcard_priority(rank, chunk.index)
        )
        task_id = f"{lecture_id}/flashcards/chunk-{chunk.index}"
        key = self._keys.flashcards(lecture_id, chunk)
        return await self._task(
            "flashcards",
            lecture_id,
            task_id,
            None,
            key,
            _CARDS,
            lambda: self.generator.flashcards(chunk, ctx),
        )

    async def _quiz_task(
        self,
        rank: int,
        lecture_id: str,
        level: int,
        chunk: int,
        number: int,
        cards: list[Flashcard],
    ) -> QuizRun:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, quiz_priority(rank, level, chunk, number)
        )
        part = f"chunk-{chunk}/" if self.quiz_group_size is not None else ""
        task_id = f"{lecture_id}/quiz/level-{level}/{part}group-{number}"
        key = self._keys.quiz(lecture_id, level, cards)
        generated, result = await self._task(
            "quiz",
            lecture_id,
            task_id,
            level,
            key,
            _QUESTIONS,
            lambda: self.generator.quiz(cards, level, ctx),
        )
        return QuizRun(level, cards, generated, result)

    async def _task(
        self,
        phase: Phase,
        lecture_id: str,
        task_id: str,
        level: int | None,
        key: str,
        decoder: TypeAdapter[list[T]],
        work: Callable[[], Awaitable[Generated[T]]],
    ) -> tuple[Generated[T] | None, TaskResult]:
        """Run one task (or take it from the cache); whatever it raises is recorded against it
        and goes no further."""
        cached = self._cached(key, decoder)
        if cached is not None:
            self.emit(
                TaskUpdate(
                    phase, lecture_id, task_id, "cached", items=len(cached.items), level=level
                )
            )
            return cached, TaskResult(task_id, ok=True)
        reason = self._reason_not_to_run()
        if reason:
            self.emit(TaskUpdate(phase, lecture_id, task_id, "skipped", error=reason, level=level))
            return None, TaskResult(task_id, ok=False, error=reason)
        self.emit(TaskUpdate(phase, lecture_id, task_id, "started", level=level))
        started = time.perf_counter()
        try:
            result = await work()
        except (Interrupted, BudgetExceeded) as exc:
            if isinstance(exc, BudgetExceeded):
                self._stop_reason = self._stop_reason or exc.message
            self.emit(
                TaskUpdate(
                    phase,
                    lecture_id,
                    task_id,
                    "skipped",
                    error=exc.message,
                    level=level,
                    seconds=time.perf_counter() - started,
                    usage=exc.usage,
                    calls=exc.calls,
                )
            )
            return None, TaskResult(task_id, ok=False, error=exc.message)
        except FlashgenError as exc:
            if isinstance(exc, FatalProviderError):
                # Auth and quota errors would fail every other call the same way.
                self._stop_reason = self._stop_reason or f"not run: {exc.message}"
            failure = TaskUpdate(
                phase,
                lecture_id,
                task_id,
                "failed",
                error=str(exc),
                level=level,
                usage=exc.usage,
                calls=exc.calls,
            )
            return None, self._failed(failure, started)
        except Exception as exc:  # a bug in one task must not sink the run; it is reported
            error = f"{type(exc).__name__}: {exc}"
            failure = TaskUpdate(phase, lecture_id, task_id, "failed", error=error, level=level)
            return None, self._failed(failure, started)
        if self.cache is not None:
            self.cache.put(key, phase, task_id, result.items)
        self.emit(
            TaskUpdate(
                phase,
                lecture_id,
                task_id,
                "succeeded",
                items=len(result.items),
                rejected=tuple(
                    f"{r.reason}: {r.item}" if r.item else r.reason for r in result.rejected
                ),
                usage=result.usage,
                calls=result.calls,
                seconds=time.perf_counter() - started,
                level=level,
            )
        )
        return result, TaskResult(task_id, ok=True)

    def _cached(self, key: str, decoder: TypeAdapter[list[T]]) -> Generated[T] | None:
        if self.cache is None or self.force:
            return None
        stored = self.cache.get(key)
        if stored is None:
            return None
        try:
            return Generated(items=decoder.validate_python(stored))
        except ValidationError:
            return None  # written by an older flashgen with another schema: regenerate

    def _reason_not_to_run(self) -> str:
        if self.control.stopping:
            return "not run: the run was interrupted"
        if self._stop_reason:
            return self._stop_reason
        return ""

    def _failed(self, failure: TaskUpdate, started: float) -> TaskResult:
        self.emit(replace(failure, seconds=time.perf_counter() - started))
        return TaskResult(failure.task_id, ok=False, error=failure.error)

    # --- saving -----------------------------------------------------------------------------------

    def _kept_cards(self, lecture_id: str, chunk: int) -> list[Flashcard]:
        """Cards an earlier run saved for a chunk that failed this time: never thrown away."""
        existing = self.store.load_flashcards(lecture_id)
        if existing is None:
            return []
        return [card for card in existing.flashcards if card.source.chunk == chunk]

    def _kept_questions(self, lecture_id: str, level: int, redone: set[str]) -> list[QuizQuestion]:
        """Questions an earlier run saved that no successful task of this run replaces."""
        existing = self.store.load_quiz(lecture_id, level)
        if existing is None:
            return []
        return [q for q in existing.questions if not set(q.source_flashcard_ids) <= redone]

    def _metadata_fields(
        self, lecture_id: str, failed: list[FailedTask], ok: int, total: int, items: int, note: str
    ) -> dict[str, object]:
        status = _status(ok, len(failed), items)
        return {
            "course_id": self.course.id,
            "course_name": self.course.name,
            "lecture": lecture_id,
            "generated_at": self._clock().isoformat(timespec="seconds"),
            "generator": self.generator.name,
            "model": self.generator.model,
            "language": self.language,
            "prompt_version": prompts.prompt_version(),
            "status": status,
            "note": f"empty: {note}" if status == "empty" else None,
            "tasks_total": total,
            "failed_tasks": failed,
        }

    async def _save_flashcards(
        self, lecture: PreparedLecture, cards: list[Flashcard], failed: list[FailedTask]
    ) -> None:
        metadata = FlashcardMetadata.model_validate(
            {
                **self._metadata_fields(
                    lecture.id,
                    failed,
                    len(lecture.chunks) - len(failed),
                    len(lecture.chunks),
                    len(cards),
                    f"no cards from {_count(len(lecture.chunks), 'chunk')} of text",
                ),
                "chunks_processed": len(lecture.chunks) - len(failed),
                "total_cards": len(cards),
                "source_digest": lecture.source_digest,
            }
        )
        # Every card was validated when it was made, read or taken from the cache; validating
        # them again as part of the file cost more than the rest of the save but the write.
        content = FlashcardFile.model_construct(metadata=metadata, flashcards=cards)
        # Serializing and writing a file takes a millisecond or more: off the event loop, so
        # calls in flight are not held up.
        await asyncio.to_thread(self.store.save_flashcards, lecture.id, content)
        self.emit(
            FileSaved(
                lecture.id, str(self.store.flashcards_path(lecture.id)), metadata.status, len(cards)
            )
        )

    async def _save_quiz(
        self,
        lecture_id: str,
        level: int,
        questions: list[QuizQuestion],
        source_cards: int,
        failed: list[FailedTask],
        tasks: int,
    ) -> None:
        metadata = QuizMetadata.model_validate(
            {
                **self._metadata_fields(
                    lecture_id,
                    failed,
                    tasks - len(failed),
                    tasks,
                    len(questions),
                    f"{_count(source_cards, 'card')}, no level-{level} questions from them",
                ),
                "difficulty_level": level,
                "level_name": LEVEL_NAMES[level],
                "source_flashcards": source_cards,
                "total_questions": len(questions),
            }
        )
        content = QuizFile.model_construct(metadata=metadata, questions=questions)  # as above
        await asyncio.to_thread(self.store.save_quiz, lecture_id, level, content)
        self.emit(
            FileSaved(
                lecture_id,
                str(self.store.quiz_path(lecture_id, level)),
                metadata.status,
                len(questions),
                level,
                remaining=sum(f.expected_items for f in failed),
            )
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _aliases(dropped: Sequence[Flashcard], kept: Sequence[Flashcard]) -> dict[str, str]:
    """For each dropped card, the kept card it duplicates (dropped cards are few: a linear
    search each is cheap). A card dropped for an id already kept needs no alias."""
    if not dropped:
        return {}
    kept_texts = [(card.id, normalise(card_text(card))) for card in kept]
    aliases: dict[str, str] = {}
    for card in dropped:
        text = normalise(card_text(card))
        match = next(
            (i for i, t in kept_texts if i == card.id or is_near_duplicate(text, t)), card.id
        )
        if match != card.id:
            aliases[card.id] = match
    return aliases
