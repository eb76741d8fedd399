"""One run per output folder at a time.

Two runs writing one course's output at once double the calls and leave quizzes citing cards
that the other run's flashcards file no longer holds. The lock is an OS file lock (``flock``
on POSIX, ``LockFileEx`` on Windows, through ``filelock``) on a file in the course's output
folder: the OS releases it when its process ends in any way, ``kill -9`` included, so a
crashed run never leaves the folder locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from flashgen.errors import ConfigError, UsageError

LOCK_FILE = ".flashgen-run.lock"


class OutputBusy(UsageError):
    """Another run holds the output folder."""


@contextmanager
def run_lock(course_dir: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the course output folder's lock for the ``with`` block; ``wait`` blocks until the
    other run ends, otherwise a held lock is an ``OutputBusy`` error at once."""
    try:
        course_dir.mkdir(parents=True, exist_ok=True)
        # No soft (file-exists) fallback: such a lock would outlive a kill -9.
        lock = FileLock(course_dir / LOCK_FILE, fallback_to_soft=False, thread_local=False)
        lock.acquire(timeout=-1 if wait else 0)
    except Timeout:
        raise OutputBusy(
            f"another flashgen run is writing to {course_dir}",
            "let it finish (add --wait to start as soon as it does), or choose another "
            "--output-dir",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot write to {course_dir}: {exc.strerror or exc}",
            "choose a writable folder with --output-dir (or FLASHGEN_OUTPUT_DIR)",
        ) from None
    try:
        yield
    finally:
        lock.release()
