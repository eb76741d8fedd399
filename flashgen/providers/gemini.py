"""Gemini API through google-genai (``genai.Client(...).aio``), imported lazily.

Not google-generativeai, which reached end of life. Two SDK defaults are switched off on purpose:
its retries (``HttpRetryOptions(attempts=1)``; without retry options it also retries connection
errors once on its own), and its choice of aiohttp when that happens to be installed: flashgen
hands it an ``httpx2.AsyncClient`` so that the transport, and the errors to map, are the same on
every machine.

Structured output goes as ``response_json_schema``: the API takes JSON Schema itself there
(``$defs``/``$ref``, ``anyOf``, ``additionalProperties``, ``enum``, ``minimum``/``maximum`` …;
https://ai.google.dev/gemini-api/docs/structured-output#json-schema-support), and the SDK passes it
through unchanged (``_transformers.t_json_schema``), where its ``response_schema`` path would
convert to the older OpenAPI subset, which refuses ``additionalProperties``. The thinking budget
is sent explicitly (``thinking_config``), and ``max_output_tokens`` leaves room for it: thoughts
count against that limit (https://ai.google.dev/gemini-api/docs/thinking#set-budget). Caching is
implicit on this API: nothing to send; cached tokens come back in ``cachedContentTokenCount``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
)
from flashgen.providers.estimate import thinking_room
from flashgen.providers.headers import (
    google_bad_key,
    google_daily_quota,
    google_retry_delay,
    parse_rate_limit_headers,
)

if TYPE_CHECKING:
    from google.genai import types

KEY_VARIABLE = "GEMINI_API_KEY (or GOOGLE_API_KEY)"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"
_JSON = "application/json"


class GeminiProvider(AdapterBase):
    name = "gemini"
    key_variable = KEY_VARIABLE

    def __init__(self, config: AdapterConfig) -> None:
        import httpx2
        from google import genai
        from google.genai import types

        self._http = httpx2.AsyncClient(timeout=config.timeout)
        options = types.HttpOptions(
            base_url=config.base_url,
            timeout=max(1, round(config.timeout * 1000)),  # the SDK counts milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),
            httpx_async_client=self._http,
        )
        # vertexai=False: the key is a Gemini API key, whatever GOOGLE_GENAI_USE_VERTEXAI says.
        client = genai.Client(api_key=config.required_key(), vertexai=False, http_options=options)
        self._client = client.aio
        self._thinking_budget = config.thinking_budget
        super().__init__(config, resolved_base_url=options.base_url or DEFAULT_BASE_URL)

    async def _complete(self, request: CompletionRequest) -> Completion:
        response = await self._client.models.generate_content(
            model=self.model, contents=contents(request), config=self._config(request)
        )
        http = response.sdk_http_response
        return self._completion(
            response, parse_rate_limit_headers((http.headers if http else None) or {})
        )

    def _completion(
        self, response: types.GenerateContentResponse, limits: RateLimitHints
    ) -> Completion:
        """A generateContent reply (live, or one result of a batch) in flashgen's terms."""
        # No candidates is a legitimate answer only when the prompt itself was blocked.
        if not response.candidates and response.prompt_feedback is None:
            raise UnreadableResponse("no candidates and no prompt feedback")
        usage = response.usage_metadata
        thinking = (usage.thoughts_token_count or 0) if usage else 0
        candidate = response.candidates[0] if response.candidates else None
        return Completion(
            text=response.text or "",
            usage=self._usage(
                input_tokens=(usage.prompt_token_count or 0) if usage else 0,
                # Thoughts are billed as output but reported apart from the candidates.
                output_tokens=((usage.candidates_token_count or 0) if usage else 0) + thinking,
                cached_tokens=(usage.cached_content_token_count or 0) if usage else 0,
                thinking_tokens=thinking,
            ),
            model=response.model_version or self.model,
            stop_reason=_stop_reason(candidate.finish_reason if candidate else None),
            rate_limits=limits,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
        await self._http.aclose()

    def _config(self, request: CompletionRequest) -> types.GenerateContentConfig:
        from google.genai import types

        return types.GenerateContentConfig(
            system_instruction=request.system or None,
            temperature=request.temperature,
            max_output_tokens=request.max_tokens + thinking_room(self._thinking_budget),
            thinking_config=types.ThinkingConfig(thinking_budget=self._thinking_budget),
            response_mime_type=_JSON if request.json_schema is not None else None,
            response_json_schema=request.json_schema,
        )

    def _error_kinds(self) -> ErrorKinds:
        import httpx2
        from google.genai import errors

        # The SDK lets the transport's own exceptions through.
        return ErrorKinds(
            timeout=(httpx2.TimeoutException, TimeoutError),
            connection=(httpx2.TransportError, OSError),
            unreadable=(errors.UnknownApiResponseError,),
        )

    def _http_failure(self, err: Exception) -> HttpFailure | None:
        from google.genai import errors

        if not isinstance(err, errors.APIError):
            return None
        body = err.details
        return HttpFailure(
            status=err.code,
            message=err.message or "",
            code=err.status or "",
            headers=getattr(err.response, "headers", None) or {},
            retry_after=google_retry_delay(body),
            daily_quota=google_daily_quota(body),
            bad_key=google_bad_key(body),
        )


def contents(request: CompletionRequest) -> list[types.Content]:
    return [_content(turn) for turn in request.messages]


def _content(turn: Message) -> types.Content:
    from google.genai import types

    # Gemini calls the assistant "model".
    role = "user" if turn.role == "user" else "model"
    return types.Content(role=role, parts=[types.Part(text=turn.content)])


def _stop_reason(reason: types.FinishReason | None) -> StopReason:
    from google.genai import types

    if reason == types.FinishReason.MAX_TOKENS:
        return "max_tokens"
    return "end" if reason == types.FinishReason.STOP else "other"
