"""The command line through Typer's runner: the commands a user types, their exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashgen.cli import app

ROOT = Path(__file__).parents[2]
FIXTURES = Path(__file__).parents[1] / "fixtures"
runner = CliRunner()


@pytest.fixture
def courses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in (
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "OPENAI_BASE_URL",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    target = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", target)
    return target


def run_sample(courses: Path, out: Path, *extra: str) -> tuple[int, str]:
    """``flashgen run sample-course`` on the test's copy of the courses, into ``out``."""
    return invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(out), *extra)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_run_generates_every_file_and_a_summary(courses: Path, tmp_path: Path) -> None:
    code, output = invoke(
        "run", "sample-course", "--courses-dir", str(courses), "-o", str(tmp_path / "out")
    )
    assert code == 0, output
    course_out = tmp_path / "out" / "sample-course"
    for lecture in ("lecture-01", "lecture-02", "lecture-03"):
        names = sorted(p.name for p in (course_out / lecture).iterdir())
        quizzes = [f"quiz_level_{n}.json" for n in (1, 2, 3, 4)]
        assert names == ["flashcards.json", *quizzes, "review.json"]
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
    code, output = run_sample(courses, tmp_path / "out", "lecture-02", "--sequential", "-j", "4")
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
    code, output = invoke(
        "run", "mixed", "--courses-dir", str(courses), "-o", str(tmp_path / "out")
    )
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


def test_batch_processing_disabled_by_environment(
    courses: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASHGEN_BATCH_PROCESSING_ENABLED", "false")
    from flashgen.config import load_settings

    assert load_settings().sequential
    code, _ = invoke(
        "run", "sample-course", "--courses-dir", str(courses), "-o", str(tmp_path / "out")
    )
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
    for option in (
        "--provider",
        "--model",
        "--base-url",
        "--max-concurrency",
        "--sequential",
        "--chunk-size",
        "--courses-dir",
        "--output-dir",
    ):
        assert option in output


def report(out: Path) -> dict[str, int]:
    import json

    data = json.loads((out / "sample-course" / "run_report.json").read_text())
    return dict(data["totals"]["tasks"])


def test_cache_force_and_edited_lecture(courses: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    invoke(*args)
    assert report(out)["succeeded"] == 15
    invoke(*args)
    assert report(out) == {"succeeded": 0, "cached": 15, "failed": 0, "skipped": 0}
    invoke(*args, "--force")
    assert report(out)["succeeded"] == 15
    lecture = courses / "sample-course" / "lecture-02.txt"
    lecture.write_text(lecture.read_text() + "\n\nA codon is a sequence of three bases.\n")
    code, output = invoke("status", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    assert code == 1 and "stale" in output
    invoke(*args)
    # the offline generator's quizzes draw distractors from the whole course, so its identity
    # holds a digest of the course's text: an edited lecture runs every task again (for free)
    assert report(out) == {"succeeded": 15, "cached": 0, "failed": 0, "skipped": 0}
    code, output = invoke("status", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    assert code == 0 and output.count("complete") == 3


def test_retry_failed_leaves_complete_lectures_alone(courses: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    invoke(*args)
    code, output = invoke(*args, "--retry-failed")
    assert code == 0 and output.count("complete and unchanged") == 3


def test_status_before_any_run(courses: Path, tmp_path: Path) -> None:
    code, output = invoke(
        "status", "sample-course", "--courses-dir", str(courses), "-o", str(tmp_path / "nothing")
    )
    assert code == 1 and output.count("not generated") == 3


def test_unwritable_output_folder_is_a_clear_error(courses: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, output = invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(blocker))
    assert code == 2 and "cannot write to" in output and "--output-dir" in output


def test_corrupt_cache_stops_with_the_file_to_delete(courses: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "flashgen-cache.sqlite3").write_bytes(b"garbage" * 500)
    code, output = invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    assert code == 2 and "flashgen-cache.sqlite3" in output and "delete" in output


def test_names_with_spaces_and_unicode(courses: Path, tmp_path: Path) -> None:
    course = courses / "Biologie für alle"
    course.mkdir()
    (course / "Zelle und Membran.md").write_text(
        (courses / "sample-course" / "lecture-01.md").read_text(), encoding="utf-8"
    )
    out = tmp_path / "out"
    code, output = invoke(
        "run",
        "Biologie für alle",
        "Zelle und Membran",
        "--courses-dir",
        str(courses),
        "-o",
        str(out),
    )
    assert code == 0, output
    assert (out / "Biologie für alle" / "Zelle und Membran" / "quiz_level_3.json").is_file()


def test_providers_shows_whether_keys_are_set_never_the_keys(
    courses: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-not-a-real-key-123")
    code, output = invoke("providers")
    assert code == 0
    assert "AIza-not-a-real-key-123" not in output
    assert "found" in output and "missing" in output and "GEMINI_API_KEY" in output
    assert "would use: gemini" in output


def test_export_commands(courses: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("run", "sample-course", "--courses-dir", str(courses), "-o", str(out))
    for fmt, name in (
        ("anki", "sample-course.apkg"),
        ("gift", "sample-course.gift.txt"),
        ("qti", "sample-course.qti.zip"),
        ("csv", "sample-course.csv"),
    ):
        code, output = invoke("export", "sample-course", "--to", fmt, "-o", str(out))
        assert code == 0, output
        assert (out / "sample-course" / "exports" / name).stat().st_size > 0
    code, output = invoke("export", "sample-course", "--to", "pdf", "-o", str(out))
    assert code == 2 and "choose one of anki, csv, tsv, gift, qti" in output
    code, output = invoke("export", "nothing-here", "--to", "csv", "-o", str(out))
    assert code == 2 and "flashgen run" in output


def test_every_question_type_on_request(courses: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"
    code, output = run_sample(
        courses, out, "--question-types", "mcq,mca,true_false,fill_in_blank,matching,categorization"
    )
    assert code == 0, output
    seen = set()
    for path in (out / "sample-course").rglob("quiz_level_*.json"):
        seen |= {q["type"] for q in json.loads(path.read_text())["questions"]}
    assert seen == {"mcq", "mca", "true_false", "fill_in_blank", "matching", "categorization"}
    code, output = run_sample(courses, out, "--question-types", "essay")
    assert code == 2 and "unknown question type" in output


def test_language_reaches_prompts_and_metadata(courses: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"
    code, _ = run_sample(courses, out, "lecture-01", "--language", "French")
    assert code == 0
    cards = json.loads((out / "sample-course" / "lecture-01" / "flashcards.json").read_text())
    assert cards["metadata"]["language"] == "French"
    default = tmp_path / "default"
    invoke("run", "sample-course", "lecture-01", "--courses-dir", str(courses), "-o", str(default))
    cards = json.loads((default / "sample-course" / "lecture-01" / "flashcards.json").read_text())
    assert cards["metadata"]["language"] == "English"  # from course.toml


def test_offline_quiz_is_the_same_whichever_lectures_a_run_names(
    courses: Path, tmp_path: Path
) -> None:
    """The offline generator's distractors come from the whole course, read up front: a run of
    one lecture writes the quiz a run of all writes."""
    import json

    texts = []
    for name, only in (("all", ()), ("one", ("lecture-03",))):
        out = tmp_path / name
        invoke("run", "sample-course", *only, "--courses-dir", str(courses), "-o", str(out))
        quiz = out / "sample-course" / "lecture-03" / "quiz_level_1.json"
        texts.append(json.loads(quiz.read_text())["questions"])
    assert texts[0] and texts[0] == texts[1]
