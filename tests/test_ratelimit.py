"""The rate limiter's pace on its own: what a 429 teaches it, and how it comes back.

Driven by hand with explicit timestamps (no event loop); the scheduler's tests cover the
limiter inside the admission queue.
"""

from __future__ import annotations

import pytest

from flashgen.providers.base import CompletionRequest, Message
from flashgen.ratelimit import REQUESTS, PacingPolicy, RateLimiter, RateLimits, request_cost

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
