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

import math

from flashgen.providers.base import CompletionRequest

CHARS_PER_TOKEN = 4
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


def request_tokens(request: CompletionRequest) -> int:
    return text_tokens(request.system) + sum(text_tokens(m.content) for m in request.messages)


def output_tokens_per_item(kind: str) -> int:
    """Typical output of one item of a ``kind`` request: a card (``flashcards``) or a question."""
    return OUTPUT_TOKENS_PER_CARD if kind == "flashcards" else OUTPUT_TOKENS_PER_QUESTION


def expected_output_tokens(kind: str, items: int, max_tokens: int) -> int:
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
        self._factor: dict[str, float] = {}

    @staticmethod
    def base(kind: str, items: int) -> int:
        return OUTPUT_OVERHEAD_TOKENS + round(
            max(1, items) * output_tokens_per_item(kind) * OUTPUT_MARGIN
        )

    def initial(self, kind: str, items: int) -> int:
        """``max_tokens`` for a first request of ``kind`` for ``items`` items."""
        return min(self.cap, math.ceil(self.base(kind, items) * self._factor.get(kind, 1.0)))

    def raised(self, kind: str, items: int, max_tokens: int) -> int:
        """``max_tokens`` for asking again after a reply was cut off at ``max_tokens``."""
        raised = min(self.cap, 2 * max_tokens)
        factor = raised / self.base(kind, items)
        self._factor[kind] = max(self._factor.get(kind, 1.0), factor)
        return raised
