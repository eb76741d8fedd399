"""Fault injection: rate limits, 5xx, timeouts, malformed and truncated output over many tasks.

Every task must end succeeded or recorded as failed, no validated result may be lost, and a
rerun must call the provider only for what is missing.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from flashgen.errors import (
    FatalProviderError,
    RateLimited,
    RequestRejected,
    TransientProviderError,
)
from flashgen.events import Event, TaskUpdate
from flashgen.generate.llm import LLMGenerator
from flashgen.ingest.chunking import chunk_blocks
from flashgen.models import Block, Course, Usage
from flashgen.output.cache import TaskCache
from flashgen.output.store import OutputStore
from flashgen.providers.base import Completion, CompletionRequest, Provider
from flashgen.run.assemble import PreparedLecture
from flashgen.run.coordinator import Coordinator
from flashgen.run.interrupt import RunControl
from flashgen.run.policies import RetryPolicy
from flashgen.run.scheduler import Scheduler
from tests.fakes import model_reply

COURSE = Course(id="bio", path=Path("."), name="Biology")
WORDS = [
    "membrane",
    "ribosome",
    "nucleus",
    "protein",
    "enzyme",
    "glucose",
    "chlorophyll",
    "mitochondria",
    "vesicle",
    "cytoplasm",
    "chromosome",
    "organelle",
]


@dataclass
class FaultyProvider:
    """Fails a share of calls, each in one of five ways, from a seeded generator."""

    share: float
    seed: int = 7
    delay: float = 0.0
    name: str = "faulty"
    model: str = "faulty-1"
    calls: list[CompletionRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls.append(request)
        await asyncio.sleep(self.delay)
        stop: Literal["end", "max_tokens", "other"] = "end"
        text = model_reply(request)
        if self._random.random() < self.share:
            fault = self._random.choice(["429", "503", "timeout", "malformed", "truncated"])
            if fault == "429":
                raise RateLimited("429 Too Many Requests", retry_after=0.0)
            if fault == "503":
                raise TransientProviderError("503 Service Unavailable")
            if fault == "timeout":
                raise TransientProviderError("the request timed out")
            if fault == "malformed":
                text = text[: len(text) // 2]
            else:
                stop = "max_tokens"
        return Completion(
            text=text,
            usage=Usage(input_tokens=10, output_tokens=5),
            model=self.model,
            stop_reason=stop,
        )

    async def aclose(self) -> None:
        return None


async def no_sleep(_: float) -> None:
    return None


def course_lectures(count: int = 8) -> list[PreparedLecture]:
    lectures = []
    for n in range(count):
        paragraphs = [
            f"# Part {p}\n\nThe {WORDS[(n + p) % 12]} and {WORDS[(n * p + 3) % 12]} "
            f"work together in lecture {n}."
            for p in range(3)
        ]
        blocks = [Block(text="\n\n".join(paragraphs))]
        lectures.append(PreparedLecture(f"lec-{n}", chunk_blocks(f"lec-{n}", blocks, 80, 0)))
    return lectures


async def run(
    provider: Provider,
    out: Path,
    force: bool = False,
    control: RunControl | None = None,
    retries: int = 1,
    sequential: bool = False,
) -> list[Event]:
    control = control or RunControl()
    # Wired as the runner wires it: the scheduler sees the provider through the run control.
    scheduler = Scheduler(
        control.guard(provider),
        concurrency=4,
        policy=RetryPolicy(max_retries=retries),
        sleep=no_sleep,
    )
    generator = LLMGenerator(scheduler.complete, name="faulty", model="faulty-1", max_corrections=1)
    events: list[Event] = []
    cache = TaskCache(out / "cache.sqlite3")
    try:
        await Coordinator(
            COURSE,
            generator,
            OutputStore(out, COURSE.id),
            events.append,
            language="English",
            quiz_group_size=2,
            cache=cache,
            force=force,
            control=control,
            sequential=sequential,
        ).run(course_lectures())
    finally:
        cache.close()
    return events


def final_updates(events: list[Event]) -> dict[str, TaskUpdate]:
    return {e.task_id: e for e in events if isinstance(e, TaskUpdate) and e.status != "started"}


def saved_cards(out: Path) -> dict[str, tuple[str, str]]:
    """Card id → (lecture, question) for every saved card."""
    cards = {}
    for path in out.rglob("flashcards.json"):
        for card in json.loads(path.read_text())["flashcards"]:
            cards[card["id"]] = (path.parent.name, card["question"])
    return cards


def saved_ids(out: Path) -> set[str]:
    ids = set()
    for path in out.rglob("*.json"):
        data = json.loads(path.read_text())
        ids |= {item["id"] for item in data.get("flashcards", []) + data.get("questions", [])}
    return ids


async def test_every_task_ends_recorded_and_a_rerun_does_only_the_rest(tmp_path: Path) -> None:
    first = final_updates(await run(FaultyProvider(share=0.35), tmp_path))
    statuses = {u.status for u in first.values()}
    assert statuses <= {"succeeded", "failed"} and "failed" in statuses
    failed = {t for t, u in first.items() if u.status == "failed"}
    cards_after_first = saved_cards(tmp_path)
    assert cards_after_first

    # Quiz tasks of a lecture whose cards changed get new input; everything else is cached.
    changed = {t.split("/")[0] for t in failed if "/flashcards/" in t}
    expected = {t for t in failed if t.split("/")[0] not in changed}
    expected_quiz_lectures = changed

    healthy = FaultyProvider(share=0.0)
    second = final_updates(await run(healthy, tmp_path))
    ran = {t for t, u in second.items() if u.status == "succeeded"}
    assert expected <= ran
    assert all(t in expected or t.split("/")[0] in expected_quiz_lectures for t in ran)
    assert len(healthy.calls) == len(ran)
    assert {u.status for u in second.values()} <= {"succeeded", "cached"}
    # Every card saved the first time is still there, or an earlier lecture now holds the same
    # card (the course-wide dedupe keeps the earlier lecture's copy).
    final = saved_cards(tmp_path)
    for card_id, (lecture, question) in cards_after_first.items():
        if card_id not in final:
            assert any(q == question and lec < lecture for lec, q in final.values()), card_id


async def test_a_failing_forced_rerun_keeps_every_earlier_result(tmp_path: Path) -> None:
    await run(FaultyProvider(share=0.0), tmp_path)
    before = saved_ids(tmp_path)
    broken = FaultyProvider(share=1.0, seed=3)
    updates = final_updates(await run(broken, tmp_path, force=True, retries=0))
    assert any(u.status == "failed" for u in updates.values())
    assert before <= saved_ids(tmp_path)
    store = OutputStore(tmp_path, COURSE.id)
    cards = store.load_flashcards("lec-0")
    assert cards is not None and cards.flashcards and cards.metadata.status != "complete"


async def test_interruption_lets_in_flight_calls_finish_and_saves_them(tmp_path: Path) -> None:
    control = RunControl(grace=5.0)
    provider = FaultyProvider(share=0.0, delay=0.2)
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, control.stop)
    updates = final_updates(await run(provider, tmp_path, control=control))
    succeeded = [t for t, u in updates.items() if u.status == "succeeded"]
    skipped = [u for u in updates.values() if u.status == "skipped"]
    assert len(succeeded) == 4  # the calls in flight when the stop came (concurrency 4)
    assert skipped and all("interrupted" in u.error for u in skipped)
    assert len(provider.calls) == 4
    saved = OutputStore(tmp_path, COURSE.id).load_flashcards(succeeded[0].split("/")[0])
    assert saved is not None and saved.flashcards

    resumed = FaultyProvider(share=0.0)
    again = final_updates(await run(resumed, tmp_path))
    assert sum(u.status == "cached" for u in again.values()) == 4
    assert all(u.status in ("cached", "succeeded") for u in again.values())


async def test_calls_past_the_grace_period_are_cancelled(tmp_path: Path) -> None:
    control = RunControl(grace=0.05)
    provider = FaultyProvider(share=0.0, delay=30)
    asyncio.get_running_loop().call_later(0.05, control.stop)
    updates = await asyncio.wait_for(run(provider, tmp_path, control=control), timeout=5)
    assert {u.status for u in final_updates(updates).values()} == {"skipped"}


@dataclass
class RefusingProvider:
    """Answers like a model, except requests whose prompt holds ``marker``: those get
    ``error``, as a real API's 400 for that request alone (or its 401 for every request)."""

    marker: str
    error: Exception
    name: str = "refusing"
    model: str = "refusing-1"
    calls: list[CompletionRequest] = field(default_factory=list)

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls.append(request)
        if self.marker in request.messages[0].content:
            raise self.error
        return Completion(model_reply(request), Usage(input_tokens=10, output_tokens=5), self.model)

    async def aclose(self) -> None:
        return None


async def refusing_run(provider: RefusingProvider, out: Path) -> dict[str, TaskUpdate]:
    # One task at a time: the refused request comes first, the rest after it.
    return final_updates(await run(provider, out, retries=5, sequential=True))


async def test_a_request_s_own_400_fails_only_its_task(tmp_path: Path) -> None:
    too_long = RequestRejected("openai rejected this request (HTTP 400 context_length_exceeded)")
    provider = RefusingProvider("lecture 0", too_long)

    updates = await refusing_run(provider, tmp_path)

    failed = {task for task, update in updates.items() if update.status == "failed"}
    assert failed and all(task.startswith("lec-0/flashcards") for task in failed)
    assert all(u.status == "succeeded" for t, u in updates.items() if not t.startswith("lec-0"))
    assert sum(1 for r in provider.calls if "lecture 0" in r.messages[0].content) == len(failed)


async def test_a_refused_key_stops_the_run(tmp_path: Path) -> None:
    bad_key = FatalProviderError("openai rejected the API key or its permissions (HTTP 401)")
    provider = RefusingProvider("lecture 0", bad_key)

    updates = await refusing_run(provider, tmp_path)

    assert len(provider.calls) == 1
    skipped = [u for u in updates.values() if u.status == "skipped"]
    assert len(skipped) == len(updates) - 1 and "API key" in skipped[0].error
