"""Stopping always works: a real ``flashgen run`` process, SIGINT while the limiter, a 429 storm
or a backoff would make its calls wait for a long time, exits 130 within 10 s, saved.

The server is a local HTTP server on 127.0.0.1 speaking the OpenAI wire (``fake_api.OPENAI``).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes import prompt_reply

from .fake_api import FAKE_KEY, OPENAI
from .model_server import read_request
from .test_signals import start

ROOT = Path(__file__).parents[2]
EXIT_WITHIN = 10.0  # seconds from the first signal, whatever the limiter or a backoff says


def serve(server: HTTPServer, answer: Callable[[int], Response | None]) -> list[float]:
    """``answer(n)`` for the n-th request (from 0), or a model's reply when it gives None.
    Returns the arrival times."""
    seen: list[float] = []

    def handle(request: Request) -> Response:
        seen.append(time.monotonic())
        reply = answer(len(seen) - 1)
        if reply is not None:
            return reply
        body = json.loads(request.get_data(as_text=True))
        text = prompt_reply(read_request(OPENAI, request.path, body).prompt)
        return Response(json.dumps(OPENAI.ok(text, False)), 200, content_type="application/json")

    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(handle)
    return seen


def error(status: int, code: str, headers: dict[str, str]) -> Response:
    body = json.dumps(OPENAI.error(status, "refused", code))
    return Response(body, status, headers=headers, content_type="application/json")


def wait_for(condition: Callable[[], Any], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def interrupt(process: subprocess.Popen[str], *, settle: float = 0.5) -> tuple[float, str]:
    """SIGINT once calls wait; seconds to exit and the output."""
    time.sleep(settle)  # the refused calls are in their waits by now
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    output, _ = process.communicate(timeout=60)
    return time.monotonic() - sent, output


def assert_stopped_cleanly(seconds: float, output: str, process: subprocess.Popen[str]) -> None:
    assert process.returncode == 130, output
    assert seconds < EXIT_WITHIN, f"took {seconds:.1f} s to exit:\n{output}"
    assert "Traceback" not in output and FAKE_KEY not in output
    assert "interrupted" in output


def test_sigint_under_rpm_exits_at_once(tmp_path: Path, api_server: HTTPServer) -> None:
    seen = serve(api_server, lambda n: None)
    process = start(tmp_path, api_server, "--rpm", "10")  # one call every 6 s
    wait_for(lambda: len(seen) >= 2)  # the rest wait for the limiter
    seconds, output = interrupt(process)
    assert_stopped_cleanly(seconds, output, process)
    print(f"SIGINT to exit under --rpm 10: {seconds:.2f} s")
    report = json.loads((tmp_path / "out" / "sample-course" / "run_report.json").read_text())
    assert report["interrupted"] is True


def test_sigint_in_a_429_storm_exits_at_once(tmp_path: Path, api_server: HTTPServer) -> None:
    # A rate limit the server names (headers), asking for a minute between calls.
    headers = {"retry-after": "60", "x-ratelimit-remaining-requests": "0"}
    seen = serve(api_server, lambda n: error(429, "rate_limit_exceeded", headers))
    process = start(tmp_path, api_server)
    wait_for(lambda: len(seen) >= 2)  # the calls in flight at the start: then a minute's hold
    seconds, output = interrupt(process)
    assert_stopped_cleanly(seconds, output, process)
    print(f"SIGINT to exit in a 429 storm: {seconds:.2f} s")


def test_sigint_in_a_backoff_wait_exits_at_once(tmp_path: Path, api_server: HTTPServer) -> None:
    # The provider is overloaded and asks for two minutes: every call is in a long backoff.
    seen = serve(api_server, lambda n: error(503, "server_overloaded", {"retry-after": "120"}))
    process = start(tmp_path, api_server)
    wait_for(lambda: len(seen) >= 3)
    seconds, output = interrupt(process)
    assert_stopped_cleanly(seconds, output, process)
    print(f"SIGINT to exit in a backoff wait: {seconds:.2f} s")


def test_a_second_sigint_does_not_wait_for_the_grace_period(
    tmp_path: Path, api_server: HTTPServer
) -> None:
    seen = serve(api_server, lambda n: time.sleep(6) if n == 0 else None)
    process = start(tmp_path, api_server, "-j", "1")
    wait_for(lambda: len(seen) >= 1)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)  # the call in flight gets 5 s of grace…
    time.sleep(0.3)
    seconds, output = interrupt(process, settle=0.0)  # …which the second signal cuts short
    assert process.returncode == 130, output
    assert seconds < 2.5, f"took {seconds:.1f} s after the second signal:\n{output}"
    assert "Traceback" not in output


@pytest.mark.parametrize("sig", [signal.SIGTERM], ids=["SIGTERM"])
def test_sigterm_in_a_backoff_wait_exits_at_once(
    sig: signal.Signals, tmp_path: Path, api_server: HTTPServer
) -> None:
    seen = serve(api_server, lambda n: error(529, "overloaded_error", {"retry-after": "120"}))
    process = start(tmp_path, api_server)
    wait_for(lambda: len(seen) >= 3)
    time.sleep(0.5)
    process.send_signal(sig)
    sent = time.monotonic()
    output, _ = process.communicate(timeout=60)
    assert_stopped_cleanly(time.monotonic() - sent, output, process)


def test_a_persistent_overload_ends_the_run_saved_with_rerun_later(
    tmp_path: Path, api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first lecture's calls are answered, then the provider only says 529-like 503s."""
    monkeypatch.setenv("FLASHGEN_OVERLOAD_PATIENCE", "3")
    seen = serve(api_server, lambda n: None if n < 1 else error(503, "server_overloaded", {}))
    process = start(tmp_path, api_server, "-j", "4")
    started = time.monotonic()
    output, _ = process.communicate(timeout=60)
    seconds = time.monotonic() - started
    assert process.returncode == 1, output
    text = " ".join(output.split())
    assert "the provider is overloaded; rerun later" in text
    assert "Traceback" not in output
    assert seconds < 3 + 8 + EXIT_WITHIN, output  # patience, a backoff step, the exit
    print(f"persistent overload, patience 3 s: ended after {seconds:.1f} s")
    report = json.loads((tmp_path / "out" / "sample-course" / "run_report.json").read_text())
    assert report["totals"]["tasks"].get("succeeded", 0) >= 1  # what was answered is kept
    assert len(seen) < 40  # it stopped sending
