"""The pace after 429s (see ``ratelimit``'s docstring): one factor on every rate, cut on a 429,
regrown along a cubic curve; and the tally of the last minute that tells a rate limit apart
from a provider short of capacity."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

# How far back admissions and 429s are counted to estimate the rate the server accepts.
_WINDOW_SECONDS = 60.0
_MIN_SPAN_SECONDS = 1.0


@dataclass(frozen=True)
class PacingPolicy:
    """How hard flashgen backs off after a 429 and how it comes back."""

    decrease: float = 0.8  # the pace after a 429 at or below the peak, times the pace it drew
    probe_decrease: float = 0.98  # ... after a 429 drawn by probing above the peak
    recovery_seconds: float = 30.0  # time waiting for budget to climb back to the peak
    recovery_requests: int = 5  # ... and at least this many calls sent meanwhile
    max_patience: int = 16  # the longest climb, in multiples of the two above
    min_factor: float = 0.01
    # At most one cut this often: servers enforce per-minute limits over windows down to a
    # second, and a cut needs that long to show whether it was enough.
    min_cut_interval: float = 1.0
    # The longest a retry-after holds every admission back: a minute, the window of per-minute
    # limits (the refused call itself waits what the scheduler's retry policy allows).
    max_hold: float = 60.0
    # A 429 without rate-limit headers or code counts as the client's own rate only when 429s
    # are at least this share of the last minute's calls (and that minute holds at least
    # ``min_calls_judged`` calls, or the 429s number ``min_refusals_judged``): a rate limit
    # refuses whatever goes over it, a large share once reached; a provider short of capacity
    # refuses a steady few at any pace.
    rate_share: float = 0.3
    min_calls_judged: int = 20
    min_refusals_judged: int = 4


class Pace:
    """The factor every rate is multiplied by: cut on a 429, regrown along a cubic curve."""

    def __init__(self, policy: PacingPolicy) -> None:
        self.policy = policy
        self.factor = 1.0
        self.ceiling = 1.0  # math.inf when the only bucket is a learned one
        self.cuts = 0
        self.last_cut_at = -math.inf
        self._peak = 1.0  # where the climb levels off: just below where the server said no
        self._drew: float | None = None  # the pace that drew the last cut
        self._climbed = math.inf  # seconds spent waiting for budget since the last cut
        self._sent = math.inf  # calls admitted since the last cut
        self._patience = 1

    def cut(self, now: float, drew: float) -> None:
        """A 429 for a call sent at pace ``drew``."""
        policy = self.policy
        drew = min(drew, self.factor)
        similar = self._drew is not None and abs(drew - self._drew) <= 0.1 * self._drew
        if drew > self._peak:
            # Drawn by the probe above the peak, which held: the limit lies just below.
            self._peak = self.factor = max(policy.min_factor, drew * policy.probe_decrease)
            self._patience = min(policy.max_patience, 2 * self._patience)
        else:
            # The peak did not hold: back off well below it, and level off lower next time.
            self.factor = max(policy.min_factor, drew * policy.decrease)
            self._peak = drew * (1.0 + policy.decrease) / 2.0
            self._patience = min(policy.max_patience, 2 * self._patience) if similar else 1
        self._drew = drew
        self._climbed = self._sent = 0.0
        self.last_cut_at = now
        self.cuts += 1

    def learned(self, now: float) -> None:
        """A first rate, learned from a 429 (see ``RateLimiter``): it is a guess, often low,
        so the pace holds it and probes above it at once, rather than cutting below it."""
        policy = self.policy
        self.factor = self._peak = 1.0
        self._drew = None
        self._patience = 1
        self._climbed, self._sent = policy.recovery_seconds, policy.recovery_requests
        self.last_cut_at = now

    def reset(self) -> None:
        self.factor = self._peak = 1.0
        self._drew = None
        self._climbed = self._sent = math.inf
        self._patience = 1

    def sent(self) -> None:
        self._sent += 1

    def climb(self, seconds: float) -> None:
        if self.factor >= self.ceiling:
            return
        self._climbed += seconds
        policy = self.policy
        # W(t) = peak * (1 - (1 - decrease) * (1 - t/K)^3): decrease*peak at t=0, peak at t=K,
        # flat around t=K, then convex: it probes above the peak ever faster. t/K follows the
        # slower of two clocks, time and calls sent: a server taking a call every 20 s shows an
        # overshoot no sooner than its next call, so it gets as many calls to show it as a
        # fast one.
        elapsed = min(
            self._climbed / (policy.recovery_seconds * self._patience),
            self._sent / (policy.recovery_requests * self._patience),
        )
        grown = self._peak * (1.0 - (1.0 - policy.decrease) * (1.0 - elapsed) ** 3)
        self.factor = min(self.ceiling, max(self.factor, grown))


class Tally:
    """Admissions and 429s of the last minute: what share of its requests the server took."""

    def __init__(self) -> None:
        self.first: float | None = None
        self._admitted: deque[float] = deque()
        self._refused: deque[float] = deque()

    def admitted(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self._admitted.append(now)
        self._forget(self._admitted, now)

    def refused(self, now: float) -> None:
        self._refused.append(now)
        self._forget(self._refused, now)

    def accepted_share(self, now: float) -> float:
        self._forget(self._admitted, now)
        self._forget(self._refused, now)
        sent = len(self._admitted)
        return max(0, sent - len(self._refused)) / sent if sent else 1.0

    def refused_share(self, now: float, extra: int = 0) -> tuple[float, int]:
        """The share of the last minute's calls refused, ``extra`` refusals more, and how many
        calls that is out of."""
        self._forget(self._admitted, now)
        self._forget(self._refused, now)
        sent = len(self._admitted)
        return ((len(self._refused) + extra) / sent if sent else 1.0), sent

    def accepted_per_second(self, now: float) -> float:
        first = now if self.first is None else self.first  # a clock may well start at 0.0
        span = min(_WINDOW_SECONDS, max(_MIN_SPAN_SECONDS, now - first))
        accepted = self.accepted_share(now) * len(self._admitted)
        return max(1.0, accepted) / span

    @staticmethod
    def _forget(times: deque[float], now: float) -> None:
        while times and times[0] < now - _WINDOW_SECONDS:
            times.popleft()
