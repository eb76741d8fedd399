"""The command line through Typer's runner: the commands a user types, their exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashgen.cli import app

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


@pytest.fixture
def courses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                     "OPENAI_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    target = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", target)
    return target


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_run_generates_every_file_and_a_summary(courses: Path, tmp_path: Path) -> None:
    code, output = invoke("run", "sample-course", "--courses-dir", str(courses),
                          "-o", str(tmp_path / "out"))
    assert code == 0, output
    course_out = tmp_path / "out" / "sample-course"
    for lecture in ("lecture-01", "lecture-02", "lecture-03"):
        names = sorted(p.name for p in (course_out / lecture).iterdir())
        assert names == ["flashcards.json"] + [f"quiz_level_{n}.json" for n in (1, 2, 3, 4)]
    assert (course_out / "run_report.json").is_file()
    assert "offline" in output and "flashcards" in output and "wall time" in output


def test_second_run_leaves_files_byte_identical(courses: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    first = {p: p.read_bytes() for p in out.rglob("lecture-*/*.json")}
    code, _ = invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    assert code == 0
    assert {p: p.read_bytes() for p in out.rglob("lecture-*/*.json")} == first


def test_single_lecture_and_sequential(courses: Path, tmp_path: Path) -> None:
    code, output = invoke("run", "sample-course", "lecture-02", "--sequential", "-j", "4",
                          "--courses-dir", str(courses), "-o", str(tmp_path / "out"))
    assert code == 0, output
    assert [p.name for p in (tmp_path / "out" / "sample-course").iterdir() if p.is_dir()] == [
        "lecture-02"
    ]


def test_unknown_course_lists_what_exists(courses: Path) -> None:
    code, output = invoke("run", "nope", "--courses-dir", str(courses))
    assert code == 2
    assert "no course 'nope'" in output and "sample-course" in output


def test_unknown_lecture_lists_what_exists(courses: Path) -> None:
    code, output = invoke("run", "sample-course", "lecture-9", "--courses-dir", str(courses))
    assert code == 2 and "lecture-01, lecture-02, lecture-03" in output


@pytest.mark.parametrize("name", ["../courses", "/etc", "sample-course/../x"])
def test_paths_out_of_the_courses_folder_are_refused(courses: Path, name: str) -> None:
    code, output = invoke("run", name, "--courses-dir", str(courses))
    assert code == 2 and "not a plain name" in output


def test_bad_lectures_are_skipped_and_the_run_goes_on(courses: Path, tmp_path: Path) -> None:
    course = courses / "mixed"
    course.mkdir()
    shutil.copy(FIXTURES / "encrypted.pdf", course / "a-locked.pdf")
    shutil.copy(FIXTURES / "lecture_sorting.pdf", course / "b-sorting.pdf")
    (course / "c-empty.md").write_text("")
    code, output = invoke("run", "mixed", "--courses-dir", str(courses),
                          "-o", str(tmp_path / "out"))
    assert code == 1
    assert "encrypted PDF (needs a password)" in output and "empty file" in output
    assert (tmp_path / "out" / "mixed" / "b-sorting" / "quiz_level_4.json").is_file()


def test_course_without_lectures_is_a_usage_error(courses: Path) -> None:
    (courses / "empty").mkdir()
    code, output = invoke("run", "empty", "--courses-dir", str(courses))
    assert code == 2 and "has no lecture files" in output


def test_invalid_setting_is_a_usage_error(courses: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASHGEN_MAX_CONCURRENT_REQUESTS", "lots")
    code, output = invoke("run", "sample-course", "--courses-dir", str(courses))
    assert code == 2 and "max_concurrent_requests" in output


def test_batch_processing_disabled_by_environment(courses: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASHGEN_BATCH_PROCESSING_ENABLED", "false")
    from flashgen.config import load_settings

    assert load_settings().sequential
    code, _ = invoke("run", "sample-course", "--courses-dir", str(courses),
                     "-o", str(tmp_path / "out"))
    assert code == 0


def test_list_shows_courses_and_lectures(courses: Path) -> None:
    (courses / "sample-course" / "notes.xlsx").write_text("x")
    code, output = invoke("list", "--courses-dir", str(courses))
    assert code == 0
    assert "sample-course" in output and "Introduction to Cell Biology" in output
    assert "lecture-02" in output and "txt" in output
    assert "notes.xlsx: not a lecture (unsupported file type" in output


def test_help_documents_every_run_option() -> None:
    code, output = invoke("run", "--help")
    assert code == 0
    for option in ("--provider", "--model", "--base-url", "--max-concurrency", "--sequential",
                   "--chunk-size", "--courses-dir", "--output-dir"):
        assert option in output
