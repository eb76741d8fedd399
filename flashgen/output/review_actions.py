"""`flashgen approve`, `reject` and `reset`: a person's decisions on items, chosen by id,
lecture or file (flashcards, quiz level), made from a script or CI rather than an editor.

- approve: the item as it is on disk is right; it stays through every rerun (its stale flag is
  cleared: the person checked it against the current text);
- reject: the item is taken out of its file and never generated back;
- reset: flashgen may replace the item again (a rejected one may come back on the next run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from flashgen.errors import UsageError
from flashgen.models import QUIZ_LEVELS, Flashcard, QuizQuestion
from flashgen.output.decisions import CourseReview, lecture_items
from flashgen.output.review import CARDS, LectureReview, ReviewEntry, item_digest, level_key
from flashgen.output.store import OutputStore

Action = Literal["approve", "reject", "reset"]


@dataclass(frozen=True)
class Selection:
    """Which items: by id, else every item of the chosen lectures (all when none) and files
    (``cards``, ``level N``; all when none); ``stale_only`` narrows to stale items."""

    ids: frozenset[str] = frozenset()
    lectures: frozenset[str] = frozenset()
    files: frozenset[str] = frozenset()
    stale_only: bool = False

    def chooses(self, lecture_id: str, item_id: str, entry: ReviewEntry) -> bool:
        if self.ids and item_id not in self.ids:
            return False
        if self.lectures and lecture_id not in self.lectures:
            return False
        if self.files and entry.file not in self.files:
            return False
        return entry.stale or not self.stale_only


def file_keys(cards: bool, levels: Sequence[int]) -> frozenset[str]:
    return frozenset([CARDS] if cards else []) | {level_key(level) for level in levels}


@dataclass
class Outcome:
    changed: int = 0
    unchanged: int = 0
    lectures: list[str] = field(default_factory=list)


def apply(
    store: OutputStore, lecture_ids: Sequence[str], selection: Selection, action: Action
) -> Outcome:
    """Apply ``action`` to the selected items of the given lectures."""
    unknown = selection.lectures - set(lecture_ids)
    if unknown:
        raise UsageError(
            f"no generated output for lecture(s) {', '.join(sorted(unknown))}",
            hint="`flashgen status COURSE` lists the lectures",
        )
    reviews = CourseReview(store)
    outcome = Outcome()
    found: set[str] = set()
    for lecture_id in lecture_ids:
        review = reviews.open(lecture_id)
        chosen = [i for i, e in review.items.items() if selection.chooses(lecture_id, i, e)]
        found.update(chosen)
        if not chosen:
            continue
        changed = _apply(store, lecture_id, review, chosen, action)
        outcome.changed += changed
        outcome.unchanged += len(chosen) - changed
        reviews.write(lecture_id, review)
        outcome.lectures.append(lecture_id)
    missing = selection.ids - found
    if missing:
        raise UsageError(
            f"no item with id {', '.join(sorted(missing))} in the chosen lectures",
            hint="ids are the `id` fields of the items, also listed in each lecture's review.json",
        )
    return outcome


def _apply(
    store: OutputStore, lecture_id: str, review: LectureReview, chosen: list[str], action: Action
) -> int:
    items: dict[str, Flashcard | QuizQuestion] = {
        item.id: item for found in lecture_items(store, lecture_id).values() for item in found or ()
    }
    changed = 0
    for item_id in chosen:
        entry = review.items[item_id]
        item = items.get(item_id)
        before = entry.model_copy()
        if action == "reject":
            entry.state, entry.stale = "rejected", False
        elif action == "reset":
            if entry.state == "rejected" or item is None:
                del review.items[item_id]
                changed += 1
                continue
            entry.state, entry.stale, entry.digest = "new", False, item_digest(item)
        elif item is None:
            raise UsageError(
                f"{item_id} is rejected and not in its file: there is nothing to approve",
                hint="`flashgen reset` it, run again to have it generated, then approve it",
            )
        else:
            entry.state, entry.stale, entry.digest = "approved", False, item_digest(item)
            entry.sources = _current_sources(review, item, items)
        changed += entry != before
    if action == "reject":
        _remove(store, lecture_id, set(chosen))
    return changed


def _current_sources(
    review: LectureReview,
    item: Flashcard | QuizQuestion,
    items: dict[str, Flashcard | QuizQuestion],
) -> list[str]:
    """The chunk digests an approved item now stands on: its own chunk for a card, its cards'
    chunks for a question (as the last run chunked the lecture)."""
    if isinstance(item, Flashcard):
        chunk = item.source.chunk
        return [review.chunks[chunk]] if 0 <= chunk < len(review.chunks) else []
    cards = [items[i] for i in item.source_flashcard_ids if i in items]
    return sorted({d for card in cards for d in _current_sources(review, card, items)})


def _remove(store: OutputStore, lecture_id: str, ids: set[str]) -> None:
    """Take rejected items out of the lecture's files."""
    cards = store.load_flashcards(lecture_id)
    if cards is not None and any(card.id in ids for card in cards.flashcards):
        cards.flashcards = [card for card in cards.flashcards if card.id not in ids]
        cards.metadata.total_cards = len(cards.flashcards)
        store.save_flashcards(lecture_id, cards)
    for level in QUIZ_LEVELS:
        quiz = store.load_quiz(lecture_id, level)
        if quiz is not None and any(q.id in ids for q in quiz.questions):
            quiz.questions = [q for q in quiz.questions if q.id not in ids]
            quiz.metadata.total_questions = len(quiz.questions)
            store.save_quiz(lecture_id, level, quiz)
