"""Progress on screen: a live bar per phase on a terminal, one plain line per event elsewhere."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from flashgen.events import (
    Event,
    FileSaved,
    GeneratorChosen,
    LecturePlanned,
    LectureSkipped,
    Notice,
    QuizTasksPlanned,
    RetryScheduled,
    TaskUpdate,
)

_DONE = ("succeeded", "failed", "cached", "skipped")


class LiveProgress:
    """Two bars, flashcards and quizzes; totals grow as lectures reach their quiz phase."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("{task.description:<11}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failures]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._bars: dict[str, TaskID] = {}
        self._failures = {"flashcards": 0, "quiz": 0}

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        self._bars["flashcards"] = self._progress.add_task("flashcards", total=0, failures="")
        self._bars["quiz"] = self._progress.add_task("quizzes", total=0, failures="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, event: Event) -> None:
        if isinstance(event, LecturePlanned):
            self._grow("flashcards", event.chunks)
        elif isinstance(event, QuizTasksPlanned):
            self._grow("quiz", event.tasks)
        elif isinstance(event, TaskUpdate) and event.status in _DONE:
            if event.status in ("failed", "skipped"):
                self._failures[event.phase] += 1
            failures = self._failures[event.phase]
            self._progress.update(
                self._bars[event.phase],
                advance=1,
                failures=f"[red]{failures} failed[/]" if failures else "",
            )
        elif isinstance(event, LectureSkipped):
            self._progress.console.print(f"[yellow]skipped[/] {event.lecture}: {event.reason}")
        elif isinstance(event, Notice):
            self._progress.console.print(event.message)
        elif isinstance(event, GeneratorChosen):
            self._progress.console.print(
                f"generator: {event.name} ({event.model}) — {event.reason}"
            )

    def _grow(self, phase: str, tasks: int) -> None:
        bar = self._bars[phase]
        total = self._progress.tasks[bar].total or 0
        self._progress.update(bar, total=total + tasks)


class PlainProgress:
    """For CI logs: one line per finished task, saved file and warning; no cursor tricks."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def __call__(self, event: Event) -> None:
        line = _plain_line(event)
        if line:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)


def _plain_line(event: Event) -> str:
    if isinstance(event, TaskUpdate) and event.status in _DONE:
        detail = f": {event.error}" if event.error else f" ({event.items} items)"
        return f"{event.status:<9} {event.task_id}{detail}"
    if isinstance(event, FileSaved):
        return f"saved     {event.path} [{event.status}, {event.items} items]"
    if isinstance(event, LectureSkipped):
        return f"skipped   {event.lecture}: {event.reason}"
    if isinstance(event, RetryScheduled):
        return f"retry     in {event.delay:.1f} s after: {event.error}"
    if isinstance(event, Notice):
        return f"note      {event.message}"
    if isinstance(event, GeneratorChosen):
        return f"generator {event.name} ({event.model}): {event.reason}"
    return ""
