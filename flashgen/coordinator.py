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

from flashgen import prompts
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
# Priority classes for the scheduler: smaller runs first (see flashgen.scheduler).
QUIZ_PRIORITY = 0
FLASHCARD_PRIORITY = 1


@dataclass(frozen=True)
class PreparedLecture:
    id: str
    chunks: list[Chunk]


@dataclass
class TaskResult:
    task_id: str
    ok: bool
    error: str = ""


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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.course = course
        self.generator = generator
        self.store = store
        self.emit = emit
        self.language = language
        self.sequential = sequential
        self.levels = tuple(levels)
        self.quiz_group_size = quiz_group_size
        self._clock = clock
        self._fatal: FatalProviderError | None = None

    async def run(self, lectures: Sequence[PreparedLecture]) -> list[LectureOutcome]:
        for lecture in lectures:
            self.emit(LecturePlanned(lecture.id, len(lecture.chunks), len(lecture.chunks)))
        return await self._all(
            [self._run_lecture(rank, lecture) for rank, lecture in enumerate(lectures)]
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
        cards, _ = dedupe_cards(cards)
        failed = [FailedTask(task=r.task_id, error=r.error) for _, r in card_results if not r.ok]
        outcome.cards = len(cards)
        outcome.failed_tasks.extend(failed)
        self._save_flashcards(lecture, cards, failed)
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
        questions, _ = dedupe_questions(questions)
        failed = [FailedTask(task=r.task_id, error=r.error) for _, r in results if not r.ok]
        source_cards = sum(len(group) for group in groups)
        self._save_quiz(lecture_id, level, questions, source_cards, failed)
        return len(questions), failed

    # --- tasks ------------------------------------------------------------------------------------

    async def _flashcard_task(
        self, rank: int, lecture_id: str, chunk: Chunk
    ) -> tuple[Generated[Flashcard] | None, TaskResult]:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, (FLASHCARD_PRIORITY, rank, chunk.index)
        )
        task_id = f"{lecture_id}/flashcards/chunk-{chunk.index}"
        return await self._task(
            "flashcards", lecture_id, task_id, None, self.generator.flashcards(chunk, ctx)
        )

    async def _quiz_task(
        self, rank: int, lecture_id: str, level: int, number: int, cards: list[Flashcard]
    ) -> tuple[Generated[QuizQuestion] | None, TaskResult]:
        ctx = GenerationContext(
            self.course, lecture_id, self.language, (QUIZ_PRIORITY, rank, level, number)
        )
        task_id = f"{lecture_id}/quiz/level-{level}/group-{number}"
        return await self._task(
            "quiz", lecture_id, task_id, level, self.generator.quiz(cards, level, ctx)
        )

    async def _task(
        self,
        phase: Phase,
        lecture_id: str,
        task_id: str,
        level: int | None,
        work: Awaitable[Generated[T]],
    ) -> tuple[Generated[T] | None, TaskResult]:
        """Run one task; whatever it raises is recorded against it and goes no further."""
        if self._fatal is not None:
            if asyncio.iscoroutine(work):
                work.close()
            error = f"not run: {self._fatal.message}"
            self.emit(TaskUpdate(phase, lecture_id, task_id, "skipped", error=error, level=level))
            return None, TaskResult(task_id, ok=False, error=error)
        self.emit(TaskUpdate(phase, lecture_id, task_id, "started", level=level))
        started = time.perf_counter()
        try:
            result = await work
        except FlashgenError as exc:
            if isinstance(exc, FatalProviderError):
                # Auth and quota errors would fail every other call the same way.
                self._fatal = self._fatal or exc
            return None, self._failed(phase, lecture_id, task_id, level, str(exc), started)
        except Exception as exc:  # a bug in one task must not sink the run; it is reported
            error = f"{type(exc).__name__}: {exc}"
            return None, self._failed(phase, lecture_id, task_id, level, error, started)
        self.emit(
            TaskUpdate(
                phase, lecture_id, task_id, "succeeded", items=len(result.items),
                rejected=len(result.rejected), usage=result.usage, calls=result.calls,
                seconds=time.perf_counter() - started, level=level,
            )
        )
        return result, TaskResult(task_id, ok=True)

    def _failed(
        self, phase: Phase, lecture_id: str, task_id: str, level: int | None, error: str,
        started: float,
    ) -> TaskResult:
        self.emit(
            TaskUpdate(
                phase, lecture_id, task_id, "failed", error=error,
                seconds=time.perf_counter() - started, level=level,
            )
        )
        return TaskResult(task_id, ok=False, error=error)

    # --- saving -----------------------------------------------------------------------------------

    def _metadata_fields(self, lecture_id: str, failed: list[FailedTask], ok: int) -> dict[
        str, object
    ]:
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
            "failed_tasks": failed,
        }

    def _save_flashcards(
        self, lecture: PreparedLecture, cards: list[Flashcard], failed: list[FailedTask]
    ) -> None:
        metadata = FlashcardMetadata.model_validate(
            {
                **self._metadata_fields(lecture.id, failed, len(lecture.chunks) - len(failed)),
                "chunks_processed": len(lecture.chunks) - len(failed),
                "total_cards": len(cards),
            }
        )
        content = FlashcardFile(metadata=metadata, flashcards=cards)
        self.store.save_flashcards(lecture.id, content)
        self.emit(
            FileSaved(lecture.id, str(self.store.flashcards_path(lecture.id)),
                      metadata.status, len(cards))
        )

    def _save_quiz(
        self, lecture_id: str, level: int, questions: list[QuizQuestion], source_cards: int,
        failed: list[FailedTask],
    ) -> None:
        metadata = QuizMetadata.model_validate(
            {
                **self._metadata_fields(lecture_id, failed, 1 if questions else 0),
                "difficulty_level": level,
                "level_name": LEVEL_NAMES[level],
                "source_flashcards": source_cards,
                "total_questions": len(questions),
            }
        )
        self.store.save_quiz(lecture_id, level, QuizFile(metadata=metadata, questions=questions))
        self.emit(
            FileSaved(lecture_id, str(self.store.quiz_path(lecture_id, level)),
                      metadata.status, len(questions), level)
        )
