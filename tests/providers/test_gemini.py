"""Gemini specifics: the request body, google.rpc error details (RetryInfo, quotas, bad key)."""

from __future__ import annotations

from typing import Any

import pytest

from flashgen.errors import FatalProviderError, RateLimited
from flashgen.providers.estimate import (
    DYNAMIC_THINKING_TOKENS,
    gemini_thinking_budget,
    thinking_tokens,
)

from .conftest import MakeProvider
from .fake_api import (
    CARD_SCHEMA,
    GEMINI,
    FakeApi,
    Reply,
    conversation_request,
    failure_of,
    simple_request,
)

_RPC = "type.googleapis.com/google.rpc."


def _quota_error(quota_id: str, retry_delay: str) -> dict[str, Any]:
    return {
        "error": {
            "code": 429,
            "message": "You exceeded your current quota.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": _RPC + "QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/generate_requests",
                            "quotaId": quota_id,
                            "quotaValue": "250",
                        }
                    ],
                },
                {"@type": _RPC + "Help", "links": [{"description": "Quotas", "url": "x"}]},
                {"@type": _RPC + "RetryInfo", "retryDelay": retry_delay},
            ],
        }
    }


async def test_schema_goes_in_native_generation_config(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(GEMINI.success())

    await make_provider(GEMINI).complete(simple_request(schema=CARD_SCHEMA, max_tokens=900))

    config = api.requests[0].body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == CARD_SCHEMA
    assert config["maxOutputTokens"] == 900
    assert config["temperature"] == 0.3


async def test_request_body_roles_and_system(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(GEMINI.success())

    await make_provider(GEMINI).complete(conversation_request())

    body = api.requests[0].body
    assert [turn["role"] for turn in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][1]["parts"] == [{"text": "{"}]
    assert body["systemInstruction"]["parts"] == [{"text": "You write flashcards."}]
    assert "responseMimeType" not in body["generationConfig"]


async def test_retry_info_gives_retry_after(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(Reply(429, _quota_error("GenerateRequestsPerMinutePerProjectPerModel", "7s")))

    error = await failure_of(make_provider(GEMINI), RateLimited)

    assert error.retry_after == 7.0
    assert "RESOURCE_EXHAUSTED" in error.message
    assert len(api.requests) == 1


async def test_per_day_quota_is_fatal(api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(Reply(429, _quota_error("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "43s")))

    error = await failure_of(make_provider(GEMINI), FatalProviderError)

    assert "quota is used up" in error.message
    assert len(api.requests) == 1


async def test_invalid_key_400_names_the_variable(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    body = GEMINI.error(400, "API key not valid. Please pass a valid API key.", "")
    body["error"]["details"] = [
        {"@type": _RPC + "ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}
    ]
    api.script(Reply(400, body))

    error = await failure_of(make_provider(GEMINI), FatalProviderError)

    assert "GEMINI_API_KEY" in str(error)


async def test_blocked_prompt_gives_empty_text(api: FakeApi, make_provider: MakeProvider) -> None:
    body = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12},
    }
    api.script(Reply(200, body))

    completion = await make_provider(GEMINI).complete(simple_request())

    assert (completion.text, completion.stop_reason) == ("", "other")
    assert completion.usage.input_tokens == 12


async def test_no_rate_limit_headers_means_empty_hints(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(GEMINI.success())

    hints = (await make_provider(GEMINI).complete(simple_request())).rate_limits

    assert hints.requests_limit is None


async def test_the_thinking_budget_is_sent_and_max_output_tokens_leaves_room_for_it(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(GEMINI.success(), GEMINI.success())

    await make_provider(GEMINI).complete(simple_request(max_tokens=900))
    await make_provider(GEMINI, thinking_budget=512).complete(simple_request(max_tokens=900))

    off, on = (seen.body["generationConfig"] for seen in api.requests)
    # The SDK writes this field in snake case; the API's JSON parser takes either spelling.
    assert off["thinkingConfig"] == {"thinking_budget": 0}
    assert off["maxOutputTokens"] == 900
    assert on["thinkingConfig"] == {"thinking_budget": 512}
    assert on["maxOutputTokens"] == 900 + 512


async def test_dynamic_thinking_gets_room_in_max_output_tokens(
    api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(GEMINI.success())

    await make_provider(GEMINI, thinking_budget=-1).complete(simple_request(max_tokens=900))

    config = api.requests[0].body["generationConfig"]
    assert config["thinkingConfig"] == {"thinking_budget": -1}
    assert config["maxOutputTokens"] == 900 + DYNAMIC_THINKING_TOKENS


@pytest.mark.parametrize(
    ("model", "setting", "sent"),
    [
        ("gemini-2.5-flash", None, 0),  # thinking off where the model allows it
        ("gemini-2.5-pro", None, 128),  # the least a model that always thinks accepts
        ("gemini-2.5-pro", 2048, 2048),
        ("gemini-2.5-flash", -1, -1),
    ],
)
def test_the_budget_sent_is_the_setting_or_the_least_the_model_accepts(
    model: str, setting: int | None, sent: int
) -> None:
    assert gemini_thinking_budget(model, setting) == sent
    assert thinking_tokens("gemini", model, setting) == (
        DYNAMIC_THINKING_TOKENS if sent < 0 else sent
    )
    assert thinking_tokens("openai", model, setting) == 0
