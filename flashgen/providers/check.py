"""``flashgen providers --check``: one tiny structured request per configured provider.

Each request carries the schema a run sends, with every construct in it (the card, and all six
question types), and asks for an empty list, so that the answer costs a few dozen tokens and a
user learns in seconds whether the key, the model name and the schema are all accepted. The
requests go out together; each result says what failed and how to fix it, never the key.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from flashgen.config import Settings
from flashgen.errors import FlashgenError
from flashgen.generate.drafts import QUESTION_DRAFTS, DraftCard, envelope_schema
from flashgen.providers.base import CompletionRequest, Message
from flashgen.providers.factory import (
    DEFAULT_MODELS,
    LLMProviderName,
    build_provider,
    configured_providers,
)
from flashgen.providers.pricing import PriceTable

CHECK_KEY = "items"
# Room for the empty list, and for a code fence some models add anyway.
CHECK_MAX_TOKENS = 64
CHECK_PROMPT = f'This is a connection test. Reply with exactly {{"{CHECK_KEY}": []}}.'


@dataclass(frozen=True)
class CheckResult:
    provider: str
    model: str
    ok: bool
    detail: str
    seconds: float


def check_request() -> CompletionRequest:
    return CompletionRequest(
        system="You reply with JSON only.",
        messages=(Message("user", CHECK_PROMPT),),
        max_tokens=CHECK_MAX_TOKENS,
        temperature=0.0,
        json_schema=envelope_schema(CHECK_KEY, [DraftCard, *QUESTION_DRAFTS.values()]),
        schema_name="connection_check",
    )


def checked_settings(name: LLMProviderName, settings: Settings) -> Settings:
    """The settings one provider is checked with: ``--model`` and ``--base-url`` belong to the
    provider chosen with ``--provider``; the others use their defaults."""
    if settings.provider == name:
        return settings
    return settings.model_copy(update={"model": None, "base_url": None})


async def check_providers(settings: Settings, prices: PriceTable) -> list[CheckResult]:
    """One result per configured provider (only ``--provider``'s when one is chosen)."""
    names = configured_providers(settings)
    if settings.provider not in ("auto", "offline"):
        names = [name for name in names if name == settings.provider]
    return list(await asyncio.gather(*(_check(n, settings, prices) for n in names)))


async def _check(name: LLMProviderName, settings: Settings, prices: PriceTable) -> CheckResult:
    own = checked_settings(name, settings)
    model = own.model or DEFAULT_MODELS[name]
    started = time.monotonic()
    try:
        provider = build_provider(name, own, prices)
    except FlashgenError as exc:
        return CheckResult(name, model, False, str(exc), 0.0)
    try:
        completion = await provider.complete(check_request())
    except FlashgenError as exc:
        return CheckResult(name, model, False, str(exc), time.monotonic() - started)
    finally:
        await provider.aclose()
    seconds = time.monotonic() - started
    if not _is_answer(completion.text):
        detail = f"the model answered, but not with the requested JSON: {completion.text[:80]!r}"
        return CheckResult(name, model, False, detail, seconds)
    detail = f"key, model and schema accepted ({completion.model})"
    return CheckResult(name, model, True, detail, seconds)


def _is_answer(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get(CHECK_KEY), list)
