"""Stopping a run cleanly: no new provider calls, a grace period for the ones in flight.

The first Ctrl-C (or SIGTERM) asks the run to stop: tasks not yet started are recorded as not
run, calls waiting for a slot, for rate-limit budget or in a retry backoff are dropped at once
(the ``on_stop`` callbacks: the scheduler closes its queue), calls already at the provider may
finish for ``grace`` seconds and are then cancelled, and the coordinator saves every validated
result. A second signal cancels the calls and the run itself at once: only the atomic writes
already under way (in threads) are finished before the process exits.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from flashgen.errors import FlashgenError
from flashgen.providers.base import Completion, CompletionRequest, Provider, WrappedProvider

DEFAULT_GRACE_SECONDS = 5.0


class Interrupted(FlashgenError):
    """A task that the user's interruption kept from running or finishing."""

    exit_code = 130


class RunControl:
    def __init__(self, grace: float = DEFAULT_GRACE_SECONDS) -> None:
        self.grace = grace
        self.stopping = False
        self._calls: set[asyncio.Task[Completion]] = set()
        self._deadline: asyncio.TimerHandle | None = None
        self._on_stop: list[Callable[[], None]] = []
        self._run: asyncio.Task[object] | None = None

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the first stop request (at once if the run is stopping)."""
        self._on_stop.append(callback)
        if self.stopping:
            callback()

    def stop(self) -> None:
        """First request: drop queued calls, cancel those in flight after the grace period.
        Second request: cancel the calls and the run now."""
        if self.stopping:
            self.cancel_calls()
            if self._run is not None and not self._run.done():
                self._run.cancel()
            return
        self.stopping = True
        for callback in self._on_stop:
            callback()
        with suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self.grace, self.cancel_calls)

    @staticmethod
    def interrupted() -> Interrupted:
        return Interrupted("not run: the run was interrupted")

    def cancel_calls(self) -> None:
        for call in list(self._calls):
            call.cancel()

    def check(self) -> None:
        if self.stopping:
            raise self.interrupted()

    def guard(self, provider: Provider) -> Provider:
        return WrappedProvider(provider, self.track)

    async def track(self, provider: Provider, request: CompletionRequest) -> Completion:
        self.check()  # the scheduler admitted the call after the stop: do not send it
        call = asyncio.ensure_future(provider.complete(request))
        self._calls.add(call)
        try:
            return await call
        except asyncio.CancelledError:
            if call.cancelled() and self.stopping:
                raise Interrupted("cancelled: the run was interrupted mid-call") from None
            raise
        finally:
            self._calls.discard(call)

    @contextmanager
    def signals_handled(self) -> Iterator[None]:
        """Route SIGINT and SIGTERM to ``stop`` while the run's event loop is running; a
        second signal cancels the task this is entered from."""
        loop = asyncio.get_running_loop()
        self._run = asyncio.current_task()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self.stop)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread, or a platform without loop signal handlers
        try:
            yield
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            if self._deadline is not None:
                self._deadline.cancel()
