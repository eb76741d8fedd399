"""Anki package (.apkg): one deck per course, a sub-deck per lecture, one note per flashcard.

Re-importing an updated export updates notes instead of duplicating them, because every id Anki
matches on is stable: the note GUID from the card's identity (identity.py: course, lecture, type
and key term, so a reworded or regenerated card updates its note), deck ids from course and
lecture, the model id from a fixed name. Each note's modification time is when that card last
changed (anki_history.py): Anki only overwrites a note with a newer one, so a re-import leaves a
student's edits of unchanged cards alone.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import genanki

from flashgen.export.anki_history import content, note_time, previous_notes
from flashgen.export.base import ExportResult
from flashgen.export.identity import card_identities, changed_at, deck_name, note_guid
from flashgen.export.reader import CourseOutput
from flashgen.export.render import card_back_parts, stable_int, tags, to_html
from flashgen.models import Flashcard

# Bump the version when fields or templates change: Anki refuses to merge notes into a model whose
# fields differ, so a changed layout needs a new model id.
MODEL_KEY = "flashgen:model:basic:v1"

_CSS = """\
.card { font-family: sans-serif; font-size: 20px; text-align: left; }
.concise { font-weight: bold; margin-bottom: 0.8em; }
.part { margin: 0.4em 0; }
.label { font-weight: bold; color: #555; }
.source { font-size: 0.7em; color: #888; margin-top: 1em; }
"""

MODEL = genanki.Model(
    model_id=stable_int(MODEL_KEY),
    name="flashgen (front/back)",
    fields=[{"name": "Front"}, {"name": "Back"}],
    templates=[
        {
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        }
    ],
    css=_CSS,
)

# A zip entry stores a modification time; pinning it keeps an unchanged export byte-identical.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_anki(course: CourseOutput, path: Path, result: ExportResult) -> None:
    course_deck = genanki.Deck(stable_int(f"flashgen:deck:{course.id}"), deck_name(course.name))
    decks = [course_deck]
    seen: dict[str, str] = {}
    times: list[float] = []
    # result.path is where the export lands; ``path`` is only the temporary file beside it.
    history = previous_notes(result.path)
    for lecture in course.lectures:
        if lecture.flashcards is None or not lecture.flashcards.flashcards:
            continue
        deck = genanki.Deck(
            stable_int(f"flashgen:deck:{course.id}/{lecture.id}"),
            deck_name(course.name, lecture.id),
        )
        changed = changed_at(lecture.flashcards.metadata)
        identities = card_identities(course.id, lecture.id, lecture.flashcards.flashcards)
        for card in lecture.flashcards.flashcards:
            if card.id in seen:
                result.skip(
                    f"{lecture.id} card {card.id}", f"duplicate card id (also in {seen[card.id]})"
                )
                continue
            seen[card.id] = lecture.id
            labels = tags(course.id, lecture.id, card.context)
            guid = note_guid(identities[card.id])
            fields = [to_html(card.question), _back(card)]
            own = note_time(history.get(guid), content(fields, labels), changed)
            deck.add_note(_note(fields, guid, labels, result.cards, own))
            result.cards += 1
        decks.append(deck)
        times.extend([changed] if changed is not None else [])
        result.lectures += 1
    raw = path.with_name(path.name + ".raw")
    try:
        # The package time only seeds note and card row ids (Anki matches notes on GUID) and
        # dates the model; the newest lecture keeps an unchanged export byte-identical.
        genanki.Package(decks).write_to_file(str(raw), timestamp=max(times, default=None))
        _repack(raw, path)
    finally:
        raw.unlink(missing_ok=True)


class _DatedNote(genanki.Note):  # type: ignore[misc]
    """A note with its own modification time; genanki gives every note the package's time."""

    def __init__(self, changed: float | None, **fields: Any) -> None:
        super().__init__(**fields)
        self.changed = changed

    def write_to_db(self, cursor: Any, timestamp: float, deck_id: int, id_gen: Any) -> None:
        own = timestamp if self.changed is None else self.changed
        super().write_to_db(cursor, own, deck_id, id_gen)


def _note(
    fields: list[str], guid: str, labels: list[str], due: int, changed: float | None
) -> genanki.Note:
    return _DatedNote(
        changed,
        model=MODEL,
        fields=fields,
        tags=labels,
        guid=guid,
        # New cards are studied in due order; this keeps the lecture's order instead of Anki's.
        due=due,
    )


def _back(card: Flashcard) -> str:
    parts = []
    for label, text in card_back_parts(card):
        if not label:
            parts.append(f'<div class="concise">{to_html(text)}</div>')
        elif label == "Source":
            parts.append(f'<div class="source">{to_html(text)}</div>')
        else:
            parts.append(
                f'<div class="part"><span class="label">{label}:</span> {to_html(text)}</div>'
            )
    return "\n".join(parts)


def _repack(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for entry in src.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, src.read(entry))
