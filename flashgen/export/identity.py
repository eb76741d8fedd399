"""Which exported note is "the same item" as last time, and when that item last changed.

Card and question ids hash their wording (flashgen/ids.py), so a teacher's rewording or a
regeneration gives a new id. Anki matches notes on their GUID: an id-based GUID would add a
second note beside the old one, and the student's review history stays with the stale one.

The identity used instead is what a regeneration of the same item keeps: course, lecture, card
type and the card's key term ("the key term the card is about", which the generators fill in),
compared without case, spacing or punctuation. Not the position in the chunk: the model orders
its cards freely, and deleting one card would shift every later one onto a neighbour's note.
Two cards of one type on the same term are told apart by their order among themselves only.
A card without a term falls back to its id. A quiz question (CSV/TSV with ``--questions``) is
identified by the identities of the cards it cites, its level and type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import genanki

from flashgen.models import Flashcard, OutputMetadata, QuizQuestion

_NOT_WORD = re.compile(r"[\W_]+")


def card_identities(course_id: str, lecture_id: str, cards: Iterable[Flashcard]) -> dict[str, str]:
    """Card id -> identity key, for the cards of one lecture in file order."""
    listed = list(cards)
    bases = [
        f"{course_id}/{lecture_id}/{card.type}/{term}"
        if (term := _normalise(card.term))
        else f"{course_id}/{lecture_id}/id/{card.id}"
        for card in listed
    ]
    identities: dict[str, str] = {}
    for card, key in zip(listed, numbered(bases), strict=True):
        identities.setdefault(card.id, key)
    return identities


def question_identity(
    course_id: str, lecture_id: str, level: int, question: QuizQuestion, cards: dict[str, str]
) -> str:
    """The question's level and type plus the identities of the cards it cites.

    Several questions of one type on the same cards are told apart by the caller's ordinal.
    """
    cited = sorted(cards.get(card_id, f"id/{card_id}") for card_id in question.source_flashcard_ids)
    return f"{course_id}/{lecture_id}/q{level}/{question.type}/" + "+".join(cited)


def numbered(keys: Iterable[str]) -> list[str]:
    """The keys with a ``#n`` suffix on the second and later repeats, so each is unique."""
    seen: Counter[str] = Counter()
    result = []
    for key in keys:
        seen[key] += 1
        result.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return result


def note_guid(identity: str) -> str:
    return str(genanki.guid_for("flashgen", identity))


def deck_name(*names: str) -> str:
    """An Anki deck path: "Course::lecture". "::" inside one name would invent an extra level."""
    return "::".join(" ".join(name.replace("::", ":").split()) or "flashgen" for name in names)


def changed_at(metadata: OutputMetadata) -> float | None:
    """When the file holding the item was last written, as a Unix time; None if unknown.

    The time a new or changed note gets (anki_history.py keeps an unchanged note's time). Not the
    course's newest time: that would make every note look changed after any one lecture was
    regenerated, and Anki overwrites a note on re-import whenever the incoming one is newer.
    """
    try:
        return datetime.fromisoformat(metadata.generated_at).timestamp()
    except ValueError:
        return None


def _normalise(text: str) -> str:
    # "Quick sort", "quicksort" and "Quicksort:" are one term.
    return _NOT_WORD.sub("", text.casefold())
