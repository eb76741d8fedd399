"""Sample course output built from the real models, with every question type and awkward text.

Imported by the export tests (pytest puts this folder on sys.path); the fixture is in conftest.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from flashgen.models import (
    LEVEL_NAMES,
    Answers,
    CardSource,
    CategorizationQuestion,
    ChoiceQuestion,
    FillInBlankQuestion,
    Flashcard,
    FlashcardFile,
    FlashcardMetadata,
    MatchingQuestion,
    MatchPair,
    QuizFile,
    QuizMetadata,
    QuizQuestion,
    RelevanceScore,
    TrueFalseQuestion,
)

COURSE = "algo-101"
COURSE_NAME = "Algorithms 101"
# Deliberately out of order: exports must list lec_2 before lec_10.
LECTURES = ("lec_10", "lec_1", "lec_2")
TRICKY = 'Say "hi", then\nnew line; ünïcödé ✓ and a, comma'


def bare_card(lecture: str, index: int) -> Flashcard:
    """A card as the offline generator writes one: the facets it cannot fill are absent."""
    full = card(lecture, index)
    return full.model_copy(
        update={
            "id": f"{full.id}-bare",
            "answers": Answers(concise=f"Term {index} is what {lecture} defines."),
            "example": "",
        }
    )


def card(lecture: str, index: int, question: str | None = None) -> Flashcard:
    return Flashcard(
        id=f"{COURSE}-{lecture}-c{index}",
        type="concept",
        term=f"Concept {index}",
        question=question or f"What is concept {index} of {lecture}?",
        answers=Answers(
            concise=f"Concept {index} is $x^2$ for {lecture}.",
            analogy="Like sorting socks.",
            eli5="You put small things first.",
            real_world_use_case="Databases cost $5 and $10 to run.",
            common_mistakes="Forgetting <b>edge</b> cases & ties.",
        ),
        context="Sorting algorithms",
        example="[3, 1, 2] -> [1, 2, 3]",
        relevance_score=RelevanceScore(score=8, justification="core"),
        source=CardSource(lecture=lecture, chunk=index, pages=[index + 1]),
    )


def questions(lecture: str, level: int) -> list[QuizQuestion]:
    base = f"{lecture}-L{level}"
    common = {"difficulty_level": level, "source_flashcard_ids": [f"{COURSE}-{lecture}-c0"]}
    return [
        ChoiceQuestion(
            id=f"{base}-mcq",
            type="mcq",
            question_text="Which sort is stable: a {b} ~c =d #e :f?",
            options={"A": "Quicksort", "B": "Merge sort", "C": "Heapsort", "D": "Selection"},
            correct_answer=["B"],
            explanation="Merge sort keeps equal keys in order.",
            tags=["stability"],
            **common,
        ),
        ChoiceQuestion(
            id=f"{base}-mca",
            type="mca",
            question_text="Which run in $O(n \\log n)$ worst case?",
            options={"A": "Merge sort", "B": "Heapsort", "C": "Quicksort", "D": "Bubble sort"},
            correct_answer=["A", "B"],
            explanation="Quicksort degrades to $O(n^2)$.",
            **common,
        ),
        TrueFalseQuestion(
            id=f"{base}-tf",
            type="true_false",
            question_text="Insertion sort is stable.",
            correct_answer=True,
            explanation="It only moves an element past larger ones.",
            **common,
        ),
        FillInBlankQuestion(
            id=f"{base}-fib",
            type="fill_in_blank",
            question_text="A sort that keeps equal keys in order is called ____.",
            accepted_answers=["stable", "order-preserving"],
            explanation="That is the definition of stability.",
            **common,
        ),
        MatchingQuestion(
            id=f"{base}-match",
            type="matching",
            question_text="Match each algorithm with its worst case.",
            pairs=[
                MatchPair(left="Merge sort", right="O(n log n)"),
                MatchPair(left="Bubble sort", right="O(n^2)"),
                MatchPair(left="Counting sort -> k", right="O(n + k)"),
            ],
            explanation="Worst cases differ.",
            **common,
        ),
        CategorizationQuestion(
            id=f"{base}-cat",
            type="categorization",
            question_text="Sort these into stable and unstable.",
            categories={"Stable": ["Merge sort", "Insertion sort"], "Unstable": ["Heapsort"]},
            explanation="Stability depends on how equal keys move.",
            **common,
        ),
    ]


def flashcard_file(lecture: str, cards: list[Flashcard]) -> FlashcardFile:
    return FlashcardFile(
        metadata=FlashcardMetadata(
            course_id=COURSE,
            course_name=COURSE_NAME,
            lecture=lecture,
            generated_at="2026-01-02T03:04:05+00:00",
            generator="offline",
            model="offline",
            chunks_processed=2,
            total_cards=len(cards),
        ),
        flashcards=cards,
    )


def quiz_file(lecture: str, level: int, items: list[QuizQuestion]) -> QuizFile:
    return QuizFile(
        metadata=QuizMetadata(
            course_id=COURSE,
            course_name=COURSE_NAME,
            lecture=lecture,
            generated_at="2026-01-02T03:04:05+00:00",
            generator="offline",
            model="offline",
            difficulty_level=level,
            level_name=LEVEL_NAMES[level],
            source_flashcards=2,
            total_questions=len(items),
        ),
        questions=items,
    )


def read_table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV/TSV export as Anki reads it: the "#key:value" file headers, then the rows named by
    "#columns:". Returns (header lines, rows)."""
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines(keepends=True)
    count = next(i for i, line in enumerate(lines) if line.startswith("#columns:")) + 1
    delimiter = "\t" if "#separator:Tab" in lines[0] else ","
    names = next(csv.reader([lines[count - 1].removeprefix("#columns:")], delimiter=delimiter))
    body = io.StringIO("".join(lines[count:]), newline="")
    rows = list(csv.DictReader(body, fieldnames=names, delimiter=delimiter))
    return [line.rstrip("\r\n") for line in lines[:count]], rows


def write_model(path: Path, model: FlashcardFile | QuizFile) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.model_dump_json(indent=2), encoding="utf-8")


def write_raw(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


CARDS_PER_COURSE = 2 * len(LECTURES)
QUESTIONS_PER_QUIZ = len(questions("lec_1", 1))  # one of each type
QUIZZES_PER_COURSE = 2 * len(LECTURES)


def write_course(root: Path) -> Path:
    """Three lectures, two cards each (one tricky), quiz levels 1 and 2 (3 and 4 not generated)."""
    course_dir = root / COURSE
    for lecture in LECTURES:
        cards = [card(lecture, 0, question=TRICKY), card(lecture, 1)]
        write_model(course_dir / lecture / "flashcards.json", flashcard_file(lecture, cards))
        for level in (1, 2):
            quiz = quiz_file(lecture, level, questions(lecture, level))
            write_model(course_dir / lecture / f"quiz_level_{level}.json", quiz)
    # Things a real run leaves beside the lectures, none of which is a lecture.
    (course_dir / "run_report.json").write_text("{}", encoding="utf-8")
    (course_dir / "cache.sqlite3").write_bytes(b"SQLite format 3\x00")
    (course_dir / "notes").mkdir()
    return root
