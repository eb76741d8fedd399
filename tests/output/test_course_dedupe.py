"""The course-wide dedupe reads the keys the store kept, and files only when it must."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

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
from flashgen.output.course_dedupe import FileKeys, dedupe_course, flashcard_keys
from flashgen.output.store import OutputStore

META: dict[str, Any] = {
    "course_id": "bio",
    "course_name": "Bio",
    "generated_at": "t",
    "generator": "g",
    "model": "m",
}


def card(ident: str, term: str, question: str, lecture: str) -> Flashcard:
    return Flashcard(
        id=ident,
        type="concept",
        term=term,
        question=question,
        answers=Answers(
            concise="It moves.", analogy="a", eli5="e", real_world_use_case="r", common_mistakes="m"
        ),
        relevance_score=RelevanceScore(score=5, justification="j"),
        source=CardSource(lecture=lecture, chunk=0),
    )


def question(lecture: str, text: str, sources: list[str]) -> Any:
    fields = {
        "type": "true_false",
        "question_text": text,
        "correct_answer": True,
        "explanation": "Because.",
        "source_flashcard_ids": sources,
    }
    return finalize_question("bio", lecture, 1, fields)


def save_course(root: Path) -> OutputStore:
    """lec_2 and lec_10 share an osmosis card (lec_10 loses it; its question about enzymes
    cites it and then cites lec_2's) and a question (lec_10 loses it)."""
    store = OutputStore(root, "bio")
    for lecture in ("lec_2", "lec_10"):
        cards = [card(f"{lecture}-osmosis", "osmosis", "What is osmosis?", lecture)]
        cards.append(card(f"{lecture}-enzyme", f"enzyme {lecture}", f"What is {lecture}?", lecture))
        store.save_flashcards(
            lecture,
            FlashcardFile(
                metadata=FlashcardMetadata(
                    **META, lecture=lecture, chunks_processed=1, total_cards=len(cards)
                ),
                flashcards=cards,
            ),
        )
        questions = [
            question(lecture, "Osmosis moves water.", [cards[0].id]),
            question(lecture, f"Enzymes of {lecture} speed reactions.", [c.id for c in cards]),
        ]
        store.save_quiz(
            lecture,
            1,
            QuizFile(
                metadata=QuizMetadata(
                    **META,
                    lecture=lecture,
                    difficulty_level=1,
                    level_name="Foundation",
                    source_flashcards=2,
                    total_questions=len(questions),
                ),
                questions=questions,
            ),
        )
    return store


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def test_saved_keys_give_what_reading_the_files_gives(tmp_path: Path) -> None:
    store = save_course(tmp_path / "kept")
    shutil.copytree(tmp_path / "kept", tmp_path / "read")
    fresh = OutputStore(tmp_path / "read", "bio")  # knows no keys: reads every file
    assert dedupe_course(store, store.lecture_ids()) == ["lec_10"]
    assert dedupe_course(fresh, fresh.lecture_ids()) == ["lec_10"]
    assert tree(tmp_path / "kept") == tree(tmp_path / "read")
    quiz = store.load_quiz("lec_10", 1)
    assert quiz is not None and [q.source_flashcard_ids for q in quiz.questions] == [
        ["lec_2-osmosis", "lec_10-enzyme"]
    ]
    assert dedupe_course(store, store.lecture_ids()) == []  # the rewrites' keys are kept too


def test_files_that_need_no_change_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = save_course(tmp_path)
    dedupe_course(store, store.lecture_ids())

    load_flashcards, load_quiz = store.load_flashcards, store.load_quiz

    def no_cards(lecture_id: str) -> FlashcardFile | None:
        assert not store.flashcards_path(lecture_id).exists(), "read a file the store saved"
        return load_flashcards(lecture_id)

    def no_quiz(lecture_id: str, level: int) -> QuizFile | None:
        assert not store.quiz_path(lecture_id, level).exists(), "read a file the store saved"
        return load_quiz(lecture_id, level)

    monkeypatch.setattr(store, "load_flashcards", no_cards)
    monkeypatch.setattr(store, "load_quiz", no_quiz)
    assert dedupe_course(store, store.lecture_ids()) == []


def test_a_file_changed_on_disk_is_read(tmp_path: Path) -> None:
    store = save_course(tmp_path)
    path = store.flashcards_path("lec_10")
    path.write_text(path.read_text().replace("osmosis", "diffusion"))  # no longer a duplicate
    assert store.saved_keys(path) is None
    assert dedupe_course(store, store.lecture_ids()) == ["lec_10"]  # only the question goes
    cards = store.load_flashcards("lec_10")
    assert cards is not None and len(cards.flashcards) == 2


def test_keys_that_no_longer_match_the_file_are_decided_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a file change between the check of its keys and its reading, what it says
    counts."""
    store = save_course(tmp_path)
    stale = flashcard_keys(
        [
            card("lec_10-osmosis", "osmosis", "What is osmosis?", "lec_10"),
            card("lec_10-other", "osmosis", "What is osmosis ?", "lec_10"),
        ]
    )
    path = store.flashcards_path("lec_10")
    real = store.saved_keys

    def saved_keys(at: Path) -> FileKeys | None:
        return stale if at == path else real(at)

    monkeypatch.setattr(store, "saved_keys", saved_keys)
    assert dedupe_course(store, store.lecture_ids()) == ["lec_10"]
    cards = store.load_flashcards("lec_10")
    assert cards is not None and [c.id for c in cards.flashcards] == ["lec_10-enzyme"]
