"""A teacher's work survives regeneration: edits, deletions and approvals made in the files with a
text editor (keys reordered, layout changed), then `flashgen run` again, on the sample course."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flashgen.cli import app

ROOT = Path(__file__).parents[2]
runner = CliRunner()


@pytest.fixture
def courses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    target = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", target)
    return target


def flashgen(courses: Path, *args: str) -> tuple[int, str]:
    command, course, *rest = args
    where = ["--courses-dir", str(courses), "--output-dir", str(courses.parent / "out")]
    result = runner.invoke(app, [command, course, *where, *rest])
    return result.exit_code, result.output


def lecture_dir(courses: Path, lecture: str = "lecture-01") -> Path:
    return courses.parent / "out" / "sample-course" / lecture


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_like_an_editor(path: Path, data: Any) -> None:
    """Four-space indents and every object's keys in reverse order: layout a person's editor
    may leave, which is no change to the content."""

    def reorder(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: reorder(value[key]) for key in reversed(list(value))}
        if isinstance(value, list):
            return [reorder(item) for item in value]
        return value

    path.write_text(json.dumps(reorder(data), indent=4, ensure_ascii=False), encoding="utf-8")


def states(courses: Path, lecture: str = "lecture-01") -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = read(lecture_dir(courses, lecture) / "review.json")["items"]
    return items


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every output file's bytes and modification time (the run report aside: it reports on
    the run itself)."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "run_report.json"
    }


def edit_delete_approve(courses: Path) -> tuple[str, str, str, str]:
    """As a person would: reword a card's answer, delete a level-1 question, approve another
    card in review.json; every file saved with a different layout. Returns the ids of those and
    of a card left as it was."""
    folder = lecture_dir(courses)
    cards = read(folder / "flashcards.json")
    edited, approved, unchanged = cards["flashcards"][:3]
    edited["answers"]["concise"] = "Rewritten by the teacher."
    write_like_an_editor(folder / "flashcards.json", cards)
    quiz = read(folder / "quiz_level_1.json")
    deleted = quiz["questions"].pop(2)
    write_like_an_editor(folder / "quiz_level_1.json", quiz)
    review = read(folder / "review.json")
    review["items"][approved["id"]]["state"] = "approved"
    write_like_an_editor(folder / "review.json", review)
    return edited["id"], deleted["id"], approved["id"], unchanged["id"]


def card(courses: Path, card_id: str) -> dict[str, Any]:
    cards = read(lecture_dir(courses) / "flashcards.json")["flashcards"]
    found: dict[str, Any] = next(c for c in cards if c["id"] == card_id)
    return found


def question_ids(courses: Path, level: int = 1) -> list[str]:
    questions = read(lecture_dir(courses) / f"quiz_level_{level}.json")["questions"]
    return [q["id"] for q in questions]


def test_every_decision_made_in_the_files_survives_a_rerun(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    edited, deleted, approved, untouched = edit_delete_approve(courses)
    approved_before = card(courses, approved)

    code, output = flashgen(courses, "run", "sample-course")

    assert code == 0, output
    assert card(courses, edited)["answers"]["concise"] == "Rewritten by the teacher."
    assert deleted not in question_ids(courses)
    assert card(courses, approved) == approved_before
    review = states(courses)
    assert review[edited]["state"] == "edited"
    assert review[deleted]["state"] == "rejected"
    assert review[deleted]["question"]  # the review file says what was rejected
    assert review[approved]["state"] == "approved"
    assert review[untouched]["state"] == "new"  # a reordered, reindented file is no edit
    assert not any(entry.get("stale") for entry in review.values())

    code, output = flashgen(courses, "status", "sample-course")
    assert "1 approved, 1 edited, 1 rejected, 0 stale" in output


def test_after_the_source_changed_a_persons_items_stay_and_are_flagged_stale(
    courses: Path,
) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    edited, deleted, approved, untouched = edit_delete_approve(courses)
    lecture = courses / "sample-course" / "lecture-01.md"
    text = lecture.read_text(encoding="utf-8")
    lecture.write_text(text.replace("smallest unit of life", "smallest living unit"), "utf-8")

    code, output = flashgen(courses, "run", "sample-course")

    assert code == 0, output
    assert card(courses, edited)["answers"]["concise"] == "Rewritten by the teacher."
    assert deleted not in question_ids(courses)
    review = states(courses)
    assert (review[edited]["state"], review[edited].get("stale")) == ("edited", True)
    assert (review[approved]["state"], review[approved].get("stale")) == ("approved", True)
    assert review[deleted]["state"] == "rejected"
    assert not review[untouched].get("stale")  # new items are simply made again

    # The teacher checks the approved card against the new text: approving clears the flag.
    assert flashgen(courses, "approve", "sample-course", approved)[0] == 0
    assert not states(courses)[approved].get("stale")
    assert flashgen(courses, "run", "sample-course")[0] == 0
    assert not states(courses)[approved].get("stale")
    assert flashgen(courses, "status", "sample-course")[1].count(" 1 stale") == 1


def test_an_unchanged_rerun_writes_no_file(courses: Path) -> None:
    out = courses.parent / "out"
    assert flashgen(courses, "run", "sample-course")[0] == 0
    edit_delete_approve(courses)
    assert flashgen(courses, "run", "sample-course")[0] == 0  # the decisions are read in
    before = snapshot(out)

    assert flashgen(courses, "run", "sample-course")[0] == 0

    assert snapshot(out) == before  # bytes and modification times: 0 files written
    lecture_files = [name for name in before if name.startswith("sample-course/lecture-")]
    assert len(lecture_files) == 18  # 3 lectures × (flashcards, 4 quiz levels, review.json)
