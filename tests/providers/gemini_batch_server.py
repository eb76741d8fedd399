"""A local Gemini API batch mode (inline requests), strict about what the docs state.

https://ai.google.dev/gemini-api/docs/batch-mode and the API reference:
``POST /{version}/models/{model}:batchGenerateContent`` takes
``batch.inputConfig.requests.requests``, each ``{"request": GenerateContentRequest,
"metadata": {...}}``, at most 20 MB of them; the answer is the job (``name``: ``batches/…``,
``metadata.state``). ``GET /{version}/batches/{id}`` goes ``BATCH_STATE_PENDING`` →
``BATCH_STATE_RUNNING`` → ``BATCH_STATE_SUCCEEDED`` over ``polls_to_end`` polls; a succeeded
job's ``metadata.output.inlinedResponses.inlinedResponses`` holds each request's ``response``
or ``error`` with its ``metadata``, here out of order. The key travels as ``x-goog-api-key``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from .batch_server_base import BatchServerBase, json_response, out_of_order
from .fake_api import FAKE_KEY, GEMINI
from .model_server import answer

MAX_BYTES = 20 * 1000 * 1000
_STATES = ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING")


@dataclass
class Batch:
    id: str
    model: str
    requests: list[dict[str, Any]]
    polls: int = 0
    responses: list[dict[str, Any]] | None = None  # made once, when the job ends


@dataclass
class GeminiBatchServer(BatchServerBase):
    batches: dict[str, Batch] = field(default_factory=dict)

    def handle(self, request: Request) -> Response:
        if request.headers.get(GEMINI.key_header) != FAKE_KEY:
            return _error(
                400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."
            )
        path, method = request.path, request.method
        create = re.fullmatch(r"/v1\w*/models/([^/:]+):batchGenerateContent", path)
        if method == "POST" and create:
            return self._create(create.group(1), request.get_data())
        live = re.fullmatch(r"/v1\w*/models/([^/:]+):generateContent", path)
        if method == "POST" and live:
            self.live_calls += 1
            code, body, _ = answer(GEMINI, path, json.loads(request.get_data()))
            return json_response(body, code)
        get = re.fullmatch(r"/v1\w*/(batches/[^/]+)", path)
        if method == "GET" and get and get.group(1) in self.batches:
            batch = self.batches[get.group(1)]
            batch.polls += 1
            return json_response(self._job(batch))
        return _error(404, "NOT_FOUND", f"{method} {path}: not found")

    def _create(self, model: str, raw: bytes) -> Response:
        self.begin_create()
        if len(raw) > MAX_BYTES:
            return _error(400, "INVALID_ARGUMENT", "inline requests exceed 20 MB")
        body = json.loads(raw)
        requests = body.get("batch", {}).get("inputConfig", {}).get("requests", {})
        entries = requests.get("requests")
        if not isinstance(entries, list) or not entries:
            return _error(400, "INVALID_ARGUMENT", "batch.inputConfig.requests is required")
        if any("contents" not in entry.get("request", {}) for entry in entries):
            return _error(400, "INVALID_ARGUMENT", "every request needs contents")
        keys = [entry.get("metadata", {}).get("key") for entry in entries]
        batch = Batch(self.new_batch_id("batches/gb"), model, entries)
        self.batches[batch.id] = batch
        self.submitted.extend(str(key) for key in keys)
        return json_response(self._job(batch))

    def _job(self, batch: Batch) -> dict[str, Any]:
        ended = batch.polls >= self.polls_to_end
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": f"models/{batch.model}",
            "displayName": batch.id,
            "createTime": "2026-12-01T00:00:00Z",
            "state": "BATCH_STATE_SUCCEEDED" if ended else _STATES[min(batch.polls, 1)],
        }
        if self.refuse and batch.polls:  # the job fails as a whole
            metadata["state"] = "BATCH_STATE_FAILED"
            return {
                "name": batch.id,
                "metadata": metadata,
                "done": True,
                "error": {"code": 400, "message": self.refuse},
            }
        if ended:
            if batch.responses is None:
                batch.responses = [self._response(batch, entry) for entry in batch.requests]
            jsonl = out_of_order(batch.responses)
            lines = [json.loads(line) for line in jsonl.splitlines()]
            metadata["output"] = {"inlinedResponses": {"inlinedResponses": lines}}
        return {"name": batch.id, "metadata": metadata, "done": ended}

    def _response(self, batch: Batch, entry: dict[str, Any]) -> dict[str, Any]:
        key = str(entry.get("metadata", {}).get("key"))
        failure = self.failure(key)
        if failure is not None:
            error = {"code": 13 if failure == "errored" else 4, "message": f"request {failure}"}
            return {"error": error, "metadata": entry.get("metadata", {})}
        path = f"/v1/models/{batch.model}:generateContent"
        code, body, _ = answer(GEMINI, path, entry["request"])
        assert code == 200, body
        return {"response": body, "metadata": entry.get("metadata", {})}


def _error(status: int, kind: str, message: str) -> Response:
    return json_response({"error": {"code": status, "message": message, "status": kind}}, status)
