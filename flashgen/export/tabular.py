"""CSV and TSV: one row per card (front, back, tags), optionally one per quiz question too.

Plain UTF-8 by default, which Anki, Quizlet and most scripts read as is. ``bom=True`` prepends a
byte-order mark, without which Excel on Windows decodes the file in the local code page.
"""

from __future__ import annotations

import csv
from pathlib import Path

from flashgen.export.base import ExportResult
from flashgen.export.reader import CourseOutput
from flashgen.export.render import card_back_parts, clean, match_pairs, tags
from flashgen.models import (
    ChoiceQuestion,
    FillInBlankQuestion,
    Flashcard,
    QuizQuestion,
    TrueFalseQuestion,
)

HEADER = ("front", "back", "tags")


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
        writer.writerow(HEADER)
        for lecture in course.lectures:
            cards = lecture.flashcards.flashcards if lecture.flashcards else []
            questions = [
                (level, question)
                for level, quiz in (lecture.quizzes.items() if include_questions else [])
                for question in quiz.questions
            ]
            writer.writerows(_card_row(card, course.id, lecture.id) for card in cards)
            writer.writerows(_question_row(q, course.id, lecture.id, lvl) for lvl, q in questions)
            result.cards += len(cards)
            result.questions += len(questions)
            if cards or questions:
                result.lectures += 1


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
    pairs = [(clean(left), clean(right)) for left, right in match_pairs(question)]
    prompts = "\n".join(f"- {left}" for left, _ in pairs)
    choices = "; ".join(sorted({right for _, right in pairs}))
    return f"{text}\n{prompts}\nChoose from: {choices}", "\n".join(f"{a} → {b}" for a, b in pairs)
