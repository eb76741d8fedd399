"""Events the coordinator emits; the progress display and the run summary subscribe to them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from flashgen.models import NO_USAGE, TaskKind, Usage

TaskStatus = Literal["started", "succeeded", "failed", "cached", "skipped"]


@dataclass(frozen=True)
class LecturePlanned:
    lecture: str
    chunks: int  # one flashcard task each


@dataclass(frozen=True)
class LectureSkipped:
    lecture: str
    reason: str


@dataclass(frozen=True)
class QuizTasksPlanned:
    lecture: str
    tasks: int


@dataclass(frozen=True)
class TaskUpdate:
    phase: TaskKind
    lecture: str
    task_id: str
    status: TaskStatus
    items: int = 0
    rejected: tuple[str, ...] = ()
    usage: Usage = NO_USAGE
    calls: int = 0
    error: str = ""
    seconds: float = 0.0
    level: int | None = None
    traceback: str = ""  # of an unexpected error (a bug), for the run report


@dataclass(frozen=True)
class FileSaved:
    lecture: str
    path: str
    status: str
    items: int
    level: int | None = None
    remaining: int = 0


@dataclass(frozen=True)
class RetryScheduled:
    error: str
    delay: float


@dataclass(frozen=True)
class HedgeSent:
    """A straggling call got a second copy (the scheduler's hedging)."""


@dataclass(frozen=True)
class GeneratorChosen:
    name: str
    model: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not a task outcome (a warning, a decision)."""

    message: str


Event = (
    LecturePlanned
    | LectureSkipped
    | QuizTasksPlanned
    | TaskUpdate
    | FileSaved
    | RetryScheduled
    | HedgeSent
    | GeneratorChosen
    | Notice
)
Listener = Callable[[Event], None]


def fan_out(*listeners: Listener) -> Listener:
    def emit(event: Event) -> None:
        for listener in listeners:
            listener(event)

    return emit
