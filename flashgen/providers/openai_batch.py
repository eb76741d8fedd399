"""OpenAI Batch API through the SDK: a JSONL file of Chat Completions requests.

``files.create(file=..., purpose="batch")`` uploads the requests, one line each
(``{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}``; at most 50,000
lines and 200 MB, one model per file); ``batches.create(input_file_id, endpoint=
"/v1/chat/completions", completion_window="24h")`` starts the batch; ``batches.retrieve(id)``
gives ``status`` (``validating``, ``in_progress``, ``finalizing``, then ``completed``,
``failed``, ``expired`` or ``cancelled``) and ``request_counts``. The replies are lines of the
``output_file_id`` file (``response.status_code`` and ``body``), the failures lines of the
``error_file_id`` file (``error.code``: ``batch_expired`` and ``batch_cancelled`` for requests
the batch never ran), in any order (https://platform.openai.com/docs/guides/batch).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

from flashgen.errors import FatalProviderError
from flashgen.providers.base import CompletionRequest, RateLimitHints
from flashgen.providers.batch import BatchLimits, BatchOutcome, BatchProgress
from flashgen.providers.common import guarded
from flashgen.providers.openai import OpenAIProvider

ENDPOINT: Final = "/v1/chat/completions"
_ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
_FAILURES = {"batch_expired": "expired", "batch_cancelled": "canceled"}


class OpenAIBatches(OpenAIProvider):
    batch_price = True
    limits = BatchLimits(max_requests=50_000, max_bytes=200 * 1024 * 1024)

    def _line(self, custom_id: str, request: CompletionRequest) -> str:
        body = self._params(request)
        entry = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}
        return json.dumps(entry) + "\n"

    def request_size(self, custom_id: str, request: CompletionRequest) -> int:
        return len(self._line(custom_id, request).encode("utf-8"))

    async def submit(self, requests: Sequence[tuple[str, CompletionRequest]]) -> str:
        data = "".join(self._line(c, request) for c, request in requests).encode("utf-8")
        upload = await guarded(
            self._client.files.create(file=("flashgen-batch.jsonl", data), purpose="batch"),
            self._translate,
        )
        batch = await guarded(
            self._client.batches.create(
                input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h"
            ),
            self._translate,
        )
        return batch.id

    async def progress(self, batch_id: str) -> BatchProgress:
        batch = await guarded(self._client.batches.retrieve(batch_id), self._translate)
        if batch.status == "failed":  # the file was refused as a whole: no request ran
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            said = "; ".join(f"{e.code}: {e.message}" for e in errors) or "no reason given"
            raise FatalProviderError(
                f"OpenAI refused batch {batch_id}: {said}",
                "run again without --batch to see the request the API refuses",
            )
        counts = batch.request_counts.model_dump() if batch.request_counts else {}
        return BatchProgress(batch.status in _ENDED, batch.status, counts)

    async def outcomes(self, batch_id: str) -> AsyncIterator[BatchOutcome]:
        batch = await guarded(self._client.batches.retrieve(batch_id), self._translate)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await guarded(self._client.files.content(file_id), self._translate)
            for line in content.text.splitlines():
                if line.strip():
                    yield self._outcome(json.loads(line))

    def _outcome(self, line: dict[str, Any]) -> BatchOutcome:
        from openai.types.chat import ChatCompletion

        custom_id = str(line.get("custom_id", ""))
        response = line.get("response") or {}
        error = line.get("error") or {}
        if response.get("status_code") == 200 and not error:
            completion = ChatCompletion.model_validate(response.get("body"))
            return BatchOutcome(custom_id, self._completion(completion, RateLimitHints()))
        code = str(error.get("code") or "")
        if code in _FAILURES:
            return BatchOutcome(custom_id, None, _FAILURES[code])
        body_error = (response.get("body") or {}).get("error") or {}
        message = error.get("message") or body_error.get("message") or "no message"
        status = response.get("status_code", "")
        return BatchOutcome(custom_id, None, f"errored: {code or status}: {message}")
