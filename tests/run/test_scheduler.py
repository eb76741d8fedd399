"""The scheduler and its rate limiter: priorities, the cap, retries, buckets, hints and pacing.

Time-based tests run on a virtual clock (``tests.vclock``): sleeping moves the loop's clock
without waiting, so they are instant and exact, and never assert on wall-clock time.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from flashgen.errors import FatalProviderError, RateLimited, TransientProviderError
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, Message, RateLimitHints
from flashgen.run.pacing import PacingPolicy
from flashgen.run.policies import DeadlinePolicy, HedgePolicy, RetryPolicy
from flashgen.run.ratelimit import (
    HEADROOM,
    OUTPUT,
    REQUESTS,
    RateLimiter,
    RateLimits,
    TokenBucket,
    request_cost,
)
from flashgen.run.scheduler import Scheduler
from flashgen.run.slots import PrioritySlots
from tests.vclock import VirtualClockLoop

T = TypeVar("T")
REQUEST = CompletionRequest(
    "system", (Message("user", "x" * 400),), max_tokens=1000, temperature=0.3
)


def virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(main())


def now() -> float:
    return asyncio.get_running_loop().time()


Step = Exception | float | RateLimitHints  # raise it / answer after that many seconds / hints


@dataclass
class Scripted:
    """Plays ``script`` one step per call (then answers at once); records what happened."""

    script: Sequence[Step] = ()
    name: str = "scripted"
    model: str = "scripted-1"
    calls: list[float] = field(default_factory=list)  # when each call arrived
    in_flight: int = 0
    max_in_flight: int = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls.append(now())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            step, self.script = (self.script[0], self.script[1:]) if self.script else (0.0, ())
            if isinstance(step, Exception):
                raise step
            await asyncio.sleep(step if isinstance(step, float) else 0.0)
            hints = step if isinstance(step, RateLimitHints) else RateLimitHints()
            return Completion(
                "{}", Usage(input_tokens=100, output_tokens=200), self.model, rate_limits=hints
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None


class Recorder:
    """An injected sleep that records every delay (and lets that much virtual time pass)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds)


def no_jitter(retries: int = 5) -> RetryPolicy:
    return RetryPolicy(max_retries=retries, initial_backoff=1.0, max_backoff=60.0, jitter=0.0)


# --- PrioritySlots -------------------------------------------------------------------------------


def test_waiters_are_admitted_smallest_priority_first_and_fifo_among_equals() -> None:
    async def main() -> list[str]:
        slots = PrioritySlots(1)
        order: list[str] = []

        async def worker(name: str, priority: tuple[int, ...]) -> None:
            await slots.acquire(priority)
            try:
                order.append(name)
                await asyncio.sleep(1)
            finally:
                slots.release()

        holder = asyncio.create_task(worker("holder", (9,)))
        await asyncio.sleep(0)
        tasks = [
            asyncio.create_task(worker(name, priority))
            for name, priority in [
                ("fc-late", (1, 2)),
                ("quiz-a", (0, 1)),
                ("fc-early", (1, 0)),
                ("quiz-b", (0, 1)),
                ("quiz-first", (0, 0)),
            ]
        ]
        await asyncio.gather(holder, *tasks)
        return order

    assert virtual(main) == ["holder", "quiz-first", "quiz-a", "quiz-b", "fc-early", "fc-late"]


def test_the_cap_is_never_exceeded() -> None:
    async def main() -> tuple[Scripted, Scheduler]:
        provider = Scripted([float(n % 7) for n in range(60)])
        scheduler = Scheduler(provider, concurrency=4, hedging=HedgePolicy())
        await asyncio.gather(*(scheduler.complete(REQUEST, (n % 3,)) for n in range(60)))
        assert scheduler.slots.in_use == 0
        return provider, scheduler

    provider, scheduler = virtual(main)
    assert provider.max_in_flight == 4  # hedges included: they take a slot like any call
    assert len(provider.calls) == 60 + scheduler.hedges_sent


def test_a_waiter_cancelled_while_waiting_leaks_no_slot() -> None:
    async def main() -> None:
        slots = PrioritySlots(1)
        await slots.acquire()
        waiter = asyncio.create_task(slots.acquire((0,)))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        slots.release()
        assert slots.in_use == 0
        await asyncio.wait_for(slots.acquire(), timeout=1)  # free at once
        assert slots.in_use == 1

    virtual(main)


def test_a_waiter_cancelled_just_as_it_was_admitted_gives_the_slot_back() -> None:
    async def main() -> None:
        slots = PrioritySlots(1)
        await slots.acquire()
        waiter = asyncio.create_task(slots.acquire())
        await asyncio.sleep(0)
        slots.release()  # hands the slot to the waiter, which has not run yet
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert slots.in_use == 0

    virtual(main)


# --- retries -------------------------------------------------------------------------------------


def test_retry_after_is_honoured_for_each_retry() -> None:
    sleep = Recorder()

    async def main() -> Scripted:
        provider = Scripted([RateLimited("429", retry_after=7.5), RateLimited("429", 3.0)])
        scheduler = Scheduler(provider, 2, no_jitter(), sleep=sleep)
        await scheduler.complete(REQUEST)
        return provider

    provider = virtual(main)
    assert sleep.delays == [7.5, 3.0]
    assert len(provider.calls) == 3
    assert provider.calls[1] - provider.calls[0] >= 7.5
    assert provider.calls[2] - provider.calls[1] >= 3.0


def test_a_fatal_error_is_raised_at_once_and_frees_its_slot() -> None:
    sleep = Recorder()

    async def main() -> tuple[Scripted, Scheduler]:
        provider = Scripted([FatalProviderError("bad key")])
        scheduler = Scheduler(provider, 2, no_jitter(), sleep=sleep)
        with pytest.raises(FatalProviderError):
            await scheduler.complete(REQUEST)
        return provider, scheduler

    provider, scheduler = virtual(main)
    assert len(provider.calls) == 1
    assert sleep.delays == []
    assert scheduler.slots.in_use == 0


def test_transient_errors_are_retried_with_backoff_up_to_max_retries() -> None:
    sleep = Recorder()
    retried: list[float] = []

    async def main() -> Scripted:
        provider = Scripted([TransientProviderError("503") for _ in range(10)])
        scheduler = Scheduler(
            provider,
            2,
            no_jitter(retries=3),
            sleep=sleep,
            on_retry=lambda _, delay: retried.append(delay),
        )
        with pytest.raises(TransientProviderError):
            await scheduler.complete(REQUEST)
        return provider

    provider = virtual(main)
    assert len(provider.calls) == 4
    assert sleep.delays == retried == [1.0, 2.0, 4.0]


# --- buckets -------------------------------------------------------------------------------------


def test_a_bucket_admits_what_it_holds_and_refunds_unused_output() -> None:
    limiter = RateLimiter(RateLimits(output_tokens_per_minute=60_000), PacingPolicy())
    limiter.advance(0.0)
    bucket = limiter.buckets[OUTPUT]
    assert bucket is not None
    cost = request_cost(REQUEST)  # 1000 output tokens reserved
    start = bucket.level
    assert start == pytest.approx(6 * 1000 * HEADROOM)  # six seconds of refill, not a minute
    tickets = []
    while limiter.wait_time(cost) == 0.0:
        tickets.append(limiter.charge(cost, 0.0))
    assert len(tickets) == int(start // 1000)
    wait = limiter.wait_time(cost)
    assert wait > 0
    limiter.settle(tickets[0], input_tokens=100, output_tokens=200)  # 800 unused come back
    assert bucket.level == pytest.approx(start - len(tickets) * 1000 + 800)
    assert limiter.wait_time(cost) < wait
    limiter.advance(60.0)
    assert bucket.level == pytest.approx(bucket.capacity(1.0))  # a minute of refill at most


def test_no_burst_at_start_then_the_configured_rate() -> None:
    async def main() -> list[float]:
        provider = Scripted([5.0] * 40)
        scheduler = Scheduler(provider, concurrency=40, limits=RateLimits(600))
        await asyncio.gather(*(scheduler.complete(REQUEST) for _ in range(40)))
        return provider.calls

    calls = virtual(main)
    per_second = 600 / 60 * HEADROOM
    burst = sum(1 for t in calls if t == 0.0)
    assert burst <= math.ceil(per_second)  # one second's worth, not a minute's
    gaps = [b - a for a, b in itertools.pairwise(calls[burst:])]
    assert gaps == pytest.approx([1 / per_second] * len(gaps))


def test_a_call_larger_than_the_bucket_still_goes_when_the_bucket_is_full() -> None:
    bucket = TokenBucket(600, "configured", burst_seconds=60.0, start_seconds=0.0)
    assert bucket.wait_time(10**9, 1.0) == pytest.approx(60.0)


def test_input_tokens_are_estimated_from_characters() -> None:
    # system and message, four characters to a token each, and the markup of two messages
    assert request_cost(REQUEST)[1] == 2 + 100 + 16


# --- server hints --------------------------------------------------------------------------------


def test_a_remaining_hint_below_the_bucket_lowers_it_but_never_raises_a_set_limit() -> None:
    limiter = RateLimiter(RateLimits(output_tokens_per_minute=60_000), PacingPolicy())
    limiter.advance(0.0)
    bucket = limiter.buckets[OUTPUT]
    assert bucket is not None
    ticket = limiter.charge(request_cost(REQUEST), 0.0)
    after_charge = bucket.level
    limiter.observe(ticket, RateLimitHints(output_tokens_remaining=int(after_charge) - 2000))
    assert bucket.level == pytest.approx(after_charge - 1999)  # within the server's rounding
    limiter.observe(ticket, RateLimitHints(output_tokens_remaining=int(after_charge) - 2000))
    assert bucket.level == pytest.approx(after_charge - 1999)  # the same news applies once
    limiter.observe(ticket, RateLimitHints(output_tokens_remaining=50_000))
    assert bucket.level == pytest.approx(after_charge - 1999)


def test_without_a_set_limit_the_announced_one_paces_the_calls() -> None:
    async def main() -> list[float]:
        hints = RateLimitHints(requests_limit=60, requests_remaining=0)
        provider = Scripted([hints] * 20)
        scheduler = Scheduler(provider, concurrency=1)
        for _ in range(20):
            await scheduler.complete(REQUEST)
        assert scheduler.limiter.buckets[REQUESTS] is not None
        return provider.calls

    calls = virtual(main)
    assert calls[1] == 0.0  # nothing known before the first answer
    gaps = [b - a for a, b in itertools.pairwise(calls[2:])]
    assert min(gaps) == pytest.approx(1 / HEADROOM)  # 60 a minute, less the headroom


def test_an_announced_limit_below_the_set_one_replaces_it() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=1000), PacingPolicy())
    limiter.advance(0.0)
    ticket = limiter.charge(request_cost(REQUEST), 0.0)
    limiter.observe(ticket, RateLimitHints(requests_limit=100))
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.per_second == pytest.approx(100 / 60 * HEADROOM)


# --- pacing on 429 -------------------------------------------------------------------------------


def test_a_429_cuts_the_pace_once_and_it_recovers_gradually() -> None:
    policy = PacingPolicy(decrease=0.8, recovery_seconds=30.0)
    limiter = RateLimiter(RateLimits(requests_per_minute=60), policy)
    limiter.advance(0.0)
    tickets = []
    for second in range(60):  # a minute at the full rate, then the server says no
        limiter.advance(float(second))
        tickets.append(limiter.charge(request_cost(REQUEST), float(second)))
    limiter.rejected(tickets[-1], 60.0, retry_after=1.0)
    cut = limiter.pace.factor
    assert cut == pytest.approx(0.8, abs=0.02)
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.level <= 0.0  # the server has nothing left now
    limiter.rejected(tickets[-2], 60.5, retry_after=1.0)  # sent before the cut: old news
    assert limiter.pace.factor == cut
    limiter.waiting = True  # calls wait for budget: the pace climbs back, then probes above
    levels = []
    for second in range(61, 130):
        limiter.advance(float(second))
        levels.append(limiter.pace.factor)
        limiter.charge(request_cost(REQUEST), float(second))
    assert levels == sorted(levels)
    assert levels[0] < 0.9 < levels[-1]
    assert levels[-1] <= 1.0
    assert limiter.rate_limited == 2


def test_the_pace_does_not_climb_while_nothing_waits_for_budget() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=60), PacingPolicy())
    limiter.advance(0.0)
    ticket = limiter.charge(request_cost(REQUEST), 0.0)
    limiter.rejected(ticket, 1.0)
    cut = limiter.pace.factor
    limiter.advance(1000.0)
    assert limiter.pace.factor == cut


def test_a_429_that_invites_an_immediate_retry_does_not_slow_anything() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=60), PacingPolicy())
    limiter.advance(0.0)
    limiter.rejected(limiter.charge(request_cost(REQUEST), 0.0), 1.0, retry_after=0.0)
    assert limiter.pace.factor == 1.0
    assert limiter.rate_limited == 1
    empty = RateLimiter(RateLimits(), PacingPolicy())
    empty.advance(0.0)
    empty.rejected(empty.charge(request_cost(REQUEST), 0.0), 1.0, retry_after=0.0)
    assert empty.buckets == [None, None, None, None]  # nothing learned from it


def test_a_rate_is_learned_from_429s_when_no_limit_is_known() -> None:
    async def main() -> tuple[Scripted, Scheduler]:
        # The server takes one request, refuses the rest of the burst, then takes everything.
        refusals: list[Step] = [RateLimited("429", retry_after=2.0) for _ in range(7)]
        provider = Scripted([1.0, *refusals])
        scheduler = Scheduler(provider, concurrency=8, policy=no_jitter())
        await asyncio.gather(*(scheduler.complete(REQUEST) for _ in range(8)))
        return provider, scheduler

    provider, scheduler = virtual(main)
    bucket = scheduler.limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.source == "learned"
    assert bucket.per_second == pytest.approx(0.5)  # one request per retry-after
    retries = sorted(provider.calls[8:])
    assert len(retries) == 7
    # The seven retries do not come back together: they are paced.
    assert retries[-1] - retries[0] >= 6 / (0.5 * PacingPolicy().decrease) * 0.9


def test_a_waiter_lacking_budget_is_overtaken_by_none_but_a_higher_priority() -> None:
    async def main() -> list[str]:
        slots = PrioritySlots(4, RateLimiter(RateLimits(requests_per_minute=60), PacingPolicy()))
        order: list[str] = []

        async def call(name: str, priority: tuple[int, ...]) -> None:
            await slots.acquire(priority, request_cost(REQUEST))
            order.append(name)

        first = asyncio.create_task(call("first", (1,)))  # takes the one request in the bucket
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(call(n, p)) for n, p in [("b", (1,)), ("a", (0,))]]
        await asyncio.gather(first, *tasks)
        return order

    assert virtual(main) == ["first", "a", "b"]


def test_every_budget_goes_back_when_an_admitted_call_is_never_sent() -> None:
    limiter = RateLimiter(RateLimits(60, 60_000, 60_000), PacingPolicy())
    limiter.advance(0.0)
    before = [b.level for b in limiter.buckets if b is not None]
    limiter.unsent(limiter.charge(request_cost(REQUEST), 0.0))
    assert [b.level for b in limiter.buckets if b is not None] == pytest.approx(before)


# --- hedging ---------------------------------------------------------------------------------


async def _run_calls(scheduler: Scheduler, count: int) -> list[float]:
    """``count`` calls at once; when each one returned."""
    ends: list[float] = []

    async def call(n: int) -> None:
        await scheduler.complete(REQUEST, (n,))
        ends.append(now())

    await asyncio.gather(*(call(n) for n in range(count)))
    return ends


def test_a_straggler_at_the_tail_is_hedged_and_the_first_answer_wins() -> None:
    async def main() -> tuple[Scripted, Scheduler, list[float]]:
        # Nine calls of 1 s, then one that would take 50 s; its copy (script exhausted)
        # answers at once.
        provider = Scripted([1.0] * 9 + [50.0])
        scheduler = Scheduler(provider, concurrency=4, hedging=HedgePolicy())
        ends = await _run_calls(scheduler, 10)
        assert scheduler.slots.in_use == 0
        await asyncio.sleep(60)  # the cancelled copy must not come back to life
        return provider, scheduler, ends

    provider, scheduler, ends = virtual(main)
    assert (scheduler.hedges_sent, scheduler.hedges_won) == (1, 1)
    assert len(provider.calls) == 11
    # The slow call started at 2 s; with a median of 1 s it is a straggler from 4 s on.
    assert max(ends) == pytest.approx(4.0)
    assert provider.in_flight == 0  # the losing copy was cancelled, its slot freed


def test_no_hedge_is_sent_while_a_call_waits_for_a_slot() -> None:
    async def main() -> tuple[Scripted, Scheduler]:
        provider = Scripted([60.0] + [1.0] * 40)
        scheduler = Scheduler(provider, concurrency=2, hedging=HedgePolicy())
        await _run_calls(scheduler, 41)
        return provider, scheduler

    provider, scheduler = virtual(main)
    assert scheduler.hedges_sent == 1
    # The hedge (the last call to arrive) went only once every real call had been admitted.
    assert provider.calls[-1] >= max(provider.calls[:41])


def test_hedging_is_off_unless_asked_for() -> None:
    async def main() -> tuple[Scripted, Scheduler, list[float]]:
        provider = Scripted([1.0] * 9 + [50.0])
        # (a deadline at 4x the median would cut the straggler short: a minute at least here)
        scheduler = Scheduler(provider, concurrency=4, deadline=DeadlinePolicy(floor=60.0))
        return provider, scheduler, await _run_calls(scheduler, 10)

    provider, scheduler, ends = virtual(main)
    assert scheduler.hedges_sent == 0 and len(provider.calls) == 10
    assert max(ends) == pytest.approx(52.0)


def test_a_failed_hedge_is_dropped_and_the_call_goes_on() -> None:
    async def main() -> tuple[Scripted, Scheduler, list[float]]:
        provider = Scripted([1.0] * 9 + [50.0, TransientProviderError("503 on the copy")])
        scheduler = Scheduler(
            provider,
            concurrency=4,
            policy=no_jitter(),
            hedging=HedgePolicy(),
            deadline=DeadlinePolicy(floor=60.0),
        )
        return provider, scheduler, await _run_calls(scheduler, 10)

    provider, scheduler, ends = virtual(main)
    assert (scheduler.hedges_sent, scheduler.hedges_won) == (1, 0)
    assert len(provider.calls) == 11  # no retry: the call itself never failed
    assert max(ends) == pytest.approx(52.0)


def test_hedges_are_at_most_their_share_of_the_calls() -> None:
    async def main() -> Scheduler:
        # Twenty quick calls, then ten stragglers at once: idle slots galore at the tail.
        provider = Scripted([1.0] * 20 + [40.0] * 10 + [30.0] * 10)
        scheduler = Scheduler(provider, concurrency=10, hedging=HedgePolicy(max_share=0.1))
        await _run_calls(scheduler, 30)
        return scheduler

    scheduler = virtual(main)
    assert 1 <= scheduler.hedges_sent <= 0.1 * scheduler.sent + 1
