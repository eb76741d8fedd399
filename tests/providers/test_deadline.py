"""A per-call deadline that also covers an answer sent a byte at a time: the SDKs' timeout only
bounds each silence, so a trickling body would hold a call (and its slot) for ever."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from flashgen.errors import TransientProviderError
from flashgen.run.policies import DeadlinePolicy, RetryPolicy
from flashgen.run.scheduler import Scheduler
from tests.run.test_scheduler import REQUEST, Scripted, virtual

from .conftest import MakeProvider
from .fake_api import OPENAI, FakeApi, simple_request


@pytest.fixture
def trickling(api: FakeApi, api_server: HTTPServer) -> Iterator[threading.Event]:
    """Answer with the headers and half the body at once, then a byte every 0.2 s."""
    done = threading.Event()
    body = json.dumps(OPENAI.ok('{"ok": true}', False)).encode()

    def stream() -> Iterator[bytes]:
        yield body[: len(body) // 2]
        for byte in body[len(body) // 2 :]:
            if done.wait(0.2):
                return
            yield bytes([byte])

    def handle(request: Request) -> Response:
        headers = {"Content-Length": str(len(body))}
        return Response(stream(), 200, headers=headers, content_type="application/json")

    api_server.clear()
    api_server.expect_request(re.compile(".*")).respond_with_handler(handle)
    yield done
    done.set()


async def test_a_trickling_body_fails_at_the_deadline(
    trickling: threading.Event, make_provider: MakeProvider
) -> None:
    provider = make_provider(OPENAI, timeout=30.0)  # no silence is ever that long here
    scheduler = Scheduler(
        provider, 1, RetryPolicy(max_retries=0), deadline=DeadlinePolicy(longest=1.0)
    )
    started = time.monotonic()
    with pytest.raises(TransientProviderError) as caught:
        await scheduler.complete(simple_request())
    assert time.monotonic() - started < 3.0
    assert "did not finish answering within 1 s" in caught.value.message


def test_once_calls_of_a_kind_are_known_a_stalled_one_fails_at_the_floor() -> None:
    async def main() -> list[float]:
        provider = Scripted([2.0] * 5 + [900.0, 2.0])
        scheduler = Scheduler(provider, 1, RetryPolicy(jitter=0.0))
        for _ in range(6):
            await scheduler.complete(REQUEST)
        return provider.calls

    calls = virtual(main)
    policy = DeadlinePolicy()
    # the stalled sixth call is cut at max(30 s, 4 x 2 s), then retried after a 1 s backoff
    assert calls[6] - calls[5] == pytest.approx(policy.floor + 1.0)
    assert policy.floor < 60 and policy.seconds(None) == policy.longest
