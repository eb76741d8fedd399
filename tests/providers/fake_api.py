"""A fake of the three provider APIs on 127.0.0.1, for running the real SDKs against.

The SDKs send their requests through httpx2, which mocking libraries for httpx do not intercept,
so the tests run a real HTTP server (pytest-httpserver's, threaded, so that a deliberately slow
reply does not hold up the next test). ``FakeApi`` records every request and answers from a
script of ``Reply`` objects; a ``Wire`` knows one API's paths and JSON shapes, and how to build
the adapter that talks to it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from pydantic import SecretStr
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flashgen.errors import ProviderError
from flashgen.providers.anthropic import AnthropicProvider
from flashgen.providers.base import CompletionRequest, Message, Provider
from flashgen.providers.common import AdapterConfig
from flashgen.providers.gemini import GeminiProvider
from flashgen.providers.openai import OpenAIProvider
from flashgen.providers.pricing import PriceTable

FAKE_KEY = "sk-test-SECRET123"
SHORT_TIMEOUT = 0.3


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeApi:
    """Answers every request with the next scripted reply (the last one repeats)."""

    def __init__(self, server: HTTPServer) -> None:
        self._server = server
        self._replies: list[Reply] = [Reply(500, {"error": "no reply scripted"})]
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        server.clear()
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}"

    def script(self, *replies: Reply) -> None:
        self._replies = list(replies)

    def _handle(self, request: Request) -> Response:
        raw = request.get_data(as_text=True)
        seen = Seen(request.method, request.path, dict(request.headers), _json_or_text(raw))
        with self._lock:
            self.requests.append(seen)
            reply = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        if reply.delay:
            time.sleep(reply.delay)
        text = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        return Response(text, reply.status, reply.headers, content_type="application/json")


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


# --- the three wire formats -------------------------------------------------------------------

# Every wire reports the same traffic in its own terms: 1000 input tokens of which 200 came from
# the cache, 500 output tokens of which 100 were thinking.
INPUT, CACHED, OUTPUT, THINKING = 1000, 200, 500, 100


@dataclass(frozen=True)
class Wire:
    name: str
    model: str
    path: str
    key_variable: str
    key_header: str
    expected_cost: float
    ok: Callable[[str, bool], dict[str, Any]]
    error: Callable[[int, str, str], dict[str, Any]]
    adapter: Callable[[AdapterConfig], Provider]
    url_suffix: str = ""

    def build(
        self,
        url: str,
        prices: PriceTable,
        *,
        timeout: float = 2.0,
        model: str | None = None,
        key: str = FAKE_KEY,
        thinking_budget: int = 0,
    ) -> Provider:
        config = AdapterConfig(
            model=model or self.model,
            prices=prices,
            timeout=timeout,
            base_url=url + self.url_suffix,
            api_key=SecretStr(key),
            thinking_budget=thinking_budget,
        )
        return self.adapter(config)

    def success(
        self,
        text: str = '{"ok": true}',
        *,
        truncated: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return Reply(200, self.ok(text, truncated), headers or {})

    def failure(
        self,
        status: int,
        message: str = "nope",
        code: str = "",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        return Reply(status, self.error(status, message, code), headers or {})


def _anthropic_ok(text: str, truncated: bool) -> dict[str, Any]:
    return {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "max_tokens" if truncated else "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": INPUT - CACHED,
            "cache_read_input_tokens": CACHED,
            "cache_creation_input_tokens": 0,
            "output_tokens": OUTPUT,
            "output_tokens_details": {"thinking_tokens": THINKING},
        },
    }


def _anthropic_error(status: int, message: str, code: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": code or "api_error", "message": message}}


def _openai_ok(text: str, truncated: bool) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4.1-mini-2025-04-14",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": "length" if truncated else "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": INPUT,
            "completion_tokens": OUTPUT,
            "total_tokens": INPUT + OUTPUT,
            "prompt_tokens_details": {"cached_tokens": CACHED},
            "completion_tokens_details": {"reasoning_tokens": THINKING},
        },
    }


def _openai_error(status: int, message: str, code: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": code or None,
        }
    }


def _gemini_ok(text: str, truncated: bool) -> dict[str, Any]:
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "MAX_TOKENS" if truncated else "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": INPUT,
            "cachedContentTokenCount": CACHED,
            "candidatesTokenCount": OUTPUT - THINKING,
            "thoughtsTokenCount": THINKING,
            "totalTokenCount": INPUT + OUTPUT,
        },
        "modelVersion": "gemini-2.5-flash",
    }


GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _gemini_error(status: int, message: str, code: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "status": code or GOOGLE_STATUS.get(status, "UNKNOWN"),
        }
    }


ANTHROPIC = Wire(
    name="anthropic",
    model="claude-haiku-4-5",
    path="/v1/messages",
    key_variable="ANTHROPIC_API_KEY",
    key_header="Authorization",
    # (800 × $1 + 200 × $0.10 + 500 × $5) per million
    expected_cost=0.00332,
    ok=_anthropic_ok,
    error=_anthropic_error,
    adapter=AnthropicProvider,
)
OPENAI = Wire(
    name="openai",
    model="gpt-4.1-mini",
    path="/v1/chat/completions",
    key_variable="OPENAI_API_KEY",
    key_header="Authorization",
    # (800 × $0.40 + 200 × $0.10 + 500 × $1.60) per million
    expected_cost=0.00114,
    ok=_openai_ok,
    error=_openai_error,
    adapter=OpenAIProvider,
    url_suffix="/v1",
)
GEMINI = Wire(
    name="gemini",
    model="gemini-2.5-flash",
    # google-genai 3.x defaults to API version v1 (it was v1beta before).
    path="/v1/models/gemini-2.5-flash:generateContent",
    key_variable="GEMINI_API_KEY",
    key_header="X-Goog-Api-Key",
    # (800 × $0.30 + 200 × $0.03 + 500 × $2.50) per million
    expected_cost=0.001496,
    ok=_gemini_ok,
    error=_gemini_error,
    adapter=GeminiProvider,
)
WIRES = (ANTHROPIC, OPENAI, GEMINI)


E = TypeVar("E", bound=ProviderError)


async def failure_of(provider: Provider, kind: type[E]) -> E:
    """The error ``provider`` raises for a simple request; fails the test if it raises none."""
    with pytest.raises(kind) as caught:
        await provider.complete(simple_request())
    return caught.value


def conversation_request() -> CompletionRequest:
    """A system prompt and a re-ask: user, the assistant's broken answer, user again."""
    return CompletionRequest(
        system="You write flashcards.",
        messages=(Message("user", "first"), Message("assistant", "{"), Message("user", "again")),
        max_tokens=512,
        temperature=0.0,
    )


def simple_request(
    *, schema: dict[str, Any] | None = None, max_tokens: int = 1024, system: str = "Be brief."
) -> CompletionRequest:
    return CompletionRequest(
        system=system,
        messages=(Message("user", "Make one flashcard about hashing."),),
        max_tokens=max_tokens,
        temperature=0.3,
        json_schema=schema,
        schema_name="flashcards",
    )


CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "cards": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
                "required": ["question", "answer"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["cards"],
    "additionalProperties": False,
}
