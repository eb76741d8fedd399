"""One real call per provider, to catch what a fake server cannot: a renamed model, a changed
wire format. Deselected by default (``-m 'not live'`` in pyproject); run with
``pytest -m live tests/providers``. Each test skips unless its provider's key is set, and spends
well under a cent.
"""

from __future__ import annotations

import json

import pytest

from flashgen.config import Settings
from flashgen.providers.base import CompletionRequest, Message
from flashgen.providers.check import check_providers
from flashgen.providers.factory import (
    KEY_VARIABLES,
    LLMProviderName,
    build_provider,
    configured_providers,
)
from flashgen.providers.pricing import PriceTable

pytestmark = pytest.mark.live

_SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
    "additionalProperties": False,
}


@pytest.mark.parametrize("name", ["anthropic", "gemini", "openai"])
async def test_one_structured_call(name: LLMProviderName) -> None:
    settings = Settings(provider="auto")
    keys = {
        "anthropic": settings.anthropic_api_key,
        "gemini": settings.gemini_api_key,
        "openai": settings.openai_api_key,
    }
    if keys[name] is None:
        pytest.skip(f"{' or '.join(KEY_VARIABLES[name])} is not set")
    provider = build_provider(name, settings.model_copy(update={"model": None}), PriceTable.load())
    request = CompletionRequest(
        system="You write study flashcards. Answer with JSON only.",
        messages=(Message("user", "One flashcard about what a hash table is."),),
        max_tokens=1024,
        temperature=0.2,
        json_schema=_SCHEMA,
        schema_name="flashcard",
    )
    try:
        completion = await provider.complete(request)
    finally:
        await provider.aclose()

    card = json.loads(completion.text)
    assert card["question"] and card["answer"]
    assert completion.stop_reason == "end"
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert completion.usage.cost_usd > 0


@pytest.mark.parametrize("name", ["anthropic", "gemini", "openai"])
async def test_the_run_schema_is_accepted(name: LLMProviderName) -> None:
    """What ``flashgen providers --check`` sends: the full reply schema of a run."""
    settings = Settings(provider=name)
    if name not in configured_providers(settings):
        pytest.skip(f"{' or '.join(KEY_VARIABLES[name])} is not set")

    (result,) = await check_providers(settings, PriceTable.load())

    assert result.ok, result.detail
