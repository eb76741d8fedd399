"""The review state of a course's lectures on disk (``review.json`` beside each lecture's files):
read and reconciled with a person's edits before a run writes anything, saved after it.

A lecture file a person broke (a JSON syntax error, a required field removed) stops the run
with a clear error instead of being overwritten: it may hold hours of edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from flashgen.errors import UsageError
from flashgen.models import QUIZ_LEVELS, Flashcard, FlashcardFile, QuizFile, QuizQuestion
from flashgen.output.review import (
    CARDS,
    LectureReview,
    load_review,
    reconcile,
    record,
    review_bytes,
    review_path,
)
from flashgen.output.store import OutputStore, atomic_write_bytes

Items = Sequence[Flashcard] | Sequence[QuizQuestion]


def _strict(path: Path, model: type[FlashcardFile] | type[QuizFile]) -> BaseModel | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise UsageError(
            f"{path} cannot be read ({detail}); flashgen will not overwrite it",
            hint="fix the file (it is JSON: a missing comma or quote is the usual cause), "
            "restore it from git, or delete it to have it generated again",
        ) from exc


def lecture_items(store: OutputStore, lecture_id: str) -> dict[str, Items | None]:
    """Every file's items by file key (``cards``, ``level N``); None for a missing file."""
    files: dict[str, Items | None] = {}
    cards = _strict(store.flashcards_path(lecture_id), FlashcardFile)
    files[CARDS] = cards.flashcards if isinstance(cards, FlashcardFile) else None
    for level in QUIZ_LEVELS:
        quiz = _strict(store.quiz_path(lecture_id, level), QuizFile)
        files[f"level {level}"] = quiz.questions if isinstance(quiz, QuizFile) else None
    return files


class CourseReview:
    """Review states of one course's lectures, read once per run and saved when changed."""

    def __init__(self, store: OutputStore) -> None:
        self.store = store
        self._reviews: dict[str, LectureReview] = {}
        # Per lecture, what reading the files found a person did since the last run.
        self.found: dict[str, dict[str, int]] = {}

    def open(self, lecture_id: str) -> LectureReview:
        """The lecture's review state with a person's changes to its files read in."""
        review = self._reviews.get(lecture_id)
        if review is not None:
            return review
        lecture_dir = self.store.lecture_dir(lecture_id)
        saved = load_review(lecture_dir)
        files = lecture_items(self.store, lecture_id)
        before = saved.counts() if saved is not None else None
        review, _ = reconcile(saved, files)
        if before is not None:
            after = review.counts()
            found = {
                s: after[s] - before[s] for s in ("edited", "rejected") if after[s] > before[s]
            }
            if found:
                self.found[lecture_id] = found
        self._reviews[lecture_id] = review
        self.write(lecture_id, review)
        return review

    def open_all(self, lecture_ids: Sequence[str]) -> list[str]:
        """Open every lecture's review; what a person changed by hand since the last run, as
        one sentence per lecture."""
        verbs = {"edited": "edited", "rejected": "deleted"}
        messages = []
        for lecture_id in lecture_ids:
            self.open(lecture_id)
            found = self.found.get(lecture_id)
            if found:
                what = " and ".join(f"{n} {verbs[state]}" for state, n in found.items())
                messages.append(
                    f"{lecture_id}: item(s) changed by hand since the last run ({what}): "
                    "edits are kept, deleted items are remembered as rejected"
                )
        return messages

    def protected(self, lecture_ids: Sequence[str]) -> frozenset[str]:
        """Ids of approved and edited items: no dedupe drops them."""
        return frozenset(
            item_id
            for lecture_id in lecture_ids
            for item_id, entry in self.open(lecture_id).items.items()
            if entry.state in ("approved", "edited")
        )

    def save(self, lecture_id: str, sources: dict[str, list[str]]) -> bool:
        """Record what the lecture's files hold now; True when review.json changed."""
        review = self.open(lecture_id)
        files = {k: v for k, v in lecture_items(self.store, lecture_id).items() if v is not None}
        record(review, files, sources)
        return self.write(lecture_id, review)

    def write(self, lecture_id: str, review: LectureReview) -> bool:
        path = review_path(self.store.lecture_dir(lecture_id))
        data = review_bytes(review)
        if not review.items and not path.exists():
            return False
        try:
            if path.read_bytes() == data:
                return False
        except FileNotFoundError:
            pass
        atomic_write_bytes(path, data)
        return True
