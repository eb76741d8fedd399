"""The rate limiter's pace on its own: what a 429 teaches it, and how it comes back.

Driven by hand with explicit timestamps (no event loop); the scheduler's tests cover the
limiter inside the admission queue.
"""

from __future__ import annotations

import pytest

from flashgen.providers.base import CompletionRequest, Message
from flashgen.ratelimit import (
    REQUESTS,
    PacingPolicy,
    RateLimiter,
    RateLimits,
    Ticket,
    request_cost,
)

REQUEST = CompletionRequest("system", (Message("user", "x" * 400),), max_tokens=1000,
                            temperature=0.3)
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
