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
import math
import random
from collections.abc import Callable

from flashgen.errors import (
    Overloaded,
    ProviderError,
    ProviderOverloaded,
    RateLimited,
    TransientProviderError,
)
from flashgen.providers.base import Completion, CompletionRequest, Priority, Provider
from flashgen.run.pacing import PacingPolicy
from flashgen.run.policies import (
    DeadlinePolicy,
    HedgePolicy,
    Latencies,
    OverloadPolicy,
    RetryPolicy,
)
from flashgen.run.ratelimit import Cost, RateLimiter, RateLimits, Ticket, request_cost
from flashgen.run.slots import Alarm, Clock, PrioritySlots, Sleep


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
        self._latencies: dict[str, Latencies] = {}
        self._hedge_alarm = Alarm(self._hedge_stragglers, timer_sleep)
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

    def _latency(self, kind: str) -> Latencies:
        found = self._latencies.get(kind)
        if found is None:
            found = self._latencies[kind] = Latencies(max(self.hedging.window, 50))
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
