"""A local OpenAI Batch API (and Files API), strict about what the docs state.

https://platform.openai.com/docs/guides/batch and the API reference: ``POST /v1/files``
(multipart, ``purpose=batch``) takes a JSONL file of at most 50,000 requests and 200 MB; each
line is ``{"custom_id", "method": "POST", "url", "body"}``, ``custom_id`` unique in the file,
``url`` the batch's endpoint, one model in the whole file. ``POST /v1/batches`` takes
``input_file_id``, ``endpoint`` (one of the listed endpoints) and ``completion_window``
(only ``24h``); a file that breaks a rule fails the batch (``status: failed`` with ``errors``).
``GET /v1/batches/{id}`` goes ``validating`` → ``in_progress`` → ``finalizing`` →
``completed`` over ``polls_to_end`` polls; the output file holds the replies, the error file
the failures (``batch_expired``, ``batch_cancelled``, or an error response), out of order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from .batch_server_base import BatchServerBase, json_response, out_of_order
from .fake_api import FAKE_KEY, OPENAI
from .model_server import answer

MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)


@dataclass
class Batch:
    id: str
    endpoint: str
    lines: list[dict[str, Any]]
    errors: list[str]
    polls: int = 0
    files: tuple[str | None, str | None, int] | None = None  # output, error file ids; failed


@dataclass
class OpenAIBatchServer(BatchServerBase):
    files: dict[str, str] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {FAKE_KEY}":
            return _error(401, "invalid_api_key", "Incorrect API key provided")
        path, method = request.path, request.method
        if method == "POST" and path == "/v1/chat/completions":
            self.live_calls += 1
            code, body, _ = answer(OPENAI, path, json.loads(request.get_data()))
            return json_response(body, code)
        if method == "POST" and path == "/v1/files":
            return self._upload(request)
        if method == "POST" and path == "/v1/batches":
            return self._create(json.loads(request.get_data()))
        found = re.fullmatch(r"/v1/batches/([^/]+)", path)
        if method == "GET" and found and found.group(1) in self.batches:
            batch = self.batches[found.group(1)]
            batch.polls += 1
            return json_response(self._batch_object(batch))
        found = re.fullmatch(r"/v1/files/([^/]+)/content", path)
        if method == "GET" and found and found.group(1) in self.files:
            return Response(self.files[found.group(1)], 200, content_type="application/jsonl")
        return _error(404, "not_found", f"{method} {path}: not found")

    def _upload(self, request: Request) -> Response:
        if request.form.get("purpose") != "batch" or "file" not in request.files:
            return _error(400, "invalid_request_error", "a file with purpose=batch is required")
        data = request.files["file"].read()
        if len(data) > MAX_BYTES:
            return _error(400, "invalid_request_error", "file larger than 200 MB")
        file_id = f"file-{len(self.files) + 1:04d}"
        self.files[file_id] = data.decode("utf-8")
        return json_response(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(data),
                "created_at": 0,
                "filename": request.files["file"].filename,
                "purpose": "batch",
                "status": "processed",
            }
        )

    def _create(self, body: dict[str, Any]) -> Response:
        self.begin_create()
        endpoint = body.get("endpoint")
        if endpoint not in ENDPOINTS:
            return _error(400, "invalid_request_error", f"endpoint {endpoint!r} is not supported")
        if body.get("completion_window") != "24h":
            return _error(400, "invalid_request_error", "completion_window must be 24h")
        text = self.files.get(str(body.get("input_file_id")))
        if text is None:
            return _error(404, "not_found", "no such file")
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        problems = _problems(lines, endpoint) + ([self.refuse] if self.refuse else [])
        batch = Batch(self.new_batch_id("batch_"), str(endpoint), lines, problems)
        self.batches[batch.id] = batch
        if not batch.errors:
            self.submitted.extend(line["custom_id"] for line in lines)
        return json_response(self._batch_object(batch))

    def _batch_object(self, batch: Batch) -> dict[str, Any]:
        steps = ["validating", "in_progress", "finalizing"]
        ended = batch.polls >= self.polls_to_end
        status = "completed" if ended else steps[min(batch.polls, len(steps) - 1)]
        if batch.errors:
            status = "failed" if batch.polls else "validating"
        output_id = error_id = None
        failed = 0
        if ended and not batch.errors:
            if batch.files is None:  # written once, when the batch ends
                ok, bad = self._results(batch)
                batch.files = (self._file(ok), self._file(bad), len(bad))
            output_id, error_id, failed = batch.files
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": batch.endpoint,
            "input_file_id": "file-in",
            "completion_window": "24h",
            "status": status,
            "created_at": 1764547200,
            "output_file_id": output_id,
            "error_file_id": error_id,
            "errors": {
                "object": "list",
                "data": [
                    {"code": "invalid_request", "message": m, "line": None, "param": None}
                    for m in batch.errors
                ],
            }
            if batch.errors
            else None,
            "request_counts": {
                "total": len(batch.lines),
                "completed": len(batch.lines) - failed if ended else 0,
                "failed": failed,
            },
        }

    def _file(self, lines: list[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        file_id = f"file-{len(self.files) + 1:04d}"
        self.files[file_id] = out_of_order(lines)
        return file_id

    def _results(self, batch: Batch) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ok, bad = [], []
        for line in batch.lines:
            custom_id = line["custom_id"]
            failure = self.failure(custom_id)
            if failure in ("expired", "canceled"):
                kind = "batch_expired" if failure == "expired" else "batch_cancelled"
                error = {"code": kind, "message": f"This request was {failure}."}
                bad.append({"id": "r", "custom_id": custom_id, "response": None, "error": error})
            elif failure == "errored":
                failed: dict[str, Any] = {
                    "error": {"message": "The server had an error", "type": "server_error"}
                }
                response = {"status_code": 500, "request_id": "req", "body": failed}
                bad.append({"id": "r", "custom_id": custom_id, "response": response, "error": None})
            else:
                code, body, _ = answer(OPENAI, batch.endpoint, line["body"])
                response = {"status_code": code, "request_id": "req", "body": body}
                ok.append({"id": "r", "custom_id": custom_id, "response": response, "error": None})
        return ok, bad


def _problems(lines: list[dict[str, Any]], endpoint: object) -> list[str]:
    ids = [line.get("custom_id") for line in lines]
    problems = []
    if not 1 <= len(lines) <= MAX_REQUESTS:
        problems.append("the file must hold 1 to 50,000 requests")
    if len(set(ids)) != len(ids):
        problems.append("custom_id values must be unique within a batch")
    if any(line.get("method") != "POST" or line.get("url") != endpoint for line in lines):
        problems.append("every line must POST to the batch's endpoint")
    if len({line.get("body", {}).get("model") for line in lines}) > 1:
        problems.append("one model per batch file")
    return problems


def _error(status: int, code: str, message: str) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": code}}
    return json_response(body, status)
