"""Admission of provider calls: a concurrency cap and rate limits behind one priority queue,
and retries.

A call waits in one queue until a slot is free *and* every rate-limit bucket can pay for it
(see ``flashgen.ratelimit``); then it runs. When it ends, the slot is freed and the buckets get
back what the call was charged beyond its real usage. Retrying lives here and nowhere else: on
``RateLimited`` or ``TransientProviderError`` the call gives its slot back, sleeps (the server's
``retry-after`` when it sent one, else exponential backoff with jitter) and queues again at the
same priority, paying its budget again. Fatal errors are raised at once. A 429 slows every later
admission (the buckets empty and the pace is cut) but holds back no call already admitted: no
global freeze, and the waiting calls come back one budget at a time rather than all at once.

Priority rule: the waiter with the smallest priority tuple is admitted first, FIFO among equals.
The coordinator chooses the tuples (see ``flashgen.coordinator.quiz_priority``): a lecture's
quiz calls go before every later lecture's work, except the next lecture's flashcard calls,
which go just ahead of them, so lectures finish one after another and the next lecture's cards
are ready when the current one's quizzes drain.
The first waiter blocks the others while it lacks budget (no overtaking by cheaper calls), so a
large call cannot be starved by a stream of small ones.

The admission path costs O(log n) for n waiting calls: one heap push and pop, and a constant
amount of work per bucket (at most four).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from flashgen.errors import ProviderError, RateLimited, TransientProviderError
from flashgen.providers.base import Completion, CompletionRequest, Provider
from flashgen.ratelimit import (
    Cost,
    PacingPolicy,
    RateLimiter,
    RateLimits,
    Ticket,
    request_cost,
)

Priority = tuple[int, ...]
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_NO_COST: Cost = (0.0, 0.0, 0.0, 0.0)
# What a slot without a limiter hands out: there is no budget to settle.
_FREE = Ticket(0.0, _NO_COST, [None, None, None, None])


class _Waiter:
    __slots__ = ("cost", "future")

    def __init__(self, cost: Cost, future: asyncio.Future[Ticket]) -> None:
        self.cost = cost
        self.future = future


class PrioritySlots:
    """A semaphore that admits the waiter with the smallest priority first (FIFO among equals),
    and, given a ``RateLimiter``, only when the limiter's buckets can pay the waiter's cost.

    ``clock`` and ``sleep`` default to the event loop's; they go together: a fake clock needs a
    fake sleep that moves it on (tests use such a pair to run time-based behaviour instantly).
    """

    def __init__(
        self,
        capacity: int,
        limiter: RateLimiter | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.in_use = 0
        self.limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self._waiters: list[tuple[Priority, int, _Waiter]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | asyncio.Task[None] | None = None
        self._timer_due = 0.0

    @asynccontextmanager
    async def slot(self, priority: Priority = ()) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def acquire(self, priority: Priority = (), cost: Cost = _NO_COST) -> Ticket:
        """Wait for a slot and the budget for ``cost``."""
        limiter = self.limiter
        if not self._waiters and self.in_use < self.capacity:
            if limiter is None:
                self.in_use += 1
                return _FREE
            now = self.now()
            limiter.advance(now)
            if limiter.wait_time(cost) == 0.0:
                self.in_use += 1
                return limiter.charge(cost, now)
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), _Waiter(cost, future)))
        self._admit()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(unused=future.result())  # admitted just as we were cancelled
            else:
                self._admit()  # the next waiter may fit where this one did not
            raise

    def release(self, unused: Ticket | None = None) -> None:
        """Free a slot; ``unused`` is the ticket of a call that was never sent, refunded whole.
        (A call that was sent settles its budget with the limiter before its slot is freed.)"""
        self.in_use -= 1
        if unused is not None and self.limiter is not None:
            self.limiter.unsent(unused)
        self._admit()

    def _admit(self) -> None:
        """Admit waiters in priority order while a slot is free and the first one's cost fits;
        when budget is what it lacks, wake up again when the budget will be there."""
        limiter = self.limiter
        waiters = self._waiters
        now = 0.0
        if limiter is not None:
            now = self.now()
            limiter.advance(now)
        blocked = False
        while waiters and self.in_use < self.capacity:
            waiter = waiters[0][2]
            if waiter.future.done():  # cancelled while waiting
                heapq.heappop(waiters)
                continue
            ticket = _FREE
            if limiter is not None:
                wait = limiter.wait_time(waiter.cost)
                if wait > 0.0:
                    blocked = True
                    self._wake_in(now, wait)
                    break
                ticket = limiter.charge(waiter.cost, now)
            heapq.heappop(waiters)
            self.in_use += 1
            waiter.future.set_result(ticket)
        if limiter is not None:
            limiter.waiting = blocked

    def _wake_in(self, now: float, delay: float) -> None:
        due = now + delay
        if self._timer is not None:
            if self._timer_due <= due:
                return
            self._timer.cancel()
        self._timer_due = due
        loop = asyncio.get_running_loop()
        if self._sleep is asyncio.sleep:
            self._timer = loop.call_later(delay, self._on_timer)
        else:  # a fake clock: its sleep is what moves time on
            self._timer = loop.create_task(self._sleep_then_admit(delay))

    def _on_timer(self) -> None:
        self._timer = None
        self._admit()

    async def _sleep_then_admit(self, delay: float) -> None:
        await self._sleep(delay)
        self._on_timer()


@dataclass
class RetryPolicy:
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0
    max_retry_after: float = 300.0  # a server asking for longer is obeyed only this far


class Scheduler:
    """One provider and model: its concurrency cap, rate limits, pace and retries."""

    def __init__(
        self,
        provider: Provider,
        concurrency: int,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        on_retry: Callable[[BaseException, float], None] | None = None,
        *,
        limits: RateLimits | None = None,
        pacing: PacingPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry
        self._rng = rng or random.Random()
        self.limiter = RateLimiter(limits or RateLimits(), pacing or PacingPolicy())
        # ``sleep`` alone (without ``clock``) only shortens retry waits, as tests like to;
        # budget waits follow the clock, so they use the given sleep only with a given clock.
        self.slots = PrioritySlots(
            concurrency,
            self.limiter,
            clock=clock,
            sleep=sleep if clock is not None else asyncio.sleep,
        )

    async def complete(self, request: CompletionRequest, priority: Priority = ()) -> Completion:
        slots = self.slots
        limiter = self.limiter
        cost = request_cost(request)
        retries = 0
        while True:
            ticket = await slots.acquire(priority, cost)
            error: ProviderError
            try:
                completion = await self.provider.complete(request)
            except RateLimited as exc:
                limiter.rejected(ticket, slots.now(), exc.retry_after)
                error, delay = exc, self._retry_after(exc, retries)
            except TransientProviderError as exc:
                limiter.failed(ticket)
                error, delay = exc, self._backoff(retries)
            except BaseException:
                limiter.failed(ticket)
                slots.release()
                raise
            else:
                usage = completion.usage
                limiter.settle(ticket, usage.input_tokens, usage.output_tokens)
                limiter.observe(ticket, completion.rate_limits)
                slots.release()
                return completion
            slots.release()
            if retries >= self.policy.max_retries:
                raise error
            retries += 1
            if self._on_retry is not None:
                self._on_retry(error, delay)
            await self._sleep(delay)

    def _retry_after(self, error: RateLimited, retries: int) -> float:
        if error.retry_after is None:
            return self._backoff(retries)
        return min(max(error.retry_after, 0.0), self.policy.max_retry_after)

    def _backoff(self, retries: int) -> float:
        policy = self.policy
        base = min(policy.max_backoff, policy.initial_backoff * 2.0**retries)
        return base + self._rng.uniform(0.0, policy.jitter)
