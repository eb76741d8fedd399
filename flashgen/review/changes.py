"""Every change the review page makes, through the review state the CLI uses.

Approve, reject and reset call ``review_actions.apply``, as ``flashgen approve`` does; an edit
replaces the item in its file (validated by the output models, as the generator's output is)
and lets ``CourseReview`` read it in, exactly as a hand edit in a text editor is read in. Each
change holds the course's run lock for the few milliseconds it writes: while a ``flashgen run``
holds it, the change is refused (HTTP 409, "try again when the run ends") instead of
interleaving with the run's writes, and a run started meanwhile waits or stops as it does for
another run. Every write is atomic (a temporary file renamed into place), so closing the page
loses nothing. The page sends the digest of the item it shows; an item changed on disk since
(by a run, or in an editor) is refused, so a stale page never overwrites newer work.
"""

from __future__ import annotations

from typing import Literal

from pydantic import TypeAdapter, ValidationError

from flashgen.errors import UsageError
from flashgen.models import Flashcard, QuizQuestion
from flashgen.output.decisions import CourseReview, lecture_items
from flashgen.output.review import CARDS, item_digest
from flashgen.output.review_actions import Selection, apply
from flashgen.output.store import OutputStore
from flashgen.run.runlock import run_lock

Decision = Literal["approve", "reject", "reset"]
_QUESTION: TypeAdapter[QuizQuestion] = TypeAdapter(QuizQuestion)


class Conflict(UsageError):
    """The item changed on disk since the page showed it, or a run holds the course."""


class Invalid(UsageError):
    """An edit breaks a rule of the output models."""


def decide(store: OutputStore, lecture_id: str, item_id: str, action: Decision, seen: str) -> None:
    with run_lock(store.course_dir):
        _current(store, lecture_id, item_id, seen)
        apply(store, [lecture_id], Selection(ids=frozenset({item_id})), action)


def edit(store: OutputStore, lecture_id: str, item_id: str, data: object, seen: str) -> None:
    with run_lock(store.course_dir):
        file_key, _ = _current(store, lecture_id, item_id, seen)
        item = validated(file_key, data)
        if item.id != item_id:
            raise Invalid(f"id: the id cannot change (it is {item_id!r})", "keep the id field")
        _replace(store, lecture_id, file_key, item)
        CourseReview(store).open(lecture_id)  # reads the edit in: the item is now "edited"


def validated(file_key: str, data: object) -> Flashcard | QuizQuestion:
    """The edited item, or ``Invalid`` naming each broken rule (field: rule)."""
    try:
        if file_key == CARDS:
            return Flashcard.model_validate(data)
        return _QUESTION.validate_python(data)
    except ValidationError as exc:
        rules = [
            f"{'.'.join(str(p) for p in error['loc']) or 'item'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise Invalid("; ".join(rules), "fix the field and save again") from None


def _current(
    store: OutputStore, lecture_id: str, item_id: str, seen: str
) -> tuple[str, Flashcard | QuizQuestion]:
    for file_key, items in lecture_items(store, lecture_id).items():
        for item in items or ():
            if item.id == item_id:
                if item_digest(item) != seen:
                    raise Conflict(
                        f"{item_id} changed on disk since the page showed it",
                        "reload the page to see it as it is now",
                    )
                return file_key, item
    raise Conflict(f"{item_id} is no longer in {lecture_id}'s files", "reload the page")


def _replace(
    store: OutputStore, lecture_id: str, file_key: str, item: Flashcard | QuizQuestion
) -> None:
    if isinstance(item, Flashcard):
        cards = store.load_flashcards(lecture_id)
        assert cards is not None  # _current found the item in it
        cards.flashcards = [item if c.id == item.id else c for c in cards.flashcards]
        store.save_flashcards(lecture_id, cards)
        return
    level = int(file_key.removeprefix("level "))
    quiz = store.load_quiz(lecture_id, level)
    assert quiz is not None
    quiz.questions = [item if q.id == item.id else q for q in quiz.questions]
    store.save_quiz(lecture_id, level, quiz)
