"""Near-duplicates across the lectures of a course: the earlier lecture keeps the item.

Lectures run concurrently, so this runs once their files are saved, over every lecture folder of
the course in course order. Candidates are compared only within a block (same term for cards,
same opening words for questions), which keeps the pass linear in the size of the course. A
question whose source card was dropped points at the card that was kept instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from flashgen.models import QUIZ_LEVELS, Flashcard, QuizQuestion
from flashgen.store import OutputStore
from flashgen.validation import card_text, is_near_duplicate, normalise, question_text

T = TypeVar("T")
_OPENING_WORDS = 6


class _Seen:
    def __init__(self) -> None:
        self._blocks: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def match(self, block: str, text: str) -> str | None:
        """The id of an earlier item like this one, else remember this one and return None."""
        for other_text, other_id in self._blocks[block]:
            if is_near_duplicate(text, other_text):
                return other_id
        return None

    def add(self, block: str, text: str, ident: str) -> None:
        self._blocks[block].append((text, ident))


def _filter(
    items: Iterable[T],
    seen: _Seen,
    block: Callable[[T], str],
    text: Callable[[T], str],
    ident: Callable[[T], str],
) -> tuple[list[T], dict[str, str]]:
    kept: list[T] = []
    replaced: dict[str, str] = {}
    for item in items:
        normalised = normalise(text(item))
        earlier = seen.match(block(item), normalised)
        if earlier is not None:
            replaced[ident(item)] = earlier
            continue
        seen.add(block(item), normalised, ident(item))
        kept.append(item)
    return kept, replaced


def _card_block(card: Flashcard) -> str:
    return normalise(card.term) or " ".join(normalise(card.question).split()[:_OPENING_WORDS])


def _question_block(question: QuizQuestion) -> str:
    return f"{question.type}:" + " ".join(
        normalise(question.question_text).split()[:_OPENING_WORDS]
    )


def dedupe_course(store: OutputStore, lecture_ids: Sequence[str]) -> list[str]:
    """Drop later near-duplicates in the given lectures' files; the lectures whose files
    changed."""
    changed: list[str] = []
    seen_cards = _Seen()
    replaced: dict[str, str] = {}
    for lecture_id in lecture_ids:
        cards = store.load_flashcards(lecture_id)
        if cards is None:
            continue
        kept, dropped = _filter(
            cards.flashcards, seen_cards, _card_block, card_text, lambda c: c.id
        )
        replaced |= dropped
        if dropped:
            cards.flashcards = kept
            cards.metadata.total_cards = len(kept)
            store.save_flashcards(lecture_id, cards)
            changed.append(lecture_id)
    for level in QUIZ_LEVELS:
        seen_questions = _Seen()
        for lecture_id in lecture_ids:
            quiz = store.load_quiz(lecture_id, level)
            if quiz is None:
                continue
            remapped = [_remap(q, replaced) for q in quiz.questions]
            kept_questions, dropped_questions = _filter(
                remapped, seen_questions, _question_block, question_text, lambda q: q.id
            )
            if dropped_questions or remapped != quiz.questions:
                quiz.questions = kept_questions
                quiz.metadata.total_questions = len(kept_questions)
                store.save_quiz(lecture_id, level, quiz)
                if lecture_id not in changed:
                    changed.append(lecture_id)
    return changed


def _remap(question: QuizQuestion, replaced: dict[str, str]) -> QuizQuestion:
    ids = list(dict.fromkeys(replaced.get(i, i) for i in question.source_flashcard_ids))
    if ids == question.source_flashcard_ids:
        return question
    return question.model_copy(update={"source_flashcard_ids": ids})
