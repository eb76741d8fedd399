"""An asyncio event loop on a virtual clock: sleeping costs no wall time.

When nothing is ready to run, the loop does not wait for its next timer: it moves its clock to
that timer at once. Simulated seconds are then free, a run of a few thousand simulated calls over
hours of simulated time takes as long as the CPU work it does, and every run with the same seed
gives the same times to the microsecond, whatever else the machine is doing. CPU time is not
simulated time: it is measured separately (``time.process_time``).

Work handed to threads (``asyncio.to_thread``, as the coordinator does for file writes) is
waited for in real time with the clock standing still: it costs the client CPU, not simulated
time. Other real I/O (sockets) would see a clock that jumps.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar, TypeVarTuple, Unpack

T = TypeVar("T")
Ts = TypeVarTuple("Ts")


_DEADLOCK_AFTER_SECONDS = 5.0


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        ready = super().select(0)  # the loop's self-pipe (call_soon_threadsafe) still works
        if ready or timeout == 0:
            return ready
        if self._loop.threads_running:
            return super().select(None)  # a thread's result wakes the loop via the self-pipe
        if timeout is None:
            # Threads the loop did not start through run_in_executor (the default executor's
            # shutdown) also wake it through the self-pipe; a real deadlock stays silent.
            ready = super().select(_DEADLOCK_AFTER_SECONDS)
            if ready:
                return ready
            raise RuntimeError("virtual clock: every task waits and no timer is set (deadlock)")
        self._loop.virtual_now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.virtual_now = 0.0
        self.threads_running = 0
        super().__init__(_JumpingSelector(self))

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[Unpack[Ts]], T], *args: *Ts
    ) -> asyncio.Future[T]:
        future = super().run_in_executor(executor, func, *args)
        self.threads_running += 1
        future.add_done_callback(self._thread_done)
        return future

    def _thread_done(self, _: asyncio.Future[Any]) -> None:
        self.threads_running -= 1

    def time(self) -> float:
        return self.virtual_now
