"""Gemini API batch mode through google-genai's ``client.batches``, with inline requests.

``batches.create(model, src=[InlinedRequest(contents, config, metadata)])`` starts a job (the
API's ``models/{model}:batchGenerateContent``); each request carries ``metadata.key``, its
``custom_id``, and its result comes back under the same ``metadata``, so results are matched
by key, never by position. ``batches.get(name)`` reports the job's ``state``
(``JOB_STATE_PENDING``, ``JOB_STATE_RUNNING``, then ``SUCCEEDED``, ``FAILED``, ``CANCELLED``
or ``EXPIRED``: a job not done in 48 hours expires); a done job's ``dest.inlined_responses``
hold each request's ``response`` or ``error``. Inline requests may total 20 MB per job
(https://ai.google.dev/gemini-api/docs/batch-mode). Creating a job is not idempotent: the
batch state written before ``create`` is what keeps a rerun from creating another.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from flashgen.errors import FatalProviderError
from flashgen.providers.base import CompletionRequest, RateLimitHints
from flashgen.providers.batch import BatchLimits, BatchOutcome, BatchProgress
from flashgen.providers.common import guarded
from flashgen.providers.gemini import GeminiProvider, contents

if TYPE_CHECKING:
    from google.genai import types

_ENDED = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
    }
)


class GeminiBatches(GeminiProvider):
    batch_price = True
    # No request count is documented for inline jobs; the 20 MB of requests is the limit.
    limits = BatchLimits(max_requests=100_000, max_bytes=20 * 1000 * 1000)

    def _inlined(self, custom_id: str, request: CompletionRequest) -> types.InlinedRequest:
        from google.genai import types

        return types.InlinedRequest(
            contents=contents(request),
            config=self._config(request),
            metadata={"key": custom_id},
        )

    def request_size(self, custom_id: str, request: CompletionRequest) -> int:
        entry = self._inlined(custom_id, request)
        return len(entry.model_dump_json(exclude_none=True).encode("utf-8"))

    async def submit(self, requests: Sequence[tuple[str, CompletionRequest]]) -> str:
        src = [self._inlined(custom_id, request) for custom_id, request in requests]
        job = await guarded(self._client.batches.create(model=self.model, src=src), self._translate)
        if not job.name:
            raise FatalProviderError("Gemini created a batch job without a name", "")
        return job.name

    async def _job(self, batch_id: str) -> types.BatchJob:
        return await guarded(self._client.batches.get(name=batch_id), self._translate)

    async def progress(self, batch_id: str) -> BatchProgress:
        job = await self._job(batch_id)
        state = job.state.value if job.state else "JOB_STATE_UNSPECIFIED"
        if state == "JOB_STATE_FAILED":
            reason = job.error.message if job.error else "no reason given"
            raise FatalProviderError(
                f"Gemini batch job {batch_id} failed: {reason}",
                "run again without --batch to see the request the API refuses",
            )
        status = state.removeprefix("JOB_STATE_").lower()
        return BatchProgress(state in _ENDED, status)

    async def outcomes(self, batch_id: str) -> AsyncIterator[BatchOutcome]:
        job = await self._job(batch_id)
        responses = job.dest.inlined_responses if job.dest else None
        for item in responses or []:
            key = (item.metadata or {}).get("key", "")
            if item.response is not None and item.error is None:
                yield BatchOutcome(key, self._completion(item.response, RateLimitHints()))
            else:
                error = item.error
                said = f"{error.code}: {error.message}" if error else "no response"
                yield BatchOutcome(key, None, f"errored: {said}")
