"""A teacher's work survives regeneration: edits, deletions and approvals made in the files with a
text editor (keys reordered, layout changed), then `flashgen run` again, on the sample course."""

from __future__ import annotations

from pathlib import Path

from tests.output.review_files import (
    card,
    flashgen,
    lecture_dir,
    question_ids,
    read,
    snapshot,
    states,
    write_like_an_editor,
)


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


def test_every_decision_made_in_the_files_survives_a_rerun(courses: Path) -> None:
    assert flashgen(courses, "run", "sample-course")[0] == 0
    edited, deleted, approved, untouched = edit_delete_approve(courses)
    approved_before = card(courses, approved)

    code, output = flashgen(courses, "run", "sample-course")

    assert code == 0, output
    assert "lecture-01: item(s) changed by hand since the last run (1 edited and 1 deleted)" in (
        " ".join(output.split())
    )
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
