"""OpenAI Chat Completions through the official SDK (``AsyncOpenAI``), imported lazily.

Chat Completions rather than the Responses API because OpenAI-compatible servers (Ollama, vLLM,
LM Studio) speak it too: with a base URL set, this adapter drives them, and a key is optional
(the SDK insists on one, so a placeholder stands in).

Structured output goes out in strict mode, shaped by the SDK's own strict-schema conversion (the
one ``chat.completions.parse`` applies to a pydantic model): every object closed and all of its
properties required, ``$ref`` siblings inlined
(https://platform.openai.com/docs/guides/structured-outputs#supported-schemas). A schema that
still is not strict-compatible after it goes out non-strict rather than being refused.
Requests that share a prefix carry its key as ``prompt_cache_key``, so that OpenAI routes them
to the same cache (https://platform.openai.com/docs/guides/prompt-caching).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flashgen.providers.base import (
    Completion,
    CompletionRequest,
    Message,
    RateLimitHints,
    StopReason,
)
from flashgen.providers.common import (
    AdapterBase,
    AdapterConfig,
    ErrorKinds,
    HttpFailure,
    UnreadableResponse,
    error_field,
    stainless_error_kinds,
)
from flashgen.providers.headers import parse_rate_limit_headers

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
    from openai.types.chat.chat_completion import Choice
    from openai.types.chat.completion_create_params import (
        CompletionCreateParamsNonStreaming,
        ResponseFormat,
    )

KEY_VARIABLE = "OPENAI_API_KEY"
# Local servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_KEY = "not-needed"
OFFICIAL_HOST = "api.openai.com"
# Reasoning models accept no temperature but the default; sending one is a 400.
_NO_TEMPERATURE = re.compile(r"^(o\d|gpt-5)")
_SCHEMA_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_STOP_REASONS: dict[str, StopReason] = {"stop": "end", "length": "max_tokens"}
# A billing problem, reported as 429 but not cured by waiting.
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


class OpenAIProvider(AdapterBase):
    name = "openai"
    key_variable = KEY_VARIABLE

    def __init__(self, config: AdapterConfig) -> None:
        import openai

        key = config.api_key.get_secret_value() if config.api_key else PLACEHOLDER_KEY
        self._client = openai.AsyncOpenAI(
            api_key=key, base_url=config.base_url, timeout=config.timeout, max_retries=0
        )
        # api.openai.com wants max_completion_tokens (reasoning models refuse max_tokens);
        # compatible servers all know max_tokens, not all know the newer name.
        self._official_api = self._client.base_url.host == OFFICIAL_HOST
        super().__init__(config, resolved_base_url=str(self._client.base_url))

    async def _complete(self, request: CompletionRequest) -> Completion:
        raw = await self._client.chat.completions.with_raw_response.create(**self._params(request))
        return self._completion(raw.parse(), parse_rate_limit_headers(raw.headers))

    def _completion(self, completion: ChatCompletion, limits: RateLimitHints) -> Completion:
        """A Chat Completions reply (live, or one result of a batch) in flashgen's terms."""
        if not completion.choices:
            raise UnreadableResponse("no choices")
        choice = completion.choices[0]
        usage = completion.usage
        cached = usage.prompt_tokens_details if usage else None
        reasoning = usage.completion_tokens_details if usage else None
        return Completion(
            text=choice.message.content or "",
            usage=self._usage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                cached_tokens=(cached.cached_tokens or 0) if cached else 0,
                thinking_tokens=(reasoning.reasoning_tokens or 0) if reasoning else 0,
            ),
            model=completion.model or self.model,
            stop_reason=_stop_reason(choice),
            rate_limits=limits,
        )

    async def aclose(self) -> None:
        await self._client.close()

    def _params(self, request: CompletionRequest) -> CompletionCreateParamsNonStreaming:
        """The Chat Completions body: a live call's arguments, a batch line's ``body``."""
        params: CompletionCreateParamsNonStreaming = {
            "model": self.model,
            "messages": _messages(request),
        }
        if not _NO_TEMPERATURE.match(self.model):
            params["temperature"] = request.temperature
        response_format = _response_format(request)
        if response_format is not None:
            params["response_format"] = response_format
        if self._official_api:
            params["max_completion_tokens"] = request.max_tokens
        else:
            params["max_tokens"] = request.max_tokens
        if request.cache_key:
            params["prompt_cache_key"] = request.cache_key
        return params

    def _error_kinds(self) -> ErrorKinds:
        import openai

        return stainless_error_kinds(openai)

    def _http_failure(self, err: Exception) -> HttpFailure | None:
        import openai

        if not isinstance(err, openai.APIStatusError):
            return None
        # The SDK hands over the inner {"message", "type", "code"} object as the body.
        code = err.code or error_field(err.body, "type")
        return HttpFailure(
            status=err.status_code,
            message=error_field(err.body, "message"),
            code=code,
            headers=err.response.headers,
            daily_quota=code in _QUOTA_CODES,
        )


def _stop_reason(choice: Choice) -> StopReason:
    # A refusal ends "normally" on the wire, but it is no answer.
    if choice.message.refusal:
        return "other"
    return _STOP_REASONS.get(choice.finish_reason, "other")


def _messages(request: CompletionRequest) -> list[ChatCompletionMessageParam]:
    # "system" rather than "developer": every compatible server understands it.
    system: list[ChatCompletionMessageParam] = (
        [{"role": "system", "content": request.system}] if request.system else []
    )
    return system + [_message_param(turn) for turn in request.messages]


def _message_param(turn: Message) -> ChatCompletionMessageParam:
    if turn.role == "user":
        return {"role": "user", "content": turn.content}
    return {"role": "assistant", "content": turn.content}


def _response_format(request: CompletionRequest) -> ResponseFormat | None:
    schema = request.json_schema
    if schema is None:
        return None
    name = _SCHEMA_NAME_CHARS.sub("_", request.schema_name)[:64] or "result"
    strict = strict_schema(schema)
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": strict, "strict": is_strict_compatible(strict)},
    }


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as the SDK's strict-schema conversion leaves it (on a copy: it edits in
    place). The helper is private to the SDK, but it is the conversion the SDK itself applies."""
    from openai.lib._pydantic import _ensure_strict_json_schema

    copied = json.loads(json.dumps(schema))
    return _ensure_strict_json_schema(copied, path=(), root=copied)


def is_strict_compatible(schema: object) -> bool:
    """Whether OpenAI's strict mode takes ``schema`` as is: every object must forbid extra
    properties and list all of its properties as required. Otherwise strict mode rejects the
    request, so the schema goes in non-strict (still constrained, just not guaranteed)."""
    if isinstance(schema, list):
        return all(is_strict_compatible(item) for item in schema)
    if not isinstance(schema, Mapping):
        return True
    properties = schema.get("properties")
    if schema.get("type") == "object" or isinstance(properties, Mapping):
        props: Mapping[str, Any] = properties if isinstance(properties, Mapping) else {}
        closed = schema.get("additionalProperties") is False
        if not closed or set(schema.get("required") or ()) != set(props):
            return False
    return all(is_strict_compatible(sub) for sub in _subschemas(schema))


def _subschemas(schema: Mapping[str, Any]) -> list[object]:
    found: list[object] = []
    for key in ("properties", "$defs", "definitions", "patternProperties"):
        value = schema.get(key)
        if isinstance(value, Mapping):
            found.extend(value.values())
    for key in ("items", "additionalProperties", "not", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            found.append(schema[key])
    return found
