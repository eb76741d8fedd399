"""The scheduler's policies: retries, overload, the per-call deadline, hedging; and the window of
latencies the deadline and hedging read."""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass


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


class Latencies:
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
