"""What every generator is: the ``Generator`` protocol the run drives, the context of a task,
and what a task yields (items, rejections, usage, calls)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from flashgen.models import NO_USAGE, Chunk, Course, Flashcard, QuizQuestion, TaskKind, Usage
from flashgen.providers.base import CompletionRequest, Priority

T = TypeVar("T")


@dataclass(frozen=True)
class GenerationContext:
    course: Course
    lecture_id: str
    language: str
    priority: Priority = ()


@dataclass(frozen=True)
class Rejection:
    reason: str
    item: str = ""


@dataclass
class Generated(Generic[T]):
    items: list[T]
    usage: Usage = NO_USAGE
    rejected: list[Rejection] = field(default_factory=list)
    calls: int = 0


class RequestSizing(Protocol):
    """What a model generator's requests look like before any is sent (``flashgen plan``)."""

    @property
    def cards_asked(self) -> int: ...

    def questions_asked(self, cards: int) -> int: ...

    def flashcard_request(self, chunk: Chunk, ctx: GenerationContext) -> CompletionRequest: ...

    def quiz_request(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> CompletionRequest: ...

    def expected_output(self, kind: TaskKind, items: int) -> int: ...


class Generator(Protocol):
    name: str
    model: str
    # The questions each card is expected to yield per level (to report what a failed quiz
    # task leaves missing).
    questions_per_card: int

    @property
    def quiz_group_size(self) -> int | None:
        """Cards per quiz request; None: all of a lecture's cards in one request."""
        ...

    @property
    def identity(self) -> dict[str, Any]:
        """Everything about the generator that changes its results; part of every cache key."""
        ...

    @property
    def sizing(self) -> RequestSizing | None:
        """How its requests are sized; None for a generator that sends none (offline)."""
        ...

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]: ...

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]: ...
