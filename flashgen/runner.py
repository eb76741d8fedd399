"""One ``flashgen run``: find the lectures, read and chunk them, pick the generator, run.

This is the composition root: it wires settings, discovery, extraction, the generator (offline
or a provider behind the scheduler) and the coordinator together. The CLI calls ``run_course``
and renders what it returns; nothing here prints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from flashgen.chunking import chunk_blocks
from flashgen.config import Settings
from flashgen.coordinator import Coordinator, PreparedLecture
from flashgen.discovery import LectureScan, load_course, scan_lectures, select_lectures
from flashgen.errors import LectureSkipped, UsageError
from flashgen.events import LectureSkipped as LectureSkippedEvent
from flashgen.events import GeneratorChosen, Listener, Notice, RetryScheduled
from flashgen.extract import extract
from flashgen.generation import Generator, LLMGenerator
from flashgen.models import SUPPORTED_SUFFIXES, Course
from flashgen.offline import OfflineGenerator
from flashgen.scheduler import RetryPolicy, Scheduler
from flashgen.store import OutputStore

# Cards per quiz request for model generators: enough for varied questions, small enough that
# a reply stays well under the output token limit.
LLM_QUIZ_GROUP_SIZE = 10


@dataclass(frozen=True)
class ChosenGenerator:
    generator: Generator
    reason: str


def find_lectures(settings: Settings, course_id: str) -> LectureScan:
    course = load_course(settings.courses_dir, course_id)
    scan = scan_lectures(course)
    if not scan.lectures:
        kinds = ", ".join(sorted(set(SUPPORTED_SUFFIXES)))
        raise UsageError(
            f"course {course_id!r} has no lecture files",
            f"add lecture files ({kinds}) to {course.path}",
        )
    return scan


def prepare(
    settings: Settings, scan: LectureScan, names: Sequence[str], emit: Listener
) -> list[PreparedLecture]:
    """Read and chunk the chosen lectures; unreadable ones are reported and left out."""
    for skipped in scan.skipped:
        if skipped.reason != "hidden":
            emit(Notice(f"{skipped.name}: not a lecture ({skipped.reason})"))
    prepared = []
    for lecture in select_lectures(scan, list(names)):
        try:
            extraction = extract(lecture, max_bytes=settings.max_file_bytes)
        except LectureSkipped as exc:
            emit(LectureSkippedEvent(lecture.id, str(exc)))
            continue
        for warning in extraction.warnings:
            emit(Notice(warning))
        chunks = chunk_blocks(
            lecture.id, extraction.blocks, settings.chunk_size, settings.chunk_overlap
        )
        prepared.append(PreparedLecture(lecture.id, chunks))
    return prepared


@asynccontextmanager
async def open_generator(settings: Settings, emit: Listener) -> AsyncIterator[ChosenGenerator]:
    """The generator the settings ask for; a provider's client is closed on the way out."""
    from flashgen.providers.factory import build_provider, choose_provider

    name, reason = choose_provider(settings)
    if name == "offline":
        yield ChosenGenerator(OfflineGenerator(), reason)
        return
    from flashgen.pricing import PriceTable

    provider = build_provider(name, settings, PriceTable.load(settings.prices_file))
    scheduler = Scheduler(
        provider,
        settings.concurrency,
        RetryPolicy(max_retries=settings.max_retries),
        on_retry=lambda error, delay: emit(RetryScheduled(str(error), delay)),
    )
    generator = LLMGenerator(
        scheduler.complete,
        name=name,
        model=provider.model,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        max_corrections=settings.max_corrections,
    )
    try:
        yield ChosenGenerator(generator, reason)
    finally:
        await provider.aclose()


async def run_course(
    settings: Settings, scan: LectureScan, names: Sequence[str], emit: Listener
) -> None:
    """Everything ``flashgen run`` does between parsing its arguments and the summary."""
    lectures = prepare(settings, scan, names, emit)
    async with open_generator(settings, emit) as chosen:
        generator = chosen.generator
        emit(GeneratorChosen(generator.name, generator.model, chosen.reason))
        await _coordinate(settings, scan.course, lectures, generator, emit)


async def _coordinate(
    settings: Settings,
    course: Course,
    lectures: Sequence[PreparedLecture],
    generator: Generator,
    emit: Listener,
) -> None:
    coordinator = Coordinator(
        course,
        generator,
        OutputStore(settings.output_dir, course.id),
        emit,
        language=settings.language or course.language,
        sequential=settings.sequential,
        quiz_group_size=None if isinstance(generator, OfflineGenerator) else LLM_QUIZ_GROUP_SIZE,
    )
    await coordinator.run(lectures)
