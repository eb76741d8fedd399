"""Hedging through the whole program: ``flashgen run`` with the real OpenAI SDK against a local
server where one request stalls. The run must not wait for it: a copy of the request is sent,
its answer is used, and the stalled connection is dropped."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from flashgen.cli import app
from flashgen.models import QuizFile
from tests.fakes import prompt_reply

from .fake_api import FAKE_KEY, WIRES
from .model_server import read_request

ROOT = Path(__file__).parents[2]
OPENAI = next(wire for wire in WIRES if wire.name == "openai")
STALL_SECONDS = 60.0


def serve_with_one_straggler(server: HTTPServer, release: threading.Event) -> dict[str, Any]:
    """Answer every request after 20 ms, except one quiz request of level 2, which stalls until
    ``release`` (or a minute) the first time it is seen."""
    seen: dict[str, Any] = {"prompts": [], "stalled": None}
    lock = threading.Lock()

    def handle(request: Request) -> Response:
        body = json.loads(request.get_data(as_text=True))
        prompt = read_request(OPENAI, request.path, body).prompt
        with lock:
            first_time = prompt not in seen["prompts"]
            seen["prompts"].append(prompt)
            stall = first_time and seen["stalled"] is None and "Level 2 —" in prompt
            if stall:
                seen["stalled"] = prompt
        if stall:
            release.wait(STALL_SECONDS)
        else:
            time.sleep(0.02)
        reply = OPENAI.ok(prompt_reply(prompt), False)
        return Response(json.dumps(reply), 200, content_type="application/json")

    server.clear()
    server.expect_request(re.compile(".*")).respond_with_handler(handle)
    return seen


def test_a_straggling_call_is_hedged_and_the_run_does_not_wait_for_it(
    api_server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(OPENAI.key_variable, FAKE_KEY)
    monkeypatch.setenv("FLASHGEN_HEDGE", "true")
    courses = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", courses)
    release = threading.Event()
    seen = serve_with_one_straggler(api_server, release)
    started = time.perf_counter()
    try:
        result = CliRunner().invoke(
            app,
            [
                "run",
                "sample-course",
                "lecture-01",
                "--courses-dir",
                str(courses),
                "--plain",
                "--provider",
                "openai",
                "--model",
                OPENAI.model,
                "--base-url",
                f"http://127.0.0.1:{api_server.port}{OPENAI.url_suffix}",
                "-o",
                str(tmp_path / "out"),
            ],
        )
        seconds = time.perf_counter() - started
    finally:
        release.set()
    assert result.exit_code == 0, result.output
    assert seen["stalled"] is not None
    assert seconds < STALL_SECONDS / 2  # it did not wait for the stalled call
    assert seen["prompts"].count(seen["stalled"]) == 2  # the call and its hedge
    out = tmp_path / "out" / "sample-course"
    report = json.loads((out / "run_report.json").read_text())
    assert report["totals"]["hedged_calls"] >= 1
    assert report["totals"]["tasks"]["failed"] == 0
    quiz = QuizFile.model_validate_json((out / "lecture-01" / "quiz_level_2.json").read_text())
    assert quiz.metadata.status == "complete" and quiz.questions
