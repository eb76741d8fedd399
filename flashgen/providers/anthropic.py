"""Anthropic Messages API through the official SDK (``AsyncAnthropic``), imported lazily.

The installed SDK (2.x) speaks API version 2026-10-21, which removed ``temperature``: sending it
is a 400, so the request's temperature is not passed on. Structured output uses the API's own
JSON-schema mode (``output_config.format``); the SDK's ``transform_schema`` first rewrites the
schema into the subset the API accepts, as the SDK's own ``messages.parse`` does.

Prompt caching is explicit on this API: the message marked ``cache_breakpoint`` gets
``cache_control`` on its last text block, when the prefix up to it (system text included) is
long enough for the model to cache at all; a shorter prefix is never cached, and the mark would
only spend one of the four breakpoints a request may carry
(https://docs.claude.com/en/docs/build-with-claude/prompt-caching#cache-limitations).
Consecutive turns of one role are sent as one turn of several text blocks, the shape the API
documents for them.
"""

from __future__ import annotations

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
from flashgen.providers.estimate import min_cache_tokens, text_tokens
from flashgen.providers.headers import parse_rate_limit_headers

if TYPE_CHECKING:
    import httpx2
    from anthropic.types import Message as AnthropicMessage
    from anthropic.types import MessageParam, OutputConfigParam, TextBlockParam

KEY_VARIABLE = "ANTHROPIC_API_KEY"
# "model_context_window_exceeded" also cuts the answer short, so it is a truncation too.
_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end",
    "stop_sequence": "end",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
}


class AnthropicProvider(AdapterBase):
    name = "anthropic"
    key_variable = KEY_VARIABLE

    def __init__(self, config: AdapterConfig) -> None:
        import anthropic

        self._client = anthropic.AsyncAnthropic(
            api_key=config.required_key(),
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=0,
        )
        super().__init__(config, resolved_base_url=str(self._client.base_url))

    async def _complete(self, request: CompletionRequest) -> Completion:
        message, headers = await self._send(request)
        return self._completion(message, parse_rate_limit_headers(headers))

    def _completion(self, message: AnthropicMessage, limits: RateLimitHints) -> Completion:
        """A Messages API reply (live, or one result of a batch) in flashgen's terms."""
        usage = message.usage
        if usage is None or message.content is None:
            raise UnreadableResponse("no usage or content")
        cached = usage.cache_read_input_tokens or 0
        # The API counts cache reads and writes apart from input_tokens; flashgen's input
        # count includes them so that cached_tokens is a share of it, as for the other APIs.
        input_tokens = usage.input_tokens + cached + (usage.cache_creation_input_tokens or 0)
        details = usage.output_tokens_details
        return Completion(
            text="".join(block.text for block in message.content if block.type == "text"),
            usage=self._usage(
                input_tokens=input_tokens,
                output_tokens=usage.output_tokens,
                cached_tokens=cached,
                thinking_tokens=details.thinking_tokens if details else 0,
            ),
            model=message.model,
            stop_reason=_STOP_REASONS.get(message.stop_reason or "", "other"),
            rate_limits=limits,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def _send(self, request: CompletionRequest) -> tuple[AnthropicMessage, httpx2.Headers]:
        from anthropic import omit

        raw = await self._client.messages.with_raw_response.create(
            model=self.model,
            max_tokens=request.max_tokens,
            system=request.system or omit,
            messages=message_params(request, min_cache_tokens(self.name, self.model)),
            output_config=output_config(request.json_schema) or omit,
        )
        return await raw.parse(), raw.headers

    def _error_kinds(self) -> ErrorKinds:
        import anthropic

        return stainless_error_kinds(anthropic)

    def _http_failure(self, err: Exception) -> HttpFailure | None:
        import anthropic

        if not isinstance(err, anthropic.APIStatusError):
            return None
        return HttpFailure(
            status=err.status_code,
            message=err.api_message or error_field(err.body, "error", "message"),
            code=err.type or "",
            headers=err.response.headers,
        )


def message_params(request: CompletionRequest, min_cached: int) -> list[MessageParam]:
    """The conversation in the API's shape: one turn per run of same-role messages, and
    ``cache_control`` where the shared prefix ends, if it is long enough to be cached."""
    prefix = text_tokens(request.system)
    params: list[MessageParam] = []
    for turn in request.messages:
        prefix += text_tokens(turn.content)
        block: TextBlockParam = {"type": "text", "text": turn.content}
        if turn.cache_breakpoint and prefix >= min_cached:
            block["cache_control"] = {"type": "ephemeral"}
        if params and params[-1]["role"] == turn.role:
            content = params[-1]["content"]
            assert isinstance(content, list)  # built here, always a list of blocks
            content.append(block)
        else:
            params.append(_turn(turn, [block]))
    return params


def _turn(turn: Message, blocks: list[TextBlockParam]) -> MessageParam:
    if turn.role == "user":
        return {"role": "user", "content": list(blocks)}
    return {"role": "assistant", "content": list(blocks)}


def output_config(schema: dict[str, Any] | None) -> OutputConfigParam | None:
    if schema is None:
        return None
    from anthropic import transform_schema

    try:
        api_schema = transform_schema(schema)
    except ValueError:
        # transform_schema refuses a schema without a "type"; the API may still take it.
        api_schema = schema
    return {"format": {"type": "json_schema", "schema": api_schema}}
