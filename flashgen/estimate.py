"""Token estimates before a call is made, for ``flashgen plan`` and for ``--budget``.

Four characters to a token is the usual rule of thumb for English prose with these tokenizers;
outputs are sized from what a card or a question typically takes. ``flashgen plan`` reports
these figures, and tests hold them within a factor of two of what a run reports.
"""

from __future__ import annotations

import math

from flashgen.providers.base import CompletionRequest

CHARS_PER_TOKEN = 4
OUTPUT_TOKENS_PER_CARD = 300
OUTPUT_TOKENS_PER_QUESTION = 150


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def request_tokens(request: CompletionRequest) -> int:
    return text_tokens(request.system) + sum(text_tokens(m.content) for m in request.messages)


def expected_output_tokens(request: CompletionRequest, items: int) -> int:
    """What a reply of ``items`` cards or questions will take, capped by ``max_tokens``."""
    per_item = (
        OUTPUT_TOKENS_PER_CARD
        if request.schema_name == "flashcards"
        else OUTPUT_TOKENS_PER_QUESTION
    )
    return min(request.max_tokens, items * per_item)
