"""Priority slots: the scheduler's concurrency cap, admitting the smallest priority first (FIFO
among equals), with the rate limiter's budget settled at admission."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable

from flashgen.providers.base import Priority
from flashgen.run.ratelimit import Cost, RateLimiter, Ticket

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

NO_COST: Cost = (0.0, 0.0, 0.0, 0.0)
# What a slot without a limiter hands out: there is no budget to settle.
FREE = Ticket(0.0, NO_COST, [None, None, None, None])


class Alarm:
    """Calls ``callback`` at the earliest of the times asked for (one timer at a time).
    With a fake clock, its ``sleep`` is what moves time on, so the alarm sleeps in a task."""

    def __init__(self, callback: Callable[[], None], sleep: Sleep) -> None:
        self._callback = callback
        self._sleep = sleep
        self._timer: asyncio.TimerHandle | asyncio.Task[None] | None = None
        self._due = 0.0

    def at(self, now: float, delay: float) -> None:
        due = now + delay
        if self._timer is not None:
            if self._due <= due:
                return
            self._timer.cancel()
        self._due = due
        loop = asyncio.get_running_loop()
        if self._sleep is asyncio.sleep:
            self._timer = loop.call_later(delay, self._ring)
        else:
            self._timer = loop.create_task(self._sleep_then_ring(delay))

    def _ring(self) -> None:
        self._timer = None
        self._callback()

    async def _sleep_then_ring(self, delay: float) -> None:
        await self._sleep(delay)
        self._ring()


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
        self._waiters: list[tuple[Priority, int, _Waiter]] = []
        self._order = itertools.count()
        self._alarm = Alarm(self._admit, sleep)
        self._closed: Callable[[], BaseException] | None = None

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def close(self, error: Callable[[], BaseException]) -> None:
        """Admit nothing more: every waiter, and every later ``acquire``, raises ``error()`` at
        once, whatever the budget or a hold would have made it wait."""
        self._closed = error
        waiters, self._waiters = self._waiters, []
        for _, _, waiter in waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error())

    async def acquire(self, priority: Priority = (), cost: Cost = NO_COST) -> Ticket:
        """Wait for a slot and the budget for ``cost``."""
        if self._closed is not None:
            raise self._closed()
        ticket = self.try_acquire(cost)
        if ticket is not None:
            return ticket
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

    @property
    def idle(self) -> bool:
        """Whether a slot is free with nobody waiting for one."""
        return not self._waiters and self.in_use < self.capacity

    def try_acquire(self, cost: Cost = NO_COST) -> Ticket | None:
        """A slot and the budget for ``cost`` now, or None: never queues, never goes ahead of
        a waiter."""
        if not self.idle or self._closed is not None:
            return None  # (a closed queue sends no hedge either)
        limiter = self.limiter
        if limiter is None:
            self.in_use += 1
            return FREE
        now = self.now()
        limiter.advance(now)
        if limiter.wait_time(cost) > 0.0:
            return None
        self.in_use += 1
        return limiter.charge(cost, now)

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
            ticket = FREE
            if limiter is not None:
                wait = limiter.wait_time(waiter.cost)
                if wait > 0.0:
                    blocked = True
                    self._alarm.at(now, wait)
                    break
                ticket = limiter.charge(waiter.cost, now)
            heapq.heappop(waiters)
            self.in_use += 1
            waiter.future.set_result(ticket)
        if limiter is not None:
            limiter.waiting = blocked
