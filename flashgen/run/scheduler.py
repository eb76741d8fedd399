"""Admission of provider calls: a concurrency cap and rate limits behind one priority queue,
and retries.

A call waits in one queue until a slot is free *and* every rate-limit bucket can pay for it
(see ``flashgen.run.ratelimit``); then it runs. When it ends, the slot is freed and the buckets get
back what the call was charged beyond its real usage. Retrying lives here and nowhere else: on
``RateLimited`` or ``TransientProviderError`` the call gives its slot back, sleeps (the server's
``retry-after`` when it sent one, else exponential backoff with jitter) and queues again at the
same priority, paying its budget again. Fatal errors are raised at once. A 429 for the client's
own rate slows every later admission (the buckets empty, the pace is cut, and nothing new is
admitted before its ``retry-after`` has passed, at most 60 s: the server has said its budget is
spent) but holds back no call already admitted, and the waiting calls come back one budget at
a time rather than all at once.

Overload is not a rate limit (``OverloadPolicy``): a 529, a 503, an overload error, or a bare
429 while most calls go through (``RateLimiter.refusal_tracks_rate``) makes only the refused
call back off, with jitter; the pace stays. Only a streak of refusals with no answer between
holds admissions, a growing step at a time, and after ``patience`` seconds of nothing but such
refusals the scheduler stops sending (``ProviderOverloaded``: rerun later). ``stop`` (a Ctrl-C,
or that) drops every queued call and every retry wait at once. Every call has a deadline
(``DeadlinePolicy``) that an answer trickling in cannot outlast.

Priority rule: the waiter with the smallest priority tuple is admitted first, FIFO among equals.
The coordinator chooses the tuples (see ``flashgen.run.coordinator.quiz_priority``): a lecture's
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
import math
import random
import statistics
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from flashgen.errors import (
    Overloaded,
    ProviderError,
    ProviderOverloaded,
    RateLimited,
    TransientProviderError,
)
from flashgen.providers.base import Completion, CompletionRequest, Priority, Provider
from flashgen.run.ratelimit import (
    Cost,
    PacingPolicy,
    RateLimiter,
    RateLimits,
    Ticket,
    request_cost,
)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_NO_COST: Cost = (0.0, 0.0, 0.0, 0.0)
# What a slot without a limiter hands out: there is no budget to settle.
_FREE = Ticket(0.0, _NO_COST, [None, None, None, None])


class _Alarm:
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
        self._alarm = _Alarm(self._admit, sleep)
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

    async def acquire(self, priority: Priority = (), cost: Cost = _NO_COST) -> Ticket:
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

    def try_acquire(self, cost: Cost = _NO_COST) -> Ticket | None:
        """A slot and the budget for ``cost`` now, or None: never queues, never goes ahead of
        a waiter."""
        if not self.idle or self._closed is not None:
            return None  # (a closed queue sends no hedge either)
        limiter = self.limiter
        if limiter is None:
            self.in_use += 1
            return _FREE
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
            ticket = _FREE
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


@dataclass
class RetryPolicy:
    max_retries: int = 5
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0
    max_retry_after: float = 300.0  # a server asking for longer is obeyed only this far


@dataclass(frozen=True)
class OverloadPolicy:
    """How a call backs off when the provider lacks capacity, and when the run gives up.

    Overload is not the client's rate: a slower client would be refused as often, so only the
    refused call waits (exponential backoff with jitter, so refused calls do not come back
    together), and the pace of the others stays. A refused call tries again until the provider
    answers (``max_refusals`` at most); when the provider has answered nothing for
    ``patience`` seconds while refusing at least ``min_refusals`` calls as overloaded, the
    scheduler stops sending: the run saves what it has and says to rerun later."""

    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    patience: float = 60.0
    min_refusals: int = 5
    max_refusals: int = 30  # of one call, while others are answered (about four minutes)
    # The one slowdown: after this many refusals in a row with no answer between them, every
    # admission waits a backoff step too (growing with the streak, at most ``max_backoff``),
    # so that a provider refusing everything is probed, not hammered by every queued call.
    # Random refusals amid answers never make such a streak.
    hold_after: int = 3


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long one call may take in all, a slow trickle of an answer included (the SDKs'
    own timeout only bounds each silence, and a body sent a byte at a time never trips it).

    ``longest`` (``--timeout``) holds from the first call. Once ``min_samples`` calls of a kind
    have answered, a call of that kind also fails at ``over_median`` times their median
    latency, but never sooner than ``floor``: a stalled call then fails in well under a minute
    where calls take seconds, and large calls that take minutes keep their time."""

    longest: float = 120.0
    floor: float = 30.0
    over_median: float = 4.0
    min_samples: int = 5

    def seconds(self, median: float | None) -> float:
        if median is None:
            return self.longest
        return min(self.longest, max(self.floor, self.over_median * median))


@dataclass(frozen=True)
class HedgePolicy:
    """When a straggler gets a second copy sent (see ``Scheduler``)."""

    enabled: bool = True
    after_median: float = 2.0  # a call is a straggler past this many median latencies
    min_samples: int = 5  # latencies of its kind seen before any call of it is hedged
    max_share: float = 0.05  # hedges sent, at most this share of the calls sent (plus one)
    window: int = 200  # the median is over this many latest calls of a kind


class _Latencies:
    """The latest latencies of one kind of call, and their median."""

    def __init__(self, window: int) -> None:
        self._seconds: deque[float] = deque(maxlen=window)
        self._median: float | None = None

    def add(self, seconds: float) -> None:
        self._seconds.append(seconds)
        self._median = None

    def median(self, min_samples: int) -> float | None:
        if len(self._seconds) < min_samples:
            return None
        if self._median is None:
            self._median = statistics.median(self._seconds)
        return self._median


class _Flight:
    """A call in flight, and the copy sent to hedge it if it straggles."""

    __slots__ = ("cost", "done", "hedge", "kind", "request", "sent", "started")

    def __init__(self, request: CompletionRequest, cost: Cost, started: float) -> None:
        self.request = request
        self.cost = cost
        self.kind = request.schema_name
        self.started = started
        self.sent: asyncio.Future[Completion] | None = None  # the call itself
        self.hedge: asyncio.Task[Completion] | None = None
        self.done = asyncio.Event()  # set when the call or its hedge has ended

    def ended(self, copy: asyncio.Future[Completion]) -> None:
        if not copy.cancelled():
            copy.exception()  # the loser's error is seen here, not logged as never retrieved
        self.done.set()


class Scheduler:
    """One provider and model: its concurrency cap, rate limits, pace, retries and hedging.

    Hedging ("The Tail at Scale", Dean and Barroso): when a slot would otherwise stay idle
    (nobody waiting, budget to spare) and a call has run longer than ``after_median`` times the
    median latency of its kind, the same request is sent again; the first good answer wins and
    the other copy is cancelled. Latencies have a long tail, so the last calls of a run, not the
    bulk of its work, decide when it ends. The price is a few extra calls (at most
    ``max_share`` of those sent), only ever in slots nothing else was waiting for. A hedge that
    fails is dropped: the call it shadows goes on as if it had not been sent.
    """

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
        hedging: HedgePolicy | None = None,
        on_hedge: Callable[[], None] | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        overload: OverloadPolicy | None = None,
        deadline: DeadlinePolicy | None = None,
    ) -> None:
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.overload = overload or OverloadPolicy()
        self.deadline = deadline or DeadlinePolicy()
        self.hedging = hedging or HedgePolicy(enabled=False)
        self._on_hedge = on_hedge
        self._sleep = sleep
        self._on_retry = on_retry
        self._rng = rng or random.Random()
        self.limiter = RateLimiter(limits or RateLimits(), pacing or PacingPolicy())
        # ``sleep`` alone (without ``clock``) only shortens retry waits, as tests like to;
        # budget waits follow the clock, so they use the given sleep only with a given clock.
        timer_sleep = sleep if clock is not None else asyncio.sleep
        self.slots = PrioritySlots(concurrency, self.limiter, clock=clock, sleep=timer_sleep)
        self.sent = 0  # calls sent to the provider, hedges included
        self.hedges_sent = 0
        self.hedges_won = 0
        self._flights: set[_Flight] = set()
        self._latencies: dict[str, _Latencies] = {}
        self._hedge_alarm = _Alarm(self._hedge_stragglers, timer_sleep)
        self.overloaded = 0  # refusals for lack of capacity
        self.gave_up = False  # set when sustained overload stopped the sending
        self._last_answer: float | None = None  # when the provider last answered a call
        self._refused_since_answer = 0
        self._stopped: Callable[[], BaseException] | None = None
        self._pauses: set[asyncio.Future[None]] = set()

    def stop(self, error: Callable[[], BaseException]) -> None:
        """Send nothing more: queued calls, calls in a retry wait and later calls raise
        ``error()`` at once. Calls already at the provider are left to whoever sent them."""
        if self._stopped is not None:
            return
        self._stopped = error
        self.slots.close(error)
        for pause in list(self._pauses):
            pause.cancel()

    async def complete(self, request: CompletionRequest, priority: Priority = ()) -> Completion:
        slots = self.slots
        cost = request_cost(request)
        retries = refusals = 0
        while True:
            ticket = await slots.acquire(priority, cost)
            error: ProviderError
            try:
                return await self._race(request, cost, ticket)
            except RateLimited as exc:
                error, delay = exc, self._retry_after(exc, retries)
                retries += 1
            except Overloaded as exc:
                # Counted apart: an overloaded call retries until the provider answers, or
                # until the overload policy gives up on the provider as a whole.
                error, delay = exc, self._overload_wait(exc, refusals)
                refusals += 1
            except TransientProviderError as exc:
                error, delay = exc, self._backoff(retries)
                retries += 1
            if self._stopped is not None:
                raise self._stopped() from None
            if retries > self.policy.max_retries or refusals > self.overload.max_refusals:
                raise error
            if self._on_retry is not None:
                self._on_retry(error, delay)
            await self._pause(delay)

    async def _pause(self, delay: float) -> None:
        """Sleep ``delay`` before a retry; ``stop`` ends the wait at once."""
        pause = asyncio.ensure_future(self._sleep(delay))
        self._pauses.add(pause)
        try:
            await pause
        except asyncio.CancelledError:
            task = asyncio.current_task()
            stopped = self._stopped
            if stopped is None or (task is not None and task.cancelling()):
                raise
            raise stopped() from None
        finally:
            self._pauses.discard(pause)

    async def _attempt(self, request: CompletionRequest, ticket: Ticket) -> Completion:
        """Send the request once on an admitted slot; settle its budget and free the slot."""
        limiter = self.limiter
        slots = self.slots
        self.sent += 1
        hedging = self.hedging.enabled
        started = slots.now()
        if self._last_answer is None:
            self._last_answer = started  # the patience with overload counts from here
        latencies = self._latency(request.schema_name)
        deadline = self.deadline.seconds(latencies.median(self.deadline.min_samples))
        try:
            try:
                async with asyncio.timeout(deadline):
                    completion = await self.provider.complete(request)
            except TimeoutError:
                raise TransientProviderError(
                    f"{self.provider.name} did not finish answering within {deadline:.0f} s",
                    hint="flashgen retries; allow more time with --timeout if calls are large",
                ) from None
        except RateLimited as exc:
            now = slots.now()
            if exc.announced or limiter.refusal_tracks_rate(now):
                limiter.rejected(ticket, now, exc.retry_after)
                raise
            # A bare 429 while most calls go through: capacity, not this client's rate.
            limiter.refused_at_random(ticket, now)
            self._overload_refusal(now, declared=False)
            raise Overloaded(exc.message, exc.retry_after, exc.hint) from None
        except Overloaded:
            limiter.refused_at_random(ticket, slots.now(), counted=False)
            self._overload_refusal(slots.now())
            raise
        except BaseException:
            limiter.failed(ticket)
            raise
        else:
            self._last_answer = slots.now()
            self._refused_since_answer = 0
            usage = completion.usage
            limiter.settle(ticket, usage.input_tokens, usage.output_tokens)
            limiter.observe(ticket, completion.rate_limits)
            latencies.add(slots.now() - started)  # for the deadline, and to spot stragglers
            return completion
        finally:
            slots.release()
            if hedging:
                self._hedge_stragglers()

    async def _race(self, request: CompletionRequest, cost: Cost, ticket: Ticket) -> Completion:
        """The call, and its hedge if one is sent: the first good answer."""
        if not self.hedging.enabled:
            return await self._attempt(request, ticket)
        flight = _Flight(request, cost, self.slots.now())
        primary = flight.sent = asyncio.ensure_future(self._attempt(request, ticket))
        primary.add_done_callback(flight.ended)
        self._flights.add(flight)
        self._hedge_stragglers()
        try:
            while True:
                await flight.done.wait()
                flight.done.clear()
                hedge = flight.hedge
                if hedge is not None and hedge.done() and not hedge.cancelled():
                    if hedge.exception() is None:
                        self.hedges_won += 1
                        return hedge.result()
                    flight.hedge = None  # a failed hedge is dropped; the call goes on
                if primary.done():
                    if hedge is not None and not hedge.done() and primary.exception() is not None:
                        continue  # the hedge may still answer
                    return primary.result()
        finally:
            self._flights.discard(flight)
            for copy in (primary, flight.hedge):
                if copy is not None and not copy.done():
                    copy.cancel()

    def _latency(self, kind: str) -> _Latencies:
        found = self._latencies.get(kind)
        if found is None:
            found = self._latencies[kind] = _Latencies(max(self.hedging.window, 50))
        return found

    def _hedge_stragglers(self) -> None:
        """Send a copy of the longest-overdue straggler while a slot would otherwise idle; wake
        up again when the next call becomes a straggler."""
        policy = self.hedging
        if not policy.enabled or not self._flights or not self.slots.idle:
            return
        now = self.slots.now()
        next_due = math.inf
        overdue: list[tuple[float, _Flight]] = []
        for flight in self._flights:
            if flight.hedge is not None or (flight.sent is not None and flight.sent.done()):
                continue  # hedged already, or answered and not yet collected
            median = self._latency(flight.kind).median(policy.min_samples)
            if median is None:
                continue
            due = flight.started + policy.after_median * median
            if due <= now:
                overdue.append((due, flight))
            else:
                next_due = min(next_due, due)
        overdue.sort(key=lambda pair: pair[0])
        for _, flight in overdue:
            if self.hedges_sent + 1 > policy.max_share * self.sent + 1:
                return
            ticket = self.slots.try_acquire(flight.cost)
            if ticket is None:
                return
            self.hedges_sent += 1
            if self._on_hedge is not None:
                self._on_hedge()
            hedge = asyncio.ensure_future(self._attempt(flight.request, ticket))
            hedge.add_done_callback(flight.ended)
            flight.hedge = hedge
        if next_due < math.inf:
            self._hedge_alarm.at(now, next_due - now)

    def _retry_after(self, error: RateLimited, retries: int) -> float:
        if error.retry_after is None:
            return self._backoff(retries)
        return min(max(error.retry_after, 0.0), self.policy.max_retry_after)

    def _overload_refusal(self, now: float, *, declared: bool = True) -> None:
        """Count a refusal for lack of capacity; past the policy's patience, stop sending.
        ``declared``: the provider said it is overloaded (not a bare 429 judged so)."""
        self.overloaded += 1
        self._refused_since_answer += 1
        policy = self.overload
        streak = self._refused_since_answer - policy.hold_after
        if declared and streak >= 0:
            step = min(policy.max_backoff, policy.initial_backoff * 2.0**streak)
            self.limiter.hold(now, self._rng.uniform(step / 2.0, step))
        silent = now - (self._last_answer if self._last_answer is not None else now)
        if self._refused_since_answer >= policy.min_refusals and silent >= policy.patience:
            self.gave_up = True
            self.stop(
                lambda: ProviderOverloaded(
                    f"the provider is overloaded; rerun later (nothing but overload refusals "
                    f"for {silent:.0f} s)",
                    hint="every validated result is saved; run the same command again later",
                )
            )

    def _overload_wait(self, error: Overloaded, retries: int) -> float:
        """Exponential backoff with jitter (half to all of the step), or the server's
        retry-after when it asks for longer."""
        policy = self.overload
        step = min(policy.max_backoff, policy.initial_backoff * 2.0**retries)
        delay = self._rng.uniform(step / 2.0, step)
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, self.policy.max_retry_after))
        return delay

    def _backoff(self, retries: int) -> float:
        policy = self.policy
        base = min(policy.max_backoff, policy.initial_backoff * 2.0**retries)
        return base + self._rng.uniform(0.0, policy.jitter)
