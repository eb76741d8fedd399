"""Decisions from the command line (approve, reject, reset, --regenerate-rejected), exports that
honour them, lectures that are renamed or deleted, and an unchanged rerun across a course whose
lectures share a passage (course-wide dedupe)."""

from __future__ import annotations

import csv
from pathlib import Path

from tests.output.review_files import (
    ROOT,
    card,
    flashgen,
    lecture_dir,
    question_ids,
    read,
    snapshot,
    states,
)


def exported_questions(courses: Path, *extra: str) -> list[str]:
    out = courses.parent / "export.csv"
    code, output = flashgen(
        courses, "export", "sample-course", "--to", "csv", "--questions", "--out", str(out), *extra
    )
    assert code == 0, output
    text = out.read_text(encoding="utf-8")
    return [row[0] for row in csv.reader(line for line in text.splitlines() if line[:1] != "#")]


def test_reject_removes_an_item_for_good_and_reset_brings_it_back(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    first = read(lecture_dir(courses) / "flashcards.json")["flashcards"][0]

    code, output = flashgen(courses, "reject", "sample-course", first["id"])
    assert code == 0 and "rejected 1 item" in output, output
    assert first["question"] not in exported_questions(courses)
    assert flashgen(courses, "run", "sample-course")[0] == 0
    assert first["id"] not in {
        c["id"] for c in read(lecture_dir(courses) / "flashcards.json")["flashcards"]
    }
    assert states(courses)[first["id"]]["state"] == "rejected"

    assert flashgen(courses, "reset", "sample-course", first["id"])[0] == 0
    assert flashgen(courses, "run", "sample-course")[0] == 0
    assert card(courses, first["id"]) == first
    assert states(courses)[first["id"]]["state"] == "new"


def test_regenerate_rejected_brings_back_what_was_deleted(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    before = question_ids(courses, 2)
    assert (
        flashgen(courses, "reject", "sample-course", "--lecture", "lecture-01", "--level", "2")[0]
        == 0
    )
    assert question_ids(courses, 2) == []
    assert flashgen(courses, "run", "sample-course")[0] == 0
    assert question_ids(courses, 2) == []
    assert flashgen(courses, "run", "sample-course", "--regenerate-rejected")[0] == 0
    assert question_ids(courses, 2) == before


def test_approved_only_exports_only_approved_items(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    assert (
        flashgen(courses, "approve", "sample-course", "--lecture", "lecture-02", "--cards")[0] == 0
    )
    cards = read(lecture_dir(courses, "lecture-02") / "flashcards.json")["flashcards"]
    assert exported_questions(courses, "--approved-only") == [c["question"] for c in cards]
    assert f"{len(cards)} approved" in flashgen(courses, "status", "sample-course")[1]


def test_a_decision_needs_a_choice_and_a_broken_file_is_never_overwritten(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    code, output = flashgen(courses, "approve", "sample-course")
    assert code != 0 and "--all" in output
    path = lecture_dir(courses) / "flashcards.json"
    broken = path.read_text(encoding="utf-8").replace('"question":', '"question"', 1)
    path.write_text(broken, encoding="utf-8")
    code, output = flashgen(courses, "run", "sample-course")
    assert code != 0 and "will not overwrite" in output
    assert path.read_text(encoding="utf-8") == broken


def test_a_renamed_lecture_leaves_orphaned_output_that_prune_removes(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    old = lecture_dir(courses, "lecture-03")
    assert (
        flashgen(courses, "approve", "sample-course", "--lecture", "lecture-03", "--cards")[0] == 0
    )
    source = courses / "sample-course"
    (source / "lecture-03.md").rename(source / "lecture-03-genetics.md")
    orphan_files = {p.name: p.read_bytes() for p in old.iterdir()}

    assert flashgen(courses, "run", "sample-course")[0] == 0

    # The old folder is left as it was: not rewritten, not deduplicated against the new one.
    assert {p.name: p.read_bytes() for p in old.iterdir()} == orphan_files
    new_cards = read(lecture_dir(courses, "lecture-03-genetics") / "flashcards.json")
    assert new_cards["flashcards"]
    code, output = flashgen(courses, "status", "sample-course")
    assert "lecture-03 " in output and "orphaned" in output
    exported = exported_questions(courses)
    assert exported.count(new_cards["flashcards"][0]["question"]) == 1  # no copy from the orphan

    code, output = flashgen(courses, "prune", "sample-course")
    assert code == 1 and "approved or edited" in output and old.is_dir()
    code, output = flashgen(courses, "prune", "sample-course", "--force")
    assert code == 0 and not old.exists()
    assert "orphaned" not in flashgen(courses, "status", "sample-course")[1]


def test_a_deleted_lecture_is_left_out_of_exports_and_pruned(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    gone = read(lecture_dir(courses, "lecture-02") / "flashcards.json")["flashcards"]
    (courses / "sample-course" / "lecture-02.txt").unlink()
    assert flashgen(courses, "run", "sample-course")[0] == 0
    exported = exported_questions(courses)
    assert not {c["question"] for c in gone} & set(exported)
    code, output = flashgen(courses, "prune", "sample-course")
    assert code == 0 and "removed" in output
    assert not lecture_dir(courses, "lecture-02").exists()


def test_an_unchanged_rerun_writes_nothing_when_the_course_dedupe_drops_items(
    courses: Path,
) -> None:
    lecture_01 = (ROOT / "courses" / "sample-course" / "lecture-01.md").read_text("utf-8")
    shared = lecture_01.split("## Organelles")[1].split("## The plasma membrane")[0]
    with (courses / "sample-course" / "lecture-02.txt").open("a", encoding="utf-8") as handle:
        handle.write("\n\n" + shared)
    out = courses.parent / "out"
    assert flashgen(courses, "run", "sample-course")[0] == 0
    lecture_02 = read(lecture_dir(courses, "lecture-02") / "flashcards.json")["flashcards"]
    cited = {
        i
        for q in read(lecture_dir(courses, "lecture-02") / "quiz_level_1.json")["questions"]
        for i in q["source_flashcard_ids"]
    }
    assert any(i.startswith("lecture-01-") for i in cited)  # the dedupe had work to do
    assert not any(c["question"] == "What is an organelle?" for c in lecture_02)
    before = snapshot(out)

    assert flashgen(courses, "run", "sample-course")[0] == 0

    assert snapshot(out) == before
