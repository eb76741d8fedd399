"""``--shard I/N`` and ``--merge``: shards then the merge write what one unsharded run writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flashgen.cli import app
from flashgen.config import Settings
from flashgen.errors import UsageError
from flashgen.run.shards import Shard, parse_shard, shard_of, shard_settings

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample course with each lecture twice more under other names: enough lectures for
    three shards, and copies that only the course-wide dedupe of the merge removes."""
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    target = tmp_path / "courses" / "sample-course"
    shutil.copytree(ROOT / "courses" / "sample-course", target)
    for source in sorted(target.glob("lecture-*")):
        for copy in ("b", "c"):
            shutil.copy(source, target / f"{source.stem}-{copy}{source.suffix}")
    return tmp_path / "courses"


def flashgen(courses: Path, out: Path, *args: str) -> str:
    result = runner.invoke(
        app, ["run", "sample-course", "--courses-dir", str(courses), "-o", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    return result.output


def lecture_files(out: Path) -> dict[str, bytes]:
    course = out / "sample-course"
    return {
        str(p.relative_to(course)): p.read_bytes()
        for p in course.rglob("*.json")
        if p.parent != course  # the run report and cache are not lecture files
    }


def test_shards_then_merge_write_the_same_bytes_as_one_run(course: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    flashgen(course, whole)
    sharded = tmp_path / "sharded"
    said = [flashgen(course, sharded, "--shard", f"{i}/3", "--plain") for i in (1, 2, 3)]
    assert all("of the course's 9 lectures" in output for output in said)
    merged = flashgen(course, sharded, "--merge", "--plain")
    assert "9 processed" in merged
    expected = lecture_files(whole)
    assert len(expected) == 9 * 6  # flashcards, four quizzes and review.json per lecture
    assert lecture_files(sharded) == expected
    assert (sharded / "sample-course" / "run_report.json").is_file()


def test_a_shard_leaves_course_dedupe_to_the_merge(course: Path, tmp_path: Path) -> None:
    """Copies of a lecture in one shard keep their cards until the merge drops them."""
    out = tmp_path / "out"
    for i in (1, 2, 3):
        flashgen(course, out, "--shard", f"{i}/3")
    before = {name: len(data) for name, data in lecture_files(out).items()}
    flashgen(course, out, "--merge")
    after = {name: len(data) for name, data in lecture_files(out).items()}
    assert any(after[name] < before[name] for name in before)
    # The merge brought review.json up to date: what it dropped is not read as a person's
    # deletion by the next run, which finds nothing changed by hand and writes nothing.
    merged = lecture_files(out)
    rerun = flashgen(course, out, "--plain")
    assert "changed by hand" not in rerun
    assert lecture_files(out) == merged


def test_shard_of_is_stable_and_independent_of_other_lectures() -> None:
    ids = [f"lecture-{n:02}" for n in range(1, 41)]
    shards = {lecture: shard_of(lecture, 4) for lecture in ids}
    assert set(shards.values()) == {1, 2, 3, 4}
    # Adding a lecture moves no other: the shard is a function of the id alone.
    assert {lecture: shard_of(lecture, 4) for lecture in ids} == shards
    assert sum(Shard(i, 4).holds(lecture) for i in range(1, 5) for lecture in ids) == len(ids)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", ""])
def test_a_malformed_shard_says_the_form(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_shard(text)
    assert "--shard I/N" in caught.value.hint


def test_rate_limits_are_divided_and_said() -> None:
    settings, said = shard_settings(Settings(rpm=100, otpm=10_000), Shard(2, 3))
    assert (settings.rpm, settings.itpm, settings.otpm) == (33, None, 3333)
    assert "--rpm 100 -> 33" in said and "--otpm 10000 -> 3333" in said
    _, unlimited = shard_settings(Settings(), Shard(1, 2))
    assert "no rate limits configured" in unlimited


def test_merge_refuses_a_shard_and_says_what_to_run(course: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["run", "sample-course", "--courses-dir", str(course), "--merge", "--shard", "1/2"],
    )
    assert result.exit_code == 2
    assert "flashgen run sample-course --merge" in result.output
