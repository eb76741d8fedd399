"""Anthropic Message Batches through the SDK's ``client.messages.batches``.

``create(requests=[{"custom_id", "params"}])`` submits; ``retrieve(id)`` gives
``processing_status`` (``in_progress``, ``canceling``, ``ended``) and ``request_counts``;
``results(id)`` streams one JSON line per request once the batch has ended, in any order, each
``succeeded`` (with the message), ``errored``, ``canceled`` or ``expired``
(https://docs.claude.com/en/docs/build-with-claude/batch-processing). A batch holds at most
100,000 requests or 256 MB, whichever comes first; ``custom_id`` matches
``^[a-zA-Z0-9_-]{1,64}$`` and is unique within a batch. Replies cost half the live price
(``batch_discount`` in the price table).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from flashgen.providers.anthropic import AnthropicProvider, message_params, output_config
from flashgen.providers.base import CompletionRequest, RateLimitHints
from flashgen.providers.batch import BatchLimits, BatchOutcome, BatchProgress
from flashgen.providers.common import guarded
from flashgen.providers.estimate import min_cache_tokens

if TYPE_CHECKING:
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
    from anthropic.types.messages.batch_create_params import Request


class AnthropicBatches(AnthropicProvider):
    batch_price = True
    limits = BatchLimits(max_requests=100_000, max_bytes=256 * 1024 * 1024)

    def _entry(self, custom_id: str, request: CompletionRequest) -> Request:
        """One request of a batch: the same parameters a live call of this adapter sends."""
        params: MessageCreateParamsNonStreaming = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": message_params(request, min_cache_tokens(self.name, self.model)),
        }
        if request.system:
            params["system"] = request.system
        config = output_config(request.json_schema)
        if config is not None:
            params["output_config"] = config
        return {"custom_id": custom_id, "params": params}

    def request_size(self, custom_id: str, request: CompletionRequest) -> int:
        return len(json.dumps(self._entry(custom_id, request)).encode("utf-8"))

    async def submit(self, requests: Sequence[tuple[str, CompletionRequest]]) -> str:
        entries = [self._entry(custom_id, request) for custom_id, request in requests]
        batch = await guarded(
            self._client.messages.batches.create(requests=entries), self._translate
        )
        return batch.id

    async def progress(self, batch_id: str) -> BatchProgress:
        batch = await guarded(self._client.messages.batches.retrieve(batch_id), self._translate)
        counts = batch.request_counts.model_dump()
        return BatchProgress(batch.processing_status == "ended", batch.processing_status, counts)

    async def outcomes(self, batch_id: str) -> AsyncIterator[BatchOutcome]:
        results = await guarded(self._client.messages.batches.results(batch_id), self._translate)
        async for line in results:
            result = line.result
            if result.type == "succeeded":
                completion = self._completion(result.message, RateLimitHints())
                yield BatchOutcome(line.custom_id, completion)
            elif result.type == "errored":
                error = result.error.error
                yield BatchOutcome(line.custom_id, None, f"errored: {error.type}: {error.message}")
            else:
                yield BatchOutcome(line.custom_id, None, result.type)
