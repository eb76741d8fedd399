"""The fake APIs answering like a schema-constrained model, for runs through the whole program.

Each request is checked as its API checks it (``wire_rules``): a schema the API would refuse
gets that API's HTTP 400, and a model the API does not know its HTTP 404 ``not_found``. Every
other request is answered with a reply synthesised from the schema it carried (``synth``), card
ids taken from its prompt; a request without a schema gets a well-behaved model's reply to its
prompt.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes import prompt_reply

from . import wire_rules
from .fake_api import Wire
from .synth import Prompt, Synthesiser

# The models each local server serves; any other name is answered 404 as the API does.
KNOWN_MODELS = {
    "anthropic": ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6"),
    "openai": ("gpt-4.1-mini", "gpt-4.1", "gpt-5-mini"),
    "gemini": ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-3-flash"),
}


@dataclass(frozen=True)
class WireRequest:
    """What the servers need of one request, read the way each API lays it out."""

    model: str
    schema: dict[str, Any] | None
    strict: bool
    prompt: str


def read_request(wire: Wire, path: str, body: dict[str, Any]) -> WireRequest:
    if wire.name == "gemini":
        texts = [part.get("text", "") for c in body["contents"] for part in c["parts"]]
        config = body.get("generationConfig", {})
        model = path.rsplit("/models/", 1)[-1].split(":")[0]
        return WireRequest(model, config.get("responseJsonSchema"), True, "\n".join(texts))
    texts = [_text(m["content"]) for m in body["messages"] if m["role"] != "system"]
    if wire.name == "anthropic":
        schema = body.get("output_config", {}).get("format", {}).get("schema")
        return WireRequest(body["model"], schema, True, "\n".join(texts))
    form = body.get("response_format", {}).get("json_schema", {})
    return WireRequest(
        body["model"], form.get("schema"), bool(form.get("strict")), "\n".join(texts)
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(str(block.get("text", "")) for block in content)


def schema_problems(wire: Wire, request: WireRequest) -> list[str]:
    if request.schema is None:
        return []
    if wire.name == "openai":
        return wire_rules.openai_problems(request.schema, request.strict)
    if wire.name == "anthropic":
        return wire_rules.anthropic_problems(request.schema)
    return wire_rules.gemini_problems(request.schema)


def refused_schema(wire: Wire, problem: str) -> dict[str, Any]:
    """HTTP 400 as each API words a refused schema."""
    message = {
        "openai": f"Invalid schema for response_format: {problem}",
        "anthropic": f"output_config.format.schema: {problem}",
        "gemini": f"Invalid value at 'generation_config.response_json_schema': {problem}",
    }[wire.name]
    code = "invalid_request_error" if wire.name == "anthropic" else ""
    return wire.error(400, message, code)


def unknown_model(wire: Wire, model: str) -> dict[str, Any]:
    """HTTP 404 as each API words a model it does not have."""
    message = {
        "openai": f"The model `{model}` does not exist or you do not have access to it.",
        "anthropic": f"model: {model}",
        "gemini": f"models/{model} is not found for API version v1, or is not supported for "
        "generateContent. Call ListModels to see the list of available models.",
    }[wire.name]
    code = {"openai": "model_not_found", "anthropic": "not_found_error"}.get(wire.name, "")
    return wire.error(404, message, code)


def answer(wire: Wire, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    """(status, body, reply text) for one request, as a strict server would answer it."""
    request = read_request(wire, path, body)
    if request.model not in KNOWN_MODELS[wire.name]:
        return 404, unknown_model(wire, request.model), ""
    problems = schema_problems(wire, request)
    if problems:
        return 400, refused_schema(wire, problems[0]), ""
    if request.schema is None:
        text = prompt_reply(request.prompt)
    else:
        reply = Synthesiser(request.schema, Prompt.read(request.prompt)).reply()
        text = json.dumps(reply)
    return 200, wire.ok(text, False), text


def serve_model(
    server: HTTPServer,
    wire: Wire,
    *,
    status: int = 200,
    latency: float = 0.0,
    metered: bool = False,
    observe: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Answer every request as a strict server with a schema-constrained model would;
    ``status`` other than 200 answers that error instead; ``metered`` (OpenAI wire) reports
    usage as the length of what was read and written, four characters a token; ``observe``
    sees each answer's status and body. Returns the list the request bodies are recorded in."""
    seen: list[dict[str, Any]] = []

    def handle(request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True))
        seen.append(body)
        time.sleep(latency)
        if status != 200:
            error = wire.error(status, "invalid x-api-key", "authentication_error")
            return Response(json.dumps(error), status, content_type="application/json")
        code, reply, text = answer(wire, request.path, body)
        if metered and code == 200:
            read = sum(len(_text(m["content"])) for m in body["messages"])
            reply["usage"] = {
                "prompt_tokens": math.ceil(read / 4),
                "completion_tokens": math.ceil(len(text) / 4),
                "total_tokens": 0,
            }
        if observe is not None:
            observe(code, reply)
        return Response(json.dumps(reply), code, content_type="application/json")

    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(handle)
    return seen
