"""One ``flashgen run``: find the lectures, read and chunk them, pick the generator, run.

This is the composition root: it wires settings, discovery, extraction, the cache, the
generator (offline, or a provider behind the scheduler) and the coordinator together. The CLI
calls ``run_course``; nothing here prints.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from flashgen.config import Settings
from flashgen.errors import ConfigError, LectureSkipped, UsageError
from flashgen.events import GeneratorChosen, HedgeSent, Listener, Notice, RetryScheduled
from flashgen.events import LectureSkipped as LectureSkippedEvent
from flashgen.generate.base import Generator
from flashgen.generate.llm import Complete, LLMGenerator
from flashgen.generate.offline.generator import OfflineGenerator
from flashgen.ingest.chunking import chunk_blocks
from flashgen.ingest.cleaning import clean_blocks
from flashgen.ingest.discovery import LectureScan, load_course, scan_lectures, select_lectures
from flashgen.ingest.extract import Extraction, extract
from flashgen.models import SUPPORTED_SUFFIXES, Chunk, Lecture
from flashgen.output.batch_state import BATCH_FILE, BatchState
from flashgen.output.cache import TaskCache
from flashgen.output.status import is_up_to_date
from flashgen.output.store import OutputStore
from flashgen.providers.estimate import thinking_tokens
from flashgen.providers.pricing import PriceTable
from flashgen.run.assemble import PreparedLecture
from flashgen.run.batch import BatchComplete, BatchOptions
from flashgen.run.budget import Budget
from flashgen.run.coordinator import Coordinator
from flashgen.run.gc_tuning import fewer_collections
from flashgen.run.interrupt import RunControl
from flashgen.run.merge import merge_course
from flashgen.run.policies import DeadlinePolicy, HedgePolicy, OverloadPolicy, RetryPolicy
from flashgen.run.ratelimit import RateLimits
from flashgen.run.scheduler import Scheduler
from flashgen.run.shards import Shard, lectures_of, output_clock, shard_settings


@dataclass(frozen=True)
class RunOptions:
    names: Sequence[str] = ()
    force: bool = False
    retry_failed: bool = False
    regenerate_rejected: bool = False
    shard: Shard | None = None  # --shard I/N: only this share of the lectures, no course dedupe
    merge: bool = False  # --merge: no generation; course-wide dedupe and report of shards' files


@dataclass(frozen=True)
class ChosenGenerator:
    generator: Generator
    reason: str
    budget: Budget | None = None
    scheduler: Scheduler | None = None
    batch: BatchComplete | None = None


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


def check_writable(store: OutputStore) -> None:
    """Fail before any work when the output folder cannot take files."""
    try:
        store.course_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=store.course_dir):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write to {store.course_dir}: {exc.strerror}",
            "choose a writable folder with --output-dir (or FLASHGEN_OUTPUT_DIR)",
        ) from exc


def file_digest(lecture: Lecture) -> str:
    digest = hashlib.sha256()
    with lecture.path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def prepare(
    settings: Settings,
    scan: LectureScan,
    options: RunOptions,
    store: OutputStore,
    emit: Listener,
) -> list[PreparedLecture]:
    """Read and chunk the chosen lectures; unreadable ones are reported and left out."""
    for skipped in scan.skipped:
        if skipped.reason != "hidden":
            emit(Notice(f"{skipped.name}: not a lecture ({skipped.reason})"))
    prepared = []
    chosen = select_lectures(scan, list(options.names))
    if options.shard is not None:
        chosen = lectures_of(options.shard, chosen)
    for lecture in chosen:
        try:
            digest = file_digest(lecture)
            if (
                options.retry_failed
                and not options.force
                and is_up_to_date(store, lecture.id, digest)
            ):
                emit(Notice(f"{lecture.id}: complete and unchanged, not run (--retry-failed)"))
                continue
            extraction = extract(lecture, max_bytes=settings.max_file_bytes)
        except LectureSkipped as exc:
            emit(LectureSkippedEvent(lecture.id, str(exc)))
            continue
        except OSError as exc:
            emit(LectureSkippedEvent(lecture.id, f"cannot read the file: {exc.strerror}"))
            continue
        for warning in extraction.warnings:
            emit(Notice(warning))
        prepared.append(PreparedLecture(lecture.id, chunked(settings, lecture, extraction), digest))
    return prepared


def chunked(settings: Settings, lecture: Lecture, extraction: Extraction) -> list[Chunk]:
    blocks = clean_blocks(extraction.blocks, lecture.kind)
    return chunk_blocks(lecture.id, blocks, settings.chunk_size, settings.chunk_overlap)


def course_chunks(
    settings: Settings, scan: LectureScan, prepared: Sequence[PreparedLecture]
) -> dict[str, list[Chunk]]:
    """Every readable lecture's chunks, the ones this run prepared and the others (not chosen,
    or up to date): the offline generator's distractor pool is the whole course, whichever
    lectures a run names."""
    chunks = {lecture.id: lecture.chunks for lecture in prepared}
    for lecture in scan.lectures:
        if lecture.id not in chunks:
            try:
                extraction = extract(lecture, max_bytes=settings.max_file_bytes)
            except (LectureSkipped, OSError):
                continue  # reported when a run chooses it; here it only adds no distractors
            chunks[lecture.id] = chunked(settings, lecture, extraction)
    return chunks


def llm_generator(settings: Settings, name: str, model: str, complete: Complete) -> LLMGenerator:
    return LLMGenerator(
        complete,
        name=name,
        model=model,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        max_corrections=settings.max_corrections,
        cards_per_chunk=(settings.cards_per_chunk_min, settings.cards_per_chunk_max),
        questions_per_card=settings.questions_per_card,
        max_questions_per_request=settings.max_questions_per_request,
        mix=settings.question_mix,
    )


def offline_generator(
    settings: Settings, chunks: Mapping[str, Sequence[Chunk]] | None = None
) -> OfflineGenerator:
    """The offline generator, given the course's chunks (``course_chunks``): short lectures
    take their quiz distractors from the course's other definitions."""
    return OfflineGenerator(settings.question_mix, chunks)


@asynccontextmanager
async def open_generator(
    settings: Settings,
    control: RunControl,
    emit: Listener,
    scan: LectureScan | None = None,
    lectures: Sequence[PreparedLecture] = (),
) -> AsyncIterator[ChosenGenerator]:
    """The generator the settings ask for; a provider's client is closed on the way out."""
    from flashgen.providers.factory import build_provider, choose_provider

    name, reason = choose_provider(settings)
    if name == "offline" and settings.batch:
        raise UsageError(
            f"--batch sends requests to a provider's batch API, and this run has none ({reason})",
            "choose one with --provider anthropic and set its API key",
        )
    if name == "offline":
        chunks = course_chunks(settings, scan, lectures) if scan is not None else None
        yield ChosenGenerator(offline_generator(settings, chunks), reason)
        return
    prices = PriceTable.load(settings.prices_file)
    provider = build_provider(name, settings, prices)
    guarded = control.guard(provider)
    budget = None
    if settings.budget is not None:
        if not prices.is_known(provider.model):
            await provider.aclose()
            raise ConfigError(
                f"--budget needs a price for model {provider.model!r}, and the price table "
                "has none",
                "add the model to a TOML prices file and set FLASHGEN_PRICES_FILE",
            )
        thinking = thinking_tokens(provider.name, provider.model, settings.gemini_thinking_budget)
        budget = Budget(settings.budget, prices, provider.model, thinking)
        guarded = budget.guard(guarded)
    scheduler = Scheduler(
        guarded,
        settings.concurrency,
        RetryPolicy(max_retries=settings.max_retries),
        on_retry=lambda error, delay: emit(RetryScheduled(str(error), delay)),
        limits=RateLimits(settings.rpm, settings.itpm, settings.otpm),
        hedging=HedgePolicy() if settings.hedge and budget is None else None,
        on_hedge=lambda: emit(HedgeSent()),
        deadline=DeadlinePolicy(longest=settings.timeout),
        overload=OverloadPolicy(patience=settings.overload_patience),
    )
    # A stop request drops every queued call and every retry wait at once.
    control.on_stop(lambda: scheduler.stop(control.interrupted))
    batch = None
    try:
        if settings.batch:
            batch = open_batches(settings, name, prices, emit, control, scheduler, budget)
        complete = batch.complete if batch is not None else scheduler.complete
        generator = llm_generator(settings, name, provider.model, complete)
        yield ChosenGenerator(generator, reason, budget, scheduler, batch)
    finally:
        if batch is not None:
            await batch.aclose()
        await provider.aclose()


def open_batches(
    settings: Settings,
    name: str,
    prices: PriceTable,
    emit: Listener,
    control: RunControl,
    scheduler: Scheduler,
    budget: Budget | None,
) -> BatchComplete:
    """``--batch``: the provider's batch API, the batch state beside the task cache, and live
    calls through the scheduler for ``--batch-fallback live``."""
    from flashgen.providers.factory import build_batch_api

    options = BatchOptions(
        live_fallback=settings.batch_fallback == "live",
        wait=settings.batch_wait,
        poll_seconds=settings.batch_poll_seconds,
        settle_seconds=settings.batch_settle_seconds,
    )
    live = scheduler.complete if options.live_fallback else None
    api = build_batch_api(name, settings, prices)
    state = BatchState(batch_state_path(settings))
    return BatchComplete(api, state, emit, control, options, live, budget)


def batch_state_path(settings: Settings) -> Path:
    return settings.cache_path.with_name(BATCH_FILE)


async def run_course(
    settings: Settings,
    scan: LectureScan,
    options: RunOptions,
    emit: Listener,
    control: RunControl | None = None,
) -> list[str]:
    """Everything ``flashgen run`` does between parsing its arguments and the summary; the ids
    of the batches left running (``--batch-no-wait``), if any."""
    left: list[str] = []
    control = control or RunControl()
    store = OutputStore(settings.output_dir, scan.course.id)
    check_writable(store)
    output_clock()  # a malformed SOURCE_DATE_EPOCH fails before any work
    if options.merge:
        merge_course(scan, store, emit)
        return left
    said = ""
    if options.shard is not None:
        settings, said = shard_settings(settings, options.shard)
    lectures = prepare(settings, scan, options, store, emit)
    if said:
        emit(Notice(f"{said}; {len(lectures)} of the course's {len(scan.lectures)} lectures"))
    cache = TaskCache(settings.cache_path)
    try:
        async with open_generator(settings, control, emit, scan, lectures) as chosen:
            generator = chosen.generator
            emit(GeneratorChosen(generator.name, generator.model, chosen.reason))
            coordinator = Coordinator(
                scan.course,
                generator,
                store,
                emit,
                language=settings.language or scan.course.language,
                sequential=settings.sequential,
                cache=cache,
                force=options.force,
                control=control,
                regenerate_rejected=options.regenerate_rejected,
                course_lectures=[lecture.id for lecture in scan.lectures],
                clock=output_clock,
                course_dedupe=options.shard is None,
            )
            with control.signals_handled(), fewer_collections():
                await coordinator.run(lectures)
            if chosen.scheduler is not None and chosen.scheduler.gave_up:
                emit(
                    Notice(
                        "the provider is overloaded; rerun later: it answered nothing but "
                        "overload refusals for too long, so flashgen stopped sending; every "
                        "validated result is saved and a rerun continues from there"
                    )
                )
            if chosen.batch is not None and chosen.batch.left:
                left = sorted(set(chosen.batch.left))
                emit(
                    Notice(
                        f"submitted; {len(left)} batch(es) still running ({', '.join(left)}): "
                        "run the same command again to collect the results (flashgen status "
                        "lists batches in flight)"
                    )
                )
                return left
            if chosen.budget is not None and chosen.budget.refused:
                emit(
                    Notice(
                        f"budget of ${chosen.budget.limit_usd:.2f} reached "
                        f"(${chosen.budget.spent_usd:.4f} spent); the tasks not run are listed "
                        "below: raise --budget or run again to continue"
                    )
                )
    finally:
        cache.close()
    if control.stopping:
        emit(Notice("interrupted: every validated result is saved; run again to finish"))
    return left
