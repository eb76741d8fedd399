"""A simulated model server behind flashgen's real ``Provider`` protocol.

- Latency: lognormal (median, sigma), drawn from a hash of the request and of how many times
  that request was served before, never from a shared random stream. Every strategy therefore
  meets the same latency for the same call, whatever order it sends its calls in.
- Output size: what the request asks for, the number of cards or questions its prompt names
  (the last count a user message gives: a re-ask for the missing questions names fewer) times
  ~250 tokens a card or ~130 a question, times a factor within ±25% drawn like the latency
  (independently of it). An output that would pass the request's ``max_tokens`` is cut off
  there and reported with stop reason ``max_tokens``, as a model's would be.
- Rate limits as the providers document them: token buckets refilled continuously at limit/60
  per second. The requests bucket holds one second (OpenAI: "60,000 requests/minute may be
  enforced as 1,000 requests/second"), token buckets a minute (Anthropic). Output tokens are
  reserved at ``max_tokens`` when a request arrives and the unused part is returned when it ends
  (Anthropic's documented OTPM accounting). A request that does not fit gets a 429 quickly, with
  ``retry-after`` in whole seconds; optionally every answer carries limit/remaining hints.
- Optional faults: transient server errors and unusable replies (which make flashgen re-ask).
- Replies are valid flashcard and quiz JSON (unless cut off), built from the prompt: as many
  cards as it asks for; quiz questions cite the flashcard ids the prompt lists.

Every served call is logged (lecture, task, latency, tokens) for the lower bound; a call the
client cancels (the loser of a hedge) is logged with the time it really held its slot.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from statistics import NormalDist

from flashgen.errors import RateLimited, TransientProviderError
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, RateLimitHints

CARDS_PER_CHUNK = 6
_NORMAL = NormalDist()
_LECTURE_PART = re.compile(r"Lecture: (?P<lecture>[\w-]+), part \d+")
_CARD_ID = re.compile(r'"id": "(?P<id>(?P<lecture>[\w-]+?)-fc-[0-9a-f]+)"')
_QUESTION_COUNT = re.compile(r"Write (?:exactly )?(\d+) questions")
# How many items a user message asks for: "Write between 4 and 6 flashcards" (the top of the
# range), "Write exactly 17 questions", "Write 3 new questions".
_ITEMS_ASKED = re.compile(
    r"Write (?:between \d+ and |exactly )?(\d+) (?:new )?(?:flashcards|questions)\b"
)
_TYPE_COUNT = re.compile(r'(\d+) of type "(mcq|mca)"')
_SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]


class SimTime:
    """The simulated server's clock: the event loop's (virtual in ``benchmarks.scheduler``,
    real in ``benchmarks.end_to_end``)."""

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    @staticmethod
    def sleep(seconds: float) -> Awaitable[None]:
        return asyncio.sleep(seconds)


@dataclass(frozen=True)
class LatencyModel:
    median: float = 15.0
    sigma: float = 0.5
    seed: int = 1
    tokens_per_card: float = 250.0
    tokens_per_question: float = 130.0
    output_spread: float = 0.25  # an output is its items' size times 1 ± up to this
    reject_seconds: float = 0.05  # a 429 comes back at once
    network_seconds: float = 0.01  # from the client to the server's rate limiter
    transient_rate: float = 0.0
    invalid_rate: float = 0.0

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def uniform(self, salt: str, key: str, attempt: int) -> float:
        digest = hashlib.blake2b(f"{self.seed}|{salt}|{key}|{attempt}".encode(), digest_size=8)
        return (int.from_bytes(digest.digest(), "big") + 0.5) / 2.0**64

    def latency(self, key: str, attempt: int) -> float:
        z = _NORMAL.inv_cdf(self.uniform("latency", key, attempt))
        return self.median * math.exp(self.sigma * z)

    def output_tokens(self, kind: str, items: int, key: str, attempt: int) -> int:
        """What a reply of ``items`` cards or questions takes, before any ``max_tokens``."""
        size = self.tokens_per_card if kind == "flashcards" else self.tokens_per_question
        spread = self.output_spread * (2 * self.uniform("output", key, attempt) - 1)
        return max(1, round(items * size * (1 + spread)))


@dataclass(frozen=True)
class ServerLimits:
    rpm: float | None = None
    itpm: float | None = None
    otpm: float | None = None
    request_window: float = 1.0
    token_window: float = 60.0
    hints: bool = False
    retry_after_step: float = 1.0

    @property
    def any(self) -> bool:
        return any(limit is not None for limit in (self.rpm, self.itpm, self.otpm))


class _Bucket:
    def __init__(self, per_minute: float, window: float) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.capacity = self.rate * window
        self.level = self.capacity
        self.updated = 0.0

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def shortfall(self, cost: float) -> float:
        """Seconds until ``cost`` fits; a cost above capacity fits a full bucket."""
        missing = min(cost, self.capacity) - self.level
        return max(0.0, missing / self.rate)


@dataclass
class CallRecord:
    lecture: str
    kind: str  # "flashcards" or "questions"
    task: str  # every attempt and re-ask of one task shares it
    start: float
    latency: float  # how long the call held its slot: cut short if the client cancelled it
    input_tokens: int
    output_tokens: int
    cancelled: bool = False
    duplicate: bool = False  # the same request was in flight already: a hedge's copy


@dataclass
class SimProvider:
    latency: LatencyModel
    limits: ServerLimits
    clock: SimTime
    name: str = "sim"
    model: str = "sim-1"
    records: list[CallRecord] = field(default_factory=list)
    rejected: int = 0
    first_rejection: float | None = None
    cpu_seconds: float = 0.0  # spent building replies: the server's work, not the client's
    _attempts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    _in_flight: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        limits = self.limits
        for kind, per_minute, window in (
            ("requests", limits.rpm, limits.request_window),
            ("input", limits.itpm, limits.token_window),
            ("output", limits.otpm, limits.token_window),
        ):
            if per_minute is not None:
                self._buckets[kind] = _Bucket(per_minute, window)

    async def complete(self, request: CompletionRequest) -> Completion:
        await self.clock.sleep(self.latency.network_seconds)
        started = time.process_time()
        now = self.clock.now()
        prompt = request.messages[0].content
        key = hashlib.blake2b(
            "\x1f".join(m.content for m in request.messages).encode(), digest_size=12
        ).hexdigest()
        input_tokens = (len(request.system) + sum(len(m.content) for m in request.messages)) // 4
        costs = {"requests": 1.0, "input": float(input_tokens), "output": float(request.max_tokens)}
        wait = 0.0
        for kind, bucket in self._buckets.items():
            bucket.refill(now)
            wait = max(wait, bucket.shortfall(costs[kind]))
        if wait > 0:
            self.rejected += 1
            if self.first_rejection is None:
                self.first_rejection = now
            step = self.limits.retry_after_step
            self.cpu_seconds += time.process_time() - started
            await self.clock.sleep(self.latency.reject_seconds)
            raise RateLimited("429 Too Many Requests", retry_after=math.ceil(wait / step) * step)
        for kind, bucket in self._buckets.items():
            bucket.level -= costs[kind]
        hints = self._hints()
        attempt = self._attempts[key]
        self._attempts[key] += 1
        latency = self.latency.latency(key, attempt)
        lecture, kind = task_of(prompt, request.schema_name)
        items = items_asked(request, kind)
        wanted = self.latency.output_tokens(kind, items, key, attempt)
        truncated = wanted > request.max_tokens
        output_tokens = min(wanted, request.max_tokens)
        task = hashlib.blake2b(prompt.encode(), digest_size=12).hexdigest()
        record = CallRecord(lecture, kind, task, now, latency, input_tokens, output_tokens)
        record.duplicate = self._in_flight[key] > 0
        self.records.append(record)
        self._in_flight[key] += 1
        self.cpu_seconds += time.process_time() - started
        try:
            await self.clock.sleep(latency)
        except asyncio.CancelledError:  # the client gave up on it (a hedge answered first)
            # Generation stops there; what was generated so far counts against the limit.
            held = self.clock.now() - now
            produced = int(output_tokens * min(1.0, held / latency)) if latency > 0 else 0
            record.latency, record.output_tokens, record.cancelled = held, produced, True
            output = self._buckets.get("output")
            if output is not None:
                output.refill(self.clock.now())
                output.level += request.max_tokens - produced
            raise
        finally:
            self._in_flight[key] -= 1
        started = time.process_time()
        failed = self.latency.uniform("transient", key, attempt) < self.latency.transient_rate
        output = self._buckets.get("output")
        if output is not None:  # the unused reservation goes back (all of it on a failure)
            output.refill(self.clock.now())
            output.level += request.max_tokens - (0 if failed else output_tokens)
        if failed:
            self.cpu_seconds += time.process_time() - started
            raise TransientProviderError("500 Internal Server Error (injected)")
        if request.schema_name.startswith("sim-"):
            text = "{}"  # SimGenerator does not read replies
        elif self.latency.uniform("invalid", key, attempt) < self.latency.invalid_rate:
            text = "Sorry, here is a summary instead of JSON."
        elif kind == "flashcards":
            text = flashcards_reply(prompt, key, items)
        else:
            text = questions_reply(prompt, key)
        if truncated:  # the part of the reply that fits in max_tokens
            text = text[: len(text) * output_tokens // wanted]
        self.cpu_seconds += time.process_time() - started
        return Completion(
            text=text,
            usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens),
            model=self.model,
            stop_reason="max_tokens" if truncated else "end",
            rate_limits=hints,
        )

    async def aclose(self) -> None:
        return None

    def _hints(self) -> RateLimitHints:
        if not self.limits.hints:
            return RateLimitHints()
        found: dict[str, int] = {}
        for kind, name in (
            ("requests", "requests"),
            ("input", "input_tokens"),
            ("output", "output_tokens"),
        ):
            bucket = self._buckets.get(kind)
            if bucket is not None:
                found[f"{name}_limit"] = int(bucket.per_minute)
                found[f"{name}_remaining"] = max(0, int(bucket.level))
        return RateLimitHints(**found)


def task_of(prompt: str, schema_name: str) -> tuple[str, str]:
    if schema_name.endswith("flashcards"):
        mark = _LECTURE_PART.search(prompt)
        return (mark.group("lecture") if mark else "?"), "flashcards"
    card = _CARD_ID.search(prompt)
    return (card.group("lecture") if card else "?"), "questions"


def items_asked(request: CompletionRequest, kind: str) -> int:
    """The cards or questions ``request`` asks for: the count its last user message that names
    one gives (without one: CARDS_PER_CHUNK cards, or a question per listed card)."""
    for message in reversed(request.messages):
        found = _ITEMS_ASKED.search(message.content) if message.role == "user" else None
        if found:
            return int(found.group(1))
    if kind == "flashcards":
        return CARDS_PER_CHUNK
    return max(1, len(_CARD_ID.findall(request.messages[0].content)))


def words(seed: str, count: int) -> list[str]:
    """``count`` made-up words from ``seed``: distinct texts that the dedupe keeps apart."""
    digest = hashlib.blake2b(seed.encode(), digest_size=64).digest()
    while len(digest) < 2 * count:
        digest += hashlib.blake2b(digest, digest_size=64).digest()
    n = len(_SYLLABLES)
    return [
        _SYLLABLES[digest[2 * i] % n] + _SYLLABLES[digest[2 * i + 1] % n] + "n"
        for i in range(count)
    ]


def flashcards_reply(prompt: str, key: str, count: int = CARDS_PER_CHUNK) -> str:
    cards = []
    for n in range(count):
        w = words(f"{key}/{n}", 8)
        cards.append(
            {
                "type": "definition",
                "term": f"{w[0]} {w[1]}",
                "question": f"What does {w[0]} {w[1]} mean for {w[2]} and {w[3]}?",
                "answers": {
                    "concise": f"{w[0]} {w[1]} is the {w[4]} of {w[5]}.",
                    "analogy": f"Like a {w[6]} holding a {w[7]}.",
                    "eli5": f"It is how {w[2]} helps {w[3]}.",
                    "real_world_use_case": f"Used when {w[5]} meets {w[6]}.",
                    "common_mistakes": f"Taking {w[4]} for {w[7]}.",
                },
                "context": "Simulated section",
                "example": f"{w[2]} with {w[3]}.",
                "relevance_score": {"score": 7, "justification": "Central to the part."},
            }
        )
    return json.dumps({"flashcards": cards})


def questions_reply(prompt: str, key: str) -> str:
    """The questions the prompt asks for, by type (mcq and mca), each citing a listed card."""
    ids = [match.group("id") for match in _CARD_ID.finditer(prompt)]
    kinds = [kind for count, kind in _TYPE_COUNT.findall(prompt) for _ in range(int(count))]
    if not kinds:
        wanted = _QUESTION_COUNT.search(prompt)
        kinds = ["mcq"] * (int(wanted.group(1)) if wanted else len(ids))
    questions = []
    for n, kind in enumerate(kinds):
        w = words(f"{key}/{n}", 6)
        options = {
            "A": f"{w[2]} first",
            "B": f"{w[3]} second",
            "C": f"{w[4]} third",
            "D": f"{w[5]} fourth",
        }
        correct = ["A", "B"] if kind == "mca" else ["A"]
        named = " and ".join(f"option {letter} ({options[letter]})" for letter in correct)
        questions.append(
            {
                "type": "mca" if kind == "mca" else "mcq",
                "question_text": f"Which {w[0]} best explains {w[1]}?",
                "options": options,
                "correct_answer": correct,
                "explanation": f"Correct: {named}; {w[5]} fourth is a tempting but wrong pick.",
                "source_flashcard_ids": [ids[n % len(ids)]] if ids else [],
                "tags": [w[0], w[1]],
            }
        )
    return json.dumps({"questions": questions})
