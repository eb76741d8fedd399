"""Shards for a CI matrix: ``--shard I/N`` runs a stable share of a course's lectures.

A lecture's shard is a digest of its id, not its position in the course: adding or renaming
one lecture moves no other lecture to another shard, so every other shard's task cache stays
warm. N shards run at once against the same account, so each gets 1/N of the configured rate
limits. Course-wide steps (near-duplicate removal across lectures, the course report) need every
lecture's files: they run in the merge step (``flashgen run COURSE --merge``), not in a shard.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flashgen.config import Settings
from flashgen.errors import UsageError
from flashgen.models import Lecture

_LIMITS = ("rpm", "itpm", "otpm")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as a CI matrix writes it
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, lecture_id: str) -> bool:
        return shard_of(lecture_id, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """``"2/3"`` → ``Shard(2, 3)``; anything else is a usage error that says the form."""
    index, slash, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count)) if slash else None
    except ValueError:
        shard = None
    if shard is None or not 1 <= shard.index <= shard.count:
        raise UsageError(
            f"--shard {text!r} is not a shard",
            "write --shard I/N with 1 <= I <= N, e.g. --shard 2/3 for the second of three",
        )
    return shard


def shard_of(lecture_id: str, count: int) -> int:
    """The shard (1..count) a lecture belongs to, from a digest of its id alone."""
    digest = hashlib.sha256(lecture_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def lectures_of(shard: Shard, lectures: Sequence[Lecture]) -> list[Lecture]:
    return [lecture for lecture in lectures if shard.holds(lecture.id)]


def shard_settings(settings: Settings, shard: Shard) -> tuple[Settings, str]:
    """The settings with each configured rate limit divided by N, and a sentence saying so."""
    limits = {name: getattr(settings, name) for name in _LIMITS}
    divided = {name: max(1, value // shard.count) for name, value in limits.items() if value}
    if not divided:
        said = "no rate limits configured; each shard paces itself from the provider's replies"
    else:
        said = "rate limits divided by {}: {}".format(
            shard.count,
            ", ".join(f"--{name} {limits[name]} -> {value}" for name, value in divided.items()),
        )
    return settings.model_copy(update=divided), f"shard {shard}: {said}"


def output_clock() -> datetime:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention): shards and
    an unsharded run then write the same bytes, and a CI rerun rewrites no file needlessly."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return datetime.now(UTC)
    try:
        return datetime.fromtimestamp(int(epoch), UTC)
    except ValueError as exc:
        raise UsageError(
            f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds",
            "set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)",
        ) from exc
