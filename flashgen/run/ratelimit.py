"""Client-side rate limits: weighted token buckets and an adaptive pace.

A call is charged, at admission, one request, its estimated input tokens and its ``max_tokens``
of output (what Anthropic and OpenAI themselves reserve when a request arrives); when it ends the
difference to the real usage is given back. Four kinds of budget exist:

- requests, input tokens, output tokens: set by the user (``--rpm``/``--itpm``/``--otpm``), or
  announced by the server in its rate-limit headers;
- tokens (input + output together): only as OpenAI announces it (``x-ratelimit-limit-tokens``).

Each bucket refills continuously at 98% of its per-minute limit / 60 per second (the 2% absorb
network jitter and clock drift between flashgen and the server). The requests bucket holds one
second of refill, so flashgen never bursts more requests than a server that enforces its
per-minute limit per second would take ("60,000 requests/minute may be enforced as 1,000
requests/second", OpenAI). Token buckets hold a minute, like the servers' own buckets: a call's
``max_tokens`` stays reserved while it runs, and the reservations of all the calls in flight
must fit in the bucket, or a token limit could never be reached. They start with six seconds of
refill rather than a full minute, so a run does not open with a burst.

Server hints move the buckets: a ``remaining`` count lower than what flashgen expected lowers the
bucket by the difference, and an announced limit lower than the user's replaces it. Without a
limit set, an announced limit creates the bucket, which then follows ``remaining`` both ways (a
limit the user set is never raised by a hint).

A 429 empties the buckets (the server has just said there is nothing left). With a
``retry-after`` it also holds every admission until that has passed (``max_hold`` at most):
earlier retries fail, as Anthropic documents, and a queue let go sooner only draws more 429s.
The hold ends a hair after the refused call's own wait, so that call is back in line and takes
its turn by priority rather than losing it to whichever call waited. Then the requests bucket
lets exactly one call go: not later (at a few calls a minute the refused call's own charge
would hold the next one back a whole interval more) and not more (no burst of the budget
refilled during the hold). A 429 with ``retry-after: 0`` invites an immediate retry: it slows
nothing.

A 429 also cuts the pace, a factor on every rate, which then climbs back along a cubic curve
(CUBIC, as TCP and the AWS SDKs' adaptive retry mode use): fast at first, flat around a peak,
then probing above it. The cut starts from the pace the refused call was sent at (the lower of
the paces at its admission and at the one before, between which its budget built up), not from
a count of the requests the server accepted: at low rates a minute holds too few of them, and a
server that refuses whatever comes early accepts well under its limit from a pace just above
it. A 429 for a call sent at or below the peak means the peak did not hold: the pace drops to
``decrease`` times the pace that drew it, and the next peak is halfway back, below where it
failed (CUBIC's fast convergence). A 429 drawn by the probe above the peak means the peak held
and the limit lies just below the probe: the pace drops only to ``probe_decrease`` times the
pace that drew it, which becomes the new peak. A cut at about the same pace as the previous one,
or after a probe, doubles the time the next climb takes (up to ``max_patience`` times), so a
stable limit is probed less and less often. The climb follows the slower of two clocks: time
spent while calls wait for budget (``recovery_seconds`` for a full climb), so an idle spell
cannot build up a burst, and calls sent (``recovery_requests``), so a server taking a call every
20 s gets as many calls to show an overshoot as a fast one.

With no limit known at all, the first 429 creates a requests bucket at the rate the server
accepted, or one request per ``retry-after`` if that is lower; the other refusals of the same
burst, which come back just after it, lower it to what the server really took. That rate is a
guess, often low (retry-after is rounded up to whole seconds): the pace holds it and probes
above it at once, rather than cutting below it. With no limit set, announced or learned, no
bucket exists and calls go at the concurrency cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from flashgen.providers.base import CompletionRequest, RateLimitHints
from flashgen.providers.estimate import request_tokens
from flashgen.run.pacing import Pace, PacingPolicy, Tally

# Indices into a cost vector.
REQUESTS, INPUT, OUTPUT, TOKENS = 0, 1, 2, 3
KINDS = (REQUESTS, INPUT, OUTPUT, TOKENS)
Cost = tuple[float, float, float, float]
Source = Literal["configured", "server", "learned"]

HEADROOM = 0.98
REQUEST_BURST_SECONDS = 1.0
TOKEN_BURST_SECONDS = 60.0
TOKEN_START_SECONDS = 6.0
# Below this much missing budget (in seconds of refill) a call goes: float noise, not a wait.
_EPSILON_SECONDS = 1e-6
# A hold for a retry-after ends this much later than the refused call's own wait, so that call
# is back in line when admissions resume and takes its turn by priority.
_HOLD_MARGIN_SECONDS = 0.01


@dataclass(frozen=True)
class RateLimits:
    """Per-minute limits the user knows for their account; ``None`` where none is set."""

    requests_per_minute: float | None = None
    input_tokens_per_minute: float | None = None
    output_tokens_per_minute: float | None = None


def request_cost(request: CompletionRequest) -> Cost:
    # An estimate from characters: the refund at the end corrects it with the real count.
    estimate = float(request_tokens(request))
    return (1.0, estimate, float(request.max_tokens), estimate + request.max_tokens)


class TokenBucket:
    """Budget of one kind; ``level`` may go below zero when a call costs more than it holds."""

    __slots__ = ("burst_seconds", "configured", "corrections", "level", "per_second", "source")

    def __init__(
        self, per_minute: float, source: Source, burst_seconds: float, start_seconds: float
    ) -> None:
        self.per_second = per_minute / 60.0 * HEADROOM
        self.configured = self.per_second if source == "configured" else math.inf
        self.source: Source = source
        self.burst_seconds = burst_seconds
        self.level = self.per_second * min(start_seconds, burst_seconds)
        self.corrections = 0.0  # sum of what server hints moved the level, see Ticket.seen

    def capacity(self, factor: float) -> float:
        return self.per_second * factor * self.burst_seconds

    def refill(self, seconds: float, factor: float) -> None:
        self.level = min(self.capacity(factor), self.level + self.per_second * factor * seconds)

    def wait_time(self, cost: float, factor: float) -> float:
        # A call costing more than the whole bucket goes when the bucket is full, into debt.
        missing = min(cost, self.capacity(factor)) - self.level
        return missing / (self.per_second * factor) if missing > 0 else 0.0


def _bucket(kind: int, per_minute: float, source: Source) -> TokenBucket:
    if kind == REQUESTS:
        return TokenBucket(per_minute, source, REQUEST_BURST_SECONDS, REQUEST_BURST_SECONDS)
    return TokenBucket(per_minute, source, TOKEN_BURST_SECONDS, TOKEN_START_SECONDS)


class Ticket:
    """One admitted call: what it was charged, and where the buckets stood just after."""

    __slots__ = ("admitted_at", "cost", "pace", "seen")

    def __init__(
        self, admitted_at: float, cost: Cost, seen: list[float | None], pace: float = 1.0
    ) -> None:
        self.admitted_at = admitted_at
        self.cost = cost
        # The pace it went at: the lower of the paces at this admission and at the one before,
        # between which its budget built up.
        self.pace = pace
        # Per kind: the bucket level after this charge minus the hint corrections made so far,
        # so that a later hint applies only what earlier hints have not already applied.
        self.seen = seen


class RateLimiter:
    """All of one provider's buckets and its pace; the admission queue asks it for budget."""

    def __init__(self, limits: RateLimits, pacing: PacingPolicy) -> None:
        self.buckets: list[TokenBucket | None] = [None, None, None, None]
        configured = (
            limits.requests_per_minute,
            limits.input_tokens_per_minute,
            limits.output_tokens_per_minute,
        )
        for kind, per_minute in enumerate(configured):
            if per_minute is not None:
                self.buckets[kind] = _bucket(kind, per_minute, "configured")
        self.pace = Pace(pacing)
        self.rate_limited = 0
        self.waiting = False  # set by the queue: the first waiter lacks budget, not a slot
        self._active = [b for b in self.buckets if b is not None]
        self._updated: float | None = None  # the first call to ``advance`` sets the clock
        self._tally = Tally()
        self._last_pace = 1.0  # the pace at the last admission
        self._hold_until = -math.inf  # no admission before this: a 429's retry-after
        self._learned_at = -math.inf  # when a requests bucket was learned from a 429

    # --- admission ------------------------------------------------------------------------------

    def advance(self, now: float) -> None:
        if self._updated is None:
            self._updated = now
        elapsed = now - self._updated
        if elapsed <= 0:
            return
        before, self._updated = self._updated, now
        if self.waiting:  # the pace climbs while calls wait for budget, not for a hold to end
            self.pace.climb(now - max(before, min(now, self._hold_until)))
        factor = self.pace.factor
        for bucket in self._active:
            bucket.refill(elapsed, factor)

    def wait_time(self, cost: Cost) -> float:
        """Seconds until every bucket can pay ``cost``; 0 when it can now."""
        factor = self.pace.factor
        longest = 0.0 if self._updated is None else self._hold_until - self._updated
        for kind, bucket in enumerate(self.buckets):
            if bucket is not None:
                longest = max(longest, bucket.wait_time(cost[kind], factor))
        return longest if longest > _EPSILON_SECONDS else 0.0

    def charge(self, cost: Cost, now: float) -> Ticket:
        seen: list[float | None] = [None, None, None, None]
        for kind, bucket in enumerate(self.buckets):
            if bucket is not None:
                bucket.level -= cost[kind]
                seen[kind] = bucket.level - bucket.corrections
        self._tally.admitted(now)
        self.pace.sent()
        pace = self.pace.factor
        ticket = Ticket(now, cost, seen, min(pace, self._last_pace))
        self._last_pace = pace
        return ticket

    # --- outcomes -------------------------------------------------------------------------------

    def settle(self, ticket: Ticket, input_tokens: int, output_tokens: int) -> None:
        """Give back what the call was charged beyond what it used."""
        cost = ticket.cost
        self._refund(INPUT, cost[INPUT] - input_tokens)
        self._refund(OUTPUT, cost[OUTPUT] - output_tokens)
        self._refund(TOKENS, cost[TOKENS] - input_tokens - output_tokens)

    def failed(self, ticket: Ticket) -> None:
        """The call ended without a result: its output was never produced."""
        self._refund(OUTPUT, ticket.cost[OUTPUT])
        self._refund(TOKENS, ticket.cost[OUTPUT])

    def unsent(self, ticket: Ticket) -> None:
        """The call was admitted but never sent: all of its budget goes back."""
        for kind in KINDS:
            self._refund(kind, ticket.cost[kind])

    def rejected(self, ticket: Ticket, now: float, retry_after: float | None = None) -> None:
        """A 429: the server used no tokens for this call, and it has no budget left now.
        (The request itself stays counted, as OpenAI counts refused requests against the
        limit, unless a retry-after says when the server takes the next one.)"""
        self.rate_limited += 1
        for kind in (INPUT, OUTPUT, TOKENS):
            self._refund(kind, ticket.cost[kind])
        self._tally.refused(now)
        pace = self.pace
        if retry_after == 0:
            return  # the server invites an immediate retry: it is not asking to slow down
        if retry_after is not None:  # earlier retries fail, the server says: none goes before
            hold = min(retry_after, pace.policy.max_hold) + _HOLD_MARGIN_SECONDS
            self._hold_until = max(self._hold_until, now + hold)
        requests = self.buckets[REQUESTS]
        if ticket.admitted_at < pace.last_cut_at:
            # Sent before the last cut: the cut already answered this overload. Unless it is
            # another refusal of the burst a rate was just learned from: then the server took
            # fewer of that burst than counted when the first refusal came back.
            learned_from = requests is not None and requests.source == "learned"
            if requests is not None and learned_from and ticket.admitted_at < self._learned_at:
                learned = self._learned_rate(now, retry_after) / 60.0
                requests.per_second = min(requests.per_second, learned)
            return
        if not self._active:
            self._learn(now, retry_after)
        elif now - pace.last_cut_at >= pace.policy.min_cut_interval:
            pace.cut(now, ticket.pace)
        for bucket in self._active:
            bucket.level = min(bucket.level, 0.0)
        requests = self.buckets[REQUESTS]
        if retry_after is not None and requests is not None:
            # The server, not this call's charge, says when the next call goes: as the hold
            # ends, not later (at a few calls a minute, the charge alone would hold it back a
            # whole interval more), and one call only (no burst of budget refilled meanwhile).
            factor = pace.factor
            ready = min(1.0, requests.capacity(factor))
            requests.level = ready - (self._hold_until - now) * requests.per_second * factor

    def hold(self, now: float, seconds: float) -> None:
        """Admit nothing for ``seconds`` (a provider refusing everything for lack of capacity);
        the buckets and the pace stay as they are."""
        self._hold_until = max(self._hold_until, now + seconds)

    def refusal_tracks_rate(self, now: float) -> bool:
        """Whether one more 429 (one the server did not say is a rate limit) looks like the
        client's own rate: calls were waiting for budget under a limit set or announced
        (flashgen was sending at that limit, so a refusal says it is too high), or 429s are
        a large share of enough calls to tell. (Until there are enough, the refused call
        waits on its own: a first random 429 must not set a rate.)"""
        if self.waiting and any(b.source != "learned" for b in self._active):
            return True  # (a learned rate is a guess from 429s: it proves nothing here)
        policy = self.pace.policy
        share, calls = self._tally.refused_share(now, extra=1)
        enough = calls >= policy.min_calls_judged or share * calls >= policy.min_refusals_judged
        return enough and share >= policy.rate_share

    def refused_at_random(self, ticket: Ticket, now: float, counted: bool = True) -> None:
        """A refusal for lack of capacity: no tokens were used, and neither the pace nor any
        hold changes (a slower client would be refused as often). ``counted`` 429s go into
        the share ``refusal_tracks_rate`` judges by."""
        for kind in (INPUT, OUTPUT, TOKENS):
            self._refund(kind, ticket.cost[kind])
        if counted:
            self._tally.refused(now)

    def observe(self, ticket: Ticket, hints: RateLimitHints) -> None:
        """Follow the server's view of its limits and of what is left."""
        pairs = [
            (REQUESTS, hints.requests_limit, hints.requests_remaining),
            (INPUT, hints.input_tokens_limit, hints.input_tokens_remaining),
            (OUTPUT, hints.output_tokens_limit, hints.output_tokens_remaining),
        ]
        # OpenAI counts input and output together; Anthropic's combined figure only repeats
        # the tightest of its separate ones, which are followed already.
        if pairs[1][1:] == (None, None) and pairs[2][1:] == (None, None):
            pairs.append((TOKENS, hints.tokens_limit, hints.tokens_remaining))
        for kind, limit, remaining in pairs:
            if limit is not None and limit > 0:
                self._announce(kind, limit)
            if remaining is not None:
                self._correct(kind, ticket.seen[kind], remaining)

    # --- internals ------------------------------------------------------------------------------

    def _refund(self, kind: int, amount: float) -> None:
        bucket = self.buckets[kind]
        if bucket is not None and amount:
            bucket.level = min(bucket.capacity(self.pace.factor), bucket.level + amount)

    def _announce(self, kind: int, per_minute: int) -> None:
        bucket = self.buckets[kind]
        if bucket is None:
            self._add(kind, _bucket(kind, per_minute, "server"))
            return
        per_second = per_minute / 60.0 * HEADROOM
        if bucket.source == "configured":
            bucket.per_second = min(bucket.configured, per_second)
        else:
            if bucket.source == "learned":
                self.pace.reset()  # its cuts were relative to a guess; this is the real limit
            bucket.per_second = per_second
            bucket.source = "server"
        self._limit_pace()

    def _correct(self, kind: int, seen: float | None, remaining: int) -> None:
        bucket = self.buckets[kind]
        if bucket is None or seen is None:
            return
        expected = seen + bucket.corrections  # the snapshot, as if today's corrections applied
        # The server rounds down and never reports a debt: its level lies in [remaining,
        # remaining + 1), or anywhere below 1 when it says 0.
        if expected > remaining + 1:
            delta = remaining + 1 - expected
        elif remaining >= 1 and remaining > expected and bucket.source != "configured":
            delta = remaining - expected  # a limit the user set is never raised by a hint
        else:
            return
        before = bucket.level
        bucket.level = min(bucket.capacity(self.pace.factor), bucket.level + delta)
        bucket.corrections += bucket.level - before

    def _learn(self, now: float, retry_after: float | None) -> None:
        per_minute = self._learned_rate(now, retry_after)
        self._add(REQUESTS, TokenBucket(per_minute / HEADROOM, "learned", 1.0, 0.0))
        self._learned_at = now
        self.pace.ceiling = math.inf
        self.pace.learned(now)

    def _learned_rate(self, now: float, retry_after: float | None) -> float:
        """Requests a minute: what the server accepted, or one per retry-after if lower."""
        per_minute = self._tally.accepted_per_second(now) * 60.0
        if retry_after:
            # With its bucket empty, a server can take one request per retry-after: often a
            # far better guess than a start-of-run burst (it errs low when rounded up to whole
            # seconds, and the pace then probes above it).
            per_minute = min(per_minute, 60.0 / retry_after)
        return per_minute

    def _add(self, kind: int, bucket: TokenBucket) -> None:
        self.buckets[kind] = bucket
        self._active = [b for b in self.buckets if b is not None]
        if any(b.source != "learned" for b in self._active):
            self._limit_pace()

    def _limit_pace(self) -> None:
        # A known limit caps the pace at 100% of it; only a learned rate may be probed above.
        self.pace.ceiling = 1.0
        self.pace.factor = min(self.pace.factor, 1.0)
