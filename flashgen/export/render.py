"""Format-neutral pieces the exporters share: text clean-up, math, tags, stable ids, card parts."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable

from flashgen.ids import digest
from flashgen.models import CardSource, Flashcard, PairedQuestion, QuizQuestion

# C0 controls other than tab and newline: invalid in XML 1.0, and \x1f is Anki's field separator.
# PDF extraction leaves form feeds (\x0c) behind, so they do turn up.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Pandoc's tex_math_dollars rule: an opening $ is followed by a non-space, a closing $ follows a
# non-space and is not followed by a digit. That leaves prices alone ("$5 and $10", "$5-$10"),
# and a backslash-escaped \$ is a literal dollar. Escapes inside math are consumed by (\\.) so
# they never end it.
_MATH = re.compile(
    r"""
      (?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$
    | (?<![\\$])\$(?P<inline>(?![\s$])(?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)
    | \\(?P<dollar>\$)
    """,
    re.VERBOSE | re.DOTALL,
)


def clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def to_mathjax(text: str) -> str:
    """``$x$`` → ``\\(x\\)`` and ``$$x$$`` → ``\\[x\\]``, the delimiters Anki, Moodle and Canvas
    render; an escaped ``\\$`` becomes a plain ``$``."""

    def replace(match: re.Match[str]) -> str:
        if match["display"] is not None:
            return rf"\[{match['display']}\]"
        if match["inline"] is not None:
            return rf"\({match['inline']}\)"
        return "$"

    return _MATH.sub(replace, text)


def to_html(text: str) -> str:
    """Plain generated text as an HTML fragment: math delimiters converted, markup escaped."""
    return html.escape(to_mathjax(clean(text)).strip(), quote=False).replace("\n", "<br>")


def tag(text: str, limit: int = 64) -> str:
    """A tag usable by Anki (no spaces) and readable elsewhere; empty when nothing is left."""
    return re.sub(r"\s+", "_", clean(text).strip())[:limit].strip("_")


def tags(*values: str) -> list[str]:
    return list(dict.fromkeys(t for t in (tag(v) for v in values) if t))


def stable_int(key: str, low: int = 1 << 30, high: int = 1 << 31) -> int:
    """A fixed integer in [low, high) for ``key``: genanki's advice for model and deck ids, and
    re-imports must land on the same model and decks."""
    return low + int(digest(key, length=16), 16) % (high - low)


def stable_ident(*parts: object) -> str:
    """An XML-safe identifier (letter first, 32 hex) that is the same on every export."""
    return "g" + digest(*(str(part) for part in parts), length=32)


def source_label(source: CardSource) -> str:
    parts = [source.lecture, f"chunk {source.chunk}"]
    if source.pages:
        parts.append(("page " if len(source.pages) == 1 else "pages ") + _numbers(source.pages))
    if source.slides:
        parts.append(("slide " if len(source.slides) == 1 else "slides ") + _numbers(source.slides))
    return ", ".join(parts)


def _numbers(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def card_back_parts(card: Flashcard) -> list[tuple[str, str]]:
    """(label, text) in reading order; the concise answer comes first and carries no label.
    Facets the generator left absent (None) are left out, as are empty ones."""
    answers = card.answers
    parts: list[tuple[str, str | None]] = [
        ("", answers.concise),
        ("Analogy", answers.analogy),
        ("Explain like I'm five", answers.eli5),
        ("Real-world use", answers.real_world_use_case),
        ("Common mistakes", answers.common_mistakes),
        ("Example", card.example),
        ("Context", card.context),
        ("Source", source_label(card.source)),
    ]
    return [(label, text) for label, text in parts if text and text.strip()]


def paired_warnings(questions: Iterable[QuizQuestion], lacking: str) -> list[str]:
    """One warning per question type a format gets as matching pairs instead of its own
    (``PairedQuestion.pairs_note``); ``lacking`` names the format, as in "GIFT has"."""
    counts = Counter(
        (q.type, q.pairs_note) for q in questions if isinstance(q, PairedQuestion) and q.pairs_note
    )
    return [
        f"{count} {kind} question(s) exported as matching questions ({note}): "
        f"{lacking} no {kind} type"
        for (kind, note), count in counts.items()
    ]
