"""The run summary: built from coordinator events, shown as a table, saved as JSON."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from flashgen.events import (
    Event,
    FileSaved,
    GeneratorChosen,
    HedgeSent,
    LecturePlanned,
    LectureSkipped,
    Notice,
    RetryScheduled,
    TaskUpdate,
)
from flashgen.models import NO_USAGE, QUIZ_LEVELS, Usage
from flashgen.output.store import atomic_write_text, to_json

REPORT_VERSION = 1


@dataclass
class TaskRecord:
    task_id: str
    phase: str
    lecture: str
    status: str = "pending"
    level: int | None = None
    items: int = 0
    rejected: tuple[str, ...] = ()
    calls: int = 0
    error: str = ""
    seconds: float = 0.0
    usage: Usage = NO_USAGE
    traceback: str = ""


@dataclass
class RunSummary:
    """Subscribes to events; knows everything the user is told at the end of a run."""

    course_id: str
    generator: str = ""
    model: str = ""
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    lectures: list[str] = field(default_factory=list)
    chunks: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, TaskRecord] = field(default_factory=dict)
    cards: dict[str, int] = field(default_factory=dict)
    questions: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    lecture_status: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    hedges: int = 0
    questions_remaining: int = 0
    notices: list[str] = field(default_factory=list)
    interrupted: bool = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, LecturePlanned):
            self.lectures.append(event.lecture)
            self.chunks += event.chunks
        elif isinstance(event, LectureSkipped):
            self.skipped[event.lecture] = event.reason
        elif isinstance(event, TaskUpdate):
            self._on_task(event)
        elif isinstance(event, FileSaved):
            self._on_file(event)
        elif isinstance(event, RetryScheduled):
            self.retries += 1
        elif isinstance(event, HedgeSent):
            self.hedges += 1
        elif isinstance(event, Notice):
            self.notices.append(event.message)
        elif isinstance(event, GeneratorChosen):
            self.generator, self.model = event.name, event.model

    def _on_task(self, event: TaskUpdate) -> None:
        record = self.tasks.setdefault(
            event.task_id, TaskRecord(event.task_id, event.phase, event.lecture, level=event.level)
        )
        record.status = event.status
        if event.status != "started":
            record.items, record.rejected, record.error = event.items, event.rejected, event.error
            record.calls, record.seconds, record.usage = event.calls, event.seconds, event.usage
            record.traceback = event.traceback

    def _on_file(self, event: FileSaved) -> None:
        if event.level is None:
            self.cards[event.lecture] = event.items
        else:
            self.questions[event.lecture][event.level] = event.items
            self.questions_remaining += event.remaining
        worst = {"complete": 0, "empty": 1, "partial": 2, "failed": 3}
        current = self.lecture_status.get(event.lecture, "complete")
        if worst.get(event.status, 0) > worst.get(current, 0):
            current = event.status
        self.lecture_status[event.lecture] = current

    # --- derived figures ----------------------------------------------------------------------

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def count(self, status: str, phase: str | None = None) -> int:
        return sum(
            1
            for t in self.tasks.values()
            if t.status == status and (phase is None or t.phase == phase)
        )

    def usage(self, phase: str | None = None) -> Usage:
        total = Usage()
        for task in self.tasks.values():
            if phase is None or task.phase == phase:
                total = total + task.usage
        return total

    @property
    def failed(self) -> list[TaskRecord]:
        return [t for t in self.tasks.values() if t.status in ("failed", "skipped")]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped and not self.interrupted

    def questions_per_level(self) -> dict[int, int]:
        totals: Counter[int] = Counter()
        for per_level in self.questions.values():
            totals.update(per_level)
        return {level: totals.get(level, 0) for level in QUIZ_LEVELS}

    # --- output ---------------------------------------------------------------------------------

    def table(self) -> Table:
        table = Table(title=f"flashgen run — {self.course_id}", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        usage = self.usage()
        levels = self.questions_per_level()
        rows = [
            ("generator", f"{self.generator} ({self.model})"),
            ("lectures", f"{len(self.lectures)} processed, {len(self.skipped)} skipped"),
            ("chunks", str(self.chunks)),
            ("flashcards", str(sum(self.cards.values()))),
            (
                "questions",
                ", ".join(f"L{lvl}: {n}" for lvl, n in levels.items())
                + f"  ({sum(levels.values())} generated, {self.questions_remaining} remaining)",
            ),
            (
                "tasks",
                f"{self.count('succeeded')} ok, {self.count('cached')} cached, "
                f"{self.count('failed')} failed, {self.count('skipped')} not run",
            ),
            (
                "tokens",
                f"{usage.input_tokens:,} in, {usage.output_tokens:,} out, "
                f"{usage.cached_tokens:,} cached, {usage.thinking_tokens:,} thinking",
            ),
            ("cost", _cost_line(self)),
            (
                "left out",
                # The LLM path rejects items that fail validation; the offline generator
                # records each place where no honest card or question could be made.
                f"{sum(len(t.rejected) for t in self.tasks.values())} items "
                "(each reason in run_report.json)",
            ),
            ("retries", str(self.retries)),
            ("hedged calls", str(self.hedges)),
            ("wall time", f"{self.seconds:.1f} s"),
        ]
        for name, value in rows:
            table.add_row(name, value)
        return table

    def empty_lectures(self) -> dict[str, str]:
        """Lecture -> what it lacks, for lectures whose tasks all ran but gave little."""
        found = {}
        for lecture, status in self.lecture_status.items():
            if status != "empty":
                continue
            cards = self.cards.get(lecture, 0)
            missing = [lvl for lvl, n in sorted(self.questions.get(lecture, {}).items()) if not n]
            if not cards:
                found[lecture] = "no cards"
            else:
                levels = ", ".join(str(lvl) for lvl in missing)
                noun = "card" if cards == 1 else "cards"
                found[lecture] = f"{cards} {noun}, no questions at level {levels}"
        return found

    def render(self, console: Console) -> None:
        console.print(self.table())
        for lecture, reason in self.empty_lectures().items():
            console.print(f"[yellow]empty[/] {lecture}: {reason}")
        for lecture, reason in self.skipped.items():
            console.print(f"[yellow]skipped[/] {lecture}: {reason}")
        for task in self.failed[:20]:
            console.print(f"[red]failed[/] {task.task_id}: {task.error}")
        if len(self.failed) > 20:
            console.print(f"… and {len(self.failed) - 20} more failed tasks (see run_report.json)")

    def to_dict(self) -> dict[str, Any]:
        empty = self.empty_lectures()
        return {
            "report_version": REPORT_VERSION,
            "course_id": self.course_id,
            "generator": self.generator,
            "model": self.model,
            "interrupted": self.interrupted,
            "seconds": round(self.seconds, 3),
            "totals": {
                "lectures": len(self.lectures),
                "lectures_skipped": len(self.skipped),
                "chunks": self.chunks,
                "flashcards": sum(self.cards.values()),
                "questions": self.questions_per_level(),
                "questions_remaining": self.questions_remaining,
                "tasks": {
                    status: self.count(status)
                    for status in ("succeeded", "cached", "failed", "skipped")
                },
                "retries": self.retries,
                "hedged_calls": self.hedges,
                "usage": self.usage().model_dump(),
                "usage_by_phase": {
                    phase: self.usage(phase).model_dump() for phase in ("flashcards", "quiz")
                },
            },
            "lectures": {
                lecture: {
                    "status": self.lecture_status.get(lecture, "failed"),
                    "flashcards": self.cards.get(lecture, 0),
                    "questions": dict(self.questions.get(lecture, {})),
                    **({"empty": empty[lecture]} if lecture in empty else {}),
                }
                for lecture in self.lectures
            },
            "skipped_lectures": dict(self.skipped),
            "tasks": [
                {
                    "task_id": t.task_id,
                    "phase": t.phase,
                    "lecture": t.lecture,
                    "level": t.level,
                    "status": t.status,
                    "items": t.items,
                    "rejected": len(t.rejected),
                    "rejected_reasons": list(t.rejected),
                    "calls": t.calls,
                    "error": t.error,
                    "seconds": round(t.seconds, 3),
                    "usage": t.usage.model_dump(),
                    # only where a bug failed the task: the report of a sound run is unchanged
                    **({"traceback": t.traceback} if t.traceback else {}),
                }
                for t in sorted(self.tasks.values(), key=lambda t: t.task_id)
            ],
            "notices": self.notices,
        }

    def save(self, path: Path) -> None:
        atomic_write_text(path, to_json(self.to_dict()))


def _cost_line(summary: RunSummary) -> str:
    parts = [f"{phase} ${summary.usage(phase).cost_usd:.4f}" for phase in ("flashcards", "quiz")]
    return f"${summary.usage().cost_usd:.4f} ({', '.join(parts)})"
