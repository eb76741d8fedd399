"""What the three adapters share, so that each adapter only translates its own SDK's shapes.

- ``AdapterConfig`` / ``AdapterBase``: what an adapter is built from, and the state it keeps.
- ``guarded``: runs an SDK call and turns its exceptions into flashgen's, in one place.
- ``ErrorMapper``: HTTP status + error body → ``RateLimited`` / ``TransientProviderError`` /
  ``FatalProviderError``, with messages that say what to fix and never carry the API key.

The server's advice on when to retry and its rate-limit headers are read in ``headers``.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import SecretStr

from flashgen.errors import (
    FatalProviderError,
    Overloaded,
    ProviderError,
    RateLimited,
    RequestRejected,
    TransientProviderError,
)
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest
from flashgen.providers.headers import retry_after_from_headers
from flashgen.providers.pricing import PriceTable

T = TypeVar("T")

MAX_DETAIL_CHARS = 300
REDACTED = "[redacted]"
# Keys the providers hand out, also in the masked form OpenAI echoes ("sk-proj-****abcd").
_KEY_LIKE = re.compile(r"(sk-[A-Za-z0-9_\-*.]{4,}|AIza[0-9A-Za-z_\-]{8,})")
# Statuses where the same request may well succeed a moment later.
_TRANSIENT_STATUSES = frozenset({408, 409, 425})
# Anthropic's "overloaded" status; 503 is what OpenAI and Gemini send when short of capacity.
_OVERLOAD_STATUSES = frozenset({503, 529})
# Error codes and messages that name a provider short of capacity rather than the client's
# rate: Anthropic "overloaded_error", OpenAI "server_overloaded" / "engine is currently
# overloaded", Gemini "The model is overloaded", "high demand", "capacity".
_OVERLOAD_WORDS = re.compile(r"overload|capacity|high demand", re.IGNORECASE)
# Codes that say a 429 is the client's own rate limit (Anthropic, OpenAI).
_RATE_LIMIT_CODES = frozenset({"rate_limit_error", "rate_limit_exceeded"})
_RATE_LIMIT_HEADER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
# A 400 naming the model is about the configuration (every call would fail), not the request.
_UNKNOWN_MODEL = re.compile(
    r"model_not_found|unknown model|model\b.*\b(not found|does not exist|not supported)",
    re.IGNORECASE,
)
# A 400 about this request's own content: too long for the context, refused content.
_REQUEST_OWN = re.compile(
    r"context.length|too long|input token|prompt|content.(policy|filter|management)|safety"
    r"|blocked|invalid_prompt",
    re.IGNORECASE,
)
# A 400 naming a setting every request carries: every call would fail the same way.
_SETTING_NAMED = re.compile(
    r"max_tokens|max_completion_tokens|max_?output_?tokens|temperature|top_[pk]|thinking"
    r"|unsupported parameter|\bmodel\b",
    re.IGNORECASE,
)


# --- the adapters' common ground ---------------------------------------------------------------


@dataclass(frozen=True)
class AdapterConfig:
    """Everything an adapter is built from; ``base_url=None`` leaves the SDK its own default."""

    model: str
    prices: PriceTable
    timeout: float
    base_url: str | None = None
    api_key: SecretStr | None = field(default=None, repr=False)
    # Gemini: tokens the model may think before answering, sent on every request (0: none).
    thinking_budget: int = 0

    def required_key(self) -> str:
        """The key as the SDK wants it; the factory checks for it before building an adapter."""
        if self.api_key is None:
            raise ValueError("this provider needs an API key")
        return self.api_key.get_secret_value()


class UnreadableResponse(Exception):
    """A 200 response that lacks what every answer of its API has: not the API, or broken."""


@dataclass(frozen=True)
class ErrorKinds:
    timeout: tuple[type[Exception], ...]
    connection: tuple[type[Exception], ...]
    unreadable: tuple[type[Exception], ...]


def stainless_error_kinds(sdk: ModuleType) -> ErrorKinds:
    """Anthropic's and OpenAI's SDKs come from the same generator and name these alike."""
    return ErrorKinds(
        timeout=(sdk.APITimeoutError,),
        connection=(sdk.APIConnectionError,),
        unreadable=(sdk.APIResponseValidationError,),
    )


class AdapterBase(ABC):
    """The model, its prices and the error mapper; subclasses add one SDK client."""

    name: str
    key_variable: str
    # Batch adapters price their replies at the batch price (``batch_discount``).
    batch_price: bool = False

    def __init__(self, config: AdapterConfig, *, resolved_base_url: str) -> None:
        self.model = config.model
        self._prices = config.prices
        self._errors = ErrorMapper(
            provider=self.name,
            model=config.model,
            key_variable=self.key_variable,
            base_url=resolved_base_url,
            timeout=config.timeout,
            secret=config.api_key,
        )

    def __repr__(self) -> str:
        safe_url = _safe_url(self._errors.base_url)
        return f"{type(self).__name__}(model={self.model!r}, base_url={safe_url!r})"

    async def complete(self, request: CompletionRequest) -> Completion:
        return await guarded(self._complete(request), self._translate)

    @abstractmethod
    async def _complete(self, request: CompletionRequest) -> Completion:
        """One call through the SDK; its exceptions are translated by ``complete``."""

    @abstractmethod
    def _error_kinds(self) -> ErrorKinds:
        """The SDK's exception classes for the failures that have no HTTP status."""

    @abstractmethod
    def _http_failure(self, err: Exception) -> HttpFailure | None:
        """``err`` reduced to an ``HttpFailure`` if it is the SDK's error for a status >= 400."""

    def _translate(self, err: Exception) -> ProviderError | None:
        failure = self._http_failure(err)
        if failure is not None:
            return self._errors.status_error(failure)
        kinds = self._error_kinds()
        # Timeouts first: in the SDKs a timeout is also a kind of connection error.
        if isinstance(err, kinds.timeout):
            return self._errors.timeout_error()
        if isinstance(err, kinds.connection):
            return self._errors.connection_error()
        if isinstance(err, (*kinds.unreadable, UnreadableResponse, json.JSONDecodeError)):
            return self._errors.response_error()
        return None

    def _usage(
        self, *, input_tokens: int, output_tokens: int, cached_tokens: int, thinking_tokens: int
    ) -> Usage:
        """``input_tokens`` counts cached ones too; ``output_tokens`` counts thinking ones too."""
        tokens = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_tokens=cached_tokens,
            thinking_tokens=thinking_tokens,
        )
        return tokens.model_copy(
            update={"cost_usd": self._prices.cost(self.model, tokens, batch=self.batch_price)}
        )


# --- running an SDK call ----------------------------------------------------------------------


async def guarded(call: Awaitable[T], translate: Callable[[Exception], ProviderError | None]) -> T:
    """Await ``call``; an exception ``translate`` knows becomes flashgen's, others propagate."""
    try:
        return await call
    except Exception as err:
        mapped = translate(err)
        if mapped is None:
            raise
    # Raised outside the ``except`` block so the SDK exception is not kept as ``__context__``:
    # it holds the request, whose headers carry the API key.
    raise mapped


# --- errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpFailure:
    """An error response, reduced to what flashgen needs from any of the three APIs."""

    status: int
    message: str = ""
    code: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    daily_quota: bool = False
    bad_key: bool = False


@dataclass(frozen=True)
class ErrorMapper:
    """Builds flashgen errors for one provider; ``secret`` is only used to scrub messages."""

    provider: str
    model: str
    key_variable: str
    base_url: str
    timeout: float
    secret: SecretStr | None = field(default=None, repr=False)

    def timeout_error(self) -> TransientProviderError:
        return TransientProviderError(
            f"{self.provider} did not answer within {self.timeout:g} s",
            hint="try again later, or allow more time with --timeout / FLASHGEN_TIMEOUT",
        )

    def connection_error(self) -> TransientProviderError:
        return TransientProviderError(
            f"could not connect to {self.provider} at {_safe_url(self.base_url)}",
            hint="check the network, or the base URL if you set one",
        )

    def response_error(self) -> TransientProviderError:
        return TransientProviderError(
            f"{self.provider} sent a response flashgen could not read",
            hint="try again; if it persists, check the base URL points at the right API",
        )

    def status_error(self, failure: HttpFailure) -> ProviderError:
        detail = self._detail(failure)
        status = failure.status
        if failure.daily_quota:
            return FatalProviderError(
                f"{self.provider} quota is used up ({detail})",
                hint="wait for the quota to reset or raise it in the provider's console",
            )
        retry_after = (
            failure.retry_after
            if failure.retry_after is not None
            else retry_after_from_headers(failure.headers)
        )
        if status in _OVERLOAD_STATUSES or (status == 429 and _overload_named(failure)):
            return Overloaded(
                f"{self.provider} is overloaded ({detail})",
                retry_after=retry_after,
                hint="flashgen backs off and retries; if it persists, rerun later",
            )
        if status == 429:
            return RateLimited(
                f"{self.provider} is rate limiting ({detail})",
                retry_after=retry_after,
                hint="flashgen waits and retries; set --rpm/--itpm/--otpm to your account's "
                "limits, or lower --max-concurrency, if this keeps happening",
                announced=_rate_limit_named(failure),
            )
        if failure.bad_key or status in (401, 403):
            return FatalProviderError(
                f"{self.provider} rejected the API key or its permissions ({detail})",
                hint=f"check {self.key_variable}",
            )
        if status == 404 or _UNKNOWN_MODEL.search(f"{failure.code} {failure.message}"):
            return FatalProviderError(
                f"{self.provider} does not know model '{self.model}' or the endpoint ({detail})",
                hint="check --model / FLASHGEN_MODEL and --base-url",
            )
        if status == 402:
            return FatalProviderError(
                f"{self.provider} asks for payment ({detail})",
                hint="check the account's billing in the provider's console",
            )
        if status in _TRANSIENT_STATUSES or status >= 500:
            return TransientProviderError(
                f"{self.provider} had a server error ({detail})",
                hint="flashgen retries; if it persists, check the provider's status page",
            )
        described = f"{failure.code} {failure.message}"
        if (
            status != 413
            and not _REQUEST_OWN.search(described)
            and _SETTING_NAMED.search(described)
        ):
            return FatalProviderError(
                f"{self.provider} rejected the request as invalid ({detail})",
                hint="check --model and settings such as --max-tokens; retrying cannot help",
            )
        # 400, 413, 422…: this request (too long, refused content, invalid for this input).
        return RequestRejected(
            f"{self.provider} rejected this request ({detail})",
            hint="only this task failed; if every task fails so, check --model and --max-tokens",
        )

    def _detail(self, failure: HttpFailure) -> str:
        parts = [f"HTTP {failure.status}"]
        if failure.code:
            parts.append(failure.code)
        text = " ".join(parts)
        message = redact(failure.message.strip(), self.secret)
        if len(message) > MAX_DETAIL_CHARS:
            message = message[:MAX_DETAIL_CHARS] + "…"
        return f"{text}: {message}" if message else text


def _overload_named(failure: HttpFailure) -> bool:
    return bool(_OVERLOAD_WORDS.search(f"{failure.code} {failure.message}"))


def _rate_limit_named(failure: HttpFailure) -> bool:
    """Whether the refusal says it is the client's rate limit: by code, or by the rate-limit
    headers servers send with such refusals (a capacity refusal comes without them)."""
    if failure.code.lower() in _RATE_LIMIT_CODES:
        return True
    return any(key.lower().startswith(_RATE_LIMIT_HEADER_PREFIXES) for key in failure.headers)


def redact(text: str, secret: SecretStr | None) -> str:
    """``text`` without the key itself or anything shaped like a provider key."""
    if secret is not None and secret.get_secret_value():
        text = text.replace(secret.get_secret_value(), REDACTED)
    return _KEY_LIKE.sub(REDACTED, text)


def _safe_url(url: str) -> str:
    # A base URL may carry credentials ("https://user:pass@host") or a key in its query.
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else url


def error_field(body: object, *path: str) -> str:
    """``body[path[0]][path[1]]…`` as text, or "" where the body has no such field."""
    node: Any = body
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return ""
        node = node[key]
    return node if isinstance(node, str) else ""
