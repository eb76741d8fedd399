"""flashgen's own exception tree.

Every error carries a ``hint`` that tells the user how to fix the problem, and an ``exit_code``
that the CLI returns. Messages never contain secrets: provider adapters build them from status
codes and error bodies, never from request headers.
"""

from __future__ import annotations

import errno
import sqlite3

from flashgen.models import NO_USAGE, Usage

EXIT_OK = 0
EXIT_TASKS_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class FlashgenError(Exception):
    """Base of every error flashgen raises on purpose."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # What the task's calls cost before it failed: paid for, so the report counts them.
        self.usage: Usage = NO_USAGE
        self.calls = 0

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


# --- usage and configuration (exit 2) ---------------------------------------------------------


class UsageError(FlashgenError):
    """The command line, a setting or a name is wrong; nothing was generated."""


class CourseNotFound(UsageError):
    pass


class LectureNotFound(UsageError):
    pass


class PathOutsideCourses(UsageError):
    """A course or lecture name tried to leave the courses folder."""


class ConfigError(UsageError):
    pass


class MissingApiKey(ConfigError):
    pass


# --- lecture input (the lecture is skipped, the run goes on) ----------------------------------


class LectureSkipped(FlashgenError):
    """A lecture file that cannot be turned into text; the message is the reason shown."""

    exit_code = EXIT_TASKS_FAILED


# --- providers -------------------------------------------------------------------------------


class ProviderError(FlashgenError):
    exit_code = EXIT_TASKS_FAILED


class RateLimited(ProviderError):
    """HTTP 429 for the client's own rate; ``retry_after`` is the server's advice in seconds.

    ``announced``: the server said it is a rate limit (rate-limit headers on the refusal, or an
    error code that names one). A bare 429 may also be a provider short of capacity refusing
    at random; the scheduler then judges by whether refusals track the client's own rate."""

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        hint: str = "",
        *,
        announced: bool = False,
    ) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after
        self.announced = announced


class TransientProviderError(ProviderError):
    """Timeouts, connection resets, 5xx: worth retrying."""


class Overloaded(TransientProviderError):
    """The provider lacks capacity (529, 503, ``overloaded_error``, a capacity message, or
    429s that do not track the client's rate): the call backs off on its own, with jitter; the
    pace of the other calls is not cut, since a slower client would not be refused less."""

    def __init__(self, message: str, retry_after: float | None = None, hint: str = "") -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class FatalProviderError(ProviderError):
    """Auth failures, unknown model, per-day quota: retrying cannot help, and every other
    call would fail the same way, so the run stops starting calls."""


class ProviderOverloaded(FatalProviderError):
    """The provider answered nothing but overload for too long: the run stops sending."""


class RequestRejected(ProviderError):
    """A 400-class refusal of this request alone (context too long, content refused, invalid
    for this input): its task fails, the other tasks go on; retrying it cannot help."""


# --- generation --------------------------------------------------------------------------------


class GenerationError(FlashgenError):
    """The model's output stayed invalid after the allowed corrections."""

    exit_code = EXIT_TASKS_FAILED

    def __init__(self, message: str, attempts: int = 1, last_output: str = "") -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_output = last_output


class TruncatedOutput(GenerationError):
    """The model stopped at max_tokens; its partial JSON is never used."""


# --- the machine (disk, permissions) ----------------------------------------------------------


class StorageError(FlashgenError):
    """A file or the task cache could not be written or read: full disk, read-only folder, a
    name in the way. What was saved before stays; the message names the path and the fix."""

    exit_code = EXIT_TASKS_FAILED


_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}
_IN_THE_WAY = {errno.EISDIR, errno.ENOTDIR, errno.EEXIST, errno.ENAMETOOLONG}
_KEPT = "results saved before are kept; run again to continue"


def storage_error(exc: OSError | sqlite3.Error) -> StorageError:
    """``exc`` as a message a user can act on."""
    if isinstance(exc, sqlite3.Error):
        text = str(exc)
        if "full" in text:
            return StorageError(
                f"the disk is full: the task cache could not be written ({text})",
                f"free some space; {_KEPT}",
            )
        return StorageError(
            f"the task cache failed: {text}",
            "check the cache folder's free space and permissions (--cache-dir)",
        )
    where = exc.filename or "a file"
    reason = exc.strerror or str(exc)
    if exc.errno in _FULL:
        return StorageError(
            f"the disk is full: cannot write {where} ({reason})", f"free some space; {_KEPT}"
        )
    if exc.errno in _DENIED:
        return StorageError(
            f"cannot write {where}: {reason}",
            "make the folder writable, or choose another with --output-dir, --cache-dir or --out",
        )
    if exc.errno in _IN_THE_WAY:
        return StorageError(
            f"cannot write {where}: {reason}",
            "a file or folder of that name is in the way: rename it, or choose another folder",
        )
    return StorageError(f"cannot read or write {where}: {reason}", _KEPT)
