"""Output files: the fast serializer writes exactly the bytes json.dumps would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from flashgen.generate.validation import finalize_question
from flashgen.models import (
    Answers,
    CardSource,
    Flashcard,
    FlashcardFile,
    FlashcardMetadata,
    QuizFile,
    QuizMetadata,
    RelevanceScore,
)
from flashgen.output.store import OutputStore, output_json, to_json

# Escapes, quotes, non-ASCII, astral characters, separators JSON leaves alone.
TRICKY = 'é 漢字 😀 \u2028\u2029 \x7f \x00\x01\x1f \b\f\n\r\t "q" \\ / </script> \ud7ff\ue000\uffff'
META: dict[str, Any] = {
    "course_id": "bio",
    "course_name": f"Bio {TRICKY}",
    "lecture": "lec",
    "generated_at": "2026-01-01T00:00:00+00:00",
    "generator": "g",
    "model": "m",
}


def card(n: int, text: str = "") -> Flashcard:
    return Flashcard(
        id=f"lec-fc-{n}",
        type="concept",
        term=f"term {n}{text}",
        question=f"What is {n}?{text}",
        answers=Answers(
            concise=f"c{text}", analogy="a", eli5="e", real_world_use_case="r", common_mistakes="m"
        ),
        relevance_score=RelevanceScore(score=5, justification="j"),
        source=CardSource(lecture="lec", chunk=0, pages=[1, 2], slides=[]),
    )


def questions(text: str = "") -> list[Any]:
    base = {"explanation": f"Because{text}", "source_flashcard_ids": ["c1"], "tags": [text]}
    drafts: list[dict[str, Any]] = [
        {
            "type": "mcq",
            "question_text": f"Which organelle makes ATP?{text}",
            "options": {
                "A": "The nucleus",
                "B": "The mitochondrion",
                "C": "Ribosome",
                "D": f"Lysosome{text}",
            },
            "correct_answer": ["B"],
            "explanation": f"The mitochondrion makes ATP.{text}",
        },
        {"type": "true_false", "question_text": f"ATP is a sugar.{text}", "correct_answer": False},
        {
            "type": "fill_in_blank",
            "question_text": f"____ makes ATP{text}",
            "accepted_answers": [f"Mitochondria{text}"],
        },
        {
            "type": "matching",
            "question_text": f"Match them{text}",
            "pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": f"2{text}"}],
        },
        {
            "type": "categorization",
            "question_text": f"Sort them{text}",
            "categories": {"fruit": ["apple"], f"veg{text}": ["leek", "kale"]},
        },
    ]
    return [finalize_question("bio", "lec", 2, base | draft) for draft in drafts]


def quiz_file(items: list[Any]) -> QuizFile:
    metadata = QuizMetadata(
        **META,
        difficulty_level=2,
        level_name="Comprehension & Application",
        source_flashcards=3,
        total_questions=len(items),
        failed_tasks=[{"task": "lec/quiz/level-2/group-1", "error": TRICKY, "expected_items": 5}],
    )
    return QuizFile(metadata=metadata, questions=items)


def flashcard_file(cards: list[Flashcard]) -> FlashcardFile:
    metadata = FlashcardMetadata(**META, chunks_processed=1, total_cards=len(cards))
    return FlashcardFile(metadata=metadata, flashcards=cards)


@pytest.mark.parametrize(
    "content",
    [
        quiz_file(questions()),
        quiz_file(questions(TRICKY)),
        quiz_file(questions(TRICKY)[::-1] + questions()),
        quiz_file([]),
        flashcard_file([card(1), card(2, TRICKY)]),
        flashcard_file([]),
    ],
)
def test_output_bytes_are_json_dumps_bytes(content: BaseModel) -> None:
    assert isinstance(content, FlashcardFile | QuizFile)
    expected = to_json(content.model_dump(mode="json")).encode("utf-8")
    assert output_json(content) == expected


def test_saved_file_is_json_dumps_bytes(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, "bio")
    content = quiz_file(questions(TRICKY))
    assert store.save_quiz("lec", 2, content)
    written = store.quiz_path("lec", 2).read_bytes()
    assert written == to_json(content.model_dump(mode="json")).encode("utf-8")
    assert store.load_quiz("lec", 2) == content
    assert not store.save_quiz("lec", 2, content)  # unchanged: not rewritten


def _number_types(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        found = [schema["type"]] if schema.get("type") == "number" else []
        return found + [t for value in schema.values() for t in _number_types(value)]
    if isinstance(schema, list):
        return [t for value in schema for t in _number_types(value)]
    return []


@pytest.mark.parametrize("model", [FlashcardFile, QuizFile])
def test_output_files_hold_no_floats(model: type[BaseModel]) -> None:
    """pydantic-core and json.dumps write some floats differently (1e-7 against 1e-07): a float
    field in an output file needs output_json to change first."""
    assert _number_types(model.model_json_schema(mode="serialization")) == []


def test_a_lone_surrogate_fails_as_json_dumps_does() -> None:
    content = quiz_file(questions())
    content.metadata.course_name = "\ud800"
    with pytest.raises(UnicodeEncodeError):
        output_json(content)
    with pytest.raises(UnicodeEncodeError):
        json.dumps(content.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
