"""The provider interface: one request in, one completion out, errors in flashgen's own terms.

Adapters turn SDK exceptions into ``RateLimited``, ``TransientProviderError`` or
``FatalProviderError`` and never retry on their own (SDK ``max_retries=0``): retrying lives in
one place, the scheduler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from flashgen.models import Usage

# A call's place in the scheduler's queue: the smallest tuple is sent first. It is declared here,
# beside the request, so that generators can pass it without importing the run machinery.
Priority = tuple[int, ...]

StopReason = Literal["end", "max_tokens", "other"]


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str
    # True on the last message of the prefix that many requests share (system text, rubric,
    # schema, the chunk or the cards): adapters mark the prefix cacheable there (Anthropic
    # ``cache_control``); everything after it is specific to one request.
    cache_breakpoint: bool = False


@dataclass(frozen=True)
class CompletionRequest:
    system: str
    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float
    json_schema: dict[str, Any] | None = None
    schema_name: str = "result"
    # Requests with the same key share their prefix (OpenAI ``prompt_cache_key``); "" for none.
    cache_key: str = ""


@dataclass(frozen=True)
class RateLimitHints:
    """What the server said about its limits; ``None`` where it said nothing."""

    requests_limit: int | None = None
    requests_remaining: int | None = None
    input_tokens_limit: int | None = None
    input_tokens_remaining: int | None = None
    output_tokens_limit: int | None = None
    output_tokens_remaining: int | None = None
    tokens_limit: int | None = None
    tokens_remaining: int | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    usage: Usage
    model: str
    stop_reason: StopReason = "end"
    rate_limits: RateLimitHints = field(default_factory=RateLimitHints)

    @property
    def truncated(self) -> bool:
        return self.stop_reason == "max_tokens"


@runtime_checkable
class Provider(Protocol):
    """One model of one provider, with one shared client for the whole run."""

    name: str
    model: str

    async def complete(self, request: CompletionRequest) -> Completion: ...

    async def aclose(self) -> None: ...


CallAround = Callable[[Provider, CompletionRequest], Awaitable[Completion]]


class WrappedProvider:
    """A provider seen through ``around``: something that must happen at every call (a stop
    check, a budget charge) without the scheduler or the adapters knowing about it."""

    def __init__(self, provider: Provider, around: CallAround) -> None:
        self._provider = provider
        self._around = around
        self.name = provider.name
        self.model = provider.model

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self._around(self._provider, request)

    async def aclose(self) -> None:
        await self._provider.aclose()
