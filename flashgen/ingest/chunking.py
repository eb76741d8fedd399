"""Split a lecture's blocks into chunks: a pure, deterministic function.

Chunks break at headings, pages and slides when they can, then at paragraphs, then at sentences,
and only as a last resort inside a sentence (at a space). Consecutive chunks of one section share
up to ``overlap`` characters so a definition cut by a boundary is still seen whole once.

The text is cleaned text (see ``flashgen.ingest.cleaning``): a ``` code fence is one paragraph
even with blank lines inside, a fence too long for a chunk is split between its lines into
fences of its own, and no cut falls inside a math span (``\\( … \\)``, ``\\[ … \\]``) or a code
span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flashgen.ingest.cleaning.latex import MATH_SPAN
from flashgen.models import Block, Chunk

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_FENCE = re.compile(r"^\s*```")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)")
# Characters standing in for a math or code span while a paragraph is cut: no space or sentence
# end inside, so no cut falls there; two kinds so that neighbouring spans stay apart.
_MASKS = ("\ue000", "\ue001")
_MASKED = re.compile("\ue000+|\ue001+")
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
        if not kept and not _FENCE.match(unit.text):
            # the longest run of whole sentences that fits, cut from the text as it is
            masked = _mask(unit.text)[0]
            for boundary in _SENTENCE_BREAK.finditer(masked):
                tail = unit.text[boundary.end() :]
                if len(tail) <= overlap:
                    kept.insert(0, _Unit(tail, unit.page, unit.slide, starts_section=False))
                    break
        break
    return kept


def _units(blocks: Iterable[Block], size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for block in blocks:
        paragraphs = _paragraphs(block.text)
        for position, paragraph in enumerate(paragraphs):
            new_section = paragraph.startswith("#") or (
                position == 0 and (block.page is not None or block.slide is not None)
            )
            pieces = _split_long(paragraph, size)
            for number, piece in enumerate(pieces):
                units.append(_Unit(piece, block.page, block.slide, new_section and number == 0))
    return units


def _paragraphs(text: str) -> list[str]:
    """Paragraphs split at blank lines, except inside a ``` code fence."""
    paragraphs: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and not line.strip():
            paragraphs.append("\n".join(current))
            current = []
            continue
        current.append(line)
    paragraphs.append("\n".join(current))
    return [p.strip() for p in paragraphs if p.strip()]


def _mask(text: str) -> tuple[str, list[str]]:
    """``text`` with each math and code span replaced by mask characters of its length."""
    spans = sorted(
        {m.span() for pattern in (MATH_SPAN, _CODE_SPAN) for m in pattern.finditer(text)}
    )
    masked: list[str] = []
    held: list[str] = []
    position = 0
    for start, end in spans:
        if start < position:  # a code span inside math or the reverse: the outer one holds
            continue
        masked += [text[position:start], _MASKS[len(held) % 2] * (end - start)]
        held.append(text[start:end])
        position = end
    masked.append(text[position:])
    return "".join(masked), held


def _split_long(text: str, size: int) -> list[str]:
    """Pieces of at most ``size`` characters, cut at sentences, else at spaces, else hard.

    Code fences are cut between lines; math and code spans are never cut, so a piece holding a
    span longer than ``size`` is longer than ``size``.
    """
    if len(text) <= size:
        return [text]
    if _FENCE.match(text):
        return _split_code(text, size)
    masked, held = _mask(text)
    spans = iter(held)
    return [_MASKED.sub(lambda _: next(spans), piece) for piece in _split_prose(masked, size)]


def _split_code(fence: str, size: int) -> list[str]:
    lines = fence.split("\n")
    opening, body = lines[0].strip(), lines[1:-1] if _FENCE.match(lines[-1]) else lines[1:]
    room = size - len(opening) - len("\n```") - 1
    pieces: list[list[str]] = [[]]
    for line in body:
        if pieces[-1] and sum(len(x) + 1 for x in pieces[-1]) + len(line) > room:
            pieces.append([])
        pieces[-1].append(line)
    return ["\n".join([opening, *piece, "```"]) for piece in pieces]


def _split_prose(text: str, size: int) -> list[str]:
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
            while cut < len(sentence) and sentence[cut] == sentence[cut - 1] in _MASKS:
                cut += 1  # never inside a held span
        parts.append(sentence[:cut].rstrip())
        sentence = sentence[cut:].lstrip()
    if sentence:
        parts.append(sentence)
    return parts
