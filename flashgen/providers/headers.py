"""What a provider's answer says about retrying and limits: ``retry-after`` (headers, Google's
``RetryInfo``), Google's quota and key errors, durations, and the rate-limit headers of
Anthropic and OpenAI."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

from flashgen.providers.base import RateLimitHints

# --- when to retry ----------------------------------------------------------------------------


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, else ``retry-after`` as seconds or as an HTTP date."""
    lowered = _lower(headers)
    millis = _as_float(lowered.get("retry-after-ms"))
    if millis is not None:
        return max(millis / 1000, 0.0)
    value = lowered.get("retry-after", "").strip()
    if not value:
        return None
    seconds = _as_float(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def google_retry_delay(body: object) -> float | None:
    """``retryDelay`` ("7s", "0.5s") of a google.rpc.RetryInfo in an error body's details."""
    for detail in _google_details(body):
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            return parse_duration(str(detail.get("retryDelay", "")))
    return None


def google_daily_quota(body: object) -> bool:
    """Whether a google.rpc.QuotaFailure names a per-day quota, which no retry today can fix."""
    for detail in _google_details(body):
        if str(detail.get("@type", "")).endswith("google.rpc.QuotaFailure"):
            violations = detail.get("violations") or []
            return any("perday" in str(v.get("quotaId", "")).lower() for v in violations)
    return False


def google_bad_key(body: object) -> bool:
    """Gemini answers a wrong key with 400 INVALID_ARGUMENT and an ErrorInfo reason."""
    return any(
        str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo")
        and detail.get("reason") == "API_KEY_INVALID"
        for detail in _google_details(body)
    )


def _google_details(body: object) -> list[Mapping[str, Any]]:
    error = body.get("error", body) if isinstance(body, Mapping) else None
    details = error.get("details") if isinstance(error, Mapping) else None
    if not isinstance(details, list):
        return []
    return [detail for detail in details if isinstance(detail, Mapping)]


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str) -> float | None:
    """Go-style durations as OpenAI and Google send them: "20ms", "1s", "6m0s", "1h2m3.5s"."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _DURATION_UNITS[unit] for n, unit in _DURATION_PART.findall(text))


# --- rate-limit headers -----------------------------------------------------------------------

_COUNT_HEADERS: dict[str, str] = {
    "anthropic-ratelimit-requests-limit": "requests_limit",
    "anthropic-ratelimit-requests-remaining": "requests_remaining",
    "anthropic-ratelimit-input-tokens-limit": "input_tokens_limit",
    "anthropic-ratelimit-input-tokens-remaining": "input_tokens_remaining",
    "anthropic-ratelimit-output-tokens-limit": "output_tokens_limit",
    "anthropic-ratelimit-output-tokens-remaining": "output_tokens_remaining",
    "anthropic-ratelimit-tokens-limit": "tokens_limit",
    "anthropic-ratelimit-tokens-remaining": "tokens_remaining",
    "x-ratelimit-limit-requests": "requests_limit",
    "x-ratelimit-remaining-requests": "requests_remaining",
    "x-ratelimit-limit-tokens": "tokens_limit",
    "x-ratelimit-remaining-tokens": "tokens_remaining",
}


def parse_rate_limit_headers(headers: Mapping[str, str]) -> RateLimitHints:
    """Limits and remaining counts the server announced; malformed ones are skipped. (Reset times
    are not read: the limiter refills its buckets at the announced rate, which needs no reset.)"""
    lowered = _lower(headers)
    counts = {
        hint: count
        for header, hint in _COUNT_HEADERS.items()
        if (count := _as_int(lowered.get(header))) is not None
    }
    return RateLimitHints(**counts)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def _as_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _as_float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
