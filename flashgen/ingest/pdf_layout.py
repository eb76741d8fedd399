"""Lines of a PDF page from pypdfium2's characters: position, font size, monospace or not.

PDF text has no paragraphs or headings, only glyphs at positions. Lines are characters sharing a
baseline; a heading is a line set clearly larger than the document's body text; code is a run of
lines in a monospace font; a paragraph ends where the gap to the next line is larger than a line
spacing. The page text is written for the cleaning stage: ``#`` headings, ``` fences around
code, a blank line between paragraphs, and the other lines as they are (cleaning reflows them).
"""

from __future__ import annotations

import ctypes
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_MONOSPACE = re.compile(r"mono|courier|consol|code|typewriter|menlo|inconsolata", re.IGNORECASE)
_HEADING_RATIO = 1.15  # a heading's font is at least this much larger than the body's
_HEADING_MAX_CHARS = 120
# A paragraph ends where the distance to the next line exceeds the page's usual line pitch by
# this factor, or the blank between them is this part of a line's height.
_PARAGRAPH_PITCH = 1.3
_PARAGRAPH_GAP = 0.6
_SHORT_LINE = 0.85


@dataclass
class Line:
    chars: list[str] = field(default_factory=list)
    sizes: list[float] = field(default_factory=list)
    mono: int = 0
    # whether the first letter or digit is monospace: prose naming identifiers starts in prose
    starts_mono: bool | None = None
    top: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    widths: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.chars).split())

    @property
    def size(self) -> float:
        return sorted(self.sizes)[len(self.sizes) // 2] if self.sizes else 0.0

    @property
    def char_width(self) -> float:
        return sorted(self.widths)[len(self.widths) // 2] if self.widths else 0.0

    @property
    def is_code(self) -> bool:
        return bool(self.starts_mono) and self.mono > 0.6 * max(1, len(self.sizes))


def page_lines(textpage: Any) -> list[Line]:
    """The lines of one page in reading order as pdfium gives the characters."""
    import pypdfium2.raw as pdfium_c

    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    lines: list[Line] = []
    current = Line()
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    for index, char in enumerate(text):
        if char in "\r\n":
            continue
        if char in "\t\xa0":
            char = " "
        left, bottom, right, top = textpage.get_charbox(index, loose=True)
        height = top - bottom
        middle = (top + bottom) / 2
        new_line = current.sizes and not (current.bottom <= middle <= current.top)
        if new_line:
            lines.append(current)
            current = Line()
        if char == " ":
            if current.chars:
                current.chars.append(" ")
            continue
        if not current.sizes:
            current.top, current.bottom, current.left = top, bottom, left
        current.chars.append(char)
        current.sizes.append(round(height, 1))
        current.widths.append(right - left)
        pdfium_c.FPDFText_GetFontInfo(textpage.raw, index, name, len(name), ctypes.byref(flags))
        mono = bool(_MONOSPACE.search(name.value.decode("latin-1")))
        current.mono += mono
        if current.starts_mono is None and char.isalnum():
            current.starts_mono = mono
    if current.sizes:
        lines.append(current)
    return [line for line in lines if line.text]


def body_size(pages: list[list[Line]]) -> float:
    """The font size most of the document's characters are set in."""
    counts: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            counts[round(line.size)] += len(line.sizes)
    return counts.most_common(1)[0][0] if counts else 0.0


def page_text(lines: list[Line], body: float, *, slide: bool = False) -> str:
    """One page written for the cleaning stage (see the module docstring).

    On a slide (a landscape page) whose title is set no larger than its text, the first line is
    the title when it is short, ends without punctuation and the next line does not continue it.
    """
    out: list[str] = []
    in_code = False
    margin = 0.0
    previous: Line | None = None
    pitches = sorted(a.top - b.top for a, b in itertools.pairwise(lines) if a.top > b.top)
    pitch = pitches[len(pitches) // 2] if pitches else 0.0
    widest = max((len(line.text) for line in lines), default=0)
    for index, line in enumerate(lines):
        heading = (
            body > 0 and line.size >= body * _HEADING_RATIO and len(line.text) <= _HEADING_MAX_CHARS
        ) or (slide and index == 0 and _stands_alone(lines))
        gap = previous is not None and (
            previous.bottom - line.top > _PARAGRAPH_GAP * min(previous.size, line.size)
            or previous.top - line.top > _PARAGRAPH_PITCH * pitch > 0
            # a sentence ending well short of the column: the paragraph's last line
            or (previous.text[-1] in ".!?:" and len(previous.text) < _SHORT_LINE * widest)
        )
        if in_code and not line.is_code:
            out.append("```")
            in_code = False
        if heading and not line.is_code:
            if previous is not None and out and out[-1].startswith("# ") and not gap:
                out[-1] += f" {line.text}"  # a title set on two lines
            else:
                out += ["", f"# {line.text}", ""]
        elif line.is_code:
            if not in_code:
                out += ["", "```"]
                in_code = True
                margin = min(code.left for code in _code_run(lines, line))
            out.append(_code_line(line, margin))
        else:
            if gap:
                out.append("")
            out.append(line.text)
        previous = line
    if in_code:
        out.append("```")
    return "\n".join(out)


def _code_run(lines: list[Line], first: Line) -> list[Line]:
    """The consecutive code lines starting at ``first``."""
    run = []
    for line in lines[lines.index(first) :]:
        if not line.is_code:
            break
        run.append(line)
    return run


def _code_line(line: Line, margin: float) -> str:
    """A code line with its indentation, counted in the monospace font's character width."""
    width = line.char_width
    indent = round((line.left - margin) / width) if width > 0 else 0
    return " " * max(indent, 0) + "".join(line.chars).strip()


_SLIDE_TITLE_MAX_CHARS = 60


def _stands_alone(lines: list[Line]) -> bool:
    first = lines[0]
    following = lines[1].text if len(lines) > 1 else ""
    return (
        len(first.text) <= _SLIDE_TITLE_MAX_CHARS
        and first.text[-1] not in ".,;:?!"
        and not first.is_code
        and not following[:1].islower()
    )
