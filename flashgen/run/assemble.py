"""A lecture's files: this run's results merged with what an earlier run saved (cards of a chunk
that failed this time, questions no task of this run replaces), deduplicated, with their
metadata, written off the event loop and announced."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from flashgen.events import FileSaved, Listener, Notice
from flashgen.generate import prompts
from flashgen.generate.base import Generated
from flashgen.generate.validation import (
    card_text,
    dedupe_cards,
    dedupe_questions,
    is_near_duplicate,
    normalise,
)
from flashgen.models import (
    LEVEL_NAMES,
    Chunk,
    Course,
    FailedTask,
    Flashcard,
    FlashcardFile,
    FlashcardMetadata,
    QuizFile,
    QuizMetadata,
    QuizQuestion,
    Status,
)
from flashgen.output.course_dedupe import (
    credit_kept_cards,
    drop_earlier_cards,
    drop_earlier_questions,
)
from flashgen.output.decisions import CourseReview
from flashgen.output.review import LectureReview, chunk_digest, flag_stale, merge
from flashgen.output.store import OutputStore
from flashgen.run.task_runner import TaskResult


@dataclass(frozen=True)
class PreparedLecture:
    id: str
    chunks: list[Chunk]
    source_digest: str = ""


@dataclass
class ChunkCards:
    """A chunk's cards: this run's, or an earlier run's when its task failed this time."""

    chunk: int
    cards: list[Flashcard]
    result: TaskResult


@dataclass
class QuizRun:
    level: int
    cards: list[Flashcard]
    generated: Generated[QuizQuestion] | None
    result: TaskResult


@dataclass
class LectureOutcome:
    lecture: str
    cards: int = 0
    questions: dict[int, int] = field(default_factory=dict)
    failed_tasks: list[FailedTask] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if self.failed_tasks:
            return "partial" if self.cards else "failed"
        # Every task ran, but a lecture without cards or without questions at a level has
        # little to show: never called complete.
        if not self.cards or not all(self.questions.values()):
            return "empty"
        return "complete"


def _status(succeeded: int, failed: int, items: int) -> Status:
    if failed:
        return "partial" if succeeded else "failed"
    return "complete" if items else "empty"


class _Header(TypedDict):
    """What every output file's metadata starts with (typed, for ``OutputMetadata``'s fields)."""

    course_id: str
    course_name: str
    lecture: str
    generated_at: str
    generator: str
    model: str
    language: str
    prompt_version: str
    status: Status
    note: str | None
    tasks_total: int
    failed_tasks: list[FailedTask]


class LectureAssembler:
    """Builds, saves and announces the files of a course's lectures."""

    def __init__(
        self,
        course: Course,
        store: OutputStore,
        emit: Listener,
        *,
        generator: str,
        model: str,
        language: str,
        levels: Sequence[int],
        questions_per_card: int,
        clock: Callable[[], datetime],
        regenerate_rejected: bool = False,
        course_lectures: Collection[str] | None = None,
    ) -> None:
        self.course = course
        self.course_lectures = course_lectures
        self.store = store
        self.emit = emit
        self.generator = generator
        self.model = model
        self.language = language
        self.levels = tuple(levels)
        self.questions_per_card = questions_per_card
        self._clock = clock
        self.reviews = CourseReview(store)
        self.regenerate_rejected = regenerate_rejected
        # Per lecture of this run, each item's source chunk digests (recorded in review.json).
        self._sources: dict[str, dict[str, list[str]]] = {}

    def open_reviews(self, lecture_ids: Sequence[str]) -> None:
        """Read a person's edits and deletions out of the files before anything is written."""
        for message in self.reviews.open_all(lecture_ids):
            self.emit(Notice(message))

    def save_reviews(self, lecture_ids: Sequence[str]) -> None:
        """Record the files as this run left them (after the course-wide dedupe)."""
        for lecture_id in lecture_ids:
            self.reviews.save(lecture_id, self._sources.get(lecture_id, {}))

    def _earlier(self, lecture_id: str) -> list[str]:
        """The course's lectures before this one with saved files (orphaned ones left out)."""
        known = self.course_lectures
        return [i for i in self.store.lectures_before(lecture_id) if known is None or i in known]

    async def save_cards(
        self, lecture: PreparedLecture, got: list[ChunkCards], outcome: LectureOutcome
    ) -> tuple[list[Flashcard], dict[str, str]]:
        """Dedupe and save the lecture's cards; return them with, for every card dropped as a
        duplicate of another chunk's card, the id of the card kept in its place."""
        review = self.reviews.open(lecture.id)
        digests = [chunk_digest(chunk.text) for chunk in lecture.chunks]
        flag_stale(review, digests)
        if self.regenerate_rejected:
            review.items = {i: e for i, e in review.items.items() if e.state != "rejected"}
        cards, dropped = dedupe_cards([card for chunk in got for card in chunk.cards])
        existing = self.store.load_flashcards(lecture.id)
        cards = merge(cards, existing.flashcards if existing else [], review)
        self._sources[lecture.id] = {
            card.id: [digests[card.source.chunk]]
            for card in cards
            if 0 <= card.source.chunk < len(digests)
        }
        # What the course-wide dedupe would drop, dropped now: the file is written once.
        saved, across = drop_earlier_cards(
            self.store, self._earlier(lecture.id), cards, _kept_ids(review)
        )
        failed = [chunk.result.failure() for chunk in got if not chunk.result.ok]
        outcome.cards = len(cards)
        outcome.failed_tasks.extend(failed)
        await self._save_flashcards(lecture, saved, failed, made=len(cards))
        return cards, _aliases(dropped, cards) | across

    async def finish_level(
        self, lecture_id: str, level: int, runs: list[QuizRun], aliases: dict[str, str]
    ) -> tuple[int, list[FailedTask]]:
        existing = self.store.load_quiz(lecture_id, level)
        saved = existing.questions if existing else []
        questions = [q for run in runs if run.generated for q in run.generated.items]
        if not all(run.result.ok for run in runs):
            # Questions an earlier run saved that no successful task of this run replaces.
            redone = {card.id for run in runs if run.result.ok for card in run.cards}
            questions += [q for q in saved if not set(q.source_flashcard_ids) <= redone]
        # Source text of each question: its own lecture's cards (before any is credited to a
        # card kept in its place), so the record does not depend on which lecture saved first.
        sources = self._sources.setdefault(lecture_id, {})
        for question in questions:
            cited = (sources.get(card, []) for card in question.source_flashcard_ids)
            sources.setdefault(question.id, sorted({d for got in cited for d in got}))
        if aliases:
            questions = [credit_kept_cards(q, aliases) for q in questions]
        questions, _ = dedupe_questions(questions)
        review = self.reviews.open(lecture_id)
        questions = merge(questions, saved, review)
        made = len(questions)
        questions = drop_earlier_questions(
            self.store, self._earlier(lecture_id), level, questions, _kept_ids(review)
        )
        failed = [
            run.result.failure(expected_items=len(run.cards) * self.questions_per_card)
            for run in runs
            if not run.result.ok
        ]
        source_cards = sum(len(run.cards) for run in runs)
        await self._save_quiz(
            lecture_id, level, questions, source_cards, failed, len(runs), made=made
        )
        return made, failed

    def announce_files(self, lecture_id: str) -> None:
        """Tell subscribers what a lecture's files hold after the course-wide dedupe."""
        cards = self.store.load_flashcards(lecture_id)
        if cards is not None:
            path = str(self.store.flashcards_path(lecture_id))
            self.emit(FileSaved(lecture_id, path, cards.metadata.status, len(cards.flashcards)))
        for level in self.levels:
            quiz = self.store.load_quiz(lecture_id, level)
            if quiz is not None:
                path = str(self.store.quiz_path(lecture_id, level))
                self.emit(
                    FileSaved(lecture_id, path, quiz.metadata.status, len(quiz.questions), level)
                )

    def kept_cards(self, lecture_id: str, chunk: int) -> list[Flashcard]:
        """Cards an earlier run saved for a chunk that failed this time: never thrown away."""
        existing = self.store.load_flashcards(lecture_id)
        if existing is None:
            return []
        return [card for card in existing.flashcards if card.source.chunk == chunk]

    def _header(
        self, lecture_id: str, failed: list[FailedTask], ok: int, total: int, items: int, note: str
    ) -> _Header:
        status = _status(ok, len(failed), items)
        return _Header(
            course_id=self.course.id,
            course_name=self.course.name,
            lecture=lecture_id,
            generated_at=self._clock().isoformat(timespec="seconds"),
            generator=self.generator,
            model=self.model,
            language=self.language,
            prompt_version=prompts.prompt_version(),
            status=status,
            note=f"empty: {note}" if status == "empty" else None,
            tasks_total=total,
            failed_tasks=failed,
        )

    async def _save_flashcards(
        self,
        lecture: PreparedLecture,
        cards: list[Flashcard],
        failed: list[FailedTask],
        *,
        made: int,
    ) -> None:
        """``made``: the lecture's cards before those an earlier lecture has were dropped;
        the status says what the lecture gave, as it did when that drop came after the save."""
        metadata = FlashcardMetadata(
            **self._header(
                lecture.id,
                failed,
                len(lecture.chunks) - len(failed),
                len(lecture.chunks),
                made,
                f"no cards from {_count(len(lecture.chunks), 'chunk')} of text",
            ),
            chunks_processed=len(lecture.chunks) - len(failed),
            total_cards=len(cards),
            source_digest=lecture.source_digest,
        )
        # Every card was validated when it was made, read or taken from the cache; validating
        # them again as part of the file cost more than the rest of the save but the write.
        content = FlashcardFile.model_construct(metadata=metadata, flashcards=cards)
        # Serializing and writing a file takes a millisecond or more: off the event loop, so
        # calls in flight are not held up.
        await asyncio.to_thread(self.store.save_flashcards, lecture.id, content)
        self.emit(
            FileSaved(
                lecture.id, str(self.store.flashcards_path(lecture.id)), metadata.status, len(cards)
            )
        )

    async def _save_quiz(
        self,
        lecture_id: str,
        level: int,
        questions: list[QuizQuestion],
        source_cards: int,
        failed: list[FailedTask],
        tasks: int,
        *,
        made: int,
    ) -> None:
        metadata = QuizMetadata(
            **self._header(
                lecture_id,
                failed,
                tasks - len(failed),
                tasks,
                made,
                f"{_count(source_cards, 'card')}, no level-{level} questions from them",
            ),
            difficulty_level=level,
            level_name=LEVEL_NAMES[level],
            source_flashcards=source_cards,
            total_questions=len(questions),
        )
        content = QuizFile.model_construct(metadata=metadata, questions=questions)  # as above
        await asyncio.to_thread(self.store.save_quiz, lecture_id, level, content)
        self.emit(
            FileSaved(
                lecture_id,
                str(self.store.quiz_path(lecture_id, level)),
                metadata.status,
                len(questions),
                level,
                remaining=sum(f.expected_items for f in failed),
            )
        )


def _kept_ids(review: LectureReview) -> frozenset[str]:
    return frozenset(i for i in review.items if review.kept(i))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _aliases(dropped: Sequence[Flashcard], kept: Sequence[Flashcard]) -> dict[str, str]:
    """For each dropped card, the kept card it duplicates (dropped cards are few: a linear
    search each is cheap). A card dropped for an id already kept needs no alias."""
    if not dropped:
        return {}
    kept_texts = [(card.id, normalise(card_text(card))) for card in kept]
    aliases: dict[str, str] = {}
    for card in dropped:
        text = normalise(card_text(card))
        match = next(
            (i for i, t in kept_texts if i == card.id or is_near_duplicate(text, t)), card.id
        )
        if match != card.id:
            aliases[card.id] = match
    return aliases
