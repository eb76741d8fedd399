"""Runs the task graph of every lecture: flashcard tasks per chunk, then quiz tasks per level.

Each lecture is its own pipeline: as soon as a lecture's flashcards are saved, its quiz tasks
start, while other lectures may still be generating flashcards. There is no barrier between
phases across lectures. Every task is isolated: a failure is recorded and the others go on;
results that validated are saved even when some tasks of their lecture failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from flashgen import prompts
from flashgen.budget import BudgetExceeded
from flashgen.cache import TaskCache, task_key
from flashgen.course_dedupe import dedupe_course
from flashgen.errors import FatalProviderError, FlashgenError
from flashgen.events import (
    FileSaved,
    LecturePlanned,
    Listener,
    Phase,
    QuizTasksPlanned,
    TaskUpdate,
)
from flashgen.generation import Generated, GenerationContext, Generator
from flashgen.interrupt import Interrupted, RunControl
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
from flashgen.store import OutputStore
from flashgen.validation import dedupe_cards, dedupe_questions

T = TypeVar("T")
_QUESTIONS: TypeAdapter[list[QuizQuestion]] = TypeAdapter(list[QuizQuestion])
_CARDS: TypeAdapter[list[Flashcard]] = TypeAdapter(list[Flashcard])
# Scheduler priorities (smaller is served first), a pipeline one lecture deep: lecture r's quiz
# calls are (r, level, group) and lecture r's flashcard calls are (r - 1, -1, chunk), just
# ahead of lecture r-1's quizzes. Lectures finish in order, a ready quiz call never waits
# behind flashcards of lectures further on, and the next lecture's cards are ready by the time
# the current one's quizzes drain, so the end of a run does not stall on a starved lecture.


def flashcard_priority(rank: int, chunk: int) -> tuple[int, ...]:
    return (rank - 1, -1, chunk)


def quiz_priority(rank: int, level: int, group: int) -> tuple[int, ...]:
    return (rank, level, group)


def flashcard_key(
    generator: Generator, course: Course, language: str, lecture_id: str, chunk: Chunk
) -> str:
    """The cache key of a flashcard task: everything that decides its result."""
    return _key(
        generator, course, language, "flashcards", lecture_id, chunk.model_dump(mode="json")
    )


def quiz_key(
    generator: Generator,
    course: Course,
    language: str,
    lecture_id: str,
    level: int,
    cards: Sequence[Flashcard],
) -> str:
    cards_data = [card.model_dump(mode="json") for card in cards]
    return _key(generator, course, language, "quiz", lecture_id, level, cards_data)


def _key(generator: Generator, course: Course, language: str, *parts: object) -> str:
    course_data = course.model_dump(mode="json", exclude={"path"})
    return task_key(generator.identity, course_data, language, *parts)


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
class LectureOutcome:
    lecture: str
    cards: int = 0
    questions: dict[int, int] = field(default_factory=dict)
    failed_tasks: list[FailedTask] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if not self.failed_tasks:
            return "complete"
        return "partial" if self.cards else "failed"


def _status(succeeded: int, failed: int) -> Status:
    if not failed:
        return "complete"
    return "partial" if succeeded else "failed"


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
        return list(await asyncio.gather(*jobs))

    # --- one lecture ----------------------------------------------------------------------------

    async def _run_lecture(self, rank: int, lecture: PreparedLecture) -> LectureOutcome:
        outcome = LectureOutcome(lecture.id)
        card_results = await self._all(
            [self._flashcard_task(rank, lecture.id, chunk) for chunk in lecture.chunks]
        )
        cards = [card for result, _ in card_results if result for card in result.items]
        failed_chunks = {
            chunk.index
            for chunk, (_, r) in zip(lecture.chunks, card_results, strict=True)
            if not r.ok
        }
        cards += self._kept_cards(lecture.id, failed_chunks)
        cards, _ = dedupe_cards(cards)
        failed = [r.failure() for _, r in card_results if not r.ok]
        outcome.cards = len(cards)
        outcome.failed_tasks.extend(failed)
        await self._save_flashcards(lecture, cards, failed)
        if not cards:
            return outcome
        groups = self._card_groups(cards)
        self.emit(QuizTasksPlanned(lecture.id, len(groups) * len(self.levels)))
        level_outcomes = await self._all(
            [self._run_level(rank, lecture.id, level, groups) for level in self.levels]
        )
        for level, (count, level_failed) in zip(self.levels, level_outcomes, strict=True):
            outcome.questions[level] = count
            outcome.failed_tasks.extend(level_failed)
        return outcome

    def _card_groups(self, cards: list[Flashcard]) -> list[list[Flashcard]]:
        size = self.quiz_group_size or len(cards)
        return [cards[start : start + size] for start in range(0, len(cards), size)]

    async def _run_level(
        self, rank: int, lecture_id: str, level: int, groups: list[list[Flashcard]]
    ) -> tuple[int, list[FailedTask]]:
        results = await self._all(
            [
                self._quiz_task(rank, lecture_id, level, number, group)
                for number, group in enumerate(groups)
            ]
        )
        questions = [q for result, _ in results if result for q in result.items]
        redone = {
            card.id for group, (_, r) in zip(groups, results, strict=True) if r.ok for card in group
        }
        if not all(r.ok for _, r in results):
            questions += self._kept_questions(lecture_id, level, redone)
        questions, _ = dedupe_questions(questions)
        failed = [
            r.failure(expected_items=len(group) * self.questions_per_card)
            for group, (_, r) in zip(groups, results, strict=True)
            if not r.ok
        ]
        source_cards = sum(len(group) for group in groups)
        await self._save_quiz(lecture_id, level, questions, source_cards, failed, len(groups))
        return len(questions), failed

    # --- tasks ------------------------------------------------------------------------------------

    async def _flashcard_task(
        self, rank: int, lecture_id: str, chunk: Chunk
    ) -> tuple[Generated[Flashcard] | None, TaskResult]:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, flashcard_priority(rank, chunk.index)
        )
        task_id = f"{lecture_id}/flashcards/chunk-{chunk.index}"
        key = flashcard_key(self.generator, self.course, self.language, lecture_id, chunk)
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
        self, rank: int, lecture_id: str, level: int, number: int, cards: list[Flashcard]
    ) -> tuple[Generated[QuizQuestion] | None, TaskResult]:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, quiz_priority(rank, level, number)
        )
        task_id = f"{lecture_id}/quiz/level-{level}/group-{number}"
        key = quiz_key(self.generator, self.course, self.language, lecture_id, level, cards)
        return await self._task(
            "quiz",
            lecture_id,
            task_id,
            level,
            key,
            _QUESTIONS,
            lambda: self.generator.quiz(cards, level, ctx),
        )

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
                )
            )
            return None, TaskResult(task_id, ok=False, error=exc.message)
        except FlashgenError as exc:
            if isinstance(exc, FatalProviderError):
                # Auth and quota errors would fail every other call the same way.
                self._stop_reason = self._stop_reason or f"not run: {exc.message}"
            return None, self._failed(phase, lecture_id, task_id, level, str(exc), started)
        except Exception as exc:  # a bug in one task must not sink the run; it is reported
            error = f"{type(exc).__name__}: {exc}"
            return None, self._failed(phase, lecture_id, task_id, level, error, started)
        if self.cache is not None:
            items = [item.model_dump(mode="json") for item in result.items]  # type: ignore[attr-defined]
            self.cache.put(key, phase, task_id, items)
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

    def _failed(
        self,
        phase: Phase,
        lecture_id: str,
        task_id: str,
        level: int | None,
        error: str,
        started: float,
    ) -> TaskResult:
        self.emit(
            TaskUpdate(
                phase,
                lecture_id,
                task_id,
                "failed",
                error=error,
                seconds=time.perf_counter() - started,
                level=level,
            )
        )
        return TaskResult(task_id, ok=False, error=error)

    # --- saving -----------------------------------------------------------------------------------

    def _kept_cards(self, lecture_id: str, failed_chunks: set[int]) -> list[Flashcard]:
        """Cards an earlier run saved for chunks that failed this time: never thrown away."""
        if not failed_chunks:
            return []
        existing = self.store.load_flashcards(lecture_id)
        if existing is None:
            return []
        return [card for card in existing.flashcards if card.source.chunk in failed_chunks]

    def _kept_questions(self, lecture_id: str, level: int, redone: set[str]) -> list[QuizQuestion]:
        """Questions an earlier run saved that no successful task of this run replaces."""
        existing = self.store.load_quiz(lecture_id, level)
        if existing is None:
            return []
        return [q for q in existing.questions if not set(q.source_flashcard_ids) <= redone]

    def _metadata_fields(
        self, lecture_id: str, failed: list[FailedTask], ok: int, total: int
    ) -> dict[str, object]:
        return {
            "course_id": self.course.id,
            "course_name": self.course.name,
            "lecture": lecture_id,
            "generated_at": self._clock().isoformat(timespec="seconds"),
            "generator": self.generator.name,
            "model": self.generator.model,
            "language": self.language,
            "prompt_version": prompts.prompt_version(),
            "status": _status(ok, len(failed)),
            "tasks_total": total,
            "failed_tasks": failed,
        }

    async def _save_flashcards(
        self, lecture: PreparedLecture, cards: list[Flashcard], failed: list[FailedTask]
    ) -> None:
        metadata = FlashcardMetadata.model_validate(
            {
                **self._metadata_fields(
                    lecture.id, failed, len(lecture.chunks) - len(failed), len(lecture.chunks)
                ),
                "chunks_processed": len(lecture.chunks) - len(failed),
                "total_cards": len(cards),
                "source_digest": lecture.source_digest,
            }
        )
        content = FlashcardFile(metadata=metadata, flashcards=cards)
        # fsync can take milliseconds: off the event loop, so calls in flight are not held up
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
                **self._metadata_fields(lecture_id, failed, tasks - len(failed), tasks),
                "difficulty_level": level,
                "level_name": LEVEL_NAMES[level],
                "source_flashcards": source_cards,
                "total_questions": len(questions),
            }
        )
        content = QuizFile(metadata=metadata, questions=questions)
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
