from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_samples import COURSE, QUESTIONS_PER_QUIZ, card, flashcard_file, write_model, write_raw

from flashgen.errors import UsageError
from flashgen.export import export_course
from flashgen.export.reader import read_course


def test_lectures_are_sorted_naturally_and_non_lectures_ignored(output_dir: Path) -> None:
    course = read_course(output_dir, COURSE)
    assert [lecture.id for lecture in course.lectures] == ["lec_1", "lec_2", "lec_10"]
    assert course.name == "Algorithms 101"
    assert sorted(course.lectures[0].quizzes) == [1, 2]
    assert course.skipped == [] and course.warnings == []


def test_missing_course_folder_is_a_usage_error_with_hint(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        export_course(tmp_path, "nope", "anki")
    assert "flashgen run nope" in caught.value.hint


@pytest.mark.parametrize("course_id", ["..", "a/b", ""])
def test_course_id_must_be_one_folder_name(tmp_path: Path, course_id: str) -> None:
    with pytest.raises(UsageError):
        read_course(tmp_path, course_id)


def test_course_without_lectures_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / COURSE).mkdir()
    (tmp_path / COURSE / "run_report.json").write_text("{}")
    with pytest.raises(UsageError, match="no generated lectures"):
        read_course(tmp_path, COURSE)


def test_nothing_of_the_requested_kind_is_a_usage_error(tmp_path: Path) -> None:
    write_model(tmp_path / COURSE / "lec_1" / "flashcards.json", flashcard_file("lec_1", []))
    with pytest.raises(UsageError, match="no quiz questions"):
        export_course(tmp_path, COURSE, "gift")
    with pytest.raises(UsageError, match="no flashcards"):
        export_course(tmp_path, COURSE, "anki")


def test_broken_files_are_skipped_with_reasons(output_dir: Path) -> None:
    lecture = output_dir / COURSE / "lec_2"
    (lecture / "quiz_level_1.json").write_text("{not json", encoding="utf-8")
    data = json.loads((lecture / "quiz_level_2.json").read_text(encoding="utf-8"))
    del data["metadata"]["course_id"]
    write_raw(lecture / "quiz_level_2.json", data)

    result = export_course(output_dir, COURSE, "gift")

    reasons = {skip.item: skip.reason for skip in result.skipped}
    assert reasons["lec_2/quiz_level_1.json"].startswith("unreadable")
    assert "metadata.course_id" in reasons["lec_2/quiz_level_2.json"]
    assert result.questions == 4 * QUESTIONS_PER_QUIZ  # lec_1 and lec_10 export both levels


def test_an_invalid_item_drops_only_that_item(output_dir: Path) -> None:
    path = output_dir / COURSE / "lec_1" / "quiz_level_1.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["questions"][0]["correct_answer"] = ["A", "B"]  # an mcq with two answers
    data["questions"][2]["type"] = "essay"
    write_raw(path, data)

    course = read_course(output_dir, COURSE)

    assert len(course.lectures[0].quizzes[1].questions) == QUESTIONS_PER_QUIZ - 2  # two broken
    items = [skip.item for skip in course.skipped]
    assert items == [
        "lec_1/quiz_level_1.json questions[0] lec_1-L1-mcq",
        "lec_1/quiz_level_1.json questions[2] lec_1-L1-tf",
    ]


def test_partial_files_are_exported_with_a_warning(tmp_path: Path) -> None:
    partial = flashcard_file("lec_1", [card("lec_1", 0)])
    partial.metadata.status = "partial"
    write_model(tmp_path / COURSE / "lec_1" / "flashcards.json", partial)
    result = export_course(tmp_path, COURSE, "csv")
    assert result.cards == 1
    assert result.warnings == ["lec_1/flashcards.json is marked partial"]


def test_a_course_whose_files_all_fail_says_so(tmp_path: Path) -> None:
    (tmp_path / COURSE / "lec_1").mkdir(parents=True)
    (tmp_path / COURSE / "lec_1" / "flashcards.json").write_text("[]", encoding="utf-8")
    with pytest.raises(UsageError, match="1 file\\(s\\) or item\\(s\\) failed validation"):
        export_course(tmp_path, COURSE, "anki")
