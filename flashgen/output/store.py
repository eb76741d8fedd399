"""Output files: atomic writes, stable bytes, and never a worse file over a better one.

A file is rewritten only when its content changed. ``generated_at`` is carried over from the
file on disk when nothing else changed, so a rerun on unchanged input leaves every byte as it was
and git shows no diff.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError
from pydantic_core import to_json as to_json_bytes

from flashgen.models import QUIZ_LEVELS, FlashcardFile, QuizFile
from flashgen.output.course_dedupe import FileKeys, flashcard_keys, quiz_keys

M = TypeVar("M", bound=BaseModel)
FLASHCARDS_FILE = "flashcards.json"


def quiz_file_name(level: int) -> str:
    return f"quiz_level_{level}.json"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_text(path: Path, text: str) -> None:
    """``text`` as UTF-8, written as ``atomic_write_bytes`` writes."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder, then rename: readers never see half a file,
    and a crash or Ctrl-C leaves the old file or the new one.

    No fsync: it cost 0.1–0.7 ms of CPU a file (more on slow disks), and what it guards against
    (a power cut between write and rename) leaves at worst an empty or cut-off file, which every
    reader treats as missing and the next run rebuilds from the task cache without a call."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes 0600 files; output is meant to be read like any file the user writes.
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def output_json(content: FlashcardFile | QuizFile) -> bytes:
    """``to_json(content.model_dump(mode="json"))`` as UTF-8, byte for byte, in one pass of
    pydantic-core instead of a dict and json's pure-Python indenting encoder (~6x faster).

    The fields go through as a plain dict so that each item is serialized by its own class:
    pydantic-core's tagged-union serializer (``list[QuizQuestion]``) costs twice as much for the
    same bytes. The two encoders agree on every string (the same escapes, non-ASCII kept, the
    same layout with indent=2) and on integers; they differ on floats (``1e-07`` against
    ``1e-7``), which output files do not hold (tests/output/test_store.py keeps both so)."""
    fields = {name: getattr(content, name) for name in type(content).model_fields}
    try:
        return to_json_bytes(fields, indent=2) + b"\n"
    except PydanticSerializationError:
        # Text json.dumps cannot encode either (a lone surrogate): fail as the slow path does.
        return to_json(content.model_dump(mode="json")).encode("utf-8")


# What identifies one state of a file: a rewrite (a new inode) or an edit in place changes it.
_Stamp = tuple[int, int, int, int, int]


def _stamp(path: Path) -> _Stamp:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _course_order(name: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    from flashgen.ingest.discovery import natural_key

    return natural_key(name), name


class OutputStore:
    """``OUTPUT_DIR/COURSE/LECTURE/{flashcards,quiz_level_N}.json`` for one course.

    The store remembers what the course-wide dedupe reads of each file it saved (``FileKeys``,
    a few short strings per item), so that pass need not read back and validate every file: a
    file's keys count only while the file is as the store left it."""

    def __init__(self, output_dir: Path, course_id: str) -> None:
        self.course_dir = output_dir / course_id
        self._saved: dict[Path, tuple[_Stamp, FileKeys]] = {}

    def lecture_ids(self) -> list[str]:
        """Folders holding generated files, in course order (run reports, the cache and exports
        are not lectures)."""
        if not self.course_dir.is_dir():
            return []
        names = [FLASHCARDS_FILE, *(quiz_file_name(level) for level in QUIZ_LEVELS)]
        found = [
            entry.name
            for entry in self.course_dir.iterdir()
            if entry.is_dir() and any((entry / name).is_file() for name in names)
        ]
        return sorted(found, key=_course_order)

    def lectures_before(self, lecture_id: str) -> list[str]:
        """Lecture folders with generated files that come before ``lecture_id`` in course
        order."""
        key = _course_order(lecture_id)
        return [i for i in self.lecture_ids() if _course_order(i) < key]

    def lecture_dir(self, lecture_id: str) -> Path:
        return self.course_dir / lecture_id

    def flashcards_path(self, lecture_id: str) -> Path:
        return self.lecture_dir(lecture_id) / FLASHCARDS_FILE

    def quiz_path(self, lecture_id: str, level: int) -> Path:
        return self.lecture_dir(lecture_id) / quiz_file_name(level)

    def load_flashcards(self, lecture_id: str) -> FlashcardFile | None:
        return _load(self.flashcards_path(lecture_id), FlashcardFile)

    def load_quiz(self, lecture_id: str, level: int) -> QuizFile | None:
        return _load(self.quiz_path(lecture_id, level), QuizFile)

    def save_flashcards(self, lecture_id: str, content: FlashcardFile) -> bool:
        path = self.flashcards_path(lecture_id)
        return self._save(path, content, lambda: flashcard_keys(content.flashcards))

    def save_quiz(self, lecture_id: str, level: int, content: QuizFile) -> bool:
        path = self.quiz_path(lecture_id, level)
        return self._save(path, content, lambda: quiz_keys(content.questions))

    def saved_keys(self, path: Path) -> FileKeys | None:
        """The dedupe keys of the file at ``path`` if this store saved it and it has not
        changed since (else None: read the file)."""
        entry = self._saved.get(path)
        if entry is None:
            return None
        try:
            unchanged = _stamp(path) == entry[0]
        except OSError:
            unchanged = False
        return entry[1] if unchanged else None

    def remember_keys(self, path: Path, keys: FileKeys) -> None:
        """Keep the keys of a file read (not saved) by this store, while it stays unchanged."""
        with contextlib.suppress(OSError):
            self._saved[path] = (_stamp(path), keys)

    def _save(
        self, path: Path, content: FlashcardFile | QuizFile, keys: Callable[[], FileKeys]
    ) -> bool:
        self._saved.pop(path, None)
        changed = _save(path, content)
        # Unchanged or rewritten, the file now holds these items (generated_at aside).
        self._saved[path] = (_stamp(path), keys())
        return changed


def _load(path: Path, model: type[M]) -> M | None:
    """The file's content, or None when it is missing or not a valid file of this kind."""
    try:
        return model.model_validate_json(path.read_bytes())
    except (FileNotFoundError, ValidationError, ValueError):
        return None


def _save(path: Path, content: FlashcardFile | QuizFile) -> bool:
    """Write ``content`` unless the file already says the same; True when the file changed."""
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        atomic_write_bytes(path, output_json(content))  # a new file: no dict needed
        return True
    except ValueError:
        existing = None
    if isinstance(existing, dict) and isinstance(existing.get("metadata"), dict):
        data = content.model_dump(mode="json")
        previous_time = existing["metadata"].get("generated_at")
        candidate = {**data, "metadata": {**data["metadata"], "generated_at": previous_time}}
        if candidate == existing:
            return False
    atomic_write_bytes(path, output_json(content))
    return True
