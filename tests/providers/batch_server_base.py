"""What the local batch servers share: the per-request failures a test asks for, the record
of every request submitted, live calls (``--batch-fallback live``), results out of order."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Fail = Callable[[str, int], str | None]  # (custom_id, submission number) -> failure or None


@dataclass
class BatchServerBase:
    polls_to_end: int = 2
    fail: Fail = lambda custom_id, attempt: None
    submitted: list[str] = field(default_factory=list)  # every custom_id ever submitted
    batch_ids: list[str] = field(default_factory=list)
    live_calls: int = 0
    base: str = ""
    create_delay: float = 0.0  # seconds a batch creation takes to answer
    creations: int = 0  # batch creations begun
    refuse: str = ""  # refuse every batch with this reason, as the API refuses a bad one

    def begin_create(self) -> None:
        """Called as a creation request arrives: the batch will exist whatever the client does."""
        self.creations += 1
        time.sleep(self.create_delay)

    def failure(self, custom_id: str) -> str | None:
        """What the test wants of this request's latest submission (None: it succeeds)."""
        return self.fail(custom_id, self.submitted.count(custom_id))

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def new_batch_id(self, prefix: str) -> str:
        self.batch_ids.append(f"{prefix}{len(self.batch_ids) + 1:04d}")
        return self.batch_ids[-1]


def out_of_order(lines: list[dict[str, Any]]) -> str:
    """JSONL in an order of the server's own (reversed, then rotated by one): results are
    matched by id, never by position."""
    shuffled = list(reversed(lines))
    shuffled = shuffled[1:] + shuffled[:1]
    return "".join(json.dumps(line) + "\n" for line in shuffled)


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


S = TypeVar("S", bound=BatchServerBase)


def serve(server: HTTPServer, batches: S) -> S:
    """``batches`` answers every request to ``server`` from now on."""
    batches.base = f"http://127.0.0.1:{server.port}"
    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(batches.handle)
    return batches
