"""OpenAI specifics: strict and non-strict JSON schema, quota, local servers, rate-limit headers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from flashgen.errors import FatalProviderError
from flashgen.providers.common import AdapterConfig
from flashgen.providers.openai import PLACEHOLDER_KEY, OpenAIProvider, is_strict_compatible

from .conftest import MakeProvider
from .fake_api import CARD_SCHEMA, OPENAI, FakeApi, Reply, failure_of, simple_request


async def test_strict_compatible_schema_is_sent_strict(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(OPENAI.success())

    await make_provider(OPENAI).complete(simple_request(schema=CARD_SCHEMA))

    assert api.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "flashcards", "schema": CARD_SCHEMA, "strict": True},
    }


async def test_the_sdk_conversion_makes_every_property_required(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(OPENAI.success())
    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": []}

    await make_provider(OPENAI).complete(simple_request(schema=loose))

    json_schema = api.requests[0].body["response_format"]["json_schema"]
    assert json_schema["strict"] is True
    assert json_schema["schema"]["required"] == ["a"]
    assert json_schema["schema"]["additionalProperties"] is False


async def test_an_open_map_falls_back_to_non_strict(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(OPENAI.success())
    open_map = {"type": "object", "additionalProperties": {"type": "string"}}

    await make_provider(OPENAI).complete(simple_request(schema=open_map))

    json_schema = api.requests[0].body["response_format"]["json_schema"]
    assert json_schema["strict"] is False
    assert json_schema["schema"] == open_map


async def test_a_cache_key_goes_out_as_prompt_cache_key(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(OPENAI.success())
    request = replace(simple_request(), cache_key="chunk-1234")

    await make_provider(OPENAI).complete(request)
    await make_provider(OPENAI).complete(simple_request())

    assert api.requests[0].body["prompt_cache_key"] == "chunk-1234"
    assert "prompt_cache_key" not in api.requests[1].body


async def test_request_body(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(OPENAI.success())

    await make_provider(OPENAI).complete(simple_request(max_tokens=777))

    body = api.requests[0].body
    assert body["model"] == "gpt-4.1-mini"
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1]["role"] == "user"
    assert body["temperature"] == 0.3
    # A compatible server (here: any base URL but api.openai.com) gets the classic name.
    assert body["max_tokens"] == 777
    assert "max_completion_tokens" not in body
    assert "response_format" not in body


async def test_reasoning_models_get_no_temperature(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(OPENAI.success())

    await make_provider(OPENAI, model="o4-mini").complete(simple_request())

    assert "temperature" not in api.requests[0].body


@pytest.mark.parametrize("code", ["insufficient_quota", "billing_hard_limit_reached"])
async def test_used_up_quota_is_fatal_not_rate_limited(
    api: FakeApi, make_provider: MakeProvider, code: str
) -> None:
    api.script(
        OPENAI.failure(429, "You exceeded your current quota", code, headers={"retry-after": "1"})
    )

    error = await failure_of(make_provider(OPENAI), FatalProviderError)

    assert "quota" in error.message
    assert len(api.requests) == 1


async def test_rate_limit_headers_become_hints(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(
        OPENAI.success(
            headers={
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "499",
                "x-ratelimit-limit-tokens": "200000",
                "x-ratelimit-remaining-tokens": "198000",
                "x-ratelimit-reset-requests": "6m0s",
                "x-ratelimit-reset-tokens": "20ms",
            }
        )
    )

    hints = (await make_provider(OPENAI).complete(simple_request())).rate_limits

    assert (hints.requests_limit, hints.requests_remaining) == (500, 499)
    assert (hints.tokens_limit, hints.tokens_remaining) == (200000, 198000)
    assert hints.input_tokens_limit is None


async def test_local_server_needs_no_key(api: FakeApi, prices: Any) -> None:
    api.script(OPENAI.success("local"))
    config = AdapterConfig(model="llama3.2", prices=prices, timeout=2.0, base_url=api.url + "/v1")
    provider = OpenAIProvider(config)
    try:
        completion = await provider.complete(simple_request())
    finally:
        await provider.aclose()

    assert completion.text == "local"
    assert api.requests[0].headers["Authorization"] == f"Bearer {PLACEHOLDER_KEY}"
    # A local model has no price: it costs nothing, and nothing pretends otherwise.
    assert completion.usage.cost_usd == 0.0
    assert not prices.is_known("llama3.2")


async def test_refusal_gives_empty_text_and_no_normal_end(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    body = OPENAI.ok("", False)
    body["choices"][0]["message"] = {"role": "assistant", "content": None, "refusal": "No."}
    api.script(Reply(200, body))

    completion = await make_provider(OPENAI).complete(simple_request())

    assert (completion.text, completion.stop_reason) == ("", "other")


_OBJECT = {"type": "object", "additionalProperties": False}


@pytest.mark.parametrize(
    ("schema", "strict"),
    [
        (CARD_SCHEMA, True),
        ({**_OBJECT, "properties": {"a": {"type": "string"}}, "required": ["a"]}, True),
        ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, False),
        ({**_OBJECT, "properties": {"a": {"type": "string"}}}, False),
        # Property names that are also schema keywords are still just names.
        (
            {
                **_OBJECT,
                "properties": {"type": {"type": "string"}, "properties": {"type": "string"}},
                "required": ["type", "properties"],
            },
            True,
        ),
        (
            {
                "$defs": {"Card": {"type": "object", "properties": {"q": {"type": "string"}}}},
                **_OBJECT,
                "properties": {"card": {"$ref": "#/$defs/Card"}},
                "required": ["card"],
            },
            False,
        ),
        (
            {
                **_OBJECT,
                "properties": {
                    "x": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {}}]}
                },
                "required": ["x"],
            },
            False,
        ),
        ({"type": "array", "items": {"type": "string"}}, True),
    ],
)
def test_strict_compatibility(schema: dict[str, Any], strict: bool) -> None:
    assert is_strict_compatible(schema) is strict
