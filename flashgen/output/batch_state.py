"""The batch state: which requests went to which provider batch, kept in SQLite.

Every row is written before the provider hears of it: a batch is recorded with its requests
(``custom_id`` → task) as ``submitting``, then created at the provider, then given the
provider's id. A run killed at any point and started again finds its requests here and follows
the batch they are in instead of submitting them again. A succeeded reply is kept here as soon
as the batch's results are read, so a run killed while collecting reads none of them twice.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

BATCH_FILE = "flashgen-batches.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    local_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    remote_id TEXT,
    state TEXT NOT NULL,            -- submitting, in_progress, ended
    requests INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_requests (
    custom_id TEXT NOT NULL,
    local_id TEXT NOT NULL REFERENCES batches(local_id),
    task_id TEXT NOT NULL,
    PRIMARY KEY (custom_id, local_id)
);
CREATE TABLE IF NOT EXISTS batch_replies (
    custom_id TEXT PRIMARY KEY,
    reply TEXT NOT NULL              -- the completion, as JSON
);
"""


@dataclass(frozen=True)
class BatchRow:
    local_id: str
    provider: str
    remote_id: str | None
    state: str
    requests: int
    created: float


class BatchState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def open_batch(self, provider: str, requests: Sequence[tuple[str, str]]) -> str:
        """Record a batch about to be submitted, with its (custom_id, task_id) pairs."""
        local_id = uuid.uuid4().hex
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT INTO batches VALUES (?, ?, NULL, 'submitting', ?, ?)",
                (local_id, provider, len(requests), time.time()),
            )
            self._db.executemany(
                "INSERT INTO batch_requests VALUES (?, ?, ?)",
                [(custom_id, local_id, task) for custom_id, task in requests],
            )
        return local_id

    def submitted(self, local_id: str, remote_id: str) -> None:
        self._db.execute(
            "UPDATE batches SET remote_id = ?, state = 'in_progress' WHERE local_id = ?",
            (remote_id, local_id),
        )

    def ended(self, local_id: str, replies: Iterable[tuple[str, str]]) -> None:
        """The batch's succeeded replies (custom_id, completion JSON), and the batch ended."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO batch_replies VALUES (?, ?)", list(replies)
            )
            self._db.execute("UPDATE batches SET state = 'ended' WHERE local_id = ?", (local_id,))

    def reply(self, custom_id: str) -> str | None:
        row = self._db.execute(
            "SELECT reply FROM batch_replies WHERE custom_id = ?", (custom_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def open_batch_of(self, custom_id: str) -> BatchRow | None:
        """The unfinished batch a request is in (a run before this one submitted it)."""
        row = self._db.execute(
            "SELECT b.* FROM batches b JOIN batch_requests r USING (local_id) "
            "WHERE r.custom_id = ? AND b.state != 'ended' ORDER BY b.created DESC LIMIT 1",
            (custom_id,),
        ).fetchone()
        return None if row is None else BatchRow(*row)

    def in_flight(self) -> list[BatchRow]:
        rows = self._db.execute(
            "SELECT * FROM batches WHERE state != 'ended' ORDER BY created"
        ).fetchall()
        return [BatchRow(*row) for row in rows]

    def requests_of(self, local_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT custom_id FROM batch_requests WHERE local_id = ?", (local_id,)
        ).fetchall()
        return [str(row[0]) for row in rows]

    def submitted_count(self) -> int:
        """Requests ever put in a batch (a request twice counts twice): for tests and reports."""
        return int(self._db.execute("SELECT COUNT(*) FROM batch_requests").fetchone()[0])


def batches_in_flight(path: Path) -> list[str]:
    """One line per batch submitted and not yet collected (``flashgen status``); none when
    no batch state exists (it is not created here)."""
    if not path.is_file():
        return []
    state = BatchState(path)
    try:
        rows = state.in_flight()
    finally:
        state.close()
    now = time.time()
    return [
        f"batch {row.remote_id or '(being submitted)'} ({row.provider}): {row.state}, "
        f"{row.requests} requests, submitted {(now - row.created) / 60:.0f} min ago; "
        "the same flashgen run command collects it"
        for row in rows
    ]
