"""``--batch``: the generator's requests go to the provider's batch API instead of live calls.

The generator does not change: ``BatchComplete.complete`` has the signature of a live call, so
parsing, validation and the re-ask rules are the live path's. Requests made while the run
settles (no new one for ``settle`` seconds) form a batch: the flashcard tasks' first requests
make the first wave; as its results come back, the quiz tasks' requests (and re-asks) make the
next. Every request's ``custom_id`` is a digest of what it sends, and it is written to the batch
state with its task before the batch is created, so a rerun of a killed run finds the batch its
requests are in and follows it rather than submitting them again. Results are matched by
``custom_id``. A request that errored, expired or was canceled goes in the next batch (at most
``rounds`` batches), or with ``--batch-fallback live`` to a normal call.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from flashgen.errors import TransientProviderError
from flashgen.events import Listener, Notice
from flashgen.generate.llm import Complete
from flashgen.models import Usage
from flashgen.output.batch_state import BatchRow, BatchState
from flashgen.providers.base import Completion, CompletionRequest, Priority
from flashgen.providers.batch import BatchApi, BatchOutcome, custom_id
from flashgen.run.budget import Budget
from flashgen.run.interrupt import RunControl
from flashgen.run.tasks import RUNNING_TASK

DEFAULT_POLL_SECONDS = 30.0
DEFAULT_SETTLE_SECONDS = 0.5
DEFAULT_ROUNDS = 3


@dataclass(frozen=True)
class BatchOptions:
    live_fallback: bool = False  # --batch-fallback live
    wait: bool = True  # --batch-no-wait: submit, then leave instead of waiting
    poll_seconds: float = DEFAULT_POLL_SECONDS
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    rounds: int = DEFAULT_ROUNDS


def completion_to_json(completion: Completion) -> str:
    return json.dumps(
        {
            "text": completion.text,
            "usage": completion.usage.model_dump(),
            "model": completion.model,
            "stop_reason": completion.stop_reason,
        }
    )


def completion_from_json(text: str) -> Completion:
    data = json.loads(text)
    return Completion(
        data["text"], Usage.model_validate(data["usage"]), data["model"], data["stop_reason"]
    )


class BatchComplete:
    """A ``Complete`` that sends requests in provider batches and waits for their results."""

    def __init__(
        self,
        api: BatchApi,
        state: BatchState,
        emit: Listener,
        control: RunControl,
        options: BatchOptions,
        live: Complete | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.api = api
        self.budget = budget
        self.state = state
        self.emit = emit
        self.control = control
        self.options = options
        self.live = live
        self.left: list[str] = []  # batches left running (--batch-no-wait)
        self._futures: dict[str, asyncio.Future[BatchOutcome]] = {}
        self._pending: dict[str, tuple[CompletionRequest, str]] = {}
        self._followed: set[str] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._jobs: set[asyncio.Task[None]] = set()  # submissions and pollers

    async def complete(self, request: CompletionRequest, priority: Priority) -> Completion:
        if self.budget is None:
            return await self._complete(request, priority)
        # --budget holds each request at its most, at the batch price, while it is in a batch.
        return await self.budget.track(_Batched(self, priority), request, batch=True)

    async def _complete(self, request: CompletionRequest, priority: Priority) -> Completion:
        cid = custom_id(self.api.model, request)
        failure = ""
        for _ in range(self.options.rounds):
            stored = self.state.reply(cid)
            if stored is not None:
                return completion_from_json(stored)
            outcome = await self._outcome(cid, request)
            if outcome.completion is not None:
                return outcome.completion
            failure = outcome.failure
            if self.live is not None:
                self.emit(Notice(f"batch request {cid} {failure}: sent as a normal call"))
                return await self.live(request, priority)
            self.emit(Notice(f"batch request {cid} {failure}: it goes in the next batch"))
        raise TransientProviderError(
            f"batch request {cid} failed in {self.options.rounds} batches: {failure}",
            "run again, or use --batch-fallback live to send such requests as normal calls",
        )

    def _outcome(self, cid: str, request: CompletionRequest) -> asyncio.Future[BatchOutcome]:
        known = self._futures.get(cid)
        if known is not None:  # the same request from another task: one request, one reply
            return known
        future: asyncio.Future[BatchOutcome] = asyncio.get_running_loop().create_future()
        self._futures[cid] = future
        row = self.state.open_batch_of(cid)
        if row is not None and row.remote_id is not None:
            self._follow(row)
            return future
        if row is not None:
            self.emit(
                Notice(
                    "a batch was being submitted when flashgen stopped, and has no id: its "
                    "requests go in a new batch (if the provider did create it, it is billed)"
                )
            )
            self.state.ended(row.local_id, [])
        self._pending[cid] = (request, RUNNING_TASK.get())
        # A batch forms once no task has made a request for ``settle`` seconds.
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.options.settle_seconds, self._flush)
        return future

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        self._track(self._submit_all(self._split(list(pending.items()))))

    async def _submit_all(
        self, parts: list[list[tuple[str, tuple[CompletionRequest, str]]]]
    ) -> None:
        for part in parts:
            try:
                await self._submit(part)
            except Exception as exc:  # no batch: every request of it fails with the reason
                for cid, _ in part:
                    future = self._futures.pop(cid, None)
                    if future is not None and not future.done():
                        future.set_exception(exc)

    def _track(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(job)
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    def _split(
        self, pending: list[tuple[str, tuple[CompletionRequest, str]]]
    ) -> list[list[tuple[str, tuple[CompletionRequest, str]]]]:
        """Parts within the API's request count and size limits."""
        limits = self.api.limits
        parts: list[list[tuple[str, tuple[CompletionRequest, str]]]] = [[]]
        size = 0
        for cid, (request, task) in pending:
            bytes_ = self.api.request_size(cid, request)
            if parts[-1] and (
                len(parts[-1]) >= limits.max_requests or size + bytes_ > limits.max_bytes
            ):
                parts.append([])
                size = 0
            parts[-1].append((cid, (request, task)))
            size += bytes_
        return [part for part in parts if part]

    async def _submit(self, part: Sequence[tuple[str, tuple[CompletionRequest, str]]]) -> None:
        local_id = self.state.open_batch(self.api.name, [(c, task) for c, (_, task) in part])
        remote_id = await self.api.submit([(c, request) for c, (request, _) in part])
        self.state.submitted(local_id, remote_id)
        self.emit(Notice(f"batch {remote_id}: {len(part)} requests submitted"))
        row = BatchRow(local_id, self.api.name, remote_id, "in_progress", len(part), time.time())
        self._follow(row)

    def _follow(self, row: BatchRow) -> None:
        if row.local_id in self._followed:
            return
        self._followed.add(row.local_id)
        self._track(self._poll(row))

    async def _poll(self, row: BatchRow) -> None:
        assert row.remote_id is not None
        cids = self.state.requests_of(row.local_id)
        outcomes: dict[str, BatchOutcome] = {}
        error: Exception | None = None
        try:
            outcomes = await self._collect(row.local_id, row.remote_id, row.created)
        except Exception as exc:  # the tasks waiting on this batch fail with it
            error = exc
        for cid in cids:
            future = self._futures.pop(cid, None)
            if future is None or future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                missing = BatchOutcome(cid, None, "missing from the batch's results")
                future.set_result(outcomes.get(cid, missing))

    async def _collect(
        self, local_id: str, remote_id: str, created: float
    ) -> dict[str, BatchOutcome]:
        said = None
        while True:
            progress = await self.api.progress(remote_id)
            line = (progress.status, tuple(sorted(progress.counts.items())))
            if line != said:
                counts = ", ".join(f"{n} {name}" for name, n in progress.counts.items() if n)
                elapsed = time.time() - created
                self.emit(
                    Notice(f"batch {remote_id}: {progress.status} ({counts}; {elapsed:.0f} s)")
                )
                said = line
            if progress.ended:
                break
            if not self.options.wait:
                self.left.append(remote_id)
                raise self.control.interrupted()
            await asyncio.sleep(self.options.poll_seconds)
        outcomes: dict[str, BatchOutcome] = {}
        async for outcome in self.api.outcomes(remote_id):
            outcomes[outcome.custom_id] = outcome
        replies = [
            (cid, completion_to_json(o.completion))
            for cid, o in outcomes.items()
            if o.completion is not None
        ]
        self.state.ended(local_id, replies)  # kept before any task reads them
        return outcomes

    async def aclose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._jobs):
            task.cancel()
        self.state.close()
        await self.api.aclose()


class _Batched:
    """One batch request seen as a provider call, for ``Budget.track``."""

    def __init__(self, batches: BatchComplete, priority: Priority) -> None:
        self._batches = batches
        self._priority = priority
        self.name = batches.api.name
        self.model = batches.api.model

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self._batches._complete(request, self._priority)

    async def aclose(self) -> None:
        pass  # the batch API is closed with BatchComplete
