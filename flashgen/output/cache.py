"""The task cache: a validated result per task input, so unchanged content is never paid twice.

One SQLite database (WAL, one commit per finished task) keyed by a hash of everything that
decides a result: task kind, input (chunk text or cards), prompt version, generator, model,
generation parameters, course metadata and language. A ``kill -9`` loses at most the tasks in
flight; the next run finds every finished one here.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from flashgen.errors import ConfigError
from flashgen.models import Chunk, Course, Flashcard

T = TypeVar("T")

SCHEMA_VERSION = 1
CACHE_FILE = "flashgen-cache.sqlite3"
_COLUMNS = frozenset({"key", "kind", "task_id", "result"})


def _check_writable(path: Path) -> None:
    """A read-only cache folder or file, said as such before SQLite calls it unopenable (which
    reads as a damaged cache to delete). SQLite's WAL needs to create files beside the cache."""
    for target in (path.parent, path):
        if target.exists() and not os.access(target, os.W_OK):
            raise OSError(errno.EACCES, "read-only", str(target))


def task_key(*parts: Any) -> str:
    """A stable hash of the JSON form of ``parts`` (dicts are key-sorted)."""
    return _hash(_encode(parts))


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class TaskKeys:
    """The cache keys of one run's tasks: the very strings the coordinator's ``flashcard_key``
    and ``quiz_key`` give, with what tasks share encoded once.

    ``task_key(a, b, c)`` hashes ``"[" + enc(a) + "," + enc(b) + "," + enc(c) + "]"``, so the
    parts every key starts with (generator identity, course, language) are encoded here once,
    and each card once for the four quiz levels that send it (a card must not change while
    this object lives: models are frozen). ``quiz_key`` dumped and encoded a group's cards for
    every key, ~90 µs a key; this takes ~10 µs."""

    _REMEMBERED_CARDS = 256  # ~10 lectures' cards: the four levels of a lecture ask together

    def __init__(self, identity: Any, course: Course, language: str) -> None:
        course_data = course.model_dump(mode="json", exclude={"path"})
        self._head = "[" + ",".join(map(_encode, (identity, course_data, language))) + ","
        # id(card) -> (card, its JSON); the card is held so that its id is not reused
        self._cards: dict[int, tuple[Flashcard, str]] = {}

    def flashcards(self, lecture_id: str, chunk: Chunk) -> str:
        """``flashcard_key(generator, course, language, lecture_id, chunk)``"""
        tail = _encode(["flashcards", lecture_id, chunk.model_dump(mode="json")])
        return _hash(self._head + tail[1:])

    def quiz(self, lecture_id: str, level: int, cards: Sequence[Flashcard]) -> str:
        """``quiz_key(generator, course, language, lecture_id, level, cards)``"""
        encoded = ",".join(self._card(card) for card in cards)
        return _hash(f"{self._head}{_encode(['quiz', lecture_id, level])[1:-1]},[{encoded}]]")

    def _card(self, card: Flashcard) -> str:
        known = self._cards.get(id(card))
        if known is not None and known[0] is card:
            return known[1]
        if len(self._cards) >= self._REMEMBERED_CARDS:
            self._cards.clear()
        encoded = _encode(card.model_dump(mode="json"))
        self._cards[id(card)] = (card, encoded)
        return encoded


class TaskCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _check_writable(path)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._prepare()
        except sqlite3.OperationalError as exc:
            # Locked, read-only, full, or cannot be opened: the file is not at fault.
            raise ConfigError(
                f"cannot use the task cache {path} ({exc})",
                "check that its folder is writable and has free space, or choose another "
                "with --cache-dir",
            ) from None
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"the task cache {path} is unreadable ({exc})",
                f"delete {path} (only cached results are lost; output files stay) and run again",
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot open the task cache {path}: {exc.strerror}",
                "choose a writable folder with --cache-dir",
            ) from None

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
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(results)")}
        if not columns >= _COLUMNS:
            raise sqlite3.DatabaseError(
                f"its results table has columns {sorted(columns)}, this flashgen reads "
                f"{sorted(_COLUMNS)}"
            )
        self._db.execute("PRAGMA quick_check").fetchone()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The stored items, or None when absent or damaged (the task then runs again)."""
        row = self._db.execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            items = json.loads(row[0])
        except (TypeError, ValueError):
            return None
        return items if isinstance(items, list) else None

    def items(self, key: str, decoder: TypeAdapter[list[T]]) -> list[T] | None:
        """The stored items decoded, or None when absent, damaged or written by an older
        flashgen with another schema (the task then runs again)."""
        stored = self.get(key)
        if stored is None:
            return None
        try:
            return decoder.validate_python(stored)
        except ValidationError:
            return None

    def put(self, key: str, kind: str, task_id: str, items: Sequence[Any]) -> None:
        """Store a task's items (models or their JSON-mode dicts) as one JSON array. Models are
        serialized by pydantic-core in one pass: dumping each to a dict and encoding the dicts
        with ``json`` cost four times as much, more than the insert itself."""
        self._db.execute(
            "INSERT OR REPLACE INTO results (key, kind, task_id, result) VALUES (?, ?, ?, ?)",
            (key, kind, task_id, to_json(list(items)).decode("utf-8")),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        self._db.close()
