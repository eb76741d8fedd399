"""Anthropic specifics: the request body the SDK sends, overload, rate-limit headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flashgen.errors import Overloaded
from flashgen.providers.base import CompletionRequest, Message

from .conftest import MakeProvider
from .fake_api import (
    ANTHROPIC,
    CARD_SCHEMA,
    FakeApi,
    Reply,
    conversation_request,
    failure_of,
    simple_request,
)


async def test_schema_goes_in_native_output_config(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(ANTHROPIC.success())

    await make_provider(ANTHROPIC).complete(simple_request(schema=CARD_SCHEMA))

    body = api.requests[0].body
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": CARD_SCHEMA}}
    assert "tools" not in body


async def test_schema_is_rewritten_into_the_subset_the_api_accepts(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(ANTHROPIC.success())
    schema = {"type": "object", "properties": {"q": {"type": "string", "minLength": 3}}}

    await make_provider(ANTHROPIC).complete(simple_request(schema=schema))

    sent = api.requests[0].body["output_config"]["format"]["schema"]
    assert sent["additionalProperties"] is False
    assert sent["properties"]["q"] == {"type": "string", "description": "{minLength: 3}"}


async def test_request_body_without_schema(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(ANTHROPIC.success("plain"))

    await make_provider(ANTHROPIC).complete(conversation_request())

    body = api.requests[0].body
    assert body["model"] == "claude-haiku-4-5"
    assert body["max_tokens"] == 512
    assert body["system"] == "You write flashcards."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert "output_config" not in body
    # API version 2026-10-21 answers any sampling parameter with a 400.
    assert "temperature" not in body


async def test_529_is_overload_not_a_rate_limit(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(
        ANTHROPIC.failure(529, "Overloaded", "overloaded_error", headers={"retry-after": "3"})
    )

    error = await failure_of(make_provider(ANTHROPIC), Overloaded)

    assert error.retry_after == 3.0
    assert "overloaded_error" in error.message
    assert len(api.requests) == 1


async def test_rate_limit_headers_become_hints(api: FakeApi, make_provider: MakeProvider) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    api.script(
        ANTHROPIC.success(
            headers={
                "anthropic-ratelimit-requests-limit": "50",
                "anthropic-ratelimit-requests-remaining": "49",
                "anthropic-ratelimit-requests-reset": reset,
                "anthropic-ratelimit-input-tokens-limit": "40000",
                "anthropic-ratelimit-input-tokens-remaining": "39000",
                "anthropic-ratelimit-output-tokens-limit": "8000",
                "anthropic-ratelimit-output-tokens-remaining": "7500",
                "anthropic-ratelimit-tokens-limit": "48000",
                "anthropic-ratelimit-tokens-remaining": "46500",
            }
        )
    )

    hints = (await make_provider(ANTHROPIC).complete(simple_request())).rate_limits

    assert (hints.requests_limit, hints.requests_remaining) == (50, 49)
    assert (hints.input_tokens_limit, hints.input_tokens_remaining) == (40000, 39000)
    assert (hints.output_tokens_limit, hints.output_tokens_remaining) == (8000, 7500)
    assert (hints.tokens_limit, hints.tokens_remaining) == (48000, 46500)


async def test_reports_the_model_that_answered(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(ANTHROPIC.success())

    completion = await make_provider(ANTHROPIC).complete(simple_request())

    assert completion.model == "claude-haiku-4-5-20251001"


async def test_refusal_is_neither_an_end_nor_a_truncation(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    body = ANTHROPIC.ok("", False) | {"stop_reason": "refusal", "content": []}
    api.script(Reply(200, body))

    completion = await make_provider(ANTHROPIC).complete(simple_request())

    assert (completion.text, completion.stop_reason) == ("", "other")


def _shared_prefix_request(shared_chars: int) -> CompletionRequest:
    """What the generator sends: the shared part, marked, then the level's own instruction."""
    return CompletionRequest(
        system="You write quizzes.",
        messages=(
            Message("user", "c" * shared_chars, cache_breakpoint=True),
            Message("user", "Write level 2 questions."),
        ),
        max_tokens=512,
        temperature=0.0,
    )


@pytest.mark.parametrize(
    ("model", "shared_chars", "cached"),
    [
        ("claude-sonnet-4-6", 4 * 2100, True),  # 2,048 tokens suffice
        ("claude-haiku-4-5", 4 * 2100, False),  # Haiku 4.5 caches from 4,096 tokens
        ("claude-haiku-4-5", 4 * 4200, True),
        ("claude-sonnet-4-6", 4 * 1100, False),
    ],
)
async def test_the_shared_prefix_is_marked_cacheable_where_the_model_would_cache_it(
    api: FakeApi, make_provider: MakeProvider, model: str, shared_chars: int, cached: bool
) -> None:
    api.script(ANTHROPIC.success())

    await make_provider(ANTHROPIC, model=model).complete(_shared_prefix_request(shared_chars))

    # Two consecutive user messages go as one user turn of two text blocks.
    (turn,) = api.requests[0].body["messages"]
    assert turn["role"] == "user"
    shared, own = turn["content"]
    assert shared["text"] == "c" * shared_chars and own["text"] == "Write level 2 questions."
    assert ("cache_control" in shared) is cached
    if cached:
        assert shared["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in own
