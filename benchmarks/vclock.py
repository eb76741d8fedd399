"""An asyncio event loop on a virtual clock: sleeping costs no wall time.

When nothing is ready to run, the loop does not wait for its next timer: it moves its clock to
that timer at once. Simulated seconds are then free, a run of a few thousand simulated calls over
hours of simulated time takes as long as the CPU work it does, and every run with the same seed
gives the same times to the microsecond, whatever else the machine is doing. CPU time is not
simulated time: it is measured separately (``time.process_time``).

Only for code that waits on timers; real I/O (sockets, threads) would see a clock that jumps.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        ready = super().select(0)  # the loop's self-pipe (call_soon_threadsafe) still works
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("virtual clock: every task waits and no timer is set (deadlock)")
        self._loop.virtual_now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.virtual_now = 0.0
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self.virtual_now
