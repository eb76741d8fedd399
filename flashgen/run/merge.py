"""The merge step after shards: course-wide dedupe over every lecture's files, and the report.

Each shard of a CI matrix writes its own lectures' files and leaves out what needs the whole
course. Once the shards' output folders are copied into one, ``flashgen run COURSE --merge``
runs the course-wide near-duplicate pass (the earlier lecture keeps the item, as in an
unsharded run) and tells the report what every lecture's files hold, failures included. It
calls no generator.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flashgen.events import GeneratorChosen, LecturePlanned, Listener, Notice, TaskUpdate
from flashgen.ingest.discovery import LectureScan
from flashgen.models import QUIZ_LEVELS, OutputMetadata, TaskKind
from flashgen.output.course_dedupe import dedupe_course
from flashgen.output.status import saved_files
from flashgen.output.store import OutputStore
from flashgen.run.assemble import LectureAssembler


def merge_course(scan: LectureScan, store: OutputStore, emit: Listener) -> None:
    """Dedupe the course's saved files across lectures and announce what they hold."""
    present = set(store.lecture_ids())
    chosen = False
    for lecture in scan.lectures:
        if lecture.id not in present:
            emit(Notice(f"{lecture.id}: no files to merge; run the shard that holds it again"))
            continue
        emit(LecturePlanned(lecture.id, 0))
        for level, metadata in _metadata(store, lecture.id):
            if not chosen:
                emit(GeneratorChosen(metadata.generator, metadata.model, "merged from shards"))
                chosen = True
            _report_failures(lecture.id, level, metadata, emit)
    files = LectureAssembler(
        scan.course,
        store,
        emit,
        generator="",
        model="",
        language="",
        levels=QUIZ_LEVELS,
        questions_per_card=0,
        clock=lambda: datetime.now(UTC),  # unused: announcing writes nothing
    )
    # The course's lectures in the store's order, as an unsharded run dedupes them: orphaned
    # folders left out, approved and edited items never dropped, and review.json brought up
    # to date after the pass (else a dropped new item would read as deleted by hand).
    course = {lecture.id for lecture in scan.lectures}
    current = [lecture_id for lecture_id in store.lecture_ids() if lecture_id in course]
    dedupe_course(store, current, files.reviews.protected(current))
    files.save_reviews(current)
    for lecture_id in current:
        files.announce_files(lecture_id)


def _metadata(store: OutputStore, lecture_id: str) -> list[tuple[int | None, OutputMetadata]]:
    """Each saved file's metadata, with its quiz level (None: the flashcards file)."""
    cards, quizzes = saved_files(store, lecture_id)
    found: list[tuple[int | None, OutputMetadata]] = (
        [] if cards is None else [(None, cards.metadata)]
    )
    for level, quiz in zip(QUIZ_LEVELS, quizzes, strict=True):
        if quiz is not None:
            found.append((level, quiz.metadata))
    return found


def _report_failures(
    lecture_id: str, level: int | None, metadata: OutputMetadata, emit: Listener
) -> None:
    """A shard's failed tasks, recorded in its files, count in the merged report (and exit code)."""
    kind = TaskKind.FLASHCARDS if level is None else TaskKind.QUIZ
    for failure in metadata.failed_tasks:
        emit(
            TaskUpdate(
                kind,
                lecture_id,
                failure.task,
                "failed",
                error=failure.error,
                level=level,
            )
        )
