"""Overload is not a rate limit: per-call backoff, no pace cut, a clear point to give up; and a
stop request that drops every queued call and retry wait at once.

On a virtual clock (``tests.vclock``), as the scheduler's other tests.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from flashgen.errors import Overloaded, ProviderOverloaded, RateLimited
from flashgen.providers.base import Completion
from flashgen.run.interrupt import Interrupted
from flashgen.run.policies import OverloadPolicy, RetryPolicy
from flashgen.run.ratelimit import REQUESTS, RateLimits
from flashgen.run.scheduler import Scheduler
from tests.run.test_scheduler import REQUEST, Recorder, Scripted, Step, now, virtual


def test_an_overloaded_call_backs_off_alone_and_the_pace_stays() -> None:
    async def main() -> tuple[Scheduler, Recorder]:
        sleep = Recorder()
        provider = Scripted([Overloaded("529 overloaded_error"), *[0.1] * 20])
        scheduler = Scheduler(provider, concurrency=10, sleep=sleep, rng=random.Random(1))
        await asyncio.gather(*(scheduler.complete(REQUEST) for _ in range(20)))
        return scheduler, sleep

    scheduler, sleep = virtual(main)
    assert len(sleep.delays) == 1 and 0.25 <= sleep.delays[0] <= 0.5  # jittered, short
    assert scheduler.limiter.pace.factor == 1.0 and scheduler.limiter.pace.cuts == 0
    assert all(bucket is None for bucket in scheduler.limiter.buckets)  # no rate "learned"
    assert scheduler.overloaded == 1


def test_the_server_s_retry_after_is_kept_for_the_refused_call_only() -> None:
    async def main() -> list[float]:
        provider = Scripted([Overloaded("529", retry_after=3.0)])
        scheduler = Scheduler(provider, concurrency=2)
        await asyncio.gather(scheduler.complete(REQUEST), scheduler.complete(REQUEST))
        return provider.calls

    calls = virtual(main)
    assert calls[:2] == [0.0, 0.0] and calls[2] == pytest.approx(3.0)


def test_rare_bare_429s_are_capacity_not_a_rate_to_learn() -> None:
    """5% of calls refused with a 429 that names no rate limit, at any pace: no bucket is
    learned, no pace cut, no hold; every call ends well."""

    async def main() -> Scheduler:
        script: list[Step] = []
        for number in range(400):
            script.append(RateLimited("429", retry_after=0.2) if number % 20 == 7 else 0.5)
        scheduler = Scheduler(Scripted(script), concurrency=10, rng=random.Random(2))
        await asyncio.gather(*(scheduler.complete(REQUEST) for _ in range(380)))
        return scheduler

    scheduler = virtual(main)
    limiter = scheduler.limiter
    assert limiter.buckets[REQUESTS] is None and limiter.pace.cuts == 0
    assert limiter.rate_limited == 0 and scheduler.overloaded == 20


def test_429s_that_refuse_much_of_the_traffic_are_still_a_rate_limit() -> None:
    async def main() -> Scheduler:
        script: list[Step] = [*[0.5] * 2, *[RateLimited("429", retry_after=1.0)] * 8]
        scheduler = Scheduler(Scripted(script), concurrency=10, policy=RetryPolicy(jitter=0.0))
        await asyncio.gather(*(scheduler.complete(REQUEST) for _ in range(10)))
        return scheduler

    scheduler = virtual(main)
    assert scheduler.limiter.rate_limited > 0
    assert scheduler.limiter.buckets[REQUESTS] is not None  # a rate was learned


def test_sustained_overload_stops_sending_after_the_patience() -> None:
    async def main() -> tuple[list[Completion | BaseException], float, Scripted]:
        provider = Scripted([Overloaded("529") for _ in range(10_000)])
        scheduler = Scheduler(provider, concurrency=10, rng=random.Random(3))
        results = await asyncio.gather(
            *(scheduler.complete(REQUEST) for _ in range(500)), return_exceptions=True
        )
        assert scheduler.gave_up
        return results, now(), provider

    results, ended, provider = virtual(main)
    policy = OverloadPolicy()
    # the run ends at the first refusal past the patience (calls go a backoff step apart)
    assert policy.patience <= ended < policy.patience + policy.max_backoff + 1.0
    assert max(provider.calls) <= ended
    gave_up = [r for r in results if isinstance(r, ProviderOverloaded)]
    assert len(gave_up) > 400  # the queue was dropped, not sent
    assert all(isinstance(r, Overloaded | ProviderOverloaded) for r in results)
    assert "rerun later" in str(gave_up[0])


def test_one_answer_resets_the_patience() -> None:
    async def main() -> Scheduler:
        script: list[Step] = []
        for _ in range(8):  # bursts of refusals, each under the patience, one answer between
            script += [Overloaded("529")] * 30 + [0.1]
        scheduler = Scheduler(
            Scripted(script),
            concurrency=1,
            overload=OverloadPolicy(initial_backoff=1.5, max_backoff=1.5),
        )
        for _ in range(8):  # 45 s of refusals each: under the patience, 6 minutes in all
            await scheduler.complete(REQUEST)
        return scheduler

    assert not virtual(main).gave_up


def test_stop_drops_queued_calls_and_retry_waits_at_once() -> None:
    """Under --rpm 1 (calls queued for budget) and with a call in a long backoff."""

    async def main() -> tuple[list[Completion | BaseException], float]:
        provider = Scripted([Overloaded("529", retry_after=250.0)])
        scheduler = Scheduler(provider, concurrency=4, limits=RateLimits(requests_per_minute=1))
        calls = [asyncio.ensure_future(scheduler.complete(REQUEST)) for _ in range(6)]
        await asyncio.sleep(90.0)  # one refused and waiting 250 s, one sent, four queued
        scheduler.stop(lambda: Interrupted("not run: the run was interrupted"))
        stopped = now()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert now() == stopped  # nothing waited for the limiter or the backoff
        return results, stopped

    results, _ = virtual(main)
    assert sum(isinstance(r, Interrupted) for r in results) == 5  # the one sent had answered
