"""The benchmarks' simulated server and generator: output sized from what a request asks for,
cut off at its max_tokens, and the same max_tokens rule as LLMGenerator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.sim import LatencyModel, ServerLimits, SimProvider, SimTime, items_asked
from benchmarks.simgen import SimGenerator, mean_output_tokens_per_call
from flashgen.generate.base import GenerationContext
from flashgen.generate.llm import Complete, LLMGenerator
from flashgen.models import Chunk, Course, Flashcard
from flashgen.providers.base import Completion, CompletionRequest, Message, Priority
from flashgen.run.scheduler import Scheduler
from tests.vclock import VirtualClockLoop

COURSE = Course(id="bench", path=Path("."), name="Benchmark course")
CTX = GenerationContext(COURSE, "lec-000", "English")
CHUNK = Chunk(lecture_id="lec-000", index=0, text="Part 0. " + "word " * 1000)
T = TypeVar("T")


def virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(main())


def sim(tokens_per_card: float = 250.0, output_spread: float = 0.25) -> SimProvider:
    latency = LatencyModel(median=1.0, tokens_per_card=tokens_per_card, output_spread=output_spread)
    return SimProvider(latency, ServerLimits(), SimTime())


def request(prompt: str, max_tokens: int, schema: str = "flashcards") -> CompletionRequest:
    return CompletionRequest("system", (Message("user", prompt),), max_tokens, 0.3, None, schema)


def test_the_items_asked_are_read_from_the_last_user_message_that_names_them() -> None:
    quiz = request("Write exactly 17 questions from these flashcards:", 4000, "questions")
    assert items_asked(quiz, "questions") == 17
    cards = request("Write between 4 and 6 flashcards for the most important ideas", 4000)
    assert items_asked(cards, "flashcards") == 6
    follow_up = CompletionRequest(
        "system",
        (
            *quiz.messages,
            Message("assistant", "{}"),
            Message("user", "3 more questions are needed. Write 4 new questions, JSON only."),
        ),
        4000,
        0.3,
    )
    assert items_asked(follow_up, "questions") == 4


def test_output_follows_the_items_and_is_cut_off_at_max_tokens() -> None:
    async def main() -> tuple[list[Completion], SimProvider]:
        provider = sim()
        prompts = [f"Lecture: lec-{n:03d}, part 1\nWrite 6 flashcards." for n in range(40)]
        roomy = [await provider.complete(request(p, 8192)) for p in prompts]
        tight = [await provider.complete(request(p, 1500)) for p in prompts]
        return roomy + tight, provider

    replies, provider = virtual(main)
    roomy, tight = replies[:40], replies[40:]
    sizes = [r.usage.output_tokens for r in roomy]
    assert all(1125 <= size <= 1875 for size in sizes)  # 6 × 250, ± 25%
    assert len(set(sizes)) > 30  # seeded noise, not a constant
    assert all(not r.truncated for r in roomy)
    # Over 1,500 tokens the reply stops there, says so, and is no valid JSON.
    cut = [r for r in tight if r.truncated]
    assert cut and all(r.usage.output_tokens == 1500 and r.stop_reason == "max_tokens" for r in cut)
    assert all(r.usage.output_tokens < 1500 for r in tight if not r.truncated)
    assert [r.output_tokens for r in provider.records[40:]] == [
        r.usage.output_tokens for r in tight
    ]


def test_llm_generator_asks_again_with_more_room_when_the_sim_cuts_it_off() -> None:
    async def main() -> tuple[list[Flashcard], list[int]]:
        provider = sim(tokens_per_card=600.0, output_spread=0.0)  # 3,600 for six cards
        seen: list[int] = []

        async def complete(request: CompletionRequest, priority: Priority) -> Completion:
            seen.append(request.max_tokens)
            return await scheduler.complete(request, priority)

        scheduler = Scheduler(provider, concurrency=2)
        generator = LLMGenerator(complete, name="sim", model="sim-1", max_corrections=0)
        result = await generator.flashcards(CHUNK, CTX)
        return result.items, seen

    cards, seen = virtual(main)
    assert len(cards) == 6 and seen == [2648, 5296]


def test_sim_generator_asks_for_what_llm_generator_asks_for() -> None:
    async def main() -> dict[str, list[tuple[str, int]]]:
        sent: dict[str, list[tuple[str, int]]] = {"sim": [], "llm": []}

        def recorder(name: str, provider: SimProvider) -> Complete:
            async def complete(request: CompletionRequest, priority: Priority) -> Completion:
                sent[name].append((request.schema_name.removeprefix("sim-"), request.max_tokens))
                return await provider.complete(request)

            return complete

        simgen = SimGenerator(recorder("sim", sim()))
        llm = LLMGenerator(recorder("llm", sim()), name="sim", model="sim-1")
        for generator in (simgen, llm):
            cards = (await generator.flashcards(CHUNK, CTX)).items
            await generator.quiz(cards[: generator.quiz_group_size], 1, CTX)
        return sent

    sent = virtual(main)
    assert sent["sim"] == sent["llm"] == [("flashcards", 2648), ("questions", 3698)]


def test_the_otpm_unit_is_the_mean_output_of_a_call() -> None:
    # Per chunk: one call for 6 cards (250 tokens each) and 8 quiz calls (2 groups of 3 cards,
    # 4 levels) for 17 questions (130 tokens each).
    assert mean_output_tokens_per_call(LatencyModel()) == (6 * 250 + 8 * 17 * 130) / 9
