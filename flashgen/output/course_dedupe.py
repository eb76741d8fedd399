"""Near-duplicates across the lectures of a course: the earlier lecture keeps the item.

Lectures run concurrently, so this runs once their files are saved, over every lecture folder of
the course in course order. Candidates are compared only within a block (same term for cards,
same opening words for questions), which keeps the pass linear in the size of the course. A
question whose source card was dropped points at the card that was kept instead.

What the pass reads of a file (each item's block, normalised text and id: ``FileKeys``) is
worked out when the store saves the file and kept by the store, so a file this run saved is
neither read back nor validated again unless something in it has to change. Files the store did
not save, or that changed on disk since, are read as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flashgen.generate.validation import card_text, is_near_duplicate, normalise, question_text
from flashgen.models import QUIZ_LEVELS, Flashcard, QuizQuestion

if TYPE_CHECKING:
    from flashgen.output.store import OutputStore

_OPENING_WORDS = 6
Key = tuple[str, str, str]  # (block, normalised text, id)


@dataclass(frozen=True, slots=True)
class FileKeys:
    """What the course-wide pass reads of one file: (block, normalised text, id) per item in
    file order, and for a quiz file every source card id its questions cite."""

    items: tuple[Key, ...]
    sources: frozenset[str] = frozenset()


def flashcard_keys(cards: Iterable[Flashcard]) -> FileKeys:
    return FileKeys(tuple((_card_block(c), normalise(card_text(c)), c.id) for c in cards))


def quiz_keys(questions: Sequence[QuizQuestion]) -> FileKeys:
    return FileKeys(
        tuple((_question_block(q), normalise(question_text(q)), q.id) for q in questions),
        frozenset(i for q in questions for i in q.source_flashcard_ids),
    )


class _Seen:
    def __init__(self) -> None:
        self._blocks: dict[str, list[Key]] = {}

    def decide(
        self, keys: Sequence[Key], protected: frozenset[str] = frozenset()
    ) -> tuple[list[int], dict[str, str], list[Key]]:
        """For one file's items in order: the positions kept, {dropped id: id of the earlier
        item like it}, and the kept keys, which ``add`` remembers. An item is compared with
        every earlier item of its block, this file's earlier ones included; ``protected`` ids (a
        person approved or edited them) are never dropped."""
        kept: list[int] = []
        replaced: dict[str, str] = {}
        added: list[Key] = []
        pending: dict[str, list[Key]] = {}
        blocks = self._blocks
        for position, key in enumerate(keys):
            block, text, ident = key
            earlier = None
            if block in blocks:
                earlier = _match(blocks[block], text)
            if earlier is None and block in pending:
                earlier = _match(pending[block], text)
            if earlier is not None and ident not in protected:
                replaced[ident] = earlier
                continue
            pending.setdefault(block, []).append(key)
            added.append(key)
            kept.append(position)
        return kept, replaced, added

    def add(self, keys: Iterable[Key]) -> None:
        blocks = self._blocks
        for key in keys:
            blocks.setdefault(key[0], []).append(key)


def _match(candidates: Iterable[Key], text: str) -> str | None:
    for _, other_text, other_id in candidates:
        if is_near_duplicate(text, other_text):
            return other_id
    return None


def _card_block(card: Flashcard) -> str:
    return normalise(card.term) or " ".join(normalise(card.question).split()[:_OPENING_WORDS])


def _question_block(question: QuizQuestion) -> str:
    return f"{question.type}:" + " ".join(
        normalise(question.question_text).split()[:_OPENING_WORDS]
    )


def dedupe_course(
    store: OutputStore, lecture_ids: Sequence[str], protected: frozenset[str] = frozenset()
) -> list[str]:
    """Drop later near-duplicates in the given lectures' files, never a ``protected`` item;
    the lectures whose files changed."""
    changed: list[str] = []
    seen_cards = _Seen()
    replaced: dict[str, str] = {}
    for lecture_id in lecture_ids:
        cards = None
        keys = store.saved_keys(store.flashcards_path(lecture_id))
        if keys is None:
            cards = store.load_flashcards(lecture_id)
            if cards is None:
                continue
            keys = flashcard_keys(cards.flashcards)
        kept, dropped, added = seen_cards.decide(keys.items, protected)
        if dropped and cards is None:  # known by its keys until now: read it to rewrite it
            cards = store.load_flashcards(lecture_id)
            if cards is None:
                continue
            on_disk = flashcard_keys(cards.flashcards)
            if on_disk != keys:  # changed since it was saved: decide on what it says now
                kept, dropped, added = seen_cards.decide(on_disk.items, protected)
        seen_cards.add(added)
        replaced |= dropped
        if dropped and cards is not None:
            cards.flashcards = [cards.flashcards[i] for i in kept]
            cards.metadata.total_cards = len(kept)
            store.save_flashcards(lecture_id, cards)
            changed.append(lecture_id)
    for level in QUIZ_LEVELS:
        seen_questions = _Seen()
        for lecture_id in lecture_ids:
            quiz, remapped = None, None
            keys = store.saved_keys(store.quiz_path(lecture_id, level))
            # A file whose questions cite a dropped card is read: they will point elsewhere.
            if keys is None or not keys.sources.isdisjoint(replaced):
                quiz = store.load_quiz(lecture_id, level)
                if quiz is None:
                    continue
                remapped = [credit_kept_cards(q, replaced) for q in quiz.questions]
                keys = quiz_keys(remapped)
            kept, dropped, added = seen_questions.decide(keys.items, protected)
            if dropped and quiz is None:
                quiz = store.load_quiz(lecture_id, level)
                if quiz is None:
                    continue
                remapped = [credit_kept_cards(q, replaced) for q in quiz.questions]
                on_disk = quiz_keys(remapped)
                if on_disk.items != keys.items:
                    kept, dropped, added = seen_questions.decide(on_disk.items, protected)
            seen_questions.add(added)
            if quiz is None or remapped is None:
                continue
            if dropped or remapped != quiz.questions:
                quiz.questions = [remapped[i] for i in kept]
                quiz.metadata.total_questions = len(kept)
                store.save_quiz(lecture_id, level, quiz)
                if lecture_id not in changed:
                    changed.append(lecture_id)
    return changed


def _keys_on_disk(store: OutputStore, lecture_id: str, level: int | None) -> FileKeys | None:
    """A saved file's keys, read once per run (the store keeps them while the file stays)."""
    path = (
        store.flashcards_path(lecture_id) if level is None else store.quiz_path(lecture_id, level)
    )
    keys = store.saved_keys(path)
    if keys is not None:
        return keys
    if level is None:
        cards = store.load_flashcards(lecture_id)
        keys = None if cards is None else flashcard_keys(cards.flashcards)
    else:
        quiz = store.load_quiz(lecture_id, level)
        keys = None if quiz is None else quiz_keys(quiz.questions)
    if keys is not None:
        store.remember_keys(path, keys)
    return keys


def _seen_earlier(store: OutputStore, earlier: Sequence[str], level: int | None) -> _Seen:
    seen = _Seen()
    for lecture_id in earlier:
        keys = _keys_on_disk(store, lecture_id, level)
        if keys is not None:
            seen.add(keys.items)
    return seen


def drop_earlier_cards(
    store: OutputStore, earlier: Sequence[str], cards: list[Flashcard], protected: frozenset[str]
) -> tuple[list[Flashcard], dict[str, str]]:
    """A lecture's cards without those an earlier lecture's saved file already has, and
    {dropped id: earlier id}: what ``dedupe_course`` would drop, dropped before the file is
    written, so an unchanged rerun finds the file as it left it and writes nothing."""
    if not earlier:
        return cards, {}
    kept, replaced, _ = _seen_earlier(store, earlier, None).decide(
        flashcard_keys(cards).items, protected
    )
    return [cards[i] for i in kept], replaced


def drop_earlier_questions(
    store: OutputStore,
    earlier: Sequence[str],
    level: int,
    questions: list[QuizQuestion],
    protected: frozenset[str],
) -> list[QuizQuestion]:
    """As ``drop_earlier_cards``, for a lecture's questions at one level."""
    if not earlier:
        return questions
    seen = _seen_earlier(store, earlier, level)
    kept, _, _ = seen.decide(quiz_keys(questions).items, protected)
    return [questions[i] for i in kept]


def credit_kept_cards(question: QuizQuestion, replaced: dict[str, str]) -> QuizQuestion:
    """The question with its sources pointing at the cards kept in place of dropped ones
    (``replaced``: dropped card id -> kept card id)."""
    ids = list(dict.fromkeys(replaced.get(i, i) for i in question.source_flashcard_ids))
    if ids == question.source_flashcard_ids:
        return question
    return question.model_copy(update={"source_flashcard_ids": ids})
