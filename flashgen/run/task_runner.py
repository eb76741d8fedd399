"""Runs one task: from the cache if it is there, not at all when the run is stopping, else by the
generator. Whatever a task raises is recorded against it (with what its paid attempts cost, and
the traceback of an unexpected error) and goes no further: the other tasks go on."""

from __future__ import annotations

import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from pydantic import TypeAdapter

from flashgen.errors import FatalProviderError, FlashgenError
from flashgen.events import Listener, TaskUpdate
from flashgen.generate.base import Generated, GenerationContext, Generator
from flashgen.models import Course, FailedTask, Flashcard, QuizQuestion
from flashgen.output.cache import TaskCache
from flashgen.run.budget import BudgetExceeded
from flashgen.run.interrupt import Interrupted, RunControl
from flashgen.run.tasks import RUNNING_TASK, TaskSpec

T = TypeVar("T")
_QUESTIONS: TypeAdapter[list[QuizQuestion]] = TypeAdapter(list[QuizQuestion])
CARDS: TypeAdapter[list[Flashcard]] = TypeAdapter(list[Flashcard])


@dataclass
class TaskResult:
    task_id: str
    ok: bool
    error: str = ""

    def failure(self, expected_items: int = 0) -> FailedTask:
        return FailedTask(task=self.task_id, error=self.error, expected_items=expected_items)


class TaskRunner:
    """Owns the task cache, the stop rules (an interruption, the budget, an auth or quota error
    that would fail every other call) and the recording of each task's end."""

    def __init__(
        self,
        course: Course,
        generator: Generator,
        emit: Listener,
        *,
        language: str,
        cache: TaskCache | None = None,
        force: bool = False,
        control: RunControl | None = None,
    ) -> None:
        self.course = course
        self.generator = generator
        self.emit = emit
        self.language = language
        self.cache = cache
        self.force = force
        self.control = control or RunControl()
        # Set when no further task should start: auth/quota failures, the budget.
        self._stop_reason = ""

    def _context(self, spec: TaskSpec) -> GenerationContext:
        return GenerationContext(self.course, spec.lecture, self.language, spec.priority)

    async def flashcards(self, spec: TaskSpec) -> tuple[Generated[Flashcard] | None, TaskResult]:
        assert spec.chunk is not None
        chunk, ctx = spec.chunk, self._context(spec)
        return await self._run(spec, CARDS, lambda: self.generator.flashcards(chunk, ctx))

    async def quiz(self, spec: TaskSpec) -> tuple[Generated[QuizQuestion] | None, TaskResult]:
        assert spec.level is not None
        cards, level, ctx = list(spec.cards), spec.level, self._context(spec)
        return await self._run(spec, _QUESTIONS, lambda: self.generator.quiz(cards, level, ctx))

    async def _run(
        self,
        spec: TaskSpec,
        decoder: TypeAdapter[list[T]],
        work: Callable[[], Awaitable[Generated[T]]],
    ) -> tuple[Generated[T] | None, TaskResult]:
        update = TaskUpdate(spec.kind, spec.lecture, spec.id, "started", level=spec.level)
        cached = self._cached(spec.cache_key, decoder)
        if cached is not None:
            self.emit(replace(update, status="cached", items=len(cached.items)))
            return cached, TaskResult(spec.id, ok=True)
        reason = self._reason_not_to_run()
        if reason:
            self.emit(replace(update, status="skipped", error=reason))
            return None, TaskResult(spec.id, ok=False, error=reason)
        self.emit(update)
        started = time.perf_counter()
        running = RUNNING_TASK.set(spec.id)
        try:
            result = await work()
        except (Interrupted, BudgetExceeded) as exc:
            if isinstance(exc, BudgetExceeded):
                self._stop_reason = self._stop_reason or exc.message
            skipped = replace(update, status="skipped", error=exc.message)
            return None, self._ended(skipped, started, exc)
        except FlashgenError as exc:
            if isinstance(exc, FatalProviderError):
                # Auth and quota errors would fail every other call the same way.
                self._stop_reason = self._stop_reason or f"not run: {exc.message}"
            return None, self._ended(replace(update, status="failed", error=str(exc)), started, exc)
        except Exception as exc:  # a bug in one task must not sink the run; it is reported
            failed = replace(
                update,
                status="failed",
                error=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            return None, self._ended(failed, started, None)
        finally:
            RUNNING_TASK.reset(running)
        if self.cache is not None:
            self.cache.put(spec.cache_key, spec.kind.value, spec.id, result.items)
        self.emit(
            replace(
                update,
                status="succeeded",
                items=len(result.items),
                rejected=tuple(
                    f"{r.reason}: {r.item}" if r.item else r.reason for r in result.rejected
                ),
                usage=result.usage,
                calls=result.calls,
                seconds=time.perf_counter() - started,
            )
        )
        return result, TaskResult(spec.id, ok=True)

    def _cached(self, key: str, decoder: TypeAdapter[list[T]]) -> Generated[T] | None:
        if self.cache is None or self.force:
            return None
        items = self.cache.items(key, decoder)
        return None if items is None else Generated(items=items)

    def _reason_not_to_run(self) -> str:
        if self.control.stopping:
            return "not run: the run was interrupted"
        if self._stop_reason:
            return self._stop_reason
        return ""

    def _ended(self, update: TaskUpdate, started: float, exc: FlashgenError | None) -> TaskResult:
        """Record a task that ended without items; what its paid attempts cost is counted."""
        if exc is not None:
            update = replace(update, usage=exc.usage, calls=exc.calls)
        self.emit(replace(update, seconds=time.perf_counter() - started))
        return TaskResult(update.task_id, ok=False, error=update.error)
