"""The coordinator: concurrency cap, per-lecture pipelining, sequential mode, isolation."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from flashgen.errors import FatalProviderError
from flashgen.events import Event, TaskUpdate
from flashgen.generate.base import Generated, GenerationContext, Generator
from flashgen.generate.llm import LLMGenerator
from flashgen.generate.offline.generator import OfflineGenerator
from flashgen.ingest.chunking import chunk_blocks
from flashgen.ingest.discovery import load_course, scan_lectures
from flashgen.ingest.extract import extract
from flashgen.models import Block, Chunk, Course, Flashcard, QuizQuestion
from flashgen.output.report import RunSummary
from flashgen.output.store import OutputStore
from flashgen.providers.base import CompletionRequest
from flashgen.run.assemble import PreparedLecture
from flashgen.run.coordinator import Coordinator
from flashgen.run.scheduler import Scheduler
from flashgen.run.tasks import group_sizes
from tests.fakes import FakeProvider, card_json, prompt_reply

SAMPLE = Path(__file__).parents[2] / "courses"
FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def lectures(count: int, chunks: int) -> list[PreparedLecture]:
    text = "\n\n".join(f"# Part {i}\n\nParagraph {i} about photosynthesis." for i in range(chunks))
    return [
        PreparedLecture(f"lec-{n}", chunk_blocks(f"lec-{n}", [Block(text=text)], 50, 0))
        for n in range(count)
    ]


def coordinator(
    tmp_path: Path, generator: Generator, events: list[Event] | None = None, **options: Any
) -> Coordinator:
    course = Course(id="c", path=tmp_path, name="Course")
    sink = events if events is not None else []
    return Coordinator(
        course,
        generator,
        OutputStore(tmp_path / "out", "c"),
        sink.append,
        language="English",
        clock=lambda: FIXED_TIME,
        **options,
    )


async def test_concurrency_cap_is_never_exceeded_and_is_reached(tmp_path: Path) -> None:
    provider = FakeProvider(delay=0.01)
    scheduler = Scheduler(provider, concurrency=3)
    generator = LLMGenerator(scheduler.complete, name="fake", model="fake-1")
    prepared = lectures(4, 3)
    assert sum(len(p.chunks) for p in prepared) == 12
    outcomes = await coordinator(tmp_path, generator, quiz_group_size=10).run(prepared)
    assert provider.max_in_flight == 3
    assert all(o.status == "complete" and o.cards > 0 for o in outcomes)
    # a flashcard call per chunk, and a quiz call per chunk and level (its cards fit one group)
    assert len(provider.requests) == 12 + 12 * 4


class GatedGenerator:
    """Lecture 'slow' cannot finish its flashcards until lecture 'fast' has started quizzes."""

    name = "gated"
    model = "gated-1"
    identity: ClassVar[dict[str, str]] = {"generator": "gated"}
    quiz_group_size = None
    questions_per_card = 1
    sizing = None

    def __init__(self) -> None:
        self.fast_quiz_started = asyncio.Event()
        self.order: list[str] = []

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        if ctx.lecture_id == "slow":
            await self.fast_quiz_started.wait()
        self.order.append(f"cards:{ctx.lecture_id}")
        return await OfflineGenerator().flashcards(chunk, ctx)

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        if ctx.lecture_id == "fast":
            self.fast_quiz_started.set()
        self.order.append(f"quiz:{ctx.lecture_id}")
        return await OfflineGenerator().quiz(cards, level, ctx)


def sample_lectures() -> tuple[Course, list[PreparedLecture]]:
    course = load_course(SAMPLE, "sample-course")
    prepared = [
        PreparedLecture(lec.id, chunk_blocks(lec.id, extract(lec).blocks, 6000, 300))
        for lec in scan_lectures(course).lectures
    ]
    return course, prepared


async def test_a_lecture_quizzes_start_before_another_lecture_finishes_cards(
    tmp_path: Path,
) -> None:
    _, prepared = sample_lectures()
    slow = PreparedLecture("slow", prepared[0].chunks)
    fast = PreparedLecture("fast", prepared[1].chunks)
    generator = GatedGenerator()
    # With a barrier between phases this would deadlock; the timeout turns that into a failure.
    await asyncio.wait_for(coordinator(tmp_path, generator).run([slow, fast]), timeout=10)
    assert generator.order.index("quiz:fast") < generator.order.index("cards:slow")


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


async def test_sequential_gives_the_same_files_as_concurrent(tmp_path: Path) -> None:
    course, prepared = sample_lectures()
    for name, sequential in (("seq", True), ("par", False)):
        store = OutputStore(tmp_path / name, course.id)
        await Coordinator(
            course,
            OfflineGenerator(),
            store,
            lambda e: None,
            language="English",
            sequential=sequential,
            clock=lambda: FIXED_TIME,
        ).run(prepared)
    sequential_files, concurrent_files = tree(tmp_path / "seq"), tree(tmp_path / "par")
    assert len(sequential_files) == 18  # 5 files and review.json per lecture
    assert sequential_files == concurrent_files


async def test_sequential_runs_one_task_at_a_time_in_order(tmp_path: Path) -> None:
    events: list[Event] = []
    provider = FakeProvider(delay=0.005)
    generator = LLMGenerator(Scheduler(provider, concurrency=8).complete, name="f", model="f")
    await coordinator(tmp_path, generator, events, sequential=True, quiz_group_size=10).run(
        lectures(2, 2)
    )
    assert provider.max_in_flight == 1
    started = [e.task_id for e in events if isinstance(e, TaskUpdate) and e.status == "started"]
    # A chunk's quiz tasks follow its flashcard task, level by level, before the next chunk.
    assert started[:6] == [
        "lec-0/flashcards/chunk-0",
        "lec-0/quiz/level-1/chunk-0/group-0",
        "lec-0/quiz/level-2/chunk-0/group-0",
        "lec-0/quiz/level-3/chunk-0/group-0",
        "lec-0/quiz/level-4/chunk-0/group-0",
        "lec-0/flashcards/chunk-1",
    ]


class FailingGenerator(OfflineGenerator):
    def __init__(self, fail_chunk: int, error: Exception) -> None:
        super().__init__()
        self.fail_chunk = fail_chunk
        self.error = error

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        if chunk.index == self.fail_chunk:
            raise self.error
        return await super().flashcards(chunk, ctx)


async def test_one_failed_task_does_not_stop_the_others(tmp_path: Path) -> None:
    _, prepared = sample_lectures()
    split = [
        PreparedLecture(p.id, chunk_blocks(p.id, [Block(text=c.text) for c in p.chunks], 1200, 100))
        for p in prepared
    ]
    assert all(len(p.chunks) >= 2 for p in split)
    events: list[Event] = []
    generator = FailingGenerator(fail_chunk=1, error=RuntimeError("boom"))
    outcomes = await coordinator(tmp_path, generator, events).run(split)
    assert [o.status for o in outcomes] == ["partial"] * 3
    store = OutputStore(tmp_path / "out", "c")
    saved = store.load_flashcards(split[0].id)
    assert saved is not None and saved.metadata.status == "partial"
    assert saved.metadata.failed_tasks[0].task.endswith("chunk-1")
    assert "RuntimeError: boom" in saved.metadata.failed_tasks[0].error
    assert saved.flashcards and store.load_quiz(split[0].id, 4) is not None
    # the run report keeps the traceback of the bug (and only of failed tasks)
    summary = RunSummary("c")
    for event in events:
        summary(event)
    tasks = summary.to_dict()["tasks"]
    (failed, *_) = [t for t in tasks if t["status"] == "failed"]
    assert "RuntimeError: boom" in failed["traceback"] and "Traceback" in failed["traceback"]
    assert all("traceback" not in t for t in tasks if t["status"] != "failed")


async def test_a_fatal_provider_error_stops_issuing_new_tasks(tmp_path: Path) -> None:
    events: list[Event] = []
    generator = FailingGenerator(fail_chunk=0, error=FatalProviderError("invalid API key"))
    await coordinator(tmp_path, generator, events, sequential=True).run(lectures(2, 3))
    statuses = [e.status for e in events if isinstance(e, TaskUpdate) and e.status != "started"]
    assert statuses[0] == "failed"
    assert "skipped" in statuses


@pytest.mark.parametrize("level", [1, 2, 3, 4])
async def test_quiz_files_record_level_and_sources(tmp_path: Path, level: int) -> None:
    course, prepared = sample_lectures()
    store = OutputStore(tmp_path, course.id)
    await Coordinator(course, OfflineGenerator(), store, lambda e: None, language="English").run(
        prepared[:1]
    )
    quiz = store.load_quiz(prepared[0].id, level)
    cards = store.load_flashcards(prepared[0].id)
    assert quiz is not None and cards is not None
    assert quiz.metadata.difficulty_level == level and quiz.questions
    card_ids = {c.id for c in cards.flashcards}
    assert all(set(q.source_flashcard_ids) <= card_ids for q in quiz.questions)


class ChunkGatedGenerator(LLMGenerator):
    """A lecture's chunk 1 cannot finish its flashcards until chunk 0's quizzes have started."""

    def __init__(self, provider: FakeProvider) -> None:
        super().__init__(Scheduler(provider, concurrency=8).complete, name="f", model="f")
        self.chunk0_quizzed = asyncio.Event()
        self.order: list[str] = []

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        if chunk.index == 1:
            await self.chunk0_quizzed.wait()
        self.order.append(f"cards:{chunk.index}")
        return await super().flashcards(chunk, ctx)

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        chunks = {card.source.chunk for card in cards}
        if chunks == {0}:
            self.chunk0_quizzed.set()
        self.order.append(f"quiz:{sorted(chunks)}")
        return await super().quiz(cards, level, ctx)


async def test_a_chunk_quizzes_start_before_the_lecture_other_chunks_have_cards(
    tmp_path: Path,
) -> None:
    generator = ChunkGatedGenerator(FakeProvider())
    # A barrier at the end of the lecture's flashcards would deadlock; the timeout fails it.
    outcomes = await asyncio.wait_for(
        coordinator(tmp_path, generator).run(lectures(1, 2)), timeout=10
    )
    assert outcomes[0].status == "complete"
    assert generator.order.index("quiz:[0]") < generator.order.index("cards:1")
    # Groups never mix chunks.
    assert all(entry in ("cards:0", "cards:1", "quiz:[0]", "quiz:[1]") for entry in generator.order)
    saved = OutputStore(tmp_path / "out", "c").load_flashcards("lec-0")
    assert saved is not None and saved.metadata.status == "complete"


async def test_llm_sequential_gives_the_same_files_as_concurrent(tmp_path: Path) -> None:
    for name, sequential in (("seq", True), ("par", False)):
        generator = LLMGenerator(
            Scheduler(FakeProvider(), concurrency=1 if sequential else 8).complete,
            name="f",
            model="f",
        )
        await coordinator(tmp_path / name, generator, sequential=sequential).run(lectures(2, 3))
    sequential_files, concurrent_files = tree(tmp_path / "seq"), tree(tmp_path / "par")
    assert len(sequential_files) == 12  # with review.json per lecture
    assert sequential_files == concurrent_files


@pytest.mark.parametrize(
    ("cards", "size", "sizes"),
    [
        (0, 3, []),
        (1, 3, [1]),
        (3, 3, [3]),
        (4, 3, [2, 2]),
        (5, 3, [3, 2]),
        (7, 3, [3, 2, 2]),
        (6, 3, [3, 3]),
        (20, 6, [5, 5, 5, 5]),
        (7, None, [7]),
    ],
)
def test_card_groups_are_as_even_as_the_cap_allows(
    cards: int, size: int | None, sizes: list[int]
) -> None:
    assert group_sizes(cards, size) == sizes


class DuplicateAcrossChunks(LLMGenerator):
    """Every chunk yields the same two cards, worded a little differently (as overlapping chunks
    can), so their ids differ: one copy each must survive, and the questions made from the
    others must cite it."""

    def __init__(self) -> None:
        self.provider = FakeProvider(reply=self.reply)
        super().__init__(Scheduler(self.provider, concurrency=4).complete, name="f", model="f")

    @staticmethod
    def reply(request: CompletionRequest) -> str:
        if request.schema_name == "flashcards":
            part = re.search(r"part (\d+)", request.messages[0].content)
            assert part is not None
            cards = [card_json("osmosis"), card_json("diffusion")]
            for card in cards:
                card["question"] = f"{card['question']}{'!' * int(part.group(1))}"
            return json.dumps({"flashcards": cards})
        return prompt_reply(request.messages[0].content)


async def test_questions_of_a_duplicate_card_cite_the_card_kept(tmp_path: Path) -> None:
    generator = DuplicateAcrossChunks()
    outcomes = await coordinator(tmp_path, generator).run(lectures(1, 3))
    store = OutputStore(tmp_path / "out", "c")
    cards = store.load_flashcards("lec-0")
    assert cards is not None and outcomes[0].status == "complete"
    kept = {card.id for card in cards.flashcards}
    assert len(kept) == 2 and {card.source.chunk for card in cards.flashcards} == {0}
    quizzed = {
        card_id
        for request in generator.provider.requests
        if request.schema_name == "questions"
        for card_id in re.findall(r'"id": "([^"]+)"', request.messages[0].content)
    }
    assert len(quizzed) == 6  # the copies of chunks 1 and 2 were quizzed too
    for level in (1, 2, 3, 4):
        quiz = store.load_quiz("lec-0", level)
        assert quiz is not None and quiz.questions
        assert all(set(q.source_flashcard_ids) <= kept for q in quiz.questions)


async def test_a_failed_task_reports_what_its_paid_attempts_cost(tmp_path: Path) -> None:
    provider = FakeProvider(reply=lambda request: "{}")  # never a usable card
    scheduler = Scheduler(provider, concurrency=2)
    generator = LLMGenerator(scheduler.complete, name="fake", model="fake-1", max_corrections=2)
    summary = RunSummary("c")
    events: list[Event] = []
    await coordinator(tmp_path, generator, events).run(lectures(1, 1))
    for event in events:
        summary(event)
    report = summary.to_dict()
    (failed,) = [t for t in report["tasks"] if t["status"] == "failed"]
    assert failed["calls"] == 3  # the first ask and two corrections, each paid for
    assert failed["usage"]["output_tokens"] == 3 * 50
    assert report["totals"]["usage"]["cost_usd"] == pytest.approx(0.001 * 3)
