"""Tasks as values: what a run of a course would do, enumerated without doing it.

``TaskMaker`` turns a lecture's chunk, or a group of its cards at a level, into a ``TaskSpec``
(kind, lecture, id, cache key, priority, inputs). The coordinator runs the specs it makes;
``flashgen plan`` makes the same specs to look them up in the cache and size their requests, so
the two cannot disagree on task ids, keys, groups or priorities.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flashgen.generate.validation import dedupe_cards
from flashgen.models import Chunk, Course, Flashcard, TaskKind
from flashgen.output.cache import TaskKeys
from flashgen.providers.base import Priority

# The id of the task whose generator call is running (for the batch state's custom_id -> task).
RUNNING_TASK: ContextVar[str] = ContextVar("flashgen_running_task", default="")

# Scheduler priorities (smaller is served first), a pipeline one lecture deep: lecture r's quiz
# calls are (r, level, chunk, group) and lecture r's flashcard calls are (r - 1, -1, chunk), just
# ahead of lecture r-1's quizzes. Lectures finish in order, a ready quiz call never waits
# behind flashcards of lectures further on, and the next lecture's cards are ready by the time
# the current one's quizzes drain, so the end of a run does not stall on a starved lecture.


def flashcard_priority(rank: int, chunk: int) -> Priority:
    return (rank - 1, -1, chunk)


def quiz_priority(rank: int, level: int, chunk: int, group: int) -> Priority:
    return (rank, level, chunk, group)


def group_sizes(cards: int, size: int | None) -> list[int]:
    """How ``cards`` consecutive cards split into groups of at most ``size`` (one group when
    ``size`` is None), as even as possible: 4 cards in groups of 3 make 2 + 2, not 3 + 1, so no
    request is asked about a lone card when a neighbour could share it."""
    if cards <= 0:
        return []
    count = math.ceil(cards / size) if size else 1
    small, extra = divmod(cards, count)
    return [small + (1 if number < extra else 0) for number in range(count)]


def card_groups(cards: Sequence[Flashcard], size: int | None) -> list[list[Flashcard]]:
    groups, start = [], 0
    for length in group_sizes(len(cards), size):
        groups.append(list(cards[start : start + length]))
        start += length
    return groups


def quiz_groups(
    cards_by_chunk: Sequence[Sequence[Flashcard]], size: int | None
) -> list[list[Flashcard]]:
    """Every quiz group of a lecture, as the coordinator forms them: per chunk from the
    chunk's own cards, or (``size`` None) one group of the whole lecture's cards."""
    if size is None:
        lecture = [card for chunk in cards_by_chunk for card in chunk]
        return card_groups(dedupe_cards(lecture)[0], None)
    return [
        group for chunk in cards_by_chunk for group in card_groups(dedupe_cards(chunk)[0], size)
    ]


@dataclass(frozen=True)
class TaskSpec:
    """One task: enough to run it, find it in the cache, and name it in reports."""

    kind: TaskKind
    lecture: str
    id: str
    cache_key: str
    priority: Priority
    level: int | None = None  # quiz tasks
    chunk: Chunk | None = None  # the input of a flashcard task
    cards: tuple[Flashcard, ...] = ()  # the input of a quiz task


class TaskMaker:
    """The specs of one course's tasks for one generator identity and language."""

    def __init__(
        self, identity: Any, course: Course, language: str, quiz_group_size: int | None
    ) -> None:
        self._keys = TaskKeys(identity, course, language)
        self.quiz_group_size = quiz_group_size

    def flashcards(self, rank: int, lecture_id: str, chunk: Chunk) -> TaskSpec:
        return TaskSpec(
            TaskKind.FLASHCARDS,
            lecture_id,
            f"{lecture_id}/flashcards/chunk-{chunk.index}",
            self._keys.flashcards(lecture_id, chunk),
            flashcard_priority(rank, chunk.index),
            chunk=chunk,
        )

    def quiz(
        self,
        rank: int,
        lecture_id: str,
        level: int,
        chunk: int,
        number: int,
        cards: Sequence[Flashcard],
    ) -> TaskSpec:
        """Group ``number`` of ``chunk``'s cards (chunk 0 when a lecture is quizzed whole)."""
        part = f"chunk-{chunk}/" if self.quiz_group_size is not None else ""
        return TaskSpec(
            TaskKind.QUIZ,
            lecture_id,
            f"{lecture_id}/quiz/level-{level}/{part}group-{number}",
            self._keys.quiz(lecture_id, level, cards),
            quiz_priority(rank, level, chunk, number),
            level=level,
            cards=tuple(cards),
        )
