"""Ctrl-C, SIGTERM and kill -9 on a real ``flashgen run`` process talking to a slow server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from .fake_api import FAKE_KEY, OPENAI
from .model_server import serve_model

ROOT = Path(__file__).parents[2]
LATENCY = 0.2


def start(tmp_path: Path, server: HTTPServer, *extra: str) -> subprocess.Popen[str]:
    """``flashgen run sample-course`` against ``server`` (OpenAI wire), two calls at a time
    unless ``extra`` says otherwise."""
    courses = tmp_path / "courses"
    if not courses.exists():
        shutil.copytree(ROOT / "courses", courses)
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "flashgen",
        "run",
        "sample-course",
        "--courses-dir",
        str(courses),
        "-o",
        str(tmp_path / "out"),
        "--provider",
        "openai",
        "--model",
        "gpt-4.1-mini",
        "--base-url",
        f"http://127.0.0.1:{server.port}/v1",
        "-j",
        "2",
        "--plain",
        *extra,
    ]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def cached_tasks(tmp_path: Path) -> int:
    path = tmp_path / "out" / "flashgen-cache.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the table is being created


def wait_for(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def total_tasks(tmp_path: Path) -> int:
    report = json.loads((tmp_path / "out" / "sample-course" / "run_report.json").read_text())
    return sum(report["totals"]["tasks"].values())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_saves_what_is_done_exits_130_and_a_rerun_resumes(
    sig: signal.Signals, tmp_path: Path, api_server: HTTPServer
) -> None:
    seen = serve_model(api_server, OPENAI, latency=LATENCY)
    process = start(tmp_path, api_server)
    wait_for(lambda: cached_tasks(tmp_path) >= 2)
    process.send_signal(sig)
    started = time.monotonic()
    output, _ = process.communicate(timeout=20)
    assert time.monotonic() - started < 10
    assert process.returncode == 130, output
    assert "interrupted" in output
    assert FAKE_KEY not in output
    done = cached_tasks(tmp_path)
    assert done >= 2 and len(seen) <= done + 2  # at most the calls in flight were lost

    calls_before = len(seen)
    rerun = start(tmp_path, api_server)
    output, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, output
    assert len(seen) - calls_before == total_tasks(tmp_path) - done


def test_kill_9_loses_at_most_the_calls_in_flight(tmp_path: Path, api_server: HTTPServer) -> None:
    seen = serve_model(api_server, OPENAI, latency=LATENCY)
    process = start(tmp_path, api_server)
    wait_for(lambda: cached_tasks(tmp_path) >= 3)
    process.kill()
    process.communicate(timeout=10)
    done = cached_tasks(tmp_path)
    for path in (tmp_path / "out").rglob("*.json"):
        json.loads(path.read_text())  # every file on disk is whole
    calls_before = len(seen)
    rerun = start(tmp_path, api_server)
    output, _ = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, output
    assert len(seen) - calls_before == total_tasks(tmp_path) - done
