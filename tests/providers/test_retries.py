"""The scheduler's retries over each real SDK: advised delays obeyed, fatal errors not retried."""

from __future__ import annotations

import pytest

from flashgen.errors import FatalProviderError
from flashgen.run.policies import RetryPolicy
from flashgen.run.scheduler import Scheduler

from .conftest import MakeProvider
from .fake_api import WIRES, FakeApi, Wire, simple_request

pytestmark = pytest.mark.parametrize("wire", WIRES, ids=[wire.name for wire in WIRES])


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def test_a_429_is_retried_after_the_advised_delay(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    headers = {"retry-after": "7"} if wire.name != "gemini" else {}
    api.script(wire.failure(429, "slow down", headers=headers), wire.success('{"ok": 1}'))
    sleep = RecordedSleep()
    scheduler = Scheduler(make_provider(wire), 2, RetryPolicy(max_retries=3), sleep=sleep)

    completion = await scheduler.complete(simple_request())

    assert completion.text == '{"ok": 1}'
    assert len(api.requests) == 2
    if wire.name != "gemini":
        assert sleep.delays == [7.0]
    else:
        assert len(sleep.delays) == 1  # no advice in this body: exponential backoff


async def test_server_errors_back_off_and_give_up_after_the_limit(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(500, "internal error"))
    sleep = RecordedSleep()
    scheduler = Scheduler(make_provider(wire), 2, RetryPolicy(max_retries=2), sleep=sleep)

    with pytest.raises(Exception) as caught:
        await scheduler.complete(simple_request())

    assert "500" in str(caught.value)
    assert len(api.requests) == 3 and len(sleep.delays) == 2
    assert sleep.delays[1] >= sleep.delays[0] * 0.5  # backoff with jitter, not a fixed spin


async def test_an_auth_error_is_not_retried(
    wire: Wire, api: FakeApi, make_provider: MakeProvider
) -> None:
    api.script(wire.failure(401, "invalid key"))
    sleep = RecordedSleep()
    scheduler = Scheduler(make_provider(wire), 2, RetryPolicy(max_retries=5), sleep=sleep)

    with pytest.raises(FatalProviderError):
        await scheduler.complete(simple_request())

    assert len(api.requests) == 1 and sleep.delays == []
