"""What is on disk for each lecture: complete, empty (little to show), partial, failed, stale or
not generated yet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from flashgen.models import QUIZ_LEVELS, FlashcardFile, OutputMetadata, QuizFile
from flashgen.output.store import OutputStore

State = Literal["complete", "empty", "partial", "failed", "stale", "not generated"]


@dataclass
class LectureStatus:
    lecture: str
    state: State
    tasks_done: int = 0
    tasks_total: int = 0
    cards: int = 0
    questions: int = 0
    questions_remaining: int = 0
    errors: list[str] = field(default_factory=list)
    empty_levels: list[int] = field(default_factory=list)  # quiz levels with no questions

    def describe(self) -> str:
        if self.state == "not generated":
            return "not generated"
        text = f"{self.cards} cards, {self.questions} questions generated"
        if self.questions_remaining:
            text += f" ({self.questions_remaining} remaining)"
        if self.state == "partial":
            return f"partial ({self.tasks_done} of {self.tasks_total} tasks): {text}"
        if self.state == "stale":
            return f"stale (lecture changed since generation): {text}"
        if self.state == "empty":
            if not self.cards:
                return "empty: no cards"
            levels = ", ".join(str(level) for level in self.empty_levels)
            return f"empty: {text} (no questions at level {levels})"
        return f"{self.state}: {text}"


def saved_files(
    store: OutputStore, lecture_id: str
) -> tuple[FlashcardFile | None, list[QuizFile | None]]:
    """A lecture's flashcards file and its quiz files by level (``QUIZ_LEVELS``'s order),
    None where missing or invalid."""
    return (
        store.load_flashcards(lecture_id),
        [store.load_quiz(lecture_id, level) for level in QUIZ_LEVELS],
    )


def _metadata(cards: FlashcardFile, quizzes: list[QuizFile | None]) -> Iterator[OutputMetadata]:
    yield cards.metadata
    yield from (quiz.metadata for quiz in quizzes if quiz is not None)


def lecture_status(store: OutputStore, lecture_id: str, digest: str) -> LectureStatus:
    cards, quizzes = saved_files(store, lecture_id)
    if cards is None:
        return LectureStatus(lecture_id, "not generated")
    status = LectureStatus(lecture_id, "complete", cards=len(cards.flashcards))
    for metadata in _metadata(cards, quizzes):
        status.tasks_total += metadata.tasks_total
        status.tasks_done += metadata.tasks_total - len(metadata.failed_tasks)
        status.errors += [f"{failure.task}: {failure.error}" for failure in metadata.failed_tasks]
    for quiz in quizzes:
        if quiz is None:
            continue
        status.questions += len(quiz.questions)
        if quiz.metadata.status == "empty":
            status.empty_levels.append(quiz.metadata.difficulty_level)
        status.questions_remaining += sum(f.expected_items for f in quiz.metadata.failed_tasks)
    missing_levels = cards.flashcards and any(quiz is None for quiz in quizzes)
    if cards.metadata.source_digest and cards.metadata.source_digest != digest:
        status.state = "stale"
    elif cards.metadata.status == "failed" and not cards.flashcards:
        status.state = "failed"
    elif status.errors or missing_levels:
        status.state = "partial"
    elif status.empty_levels or not cards.flashcards:
        status.state = "empty"
    return status


def is_up_to_date(store: OutputStore, lecture_id: str, digest: str) -> bool:
    """Complete, or empty with every task done: running again would give the same."""
    return lecture_status(store, lecture_id, digest).state in ("complete", "empty")
