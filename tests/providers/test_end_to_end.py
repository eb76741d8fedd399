"""``flashgen run`` through the CLI and each real SDK against a local server of its wire format.

The server is strict (``model_server``): it refuses a schema its API would refuse and answers
with what the received schema admits, card ids read from the prompt. So the run must write the
same file set as the offline run, every lecture with cards and questions at all four levels and
no failed task, with valid content, usage and cost recorded, and the API key nowhere in what it
writes or prints; with the default question mix and with all six question types.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from flashgen.cli import app
from flashgen.models import QUESTION_TYPES, QUIZ_LEVELS, FlashcardFile, QuizFile

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


@pytest.mark.parametrize("types", ["mcq,mca", ",".join(QUESTION_TYPES)], ids=["default", "all-six"])
@pytest.mark.parametrize("wire", WIRES, ids=lambda w: w.name)
def test_a_provider_run_writes_every_lecture_at_every_level(
    wire: Wire,
    types: str,
    api_server: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
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
        "--question-types",
        types,
    )
    assert code == 0, output
    run(tmp_path, "--provider", "offline", "-o", str(tmp_path / "offline"))
    assert files(tmp_path / "llm") == files(tmp_path / "offline")

    course_out = tmp_path / "llm" / "sample-course"
    for path in course_out.rglob("flashcards.json"):
        cards = FlashcardFile.model_validate_json(path.read_text())
        assert cards.flashcards and cards.metadata.generator == wire.name
        assert cards.metadata.model == wire.model
    lectures = sorted(p for p in course_out.iterdir() if p.is_dir())
    assert [p.name for p in lectures] == ["lecture-01", "lecture-02", "lecture-03"]
    asked = set(types.split(","))
    written: set[str] = set()
    for lecture in lectures:
        cards = FlashcardFile.model_validate_json((lecture / "flashcards.json").read_text())
        assert cards.flashcards and cards.metadata.status == "complete"
        for level in QUIZ_LEVELS:
            quiz = QuizFile.model_validate_json((lecture / f"quiz_level_{level}.json").read_text())
            assert quiz.questions and quiz.metadata.status == "complete"
            written |= {q.type for q in quiz.questions}
    assert written == asked

    report = json.loads((course_out / "run_report.json").read_text())
    usage = report["totals"]["usage"]
    assert usage["input_tokens"] > 0 and usage["cost_usd"] > 0
    assert report["totals"]["usage_by_phase"]["quiz"]["output_tokens"] > 0
    assert report["totals"]["tasks"]["failed"] == 0
    assert len(seen) == report["totals"]["tasks"]["succeeded"]  # one call per task

    saved = "".join(p.read_text() for p in (tmp_path / "llm").rglob("*.json"))
    assert FAKE_KEY not in saved and FAKE_KEY not in output


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
