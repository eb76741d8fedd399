"""The rate limiter's pace: what a 429 teaches it, and how it comes back.

Mostly driven by hand with explicit timestamps (no event loop); where the admission queue
matters, on the virtual clock of ``tests.vclock``. ``tests/run/test_scheduler.py`` covers
the buckets and the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from flashgen.errors import RateLimited
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, Message, RateLimitHints
from flashgen.run.pacing import PacingPolicy
from flashgen.run.ratelimit import HEADROOM, REQUESTS, RateLimiter, RateLimits, Ticket, request_cost
from flashgen.run.scheduler import Scheduler
from tests.vclock import VirtualClockLoop

REQUEST = CompletionRequest(
    "system", (Message("user", "x" * 400),), max_tokens=1000, temperature=0.3
)
COST = request_cost(REQUEST)


def test_a_rate_learned_from_a_clock_that_starts_at_zero_spans_the_whole_run() -> None:
    # A virtual clock (tests, benchmarks) starts at 0.0: the first admission's time is 0.0,
    # not "no admission yet", and the accepted rate is counted over the 30 s since then.
    limiter = RateLimiter(RateLimits(), PacingPolicy())
    limiter.advance(0.0)
    tickets = [limiter.charge(COST, float(3 * n)) for n in range(11)]  # 0 s .. 30 s
    limiter.rejected(tickets[-1], 30.0)  # no retry-after: only the accepted rate tells
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.source == "learned"
    assert bucket.per_second == pytest.approx(10 / 30)  # not 10 a second


def paced(limiter: RateLimiter, start: int, end: int) -> list[Ticket]:
    """One call a second from ``start`` to ``end`` (exclusive), calls waiting for budget."""
    limiter.waiting = True
    tickets = []
    for second in range(start, end):
        limiter.advance(float(second))
        tickets.append(limiter.charge(COST, float(second)))
    return tickets


def overloaded(policy: PacingPolicy | None = None) -> RateLimiter:
    """A limiter at 60 requests a minute whose server said no after a minute at full pace."""
    limiter = RateLimiter(RateLimits(requests_per_minute=60), policy or PacingPolicy())
    limiter.advance(0.0)
    tickets = paced(limiter, 0, 60)
    limiter.advance(60.0)
    limiter.rejected(tickets[-1], 60.0, retry_after=1.0)
    return limiter


def test_a_429_at_the_peak_backs_off_and_the_climb_levels_off_below_where_it_failed() -> None:
    limiter = overloaded()
    assert limiter.pace.factor == pytest.approx(0.8)
    paced(limiter, 61, 91)  # 30 s: the recovery time
    # It levels off halfway between the cut and the pace that failed, not at that pace.
    assert limiter.pace.factor == pytest.approx(0.9, abs=0.005)
    paced(limiter, 91, 96)
    assert limiter.pace.factor == pytest.approx(0.9, abs=0.005)  # flat around it a while
    paced(limiter, 96, 150)
    assert limiter.pace.factor > 0.95  # then it probes above


def test_a_429_drawn_by_probing_above_a_level_that_held_backs_off_a_little() -> None:
    limiter = overloaded()
    tickets = paced(limiter, 61, 125)  # level at 0.9, then probe above it
    probe = tickets[-1]
    assert probe.pace > 0.92
    limiter.rejected(probe, 125.0, retry_after=1.0)
    policy = PacingPolicy()
    assert limiter.pace.factor == pytest.approx(policy.probe_decrease * probe.pace)
    # The limit sits just below the probe, and holding there costs nothing: the next probe
    # waits twice as long as the first.
    paced(limiter, 126, 126 + 2 * 30)
    assert limiter.pace.factor == pytest.approx(policy.probe_decrease * probe.pace, abs=0.005)


def test_a_cut_starts_from_the_pace_the_refused_call_was_sent_at() -> None:
    limiter = overloaded()
    (early,) = paced(limiter, 61, 62)  # sent at the pace just after the cut
    paced(limiter, 62, 85)  # the pace climbs on while the answer is on its way
    assert limiter.pace.factor > early.pace + 0.05
    limiter.rejected(early, 85.0, retry_after=1.0)
    assert limiter.pace.factor == pytest.approx(PacingPolicy().decrease * early.pace)


def test_against_a_slow_server_the_climb_waits_for_calls_as_well_as_time() -> None:
    # 3 requests a minute: a call every 20 s. An overshoot shows no sooner than the next call,
    # so the climb back takes ``recovery_requests`` calls, not just ``recovery_seconds``.
    policy = PacingPolicy(recovery_seconds=30.0, recovery_requests=5)
    limiter = RateLimiter(RateLimits(requests_per_minute=3), policy)
    limiter.advance(0.0)
    limiter.waiting = True
    tickets = []
    for n in range(4):
        limiter.advance(20.0 * n)
        tickets.append(limiter.charge(COST, 20.0 * n))
    limiter.rejected(tickets[-1], 60.0, retry_after=1.0)
    assert limiter.pace.factor == pytest.approx(0.8)
    levels = []
    for n in range(4, 9):  # 100 s: five calls, and over three times ``recovery_seconds``
        limiter.advance(20.0 * n)
        levels.append(limiter.pace.factor)
        limiter.charge(COST, 20.0 * n)
    assert levels[1] < 0.85  # two calls in, 40 s: still climbing, no probe yet
    limiter.advance(200.0)
    assert limiter.pace.factor == pytest.approx(0.9, abs=0.005)  # five calls: at the peak


def test_no_call_goes_before_the_servers_retry_after_has_passed() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=600), PacingPolicy())
    limiter.advance(0.0)
    ticket = limiter.charge(COST, 0.0)
    limiter.advance(0.5)
    limiter.rejected(ticket, 0.5, retry_after=4.0)
    limiter.advance(1.0)
    # The requests bucket alone would admit a call within a fifth of a second.
    assert limiter.wait_time(COST) == pytest.approx(3.5, abs=0.02)
    limiter.advance(4.6)
    assert limiter.wait_time(COST) == 0.0
    limiter.rejected(limiter.charge(COST, 4.6), 4.6, retry_after=3600.0)  # at most a minute
    assert limiter.wait_time(COST) == pytest.approx(PacingPolicy().max_hold, abs=0.02)


def test_the_refused_call_is_back_in_line_when_admissions_resume() -> None:
    class Provider:
        name, model = "one-429", "one-429-1"

        def __init__(self) -> None:
            self.calls: list[tuple[str, float]] = []

        async def complete(self, request: CompletionRequest) -> Completion:
            self.calls.append((request.system, asyncio.get_running_loop().time()))
            if len(self.calls) == 1:
                raise RateLimited("429", retry_after=2.0, announced=True)
            return Completion("{}", Usage(input_tokens=10, output_tokens=10), self.model)

        async def aclose(self) -> None:
            return None

    async def main() -> list[tuple[str, float]]:
        provider = Provider()
        scheduler = Scheduler(provider, concurrency=4, limits=RateLimits(requests_per_minute=60))

        def call(name: str, priority: int) -> Coroutine[Any, Any, Completion]:
            request = CompletionRequest(name, (Message("user", "x"),), 100, 0.3)
            return scheduler.complete(request, (priority,))

        first = asyncio.create_task(call("first", 0))  # takes the one request in the bucket
        await asyncio.sleep(0)
        await asyncio.gather(first, call("second", 1))
        return provider.calls

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        calls = runner.run(main())
    # The second call would fit the bucket after a second; it waits for the retry-after, and
    # then for the refused call, which goes first by priority.
    assert [name for name, _ in calls] == ["first", "first", "second"]
    assert calls[1][1] == pytest.approx(2.0, abs=0.02)


def test_a_rate_learned_from_a_429_is_held_and_probed_above_not_cut_below() -> None:
    limiter = RateLimiter(RateLimits(), PacingPolicy())  # no limit known
    limiter.advance(0.0)
    burst = [limiter.charge(COST, 0.0) for _ in range(10)]
    limiter.rejected(burst[1], 0.05, retry_after=4.0)
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.source == "learned"
    assert bucket.per_second == pytest.approx(0.25)  # one request per retry-after
    assert limiter.pace.factor == 1.0  # the guess errs low (retry-after is rounded up)
    for ticket in burst[2:]:
        limiter.rejected(ticket, 0.05, retry_after=4.0)  # the rest of the burst: old news
    assert limiter.pace.factor == 1.0
    paced(limiter, 5, 30)
    assert limiter.pace.factor > 1.05  # probing above the guess


def test_the_rest_of_a_refused_burst_lowers_the_rate_learned_from_its_first_429() -> None:
    limiter = RateLimiter(RateLimits(), PacingPolicy())
    limiter.advance(0.0)
    burst = [limiter.charge(COST, 0.0) for _ in range(10)]
    for ticket in burst[1:]:  # no retry-after: only what the server accepted tells
        limiter.rejected(ticket, 0.05)
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.source == "learned"
    # One accepted in the (shortest counted) second, not the nine that had no answer yet
    # when the first 429 came back.
    assert bucket.per_second == pytest.approx(1.0)


def test_after_a_retry_after_the_next_call_goes_when_it_ends_not_a_whole_interval_later() -> None:
    # 6 requests a minute: a call every ~10 s. The refused call's own charge would hold the
    # next one back a whole interval after it; the server said three seconds.
    limiter = RateLimiter(RateLimits(requests_per_minute=6), PacingPolicy())
    limiter.advance(0.0)
    limiter.charge(COST, 0.0)
    limiter.advance(10.5)
    assert limiter.wait_time(COST) == 0.0
    refused = limiter.charge(COST, 10.5)
    limiter.advance(10.6)
    limiter.rejected(refused, 10.6, retry_after=3.0)
    assert limiter.wait_time(COST) == pytest.approx(3.0, abs=0.02)


def test_after_a_retry_after_one_call_goes_not_a_burst_of_budget_refilled_meanwhile() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=600), PacingPolicy())
    limiter.advance(0.0)
    refused = limiter.charge(COST, 0.0)
    limiter.advance(0.1)
    limiter.rejected(refused, 0.1, retry_after=1.0)
    limiter.advance(1.2)
    admitted = 0
    while limiter.wait_time(COST) == 0.0:
        limiter.charge(COST, 1.2)
        admitted += 1
    assert admitted == 1


def test_a_late_refusal_of_the_burst_leaves_an_announced_limit_alone() -> None:
    limiter = RateLimiter(RateLimits(), PacingPolicy())
    limiter.advance(0.0)
    burst = [limiter.charge(COST, 0.0) for _ in range(10)]
    limiter.rejected(burst[1], 0.05)  # learns a rate
    limiter.observe(burst[0], RateLimitHints(requests_limit=600))  # the server announces one
    limiter.rejected(burst[2], 0.1)  # a refusal of the burst, later than the announcement
    bucket = limiter.buckets[REQUESTS]
    assert bucket is not None and bucket.source == "server"
    assert bucket.per_second == pytest.approx(600 / 60 * HEADROOM)
