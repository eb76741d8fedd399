"""Review state of a lecture's cards and questions: new, approved, edited or rejected.

It lives in ``OUTPUT_DIR/COURSE/LECTURE/review.json``, beside the files it describes, so a pull
request shows a teacher's decisions next to the material. It is a separate file, not a field in
each item, because the items are what a person edits: a state field there would be edited,
reformatted or lost along with them, and the output files keep their schema for every reader.

For each item flashgen records a digest of the item as last written (by flashgen, or as a person
approved it). A run compares the files with these digests before it writes anything:

- an item whose content differs (keys reordered or reformatted do not count) is *edited*;
- an item that is gone is *rejected*: remembered, and never generated back;
- an item added by hand is *edited* (a person's work).

A run then replaces only *new* items. Approved and edited items stay as they are on disk, and are
flagged ``stale`` when the source text they came from (digests of their chunks) is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, Field, ValidationError

from flashgen.errors import UsageError
from flashgen.ids import digest

ReviewState = Literal["new", "approved", "edited", "rejected"]
REVIEW_STATES: tuple[ReviewState, ...] = ("new", "approved", "edited", "rejected")
REVIEW_FILE = "review.json"
CARDS = "cards"  # the file key of flashcards.json; quiz files are "level N"


def level_key(level: int) -> str:
    return f"level {level}"


class _Item(Protocol):
    @property
    def id(self) -> str: ...

    def model_dump(self, *, mode: str) -> dict[str, object]: ...


ItemT = TypeVar("ItemT", bound=_Item)


class ReviewEntry(BaseModel):
    file: str
    state: ReviewState = "new"
    digest: str = ""  # the item as flashgen last wrote it, or as a person approved it
    sources: list[str] = Field(default_factory=list)  # digests of the chunks it came from
    stale: bool = False
    question: str = ""  # the item's question, so a diff of this file reads on its own


class LectureReview(BaseModel):
    chunks: list[str] = Field(default_factory=list)  # chunk digests at the last run, by index
    items: dict[str, ReviewEntry] = Field(default_factory=dict)

    def state(self, item_id: str) -> ReviewState:
        entry = self.items.get(item_id)
        return entry.state if entry else "new"

    def kept(self, item_id: str) -> bool:
        """Approved or edited: a person's work, never replaced."""
        return self.state(item_id) in ("approved", "edited")

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys([*REVIEW_STATES, "stale"], 0)
        for entry in self.items.values():
            counts[entry.state] += 1
            counts["stale"] += entry.stale
        return counts


def item_text(item: _Item) -> str:
    """A card's question or a quiz question's text."""
    text = getattr(item, "question_text", None) or getattr(item, "question", "")
    return str(text)


def item_digest(item: _Item) -> str:
    """The item's content, independent of key order and layout."""
    text = json.dumps(item.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return digest(text, length=12)


def chunk_digest(text: str) -> str:
    return digest(text, length=10)


def review_path(lecture_dir: Path) -> Path:
    return lecture_dir / REVIEW_FILE


def load_review(lecture_dir: Path) -> LectureReview | None:
    """The lecture's review state; None when it has none yet. A damaged file is an error: it
    holds decisions a run must not silently forget."""
    path = review_path(lecture_dir)
    try:
        return LectureReview.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (ValidationError, ValueError) as exc:
        raise UsageError(
            f"{path} is not a valid review file: {str(exc).splitlines()[0]}",
            hint="fix it (it is JSON: look for a missing comma or quote), or restore it from git",
        ) from exc


def review_bytes(review: LectureReview) -> bytes:
    """Stable bytes: items sorted by id, defaults left out (the state always shown)."""
    items = {
        key: {"file": entry.file, "state": entry.state, **entry.model_dump(exclude_defaults=True)}
        for key, entry in sorted(review.items.items())
    }
    data = {"chunks": review.chunks, "items": items}
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def reconcile(
    review: LectureReview | None, files: Mapping[str, Sequence[_Item] | None]
) -> tuple[LectureReview, bool]:
    """Read a person's changes out of the files (``files``: file key -> its items, None when the
    file is missing). Returns the review state and whether it changed.

    Without a review file (output from before review states) every item is new. A missing file
    tells nothing: its new items are made again, as before."""
    if review is None:
        fresh = LectureReview()
        for key, items in files.items():
            for item in items or ():
                fresh.items[item.id] = ReviewEntry(
                    file=key, digest=item_digest(item), question=item_text(item)
                )
        return fresh, bool(fresh.items)
    changed = False
    for key, items in files.items():
        if items is None:
            continue
        present = {item.id: item for item in items}
        for item_id, gone in review.items.items():
            if gone.file != key or gone.state == "rejected" or item_id in present:
                continue
            gone.state, gone.stale = "rejected", False
            changed = True
        for item in items:
            now = item_digest(item)
            entry = review.items.get(item.id)
            if entry is None or entry.file != key:
                entry = review.items[item.id] = ReviewEntry(file=key, state="edited")
                changed = True
            elif entry.state == "rejected" or (entry.state != "edited" and entry.digest != now):
                entry.state = "edited"
                changed = True
            if entry.question != item_text(item):
                entry.question = item_text(item)
                changed = True
    return review, changed


def merge(
    generated: Iterable[ItemT], on_disk: Iterable[ItemT], review: LectureReview
) -> list[ItemT]:
    """This run's items with a person's work kept: approved and edited items as they are on
    disk (in the place of the item they came from, or after the others), rejected ones left
    out. New items on disk are replaced by this run's."""
    kept = {item.id: item for item in on_disk if review.kept(item.id)}
    merged: list[ItemT] = []
    for item in generated:
        if item.id in kept:
            merged.append(kept.pop(item.id))
        elif review.state(item.id) != "rejected":
            merged.append(item)
    return merged + list(kept.values())


def flag_stale(review: LectureReview, current_chunks: Sequence[str]) -> None:
    """Approved and edited items whose source text is gone are stale; their chunk digests are
    kept until a person approves or resets them."""
    review.chunks = list(current_chunks)
    present = set(current_chunks)
    for entry in review.items.values():
        if entry.state in ("approved", "edited") and entry.sources:
            entry.stale = not set(entry.sources) <= present


def record(
    review: LectureReview, files: Mapping[str, Sequence[_Item]], sources: dict[str, list[str]]
) -> None:
    """After a run wrote the files: every item in them is known, new items carry the digest of
    what flashgen wrote, and new items flashgen dropped are forgotten (rejections stay)."""
    present: set[str] = set()
    for key, items in files.items():
        for item in items:
            present.add(item.id)
            entry = review.items.get(item.id)
            if entry is None:
                entry = review.items[item.id] = ReviewEntry(file=key)
            if entry.state == "new":
                entry.digest = item_digest(item)
                entry.question = item_text(item)
                entry.file = key
                entry.sources = sources.get(item.id, entry.sources)
    for item_id in [i for i, e in review.items.items() if e.state == "new" and i not in present]:
        if review.items[item_id].file in files:
            del review.items[item_id]
