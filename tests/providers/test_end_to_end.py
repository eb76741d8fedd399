"""``flashgen run`` through the CLI and each real SDK against a local server of its wire format.

The server answers like a well-behaved model (valid cards for a chunk, questions citing the
given cards), so the run must write the same file set as the offline run, with valid content,
usage and cost recorded, and the API key nowhere in what it writes or prints.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from flashgen.cli import app
from flashgen.models import FlashcardFile, QuizFile

from .fake_api import FAKE_KEY, WIRES, Wire
from .model_server import serve_model

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    courses = tmp_path / "courses"
    if not courses.exists():
        shutil.copytree(ROOT / "courses", courses)
    result = runner.invoke(
        app, ["run", "sample-course", "--courses-dir", str(courses), "--plain", *args]
    )
    return result.exit_code, result.output


def files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("lecture-*/*.json"))


@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_provider_run_writes_the_offline_file_set(
    wire: Wire, api_server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(wire.key_variable, FAKE_KEY)
    seen = serve_model(api_server, wire)
    base_url = f"http://127.0.0.1:{api_server.port}{wire.url_suffix}"
    code, output = run(
        tmp_path,
        "--provider",
        wire.name,
        "--model",
        wire.model,
        "--base-url",
        base_url,
        "-o",
        str(tmp_path / "llm"),
    )
    assert code == 0, output
    run(tmp_path, "--provider", "offline", "-o", str(tmp_path / "offline"))
    assert files(tmp_path / "llm") == files(tmp_path / "offline")

    course_out = tmp_path / "llm" / "sample-course"
    for path in course_out.rglob("flashcards.json"):
        cards = FlashcardFile.model_validate_json(path.read_text())
        assert cards.flashcards and cards.metadata.generator == wire.name
        assert cards.metadata.model == wire.model
    for path in course_out.rglob("quiz_level_*.json"):
        quiz = QuizFile.model_validate_json(path.read_text())
        assert quiz.questions and quiz.metadata.status == "complete"

    report = json.loads((course_out / "run_report.json").read_text())
    usage = report["totals"]["usage"]
    assert usage["input_tokens"] > 0 and usage["cost_usd"] > 0
    assert report["totals"]["usage_by_phase"]["quiz"]["output_tokens"] > 0
    assert len(seen) == report["totals"]["tasks"]["succeeded"]  # one call per task

    written = "".join(p.read_text() for p in (tmp_path / "llm").rglob("*.json"))
    assert FAKE_KEY not in written and FAKE_KEY not in output


@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_rejected_key_stops_the_run_fast_and_is_never_shown(
    wire: Wire, api_server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(wire.key_variable, FAKE_KEY)
    seen = serve_model(api_server, wire, status=401)
    base_url = f"http://127.0.0.1:{api_server.port}{wire.url_suffix}"
    code, output = run(
        tmp_path,
        "--provider",
        wire.name,
        "--base-url",
        base_url,
        "-o",
        str(tmp_path / "out"),
        "--sequential",
    )
    assert code == 1
    assert wire.key_variable in output
    assert len(seen) == 1  # no retries, and no further calls once the key was refused
    report = (tmp_path / "out" / "sample-course" / "run_report.json").read_text()
    assert FAKE_KEY not in output and FAKE_KEY not in report


def test_a_missing_key_is_a_usage_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run(tmp_path, "--provider", "anthropic", "-o", str(tmp_path / "out"))
    assert code == 2 and "ANTHROPIC_API_KEY" in output
