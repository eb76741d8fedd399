"""What every adapter promises, checked against each real SDK talking to the fake server.

Each test runs once per provider. Besides its own assertion, every error test checks that the
server saw exactly one request: retrying is the scheduler's job, and an SDK retrying on its own
would multiply waits and requests behind its back.
"""

from __future__ import annotations

import email.utils
import time

import pytest

from flashgen.errors import (
    FatalProviderError,
    Overloaded,
    ProviderError,
    RateLimited,
    TransientProviderError,
)

from .conftest import MakeProvider
from .fake_api import (
    FAKE_KEY,
    SHORT_TIMEOUT,
    WIRES,
    FakeApi,
    Reply,
    Wire,
    failure_of,
    simple_request,
)

pytestmark = pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])


async def test_success_records_tokens_and_cost(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.success('{"cards": []}'))
    provider = make_provider(wire)

    completion = await provider.complete(simple_request())

    assert completion.text == '{"cards": []}'
    assert completion.stop_reason == "end"
    usage = completion.usage
    assert (usage.input_tokens, usage.cached_tokens) == (1000, 200)
    assert (usage.output_tokens, usage.thinking_tokens) == (500, 100)
    assert usage.cost_usd == pytest.approx(wire.expected_cost)
    assert [(seen.method, seen.path) for seen in api.requests] == [("POST", wire.path)]


async def test_sends_the_key_and_the_conversation(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.success())
    await make_provider(wire).complete(simple_request())

    seen = api.requests[0]
    assert FAKE_KEY in seen.headers[wire.key_header]
    assert "Make one flashcard about hashing." in str(seen.body)
    assert "Be brief." in str(seen.body)


async def test_truncated_output_is_reported(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.success('{"cards": [{"quest', truncated=True))

    completion = await make_provider(wire).complete(simple_request())

    assert completion.stop_reason == "max_tokens"
    assert completion.truncated


async def test_429_with_retry_after_seconds(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(429, "slow down", headers={"retry-after": "7"}))

    error = await failure_of(make_provider(wire), ProviderError)

    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0
    assert len(api.requests) == 1


async def test_429_with_retry_after_ms_wins_over_seconds(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(
        wire.failure(429, "slow down", headers={"retry-after-ms": "1500", "retry-after": "9"})
    )

    error = await failure_of(make_provider(wire), ProviderError)

    assert isinstance(error, RateLimited)
    assert error.retry_after == 1.5
    assert len(api.requests) == 1


async def test_429_with_retry_after_as_http_date(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    moment = email.utils.formatdate(time.time() + 30, usegmt=True)
    api.script(wire.failure(429, "slow down", headers={"retry-after": moment}))

    error = await failure_of(make_provider(wire), ProviderError)

    assert isinstance(error, RateLimited)
    assert error.retry_after == pytest.approx(30, abs=2)


async def test_503_is_overload(wire: Wire, api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(wire.failure(503, "try later"))

    error = await failure_of(make_provider(wire), ProviderError)

    assert type(error) is Overloaded  # retried per call, and not as a rate limit
    assert "HTTP 503" in error.message
    assert len(api.requests) == 1


async def test_500_is_transient(wire: Wire, api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(wire.failure(500, "oops"))

    error = await failure_of(make_provider(wire), ProviderError)

    assert type(error) is TransientProviderError
    assert len(api.requests) == 1


async def test_timeout_is_transient(wire: Wire, api: FakeApi, make_provider: MakeProvider) -> None:
    api.script(Reply(200, wire.ok("{}", False), delay=SHORT_TIMEOUT + 0.4))
    provider = make_provider(wire, timeout=SHORT_TIMEOUT)

    started = time.monotonic()
    error = await failure_of(provider, ProviderError)

    assert type(error) is TransientProviderError
    assert "did not answer within 0.3 s" in error.message
    assert time.monotonic() - started < SHORT_TIMEOUT + 0.35
    assert len(api.requests) == 1


async def test_connection_refused_is_transient(
    wire: Wire, make_provider: MakeProvider, unused_tcp_port: int
) -> None:
    provider = make_provider(wire, url=f"http://127.0.0.1:{unused_tcp_port}")

    error = await failure_of(provider, ProviderError)

    assert type(error) is TransientProviderError
    assert f"127.0.0.1:{unused_tcp_port}" in error.message


async def test_401_is_fatal_and_names_the_variable(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(401, "invalid api key"))

    error = await failure_of(make_provider(wire), ProviderError)

    assert type(error) is FatalProviderError
    assert wire.key_variable in str(error)
    assert len(api.requests) == 1


async def test_the_key_never_appears_in_errors_or_reprs(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    # OpenAI really does echo (a masked form of) the key it refused.
    echoed = f"Incorrect API key provided: {FAKE_KEY}. Also sk-test-****T123 and {FAKE_KEY[:-3]}"
    api.script(wire.failure(401, echoed))
    provider = make_provider(wire)

    error = await failure_of(provider, ProviderError)

    for text in (str(error), repr(error), error.message, error.hint, repr(provider), str(provider)):
        assert FAKE_KEY not in text
        assert "SECRET" not in text
        assert "T123" not in text
    # The SDK exception holds the request and its auth header: it must not ride along.
    assert error.__cause__ is None
    assert error.__context__ is None


async def test_404_says_the_model_is_unknown(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(404, "model not found"))

    error = await failure_of(make_provider(wire, model="no-such-model"), ProviderError)

    assert type(error) is FatalProviderError
    assert "no-such-model" in error.message
    assert "model" in error.hint


@pytest.mark.parametrize("status", [400, 422])
async def test_bad_request_is_fatal(
    wire: Wire, api: FakeApi, make_provider: MakeProvider, status: int
) -> None:
    api.script(wire.failure(status, "max_tokens is too large"))

    error = await failure_of(make_provider(wire), ProviderError)

    assert type(error) is FatalProviderError
    assert "invalid" in error.message
    assert "max_tokens is too large" in error.message
    assert len(api.requests) == 1


async def test_a_recovered_server_answers_the_next_call(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(503, "busy"), wire.success("second"))
    provider = make_provider(wire)

    await failure_of(provider, ProviderError)
    completion = await provider.complete(simple_request())

    assert completion.text == "second"
    assert len(api.requests) == 2


@pytest.mark.parametrize("body", ["<html>a captive portal</html>", {"unexpected": True}])
async def test_unreadable_success_is_transient(
    wire: Wire, api: FakeApi, make_provider: MakeProvider, body: object
) -> None:
    api.script(Reply(200, body))

    error = await failure_of(make_provider(wire), ProviderError)

    assert type(error) is TransientProviderError
    assert "could not read" in error.message
