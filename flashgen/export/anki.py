"""Anki package (.apkg): one deck per course, a sub-deck per lecture, one note per flashcard.

Re-importing an updated export updates notes instead of duplicating them, because every id Anki
matches on is derived from flashgen's own ids: the note GUID from course and card id, deck ids
from course and lecture, the model id from a fixed name.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import genanki

from flashgen.export.base import ExportResult
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
    course_deck = genanki.Deck(stable_int(f"flashgen:deck:{course.id}"), _deck_name(course.name))
    decks = [course_deck]
    seen: dict[str, str] = {}
    for lecture in course.lectures:
        if lecture.flashcards is None or not lecture.flashcards.flashcards:
            continue
        deck = genanki.Deck(
            stable_int(f"flashgen:deck:{course.id}/{lecture.id}"),
            f"{_deck_name(course.name)}::{_deck_name(lecture.id)}",
        )
        for card in lecture.flashcards.flashcards:
            guid = genanki.guid_for(course.id, card.id)
            if guid in seen:
                result.skip(
                    f"{lecture.id} card {card.id}", f"duplicate card id (also in {seen[guid]})"
                )
                continue
            seen[guid] = lecture.id
            deck.add_note(
                _note(card, guid, tags(course.id, lecture.id, card.context), result.cards)
            )
            result.cards += 1
        decks.append(deck)
        result.lectures += 1
    raw = path.with_name(path.name + ".raw")
    try:
        genanki.Package(decks).write_to_file(str(raw), timestamp=_timestamp(course))
        _repack(raw, path)
    finally:
        raw.unlink(missing_ok=True)


def _note(card: Flashcard, guid: str, labels: list[str], due: int) -> genanki.Note:
    return genanki.Note(
        model=MODEL,
        fields=[to_html(card.question), _back(card)],
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


def _deck_name(name: str) -> str:
    # "::" separates sub-decks in Anki; inside one name it would invent an extra level.
    return " ".join(name.replace("::", ":").split()) or "flashgen"


def _timestamp(course: CourseOutput) -> float | None:
    """When the newest flashcards were generated, used as the notes' creation and change time.

    genanki defaults to now, which makes every export differ and, because Anki only overwrites a
    note with a newer one, would clobber a student's own edits on each re-import. ``None`` (no
    parsable ``generated_at``) falls back to genanki's now.
    """
    stamps = []
    for lecture in course.lectures:
        if lecture.flashcards is None:
            continue
        try:
            stamps.append(datetime.fromisoformat(lecture.flashcards.metadata.generated_at))
        except ValueError:
            continue
    return max(s.timestamp() for s in stamps) if stamps else None


def _repack(source: Path, target: Path) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as out:
        for entry in src.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, src.read(entry))
