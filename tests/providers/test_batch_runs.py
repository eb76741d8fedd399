"""``flashgen run --batch`` through each real SDK against a local server of its batch API
(``anthropic_batch_server``, ``openai_batch_server``, ``gemini_batch_server``): the same
runs, whichever the API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from flashgen.cli import app
from flashgen.models import FlashcardFile

from .anthropic_batch_server import AnthropicBatchServer
from .batch_server_base import BatchServerBase, serve
from .fake_api import ANTHROPIC, FAKE_KEY, GEMINI, OPENAI, Wire
from .gemini_batch_server import GeminiBatchServer
from .model_server import serve_model
from .openai_batch_server import OpenAIBatchServer

ROOT = Path(__file__).parents[2]
runner = CliRunner()


@dataclass(frozen=True)
class BatchApi:
    wire: Wire
    server: type[BatchServerBase]
    first_batch: str  # the id the server gives its first batch


APIS = [
    BatchApi(ANTHROPIC, AnthropicBatchServer, "msgbatch_0001"),
    BatchApi(OPENAI, OpenAIBatchServer, "batch_0001"),
    BatchApi(GEMINI, GeminiBatchServer, "batches/gb0001"),
]


@pytest.fixture(params=APIS, ids=lambda api: api.wire.name)
def api(request: pytest.FixtureRequest) -> BatchApi:
    chosen: BatchApi = request.param
    return chosen


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: BatchApi) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(api.wire.key_variable, FAKE_KEY)
    monkeypatch.setenv("FLASHGEN_BATCH_POLL_SECONDS", "0.02")
    monkeypatch.setenv("FLASHGEN_BATCH_SETTLE_SECONDS", "0.1")
    shutil.copytree(ROOT / "courses", tmp_path / "courses")
    return tmp_path


def command(api: BatchApi, server: HTTPServer, out: Path, *args: str) -> list[str]:
    return [
        "run",
        "sample-course",
        "--courses-dir",
        "courses",
        "-o",
        str(out),
        "--plain",
        "--provider",
        api.wire.name,
        "--model",
        api.wire.model,
        "--base-url",
        f"http://127.0.0.1:{server.port}{api.wire.url_suffix}",
        *args,
    ]


def flashgen(api: BatchApi, server: HTTPServer, out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, command(api, server, out, *args))
    return result.exit_code, result.output


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "sample-course" / "run_report.json").read_text())
    return data


def complete_lectures(out: Path) -> list[str]:
    done = []
    for path in sorted((out / "sample-course").glob("*/flashcards.json")):
        cards = FlashcardFile.model_validate_json(path.read_text())
        quizzes = sorted(p.name for p in path.parent.glob("quiz_level_*.json"))
        if cards.flashcards and cards.metadata.status == "complete" and len(quizzes) == 4:
            done.append(path.parent.name)
    return done


def test_a_batch_run_completes_in_two_batches_at_half_the_live_cost(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    batches = serve(api_server, api.server())
    code, output = flashgen(api, api_server, workspace / "batch", "--batch")
    assert code == 0, output
    assert complete_lectures(workspace / "batch") == ["lecture-01", "lecture-02", "lecture-03"]
    assert len(batches.batch_ids) == 2  # the cards, then every lecture's quizzes
    assert len(batches.submitted) == len(set(batches.submitted))
    assert f"batch {api.first_batch}: " in output

    serve_model(api_server, api.wire)
    code, output = flashgen(api, api_server, workspace / "live")
    assert code == 0, output
    live, batch = report(workspace / "live"), report(workspace / "batch")
    live_cost = live["totals"]["usage"]["cost_usd"]
    assert live_cost > 0
    assert batch["totals"]["usage"]["cost_usd"] == pytest.approx(live_cost / 2)
    assert batch["totals"]["usage"]["output_tokens"] == live["totals"]["usage"]["output_tokens"]


def test_no_wait_submits_and_exits_and_a_rerun_collects_without_submitting_again(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    batches = serve(api_server, api.server(polls_to_end=3))
    out = workspace / "out"
    code, output = flashgen(api, api_server, out, "--batch", "--batch-no-wait")
    assert code == 0, output
    assert "run the same command" in output and api.first_batch in output
    assert len(batches.batch_ids) == 1 and batches.submitted
    status = runner.invoke(app, ["status", "sample-course", "-o", str(out)])
    assert api.first_batch in status.output and "in_progress" in status.output, status.output

    code, output = flashgen(api, api_server, out, "--batch")
    assert code == 0, output
    assert complete_lectures(out) == ["lecture-01", "lecture-02", "lecture-03"]
    assert len(batches.batch_ids) == 2
    assert len(batches.submitted) == len(set(batches.submitted))  # no request twice
    status = runner.invoke(app, ["status", "sample-course", "-o", str(out)])
    assert api.first_batch not in status.output


def test_failed_requests_go_in_the_next_batch(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    kinds = iter(["errored", "expired", "canceled"])
    first_failures: dict[str, str] = {}

    def fail(custom_id: str, attempt: int) -> str | None:
        if attempt > 1:
            return None
        if custom_id not in first_failures and len(first_failures) < 3:
            first_failures[custom_id] = next(kinds)
        return first_failures.get(custom_id)

    batches = serve(api_server, api.server(fail=fail))
    code, output = flashgen(api, api_server, workspace / "out", "--batch")
    assert code == 0, output
    assert complete_lectures(workspace / "out") == ["lecture-01", "lecture-02", "lecture-03"]
    assert sorted(first_failures.values()) == ["canceled", "errored", "expired"]
    for custom_id in first_failures:
        assert batches.submitted.count(custom_id) == 2  # failed once, sent once more
    assert "it goes in the next batch" in output
    assert batches.live_calls == 0


def test_with_live_fallback_failed_requests_are_normal_calls(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    batches = serve(api_server, api.server(fail=lambda custom_id, attempt: "expired"))
    out = workspace / "out"
    code, output = flashgen(api, api_server, out, "--batch", "--batch-fallback", "live")
    assert code == 0, output
    assert complete_lectures(workspace / "out") == ["lecture-01", "lecture-02", "lecture-03"]
    assert batches.live_calls == len(batches.submitted)
    assert len(batches.submitted) == len(set(batches.submitted))


def test_a_run_killed_while_its_batch_runs_is_followed_by_the_rerun(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    """kill -9 between submission and collection: the rerun follows the same batch."""
    batches = serve(api_server, api.server(polls_to_end=10**9))
    out = workspace / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "flashgen", *command(api, api_server, out, "--batch")]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    polled = getattr(batches, "batches", {})
    try:
        deadline = time.monotonic() + 60
        while not any(b.polls for b in polled.values()):  # submitted, its id recorded
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    submitted = list(batches.submitted)
    assert len(batches.batch_ids) == 1

    batches.polls_to_end = 1
    code, output = flashgen(api, api_server, out, "--batch")
    assert code == 0, output
    assert complete_lectures(out) == ["lecture-01", "lecture-02", "lecture-03"]
    assert batches.submitted[: len(submitted)] == submitted
    assert len(batches.batch_ids) == 2  # the killed run's cards batch, then the quizzes
    assert len(batches.submitted) == len(set(batches.submitted))  # no task twice


def test_plan_batch_is_half_the_live_estimate(api: BatchApi, workspace: Path) -> None:
    def planned(*extra: str) -> dict[str, Any]:
        args = ["plan", "sample-course", "--courses-dir", "courses", "--json", *extra]
        result = runner.invoke(app, [*args, "--provider", api.wire.name, "--model", api.wire.model])
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.output)
        return data

    live, batch = planned(), planned("--batch")
    assert batch["batch"] and not live["batch"]
    assert live["cost_usd"] > 0
    assert batch["cost_usd"] == pytest.approx(live["cost_usd"] / 2, abs=1e-4)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--provider", "offline"], "this run has none"),
    ],
)
def test_batch_refuses_what_it_cannot_do(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], said: str
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    result = runner.invoke(
        app, ["run", "sample-course", "--courses-dir", "courses", "--batch", *args]
    )
    assert result.exit_code != 0
    assert said in result.output, result.output


def test_a_budget_holds_batch_requests_at_the_batch_price(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    """--budget with --batch: each request is held at its most, at the batch price; what the
    budget cannot hold is not submitted, and says so."""
    batches = serve(api_server, api.server())
    code, output = flashgen(api, api_server, workspace / "out", "--batch", "--budget", "0.03")
    assert code != 0
    assert "budget of $0.03" in output and "reached" in output
    assert len(batches.submitted) > 0
    spent = report(workspace / "out")["totals"]["usage"]["cost_usd"]
    assert 0 < spent <= 0.03


def test_a_run_killed_while_creating_its_batch_says_so_and_submits_again(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    """kill -9 while the create call is in flight: the provider makes the batch, flashgen never
    learns its id. The rerun says so and submits those requests again (the documented limit:
    the first batch may be billed too); nothing else is sent twice."""
    batches = serve(api_server, api.server(create_delay=3.0))
    out = workspace / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "flashgen", *command(api, api_server, out, "--batch")]
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not batches.creations:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    time.sleep(3.2)  # the server finishes creating the batch nobody will collect
    first = list(batches.submitted)
    assert first

    batches.create_delay = 0.0
    code, output = flashgen(api, api_server, out, "--batch")
    assert code == 0, output
    assert "was being submitted when flashgen stopped" in output
    assert complete_lectures(out) == ["lecture-01", "lecture-02", "lecture-03"]
    assert sorted(batches.submitted[len(first) : 2 * len(first)]) == sorted(first)
    assert len(batches.submitted) == len(set(batches.submitted)) + len(first)


def test_a_batch_the_api_refuses_fails_its_tasks_with_the_reason(
    api: BatchApi, api_server: HTTPServer, workspace: Path
) -> None:
    batches = serve(api_server, api.server(refuse="model is not available for batches"))
    code, output = flashgen(api, api_server, workspace / "out", "--batch")
    assert code != 0
    assert "failed" in output
    if api.wire is not GEMINI:  # the SDK does not read a failed Gemini job's error
        assert "model is not available for batches" in output
    failed = report(workspace / "out")["totals"]["tasks"]["failed"]
    assert failed == 3  # the flashcard tasks; no quiz task could start
    assert batches.live_calls == 0
