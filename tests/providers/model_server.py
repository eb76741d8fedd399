"""The fake APIs answering like a well-behaved model, for runs through the whole program."""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes import prompt_reply

from .fake_api import Wire


def first_prompt(wire: Wire, body: dict[str, Any]) -> str:
    if wire.name == "gemini":
        return str(body["contents"][0]["parts"][0]["text"])
    users = [m for m in body["messages"] if m["role"] == "user"]
    content = users[0]["content"]
    return content if isinstance(content, str) else str(content[0]["text"])


def serve_model(
    server: HTTPServer,
    wire: Wire,
    *,
    status: int = 200,
    latency: float = 0.0,
    metered: bool = False,
) -> list[dict[str, Any]]:
    """Answer every request as a model would (valid cards for a chunk, questions citing the
    given cards); ``status`` other than 200 answers that error instead; ``metered`` (OpenAI
    wire) reports usage as the length of what was read and written, four characters a token.
    Returns the list the request bodies are recorded in."""
    seen: list[dict[str, Any]] = []

    def handle(request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True))
        seen.append(body)
        time.sleep(latency)
        if status != 200:
            error = wire.error(status, "invalid x-api-key", "authentication_error")
            return Response(json.dumps(error), status, content_type="application/json")
        text = prompt_reply(first_prompt(wire, body))
        reply = wire.ok(text, False)
        if metered:
            read = sum(len(m["content"]) for m in body["messages"])
            reply["usage"] = {
                "prompt_tokens": math.ceil(read / 4),
                "completion_tokens": math.ceil(len(text) / 4),
                "total_tokens": 0,
            }
        return Response(json.dumps(reply), 200, content_type="application/json")

    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(handle)
    return seen
