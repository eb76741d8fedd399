"""Speaker notes that only restate their slide.

Lecturers often paste the slide's sentences into the notes, reworded a little ("Models are
construction of reality and the way of explaining …" under "Models are the construction of
reality and a way of explaining …"). Kept, each such sentence is a second copy of the slide's
content: a duplicate card, or a quiz option that repeats another. A notes sentence that
matches a sentence of the slide closely (rapidfuzz, typos and small rewordings included) is
dropped; what the notes add stays.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

NOTES = "Speaker notes: "
RESTATED = 80  # rapidfuzz ratio (0–100) at which a notes sentence repeats a slide sentence
CONTAINED = 90  # partial ratio at which a notes sentence stands within the slide's text
_MIN_CONTAINED = 25  # characters: a short notes sentence ("Yes.") is not judged by containment
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _sentences(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text) if part.strip()]


def _restated(sentence: str, slide: list[str], slide_text: str) -> bool:
    low = sentence.casefold()
    if any(fuzz.ratio(low, other) >= RESTATED for other in slide):
        return True
    return len(low) >= _MIN_CONTAINED and fuzz.partial_ratio(low, slide_text) >= CONTAINED


def drop_restated_notes(text: str) -> str:
    """``text`` (one slide, cleaned) without the notes sentences that repeat the slide."""
    paragraphs = text.split("\n\n")
    notes = [p for p in paragraphs if p.startswith(NOTES)]
    if not notes:
        return text
    body = [p for p in paragraphs if not p.startswith(NOTES)]
    slide = [
        s.casefold() for p in body for line in p.split("\n") for s in _sentences(line.lstrip("#- "))
    ]
    slide_text = " ".join(slide)
    kept: list[str] = []
    for paragraph in paragraphs:
        if not paragraph.startswith(NOTES):
            kept.append(paragraph)
            continue
        said = [
            s for s in _sentences(paragraph[len(NOTES) :]) if not _restated(s, slide, slide_text)
        ]
        if said:
            kept.append(NOTES + " ".join(said))
    return "\n\n".join(kept)
