"""What a provider's batch API offers flashgen: submit requests, see progress, read outcomes.

Batches run the same requests as live calls at a discount (``batch_discount`` in the price
table), outside the per-minute limits, within a day. Each request carries a ``custom_id`` that
its outcome is matched by: outcomes come back in any order.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from flashgen.ids import digest
from flashgen.providers.base import Completion, CompletionRequest


@dataclass(frozen=True)
class BatchProgress:
    ended: bool
    status: str  # the provider's word for the state, as shown to the user
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchOutcome:
    """One request's result: a completion, or why there is none (errored, expired, canceled)."""

    custom_id: str
    completion: Completion | None
    failure: str = ""


@dataclass(frozen=True)
class BatchLimits:
    max_requests: int
    max_bytes: int


class BatchApi(Protocol):
    name: str
    model: str
    limits: BatchLimits

    def request_size(self, custom_id: str, request: CompletionRequest) -> int: ...

    async def submit(self, requests: Sequence[tuple[str, CompletionRequest]]) -> str: ...

    async def progress(self, batch_id: str) -> BatchProgress: ...

    def outcomes(self, batch_id: str) -> AsyncIterator[BatchOutcome]: ...

    async def aclose(self) -> None: ...


def custom_id(model: str, request: CompletionRequest) -> str:
    """A request's id in a batch: a digest of everything sent, so the same request made again
    (a rerun of a killed run) has the same id. 35 characters of ``[a-z0-9-]``, within every
    API's rules (Anthropic: ``^[a-zA-Z0-9_-]{1,64}$``)."""
    parts = [
        model,
        request.system,
        *(f"{m.role}:{int(m.cache_breakpoint)}:{m.content}" for m in request.messages),
        str(request.max_tokens),
        str(request.temperature),
        json.dumps(request.json_schema, sort_keys=True),
        request.schema_name,
    ]
    return "fg-" + digest(*parts, length=32)
