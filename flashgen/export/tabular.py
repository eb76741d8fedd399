"""CSV and TSV: one row per card (front, back, tags, deck, guid), optionally per quiz question.

The file opens with Anki's file headers (https://docs.ankiweb.net/importing/text-files.html,
"File Headers") instead of a header row: without them Anki guesses the separator from the first
line (":" from an "Analogy:" label made 363 notes of 54 cards) and imports a header row as a
note. The headers fix the separator, say the text is not HTML (Anki then escapes ``<`` and ``&``
and keeps line breaks), name the columns and say which hold tags, deck and GUID. The GUID is
the item's stable identity (identity.py), so re-importing a regenerated file updates notes.
Other readers skip the ``#`` lines as comments, or see them as the first rows.

Plain UTF-8 by default. ``bom=True`` prepends a byte-order mark, without which Excel on Windows
decodes the file in the local code page.
"""

from __future__ import annotations

import csv
from pathlib import Path

from flashgen.export.base import ExportResult
from flashgen.export.identity import (
    card_identities,
    deck_name,
    note_guid,
    numbered,
    question_identity,
)
from flashgen.export.reader import CourseOutput, LectureOutput
from flashgen.export.render import card_back_parts, clean, tags
from flashgen.models import (
    ChoiceQuestion,
    FillInBlankQuestion,
    Flashcard,
    QuizQuestion,
    TrueFalseQuestion,
)

COLUMNS = ("Front", "Back", "Tags", "Deck", "GUID")
# Anki's names for the separators it accepts in "#separator:".
_SEPARATORS = {",": "Comma", "\t": "Tab"}


def write_table(
    course: CourseOutput,
    path: Path,
    result: ExportResult,
    *,
    delimiter: str = ",",
    include_questions: bool = False,
    bom: bool = False,
) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        # Anki skips a line starting with "#" as a comment: such a row is written quoted.
        quoted = csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_ALL)
        handle.write(_headers(delimiter))
        # "#columns:" is itself a row of the file, quoted by the same rules.
        writer.writerow([f"#columns:{COLUMNS[0]}", *COLUMNS[1:]])

        def write(row: list[str]) -> None:
            (quoted if row[0].startswith("#") else writer).writerow(row)

        for lecture in course.lectures:
            cards = lecture.flashcards.flashcards if lecture.flashcards else []
            questions = [
                (level, question)
                for level, quiz in (lecture.quizzes.items() if include_questions else [])
                for question in quiz.questions
            ]
            card_guids, question_guids = _guids(course.id, lecture, questions)
            deck = deck_name(course.name, lecture.id)
            for card, guid in zip(cards, card_guids, strict=True):
                write([*_card_row(card, course.id, lecture.id), deck, guid])
            for (level, question), guid in zip(questions, question_guids, strict=True):
                write([*_question_row(question, course.id, lecture.id, level), deck, guid])
            result.cards += len(cards)
            result.questions += len(questions)
            if cards or questions:
                result.lectures += 1


def _headers(delimiter: str) -> str:
    positions = {name: index + 1 for index, name in enumerate(COLUMNS)}
    lines = [
        f"#separator:{_SEPARATORS[delimiter]}",
        "#html:false",
        f"#tags column:{positions['Tags']}",
        f"#deck column:{positions['Deck']}",
        f"#guid column:{positions['GUID']}",
    ]
    # The csv module ends rows with \r\n; the header lines match so the file has one style.
    return "".join(f"{line}\r\n" for line in lines)


def _guids(
    course_id: str, lecture: LectureOutput, questions: list[tuple[int, QuizQuestion]]
) -> tuple[list[str], list[str]]:
    """The GUIDs of the lecture's cards and of its questions, in the order they are written."""
    cards = lecture.flashcards.flashcards if lecture.flashcards else []
    identities = card_identities(course_id, lecture.id, cards)
    # A card id listed twice would otherwise give two rows one GUID, and Anki one note.
    keys = numbered([identities[card.id] for card in cards])
    question_keys = numbered(
        question_identity(course_id, lecture.id, level, question, identities)
        for level, question in questions
    )
    return [note_guid(key) for key in keys], [note_guid(key) for key in question_keys]


def _card_row(card: Flashcard, course_id: str, lecture_id: str) -> list[str]:
    back = "\n\n".join(
        clean(text) if not label else f"{label}: {clean(text)}"
        for label, text in card_back_parts(card)
    )
    return [clean(card.question), back, " ".join(tags(course_id, lecture_id, card.context))]


def _question_row(question: QuizQuestion, course_id: str, lecture_id: str, level: int) -> list[str]:
    front, answer = _question_sides(question)
    back = f"{answer}\n\n{clean(question.explanation)}"
    labels = tags(course_id, lecture_id, f"level_{level}", question.type, *question.tags)
    return [front, back, " ".join(labels)]


def _question_sides(question: QuizQuestion) -> tuple[str, str]:
    text = clean(question.question_text)
    if isinstance(question, ChoiceQuestion):
        options = [f"{key}) {clean(value)}" for key, value in sorted(question.options.items())]
        hint = ["(Select all that apply.)"] if question.type == "mca" else []
        answer = [f"{key}) {clean(question.options[key])}" for key in question.correct_answer]
        return "\n".join([text, *hint, *options]), "\n".join(answer)
    if isinstance(question, TrueFalseQuestion):
        return f"{text}\n(True or false?)", "True" if question.correct_answer else "False"
    if isinstance(question, FillInBlankQuestion):
        return text, " / ".join(clean(a) for a in question.accepted_answers)
    pairs = [(clean(left), clean(right)) for left, right in question.match_pairs()]
    prompts = "\n".join(f"- {left}" for left, _ in pairs)
    choices = "; ".join(sorted({right for _, right in pairs}))
    return f"{text}\n{prompts}\nChoose from: {choices}", "\n".join(f"{a} → {b}" for a, b in pairs)
