"""Split a lecture's blocks into chunks: a pure, deterministic function.

Chunks break at headings, pages and slides when they can, then at paragraphs, then at sentences,
and only as a last resort inside a sentence (at a space). Consecutive chunks of one section share
up to ``overlap`` characters so a definition cut by a boundary is still seen whole once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flashgen.models import Block, Chunk

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
SEPARATOR = "\n\n"
# Start a new chunk at a heading once the current one is at least this full.
_EARLY_BREAK_FILL = 0.5


@dataclass(frozen=True)
class _Unit:
    text: str
    page: int | None
    slide: int | None
    starts_section: bool


def chunk_blocks(
    lecture_id: str, blocks: Sequence[Block], size: int = 6000, overlap: int = 300
) -> list[Chunk]:
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    if not 0 <= overlap < size // 2:
        raise ValueError("overlap must be at least 0 and less than half the chunk size")
    chunks: list[Chunk] = []
    current: list[_Unit] = []
    for unit in _units(blocks, size):
        length = _length(current)
        full = length + len(SEPARATOR) + len(unit.text) > size
        early = unit.starts_section and length >= size * _EARLY_BREAK_FILL
        if current and (full or early):
            chunks.append(_make_chunk(lecture_id, len(chunks), current))
            carried = [] if unit.starts_section else _tail(current, overlap)
            if _length(carried) + len(SEPARATOR) + len(unit.text) > size:
                carried = []
            current = carried
        current.append(unit)
    if current:
        chunks.append(_make_chunk(lecture_id, len(chunks), current))
    return chunks


def _length(units: Sequence[_Unit]) -> int:
    if not units:
        return 0
    return sum(len(unit.text) for unit in units) + len(SEPARATOR) * (len(units) - 1)


def _make_chunk(lecture_id: str, index: int, units: Sequence[_Unit]) -> Chunk:
    starts: list[tuple[int, int]] = []
    offset = 0
    for unit in units:
        number = unit.page if unit.page is not None else unit.slide
        if number is not None and (not starts or starts[-1][1] != number):
            starts.append((offset, number))
        offset += len(unit.text) + len(SEPARATOR)
    return Chunk(
        lecture_id=lecture_id,
        index=index,
        text=SEPARATOR.join(unit.text for unit in units),
        pages=tuple(sorted({u.page for u in units if u.page is not None})),
        slides=tuple(sorted({u.slide for u in units if u.slide is not None})),
        starts=tuple(starts),
    )


def _tail(units: Sequence[_Unit], overlap: int) -> list[_Unit]:
    """The end of a chunk, at most ``overlap`` characters, cut at a paragraph or sentence."""
    if overlap == 0:
        return []
    kept: list[_Unit] = []
    for unit in reversed(units):
        if _length([unit, *kept]) <= overlap:
            kept.insert(0, unit)
            continue
        if not kept:
            # the longest run of whole sentences that fits, cut from the text as it is
            for boundary in _SENTENCE_BREAK.finditer(unit.text):
                tail = unit.text[boundary.end() :]
                if len(tail) <= overlap:
                    kept.insert(0, _Unit(tail, unit.page, unit.slide, starts_section=False))
                    break
        break
    return kept


def _units(blocks: Iterable[Block], size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for block in blocks:
        paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(block.text) if p.strip()]
        for position, paragraph in enumerate(paragraphs):
            new_section = paragraph.startswith("#") or (
                position == 0 and (block.page is not None or block.slide is not None)
            )
            pieces = _split_long(paragraph, size)
            for number, piece in enumerate(pieces):
                units.append(_Unit(piece, block.page, block.slide, new_section and number == 0))
    return units


def _split_long(text: str, size: int) -> list[str]:
    """Pieces of at most ``size`` characters, cut at sentences, else at spaces, else hard."""
    if len(text) <= size:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_BREAK.split(text):
        for part in _split_words(sentence, size):
            joined = f"{current} {part}" if current else part
            if len(joined) <= size:
                current = joined
            else:
                pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _split_words(sentence: str, size: int) -> list[str]:
    if len(sentence) <= size:
        return [sentence]
    parts: list[str] = []
    while len(sentence) > size:
        cut = sentence.rfind(" ", 0, size + 1)
        if cut <= 0:
            cut = size
        parts.append(sentence[:cut].rstrip())
        sentence = sentence[cut:].lstrip()
    if sentence:
        parts.append(sentence)
    return parts
