"""Token estimates before a call is made: ``flashgen plan``, ``--budget``, and ``max_tokens``.

Four characters to a token is the usual rule of thumb for English prose with these tokenizers;
outputs are sized from what a card or a question typically takes. ``flashgen plan`` reports
these figures, and tests hold them within a factor of two of what a run reports.

The same per-item sizes set each request's ``max_tokens`` (``OutputAllowance``): what the
cards or questions asked for typically take, with a margin for long ones, within the configured
cap. Providers reserve ``max_tokens`` against an output-tokens-per-minute limit while a call
runs, and so does flashgen's own rate limiter: asking for the cap on every call would let one
or two calls in flight use up a whole minute of a small limit.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flashgen.models import TaskKind
from flashgen.providers.base import CompletionRequest

CHARS_PER_TOKEN = 4
# Each message (the system text counts as one) is wrapped in a few tokens of role markup.
MESSAGE_OVERHEAD_TOKENS = 8
OUTPUT_TOKENS_PER_CARD = 300
OUTPUT_TOKENS_PER_QUESTION = 150
# A request's max_tokens: its items at OUTPUT_MARGIN times their typical size, plus room for
# the JSON envelope (and a code fence, some models add one). Six cards get 2,648 tokens and 17
# questions 3,698, where replies typically take 1,500 to 2,500. A margin wider than needed
# costs throughput under an output-token limit: calls in flight hold their whole max_tokens.
OUTPUT_MARGIN = 1.4
OUTPUT_OVERHEAD_TOKENS = 128


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def schema_tokens(schema: dict[str, Any] | None) -> int:
    """The schema counts as input: every API turns it into text the model reads."""
    return text_tokens(json.dumps(schema, separators=(",", ":"))) if schema else 0


def request_tokens(request: CompletionRequest) -> int:
    """A request's input tokens before it is sent, the one estimate flashgen makes: the rate
    limiter charges it (the reply's usage then refunds the difference) and ``--budget`` bounds
    a call's cost with it."""
    return (
        text_tokens(request.system)
        + sum(text_tokens(m.content) for m in request.messages)
        + schema_tokens(request.json_schema)
        + MESSAGE_OVERHEAD_TOKENS * (len(request.messages) + 1)
    )


# Gemini's dynamic thinking (budget -1) has no fixed ceiling below the model's maximum; this is
# what flashgen counts for it (2.5 Flash's own ceiling is 24,576).
DYNAMIC_THINKING_TOKENS = 8192


# Pro models think whatever the request says; 128 is the least 2.5 Pro accepts.
LEAST_PRO_THINKING = 128


def gemini_thinking_budget(model: str, setting: int | None) -> int:
    """The budget sent to Gemini: the setting, or the least ``model`` accepts."""
    if setting is not None:
        return setting
    return LEAST_PRO_THINKING if "pro" in model else 0


def thinking_tokens(provider: str, model: str, setting: int | None) -> int:
    """The thinking tokens a request may spend on top of its answer: billed as output, and
    counted in ``plan``, ``--budget`` and ``max_tokens``. Only Gemini's is a setting."""
    if provider != "gemini":
        return 0
    return thinking_room(gemini_thinking_budget(model, setting))


def thinking_room(budget: int) -> int:
    """The tokens a Gemini thinking budget may take (-1: the model decides)."""
    return DYNAMIC_THINKING_TOKENS if budget < 0 else budget


# The shortest prefix each API caches, in tokens: Anthropic per model (prompt-caching docs,
# "Cache limitations"; the first matching model-name fragment wins), OpenAI's automatic caching
# from 1,024 tokens (prompt-caching guide), Gemini's implicit caching from 1,024 tokens on Flash
# and 4,096 on Pro (context-caching docs). A model not listed gets the lowest: a mark below a
# model's real minimum costs nothing (the prefix is just not cached), a missing one loses a cache.
_MIN_CACHE_TOKENS: dict[str, tuple[tuple[str, int], ...]] = {
    "anthropic": (
        ("opus-4-6", 4096),
        ("opus-4-5", 4096),
        ("haiku-4-5", 4096),
        ("sonnet-4-6", 2048),
        ("3-haiku", 2048),
        ("3-5-haiku", 2048),
    ),
    "gemini": (("pro", 4096),),
}
DEFAULT_MIN_CACHE_TOKENS = 1024


def min_cache_tokens(provider: str, model: str) -> int:
    rules = _MIN_CACHE_TOKENS.get(provider, ())
    return next((n for part, n in rules if part in model), DEFAULT_MIN_CACHE_TOKENS)


def output_tokens_per_item(kind: TaskKind) -> int:
    """Typical output of one item of a ``kind`` request: a card or a question."""
    return OUTPUT_TOKENS_PER_CARD if kind is TaskKind.FLASHCARDS else OUTPUT_TOKENS_PER_QUESTION


def expected_output_tokens(kind: TaskKind, items: int, max_tokens: int) -> int:
    """What a reply of ``items`` cards or questions will take, at most ``max_tokens``."""
    return min(max_tokens, items * output_tokens_per_item(kind))


class OutputAllowance:
    """``max_tokens`` for each request of one generator, within the configured ``cap``.

    A request for ``items`` cards or questions gets their typical size times ``OUTPUT_MARGIN``
    plus ``OUTPUT_OVERHEAD_TOKENS``. A reply cut off below the cap is asked again with twice
    the allowance (up to the cap), so that a truncation fails a task only where the cap itself
    is too small; later requests of that kind start from the factor that was needed (a model
    or a language that writes longer items than estimated costs one cut-off reply, not one a
    task).
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._factor: dict[TaskKind, float] = {}

    @staticmethod
    def base(kind: TaskKind, items: int) -> int:
        return OUTPUT_OVERHEAD_TOKENS + round(
            max(1, items) * output_tokens_per_item(kind) * OUTPUT_MARGIN
        )

    def initial(self, kind: TaskKind, items: int) -> int:
        """``max_tokens`` for a first request of ``kind`` for ``items`` items."""
        return min(self.cap, math.ceil(self.base(kind, items) * self._factor.get(kind, 1.0)))

    def raised(self, kind: TaskKind, items: int, max_tokens: int) -> int:
        """``max_tokens`` for asking again after a reply was cut off at ``max_tokens``."""
        raised = min(self.cap, 2 * max_tokens)
        factor = raised / self.base(kind, items)
        self._factor[kind] = max(self._factor.get(kind, 1.0), factor)
        return raised
