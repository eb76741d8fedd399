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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from flashgen.events import LecturePlanned, Listener, QuizTasksPlanned
from flashgen.generate.base import Generator
from flashgen.models import QUIZ_LEVELS, Chunk, Course, Flashcard
from flashgen.output.cache import TaskCache
from flashgen.output.course_dedupe import dedupe_course
from flashgen.output.store import OutputStore
from flashgen.run.assemble import (
    ChunkCards,
    LectureAssembler,
    LectureOutcome,
    PreparedLecture,
    QuizRun,
)
from flashgen.run.interrupt import RunControl
from flashgen.run.task_runner import TaskRunner
from flashgen.run.tasks import TaskMaker, TaskSpec, quiz_groups

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")


class Coordinator:
    """The pipelining of a course's tasks; ``TaskMaker`` names them, ``TaskRunner`` runs each,
    ``LectureAssembler`` writes the files."""

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
        regenerate_rejected: bool = False,
        course_lectures: Sequence[str] | None = None,
        course_dedupe: bool = True,
    ) -> None:
        self.store = store
        # The course's lectures now; output folders of others are orphaned and left alone.
        self.course_lectures = None if course_lectures is None else set(course_lectures)
        # Off in a shard (--shard): it needs every lecture's files, so the merge step runs it.
        self.course_dedupe = course_dedupe
        self.emit = emit
        self.sequential = sequential
        self.levels = tuple(levels)
        # The generator knows how it groups cards; tests may override.
        self.quiz_group_size = quiz_group_size or generator.quiz_group_size
        self.tasks = TaskMaker(generator.identity, course, language, self.quiz_group_size)
        self.runner = TaskRunner(
            course, generator, emit, language=language, cache=cache, force=force, control=control
        )
        self.files = LectureAssembler(
            course,
            store,
            emit,
            generator=generator.name,
            model=generator.model,
            language=language,
            levels=self.levels,
            questions_per_card=questions_per_card or generator.questions_per_card,
            clock=clock,
            regenerate_rejected=regenerate_rejected,
            course_lectures=self.course_lectures,
        )

    async def run(self, lectures: Sequence[PreparedLecture]) -> list[LectureOutcome]:
        for lecture in lectures:
            self.emit(LecturePlanned(lecture.id, len(lecture.chunks)))
        known = self.course_lectures
        current = [i for i in self.store.lecture_ids() if known is None or i in known]
        self.files.open_reviews(current)
        outcomes = await self._all(
            [self._run_lecture(rank, lecture) for rank, lecture in enumerate(lectures)]
        )
        current = [i for i in self.store.lecture_ids() if known is None or i in known]
        if self.course_dedupe:
            protected = self.files.reviews.protected(current)
            for lecture_id in dedupe_course(self.store, current, protected):
                self.files.announce_files(lecture_id)
        self.files.save_reviews(current)
        return outcomes

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
            return await self.files.save_cards(lecture, got, outcome)

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
            count, failed = await self.files.finish_level(lecture.id, level, level_runs, aliases)
            outcome.questions[level] = count
            outcome.failed_tasks.extend(failed)
        return outcome

    async def _chunk_cards(self, rank: int, lecture_id: str, chunk: Chunk) -> ChunkCards:
        generated, result = await self.runner.flashcards(
            self.tasks.flashcards(rank, lecture_id, chunk)
        )
        if generated is not None:
            return ChunkCards(chunk.index, list(generated.items), result)
        return ChunkCards(chunk.index, self.files.kept_cards(lecture_id, chunk.index), result)

    async def _quiz_runs(
        self, rank: int, lecture_id: str, chunk: int, groups: list[list[Flashcard]]
    ) -> list[QuizRun]:
        if not groups:
            return []
        self.emit(QuizTasksPlanned(lecture_id, len(groups) * len(self.levels)))
        jobs = [
            self._quiz_run(level, group, self.tasks.quiz(rank, lecture_id, level, chunk, n, group))
            for level in self.levels
            for n, group in enumerate(groups)
        ]
        return await self._all(jobs)

    async def _quiz_run(self, level: int, cards: list[Flashcard], spec: TaskSpec) -> QuizRun:
        generated, result = await self.runner.quiz(spec)
        return QuizRun(level, cards, generated, result)
