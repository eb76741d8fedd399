"""The shared helpers: durations, retry advice, rate-limit headers, error mapping, redaction."""

from __future__ import annotations

import email.utils
import time

import pytest
from pydantic import SecretStr

from flashgen.errors import (
    FatalProviderError,
    Overloaded,
    RateLimited,
    RequestRejected,
    TransientProviderError,
)
from flashgen.providers.common import ErrorMapper, HttpFailure, error_field, redact
from flashgen.providers.headers import (
    google_daily_quota,
    google_retry_delay,
    parse_duration,
    parse_rate_limit_headers,
    retry_after_from_headers,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("7s", 7.0),
        ("0.5s", 0.5),
        ("", None),
        ("soon", None),
        ("5", None),
        ("5x", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After-Ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after": "12"}, 12.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_retry_after_from_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after_from_headers(headers) == seconds


def test_retry_after_http_date() -> None:
    moment = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert retry_after_from_headers({"retry-after": moment}) == pytest.approx(60, abs=2)


def test_anthropic_headers_with_a_malformed_count() -> None:
    hints = parse_rate_limit_headers(
        {
            "Anthropic-RateLimit-Requests-Limit": "4000",
            "anthropic-ratelimit-requests-remaining": "3999",
            "anthropic-ratelimit-tokens-remaining": "not-a-number",
        }
    )
    assert (hints.requests_limit, hints.requests_remaining) == (4000, 3999)
    assert hints.tokens_remaining is None


def test_no_headers_no_hints() -> None:
    hints = parse_rate_limit_headers({"content-type": "application/json"})
    assert hints == type(hints)()


def test_google_details() -> None:
    body = {
        "error": {
            "details": [
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"},
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerMinutePerProjectPerModel"}],
                },
            ]
        }
    }
    assert google_retry_delay(body) == 2.5
    assert google_daily_quota(body) is False
    assert google_retry_delay({"error": {"message": "no details"}}) is None
    assert google_retry_delay("not json") is None


def test_error_field() -> None:
    body = {"error": {"message": "bad", "code": 3}}
    assert error_field(body, "error", "message") == "bad"
    assert error_field(body, "error", "code") == ""
    assert error_field(body, "missing") == ""
    assert error_field(None, "error") == ""


def test_redact_removes_the_key_and_key_shaped_strings() -> None:
    secret = SecretStr("my-own-secret-value")
    text = (
        "key my-own-secret-value, sk-ant-api03-abcdef, sk-proj-****abcd, AIzaSyA1234567890abcdefgh"
    )
    cleaned = redact(text, secret)
    assert cleaned.count("[redacted]") == 4
    for leaked in ("my-own-secret-value", "sk-ant", "sk-proj", "AIza"):
        assert leaked not in cleaned


_MAPPER = ErrorMapper(
    provider="anthropic",
    model="claude-x",
    key_variable="ANTHROPIC_API_KEY",
    base_url="https://user:pw@example.test/v1?key=abc",
    timeout=2.5,
    secret=SecretStr("sk-test-SECRET123"),
)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, RateLimited),
        (529, Overloaded),
        (500, TransientProviderError),
        (502, TransientProviderError),
        (503, Overloaded),
        (408, TransientProviderError),
        (409, TransientProviderError),
        (400, RequestRejected),
        (401, FatalProviderError),
        (402, FatalProviderError),
        (403, FatalProviderError),
        (404, FatalProviderError),
        (413, RequestRejected),
        (422, RequestRejected),
    ],
)
def test_status_mapping(status: int, kind: type[Exception]) -> None:
    assert type(_MAPPER.status_error(HttpFailure(status, "x"))) is kind


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        # This request's own faults: only its task fails (Anthropic, OpenAI, Gemini wording).
        (HttpFailure(400, "prompt is too long: 210000 tokens > 200000 maximum"), RequestRejected),
        (HttpFailure(400, "maximum context length", "context_length_exceeded"), RequestRejected),
        (HttpFailure(400, "flagged", "content_policy_violation"), RequestRejected),
        (HttpFailure(400, "The input token count (1200000) exceeds the maximum"), RequestRejected),
        (HttpFailure(413, "request too large"), RequestRejected),
        # Settings every request carries: every call would fail, the run stops.
        (
            HttpFailure(400, "max_tokens: 100000 > 64000, the maximum for this model"),
            FatalProviderError,
        ),
        (
            HttpFailure(400, "The model `gpt-9` does not exist", "model_not_found"),
            FatalProviderError,
        ),
        (HttpFailure(400, "temperature: must be at most 1"), FatalProviderError),
        (HttpFailure(402, "payment required"), FatalProviderError),
        (HttpFailure(429, "exceeded your quota", daily_quota=True), FatalProviderError),
    ],
)
def test_a_request_s_own_400_is_told_from_a_setting_every_call_shares(
    failure: HttpFailure, kind: type[Exception]
) -> None:
    assert type(_MAPPER.status_error(failure)) is kind


@pytest.mark.parametrize(
    ("failure", "kind", "announced"),
    [
        (HttpFailure(529, "Overloaded", "overloaded_error"), Overloaded, None),
        (HttpFailure(503, "The model is overloaded.", "UNAVAILABLE"), Overloaded, None),
        (HttpFailure(429, "The engine is currently overloaded"), Overloaded, None),
        (HttpFailure(429, "over capacity", "server_overloaded"), Overloaded, None),
        (HttpFailure(429, "rate limit", "rate_limit_error"), RateLimited, True),
        (
            HttpFailure(429, "slow down", headers={"x-ratelimit-remaining-requests": "0"}),
            RateLimited,
            True,
        ),
        (HttpFailure(429, "Too Many Requests"), RateLimited, False),  # judged by the scheduler
    ],
)
def test_overload_is_told_from_a_rate_limit(
    failure: HttpFailure, kind: type[Exception], announced: bool | None
) -> None:
    error = _MAPPER.status_error(failure)
    assert type(error) is kind
    if isinstance(error, RateLimited):
        assert error.announced is announced


def test_long_messages_are_cut() -> None:
    error = _MAPPER.status_error(HttpFailure(400, "x" * 1000))
    assert len(error.message) < 400


def test_connection_error_shows_no_credentials_of_the_url() -> None:
    error = _MAPPER.connection_error()
    assert "https://example.test/v1" in error.message
    assert "pw" not in error.message
    assert "key=abc" not in error.message
    assert "SECRET" not in repr(_MAPPER)


def test_explicit_retry_after_beats_headers() -> None:
    error = _MAPPER.status_error(HttpFailure(429, headers={"retry-after": "9"}, retry_after=0.0))
    assert isinstance(error, RateLimited)
    assert error.retry_after == 0.0
