"""What the review page shows of a lecture: its items with state, file and source chunk text.

The chunk text is not stored with the output; it comes from re-reading the lecture file the way
a run does (extract, clean, chunk with the same settings), so chunk N here is chunk N of the run.
When the file changed since, the text may differ: the item's ``stale`` flag says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from flashgen.config import Settings
from flashgen.errors import FlashgenError
from flashgen.ingest.discovery import load_course, scan_lectures
from flashgen.ingest.extract import extract
from flashgen.models import Chunk, Flashcard, QuizQuestion
from flashgen.output.decisions import CourseReview, lecture_items
from flashgen.output.review import CARDS, item_digest
from flashgen.output.store import OutputStore


@dataclass(frozen=True)
class ItemView:
    id: str
    file: str  # "cards" or "level N", as in review.json
    kind: str  # "card" or the question type
    state: str
    stale: bool
    digest: str  # the item as the page shows it: a change made on disk since is refused
    data: dict[str, object]
    chunk: int | None  # the source chunk (a question: its first card's)


@dataclass
class LectureView:
    id: str
    counts: dict[str, int]  # from review.json: rejected items are counted, not in the files
    items: list[ItemView] = field(default_factory=list)


def lecture_view(store: OutputStore, lecture_id: str) -> LectureView:
    """The lecture's items as on disk now, with their review state (read in as a run reads it:
    a hand edit since the last write shows as edited)."""
    review = CourseReview(store).open(lecture_id)
    files = lecture_items(store, lecture_id)
    found: list[Flashcard | QuizQuestion] = [i for items in files.values() for i in items or ()]
    cards = {item.id: item for item in found if isinstance(item, Flashcard)}
    view = LectureView(lecture_id, review.counts())
    for key, items in files.items():
        for item in items or ():
            entry = review.items.get(item.id)
            view.items.append(
                ItemView(
                    id=item.id,
                    file=key,
                    kind="card" if key == CARDS else str(getattr(item, "type", "")),
                    state=entry.state if entry else "new",
                    stale=bool(entry and entry.stale),
                    digest=item_digest(item),
                    data=item.model_dump(mode="json"),
                    chunk=_chunk_of(item, cards),
                )
            )
    return view


def _chunk_of(item: Flashcard | QuizQuestion, cards: dict[str, Flashcard]) -> int | None:
    if isinstance(item, Flashcard):
        return item.source.chunk
    first = next((cards[i] for i in item.source_flashcard_ids if i in cards), None)
    return first.source.chunk if first else None


class SourceText:
    """The chunks of the course's lecture files, read once per lecture on first use."""

    def __init__(self, settings: Settings, course_id: str) -> None:
        self.settings = settings
        self.course_id = course_id
        self._chunks = cache(self._read)

    def chunk(self, lecture_id: str, index: int) -> Chunk | None:
        chunks = self._chunks(lecture_id)
        return chunks[index] if 0 <= index < len(chunks) else None

    def _read(self, lecture_id: str) -> list[Chunk]:
        try:
            scan = scan_lectures(load_course(self.settings.courses_dir, self.course_id))
            lecture = next((lec for lec in scan.lectures if lec.id == lecture_id), None)
            if lecture is None:
                return []
            extraction = extract(lecture, max_bytes=self.settings.max_file_bytes)
        except (FlashgenError, OSError):
            return []  # the page still works without the source beside the items
        # The run's own cleaning and chunking, so chunk N here is chunk N of the run; imported
        # here, as the page opens a lecture: the run's modules are not needed to start the page.
        from flashgen.run.runner import chunked

        return chunked(self.settings, lecture, extraction)
