"""The task cache: a validated result per task input, so unchanged content is never paid twice.

One SQLite database (WAL, one commit per finished task) keyed by a hash of everything that
decides a result: task kind, input (chunk text or cards), prompt version, generator, model,
generation parameters, course metadata and language. A ``kill -9`` loses at most the tasks in
flight; the next run finds every finished one here.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from flashgen.errors import ConfigError

SCHEMA_VERSION = 1
CACHE_FILE = "flashgen-cache.sqlite3"


def task_key(*parts: Any) -> str:
    """A stable hash of the JSON form of ``parts`` (dicts are key-sorted)."""
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class TaskCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._prepare()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"the task cache {path} is unreadable ({exc})",
                f"delete {path} (only cached results are lost; output files stay) and run again",
            ) from exc
        except OSError as exc:
            raise ConfigError(
                f"cannot open the task cache {path}: {exc.strerror}",
                "choose a writable folder with --cache-dir",
            ) from exc

    def _prepare(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self._db.execute(
                "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif row[0] != str(SCHEMA_VERSION):
            raise sqlite3.DatabaseError(
                f"schema version {row[0]}, this flashgen reads version {SCHEMA_VERSION}"
            )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS results ("
            " key TEXT PRIMARY KEY, kind TEXT NOT NULL, task_id TEXT NOT NULL,"
            " result TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        self._db.execute("PRAGMA quick_check").fetchone()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        row = self._db.execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        items = json.loads(row[0])
        return items if isinstance(items, list) else None

    def put(self, key: str, kind: str, task_id: str, items: list[dict[str, Any]]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO results (key, kind, task_id, result) VALUES (?, ?, ?, ?)",
            (key, kind, task_id, json.dumps(items, ensure_ascii=False)),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._db.close()
