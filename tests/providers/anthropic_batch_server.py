"""A local Anthropic Message Batches API, strict about what the docs state.

https://docs.claude.com/en/docs/build-with-claude/batch-processing and the API reference
(https://docs.claude.com/en/api/creating-message-batches): ``POST /v1/messages/batches`` takes
``requests`` (each ``custom_id`` matching ``^[a-zA-Z0-9_-]{1,64}$``, unique within the batch,
and Messages ``params`` without ``stream``); a batch holds at most 100,000 requests or 256 MB.
``GET /v1/messages/batches/{id}`` reports ``processing_status`` (``in_progress`` until the
batch has been polled ``polls_to_end`` times, then ``ended``) and ``request_counts``;
``results_url`` is set once ended, and its JSONL lists one line per request in an order of
its own (here: reversed, then rotated). Each request's result is ``succeeded`` (the message a
strict model server gives, ``model_server.answer``), or what ``fail`` decides for its
``custom_id``: ``errored``, ``expired`` or ``canceled``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from .batch_server_base import BatchServerBase, json_response, out_of_order
from .fake_api import ANTHROPIC, FAKE_KEY
from .model_server import answer

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024


@dataclass
class Batch:
    id: str
    requests: list[dict[str, Any]]
    polls: int = 0


@dataclass
class AnthropicBatchServer(BatchServerBase):
    batches: dict[str, Batch] = field(default_factory=dict)

    def handle(self, request: Request) -> Response:
        # The SDK (2.x) sends the key as a bearer token.
        if request.headers.get(ANTHROPIC.key_header) != f"Bearer {FAKE_KEY}":
            return _error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return _error(400, "invalid_request_error", "anthropic-version header is required")
        path = request.path
        if request.method == "POST" and path == "/v1/messages/batches":
            return self._create(request)
        if request.method == "POST" and path == "/v1/messages":
            self.live_calls += 1
            code, body, _ = answer(ANTHROPIC, path, json.loads(request.get_data()))
            return json_response(body, code)
        found = re.fullmatch(r"/v1/messages/batches/([^/]+)(/results)?", path)
        if request.method != "GET" or found is None or found.group(1) not in self.batches:
            return _error(404, "not_found_error", f"{request.method} {path}: not found")
        batch = self.batches[found.group(1)]
        if found.group(2):
            return self._results(batch)
        batch.polls += 1
        return json_response(self._batch_object(batch))

    def _create(self, request: Request) -> Response:
        self.begin_create()
        if self.refuse:  # the API checks the requests when the batch is created
            return _error(400, "invalid_request_error", self.refuse)
        raw = request.get_data()
        if len(raw) > MAX_BYTES:
            return _error(413, "request_too_large", "batch larger than 256 MB")
        requests = json.loads(raw).get("requests")
        if not isinstance(requests, list) or not 1 <= len(requests) <= MAX_REQUESTS:
            return _error(400, "invalid_request_error", "requests: 1 to 100000 items")
        ids = [r.get("custom_id", "") for r in requests]
        bad = [i for i in ids if not CUSTOM_ID.match(str(i))]
        if bad:
            return _error(400, "invalid_request_error", f"custom_id {bad[0]!r} is invalid")
        if len(set(ids)) != len(ids):
            return _error(400, "invalid_request_error", "custom_id values must be unique")
        for entry in requests:
            params = entry.get("params", {})
            if params.get("stream") or params.get("max_tokens", 0) < 1 or "messages" not in params:
                return _error(400, "invalid_request_error", "params: not a Messages request")
        batch = Batch(self.new_batch_id("msgbatch_"), requests)
        self.batches[batch.id] = batch
        self.submitted.extend(ids)
        return json_response(self._batch_object(batch))

    def _outcome(self, batch: Batch, entry: dict[str, Any]) -> dict[str, Any]:
        custom_id = entry["custom_id"]
        failure = self.failure(custom_id)
        if failure == "errored":
            error = {"type": "api_error", "message": "Internal server error"}
            result: dict[str, Any] = {
                "type": "errored",
                "error": {"type": "error", "error": error},
            }
        elif failure in ("expired", "canceled"):
            result = {"type": failure}
        else:
            code, body, _ = answer(ANTHROPIC, "/v1/messages", entry["params"])
            assert code == 200, body
            result = {"type": "succeeded", "message": body}
        return {"custom_id": custom_id, "result": result}

    def _results(self, batch: Batch) -> Response:
        if batch.polls < self.polls_to_end:
            return _error(400, "invalid_request_error", "the batch has not ended yet")
        body = out_of_order([self._outcome(batch, entry) for entry in batch.requests])
        return Response(body, 200, content_type="application/binary")

    def _batch_object(self, batch: Batch) -> dict[str, Any]:
        ended = batch.polls >= self.polls_to_end
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for entry in batch.requests:
                counts[self.failure(entry["custom_id"]) or "succeeded"] += 1
        else:
            counts["processing"] = len(batch.requests)
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": "2026-12-01T00:00:00Z",
            "expires_at": "2026-12-02T00:00:00Z",
            "ended_at": "2026-12-01T00:10:00Z" if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.base}/v1/messages/batches/{batch.id}/results" if ended else None,
        }


def _error(status: int, kind: str, message: str) -> Response:
    return json_response({"type": "error", "error": {"type": kind, "message": message}}, status)
