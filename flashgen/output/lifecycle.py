"""Output of lectures that are gone: a lecture file deleted or renamed leaves its output folder
behind. Such a folder is *orphaned*: `flashgen status` lists it, exports and the course-wide
dedupe leave it out, and `flashgen prune` removes it (refusing, without ``--force``, a folder
holding items a person approved or edited: that work would be lost)."""

from __future__ import annotations

import shutil
from collections.abc import Collection
from dataclasses import dataclass, field

from flashgen.output.review import load_review
from flashgen.output.store import OutputStore


def orphaned(store: OutputStore, current: Collection[str]) -> list[str]:
    """Lecture output folders whose lecture is no longer in the course, in course order."""
    return [lecture_id for lecture_id in store.lecture_ids() if lecture_id not in current]


def kept_items(store: OutputStore, lecture_id: str) -> int:
    """How many of a lecture's items a person approved or edited."""
    review = load_review(store.lecture_dir(lecture_id))
    if review is None:
        return 0
    counts = review.counts()
    return counts["approved"] + counts["edited"]


@dataclass
class Pruned:
    removed: list[str] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # lecture -> approved + edited items


def prune(store: OutputStore, current: Collection[str], *, force: bool = False) -> Pruned:
    """Remove orphaned lecture folders; without ``force``, not those holding a person's work."""
    pruned = Pruned()
    for lecture_id in orphaned(store, current):
        kept = kept_items(store, lecture_id)
        if kept and not force:
            pruned.refused[lecture_id] = kept
            continue
        shutil.rmtree(store.lecture_dir(lecture_id))
        pruned.removed.append(lecture_id)
    return pruned
