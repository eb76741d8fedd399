"""Admission of provider calls: a concurrency cap with priorities, and retries with backoff.

Retrying lives here and nowhere else. A call waits for a slot, runs, and on ``RateLimited`` or
``TransientProviderError`` gives the slot back, sleeps (the server's ``retry-after`` when it sent
one, else exponential backoff with jitter) and queues again. Fatal errors are raised at once.

Priority rule: a smaller priority tuple is served first. The coordinator gives quiz calls of a
lecture whose flashcards are done priority over flashcard calls, and earlier lectures priority
over later ones, so lectures finish one after another instead of all at the very end.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from flashgen.errors import RateLimited, TransientProviderError
from flashgen.providers.base import Completion, CompletionRequest, Provider

Priority = tuple[int, ...]
Sleep = Callable[[float], Awaitable[None]]


class PrioritySlots:
    """A semaphore that wakes the waiter with the smallest priority first (FIFO among equals)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.in_use = 0
        self._waiters: list[tuple[Priority, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def slot(self, priority: Priority = ()) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: Priority) -> None:
        if self.in_use < self.capacity and not self._waiters:
            self.in_use += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed over just as we were cancelled
            raise

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the slot passes straight to the waiter
                return
        self.in_use -= 1


@dataclass
class RetryPolicy:
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0


class Scheduler:
    def __init__(
        self,
        provider: Provider,
        concurrency: int,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        on_retry: Callable[[BaseException, float], None] | None = None,
    ) -> None:
        self.provider = provider
        self.slots = PrioritySlots(concurrency)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry
        self._backoff = wait_exponential_jitter(
            initial=self.policy.initial_backoff,
            max=self.policy.max_backoff,
            jitter=self.policy.jitter,
        )

    async def complete(self, request: CompletionRequest, priority: Priority = ()) -> Completion:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((RateLimited, TransientProviderError)),
            stop=stop_after_attempt(self.policy.max_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._report_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                async with self.slots.slot(priority):
                    return await self.provider.complete(request)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(error.retry_after, self.policy.max_backoff * 5)
        return float(self._backoff(state))

    def _report_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if self._on_retry is not None and error is not None and state.next_action is not None:
            self._on_retry(error, state.next_action.sleep)
