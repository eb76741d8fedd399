"""The task cache database: hits, keys, schema version, corruption, interruption signals."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import pytest

from flashgen.errors import ConfigError
from flashgen.models import Answers, CardSource, Chunk, Course, Flashcard, RelevanceScore
from flashgen.output.cache import TaskCache, TaskKeys, task_key
from flashgen.run.interrupt import RunControl


def test_put_get_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    cache = TaskCache(path)
    cache.put("k1", "flashcards", "lec/flashcards/chunk-0", [{"id": "a"}])
    cache.close()
    reopened = TaskCache(path)
    assert reopened.get("k1") == [{"id": "a"}]
    assert reopened.get("other") is None and len(reopened) == 1
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_models_are_stored_as_their_json_mode_dump(tmp_path: Path) -> None:
    """Items go in as models and come back as what ``model_dump(mode="json")`` gives (the form
    the coordinator validates cached results from), non-ASCII text kept as it is."""
    cards = [_card(1, "énergie — ∆G"), _card(2, 'a "quoted" \\ back\nslash')]
    cache = TaskCache(tmp_path / "c.sqlite3")
    cache.put("k", "flashcards", "lec/flashcards/chunk-0", cards)
    assert cache.get("k") == [card.model_dump(mode="json") for card in cards]
    stored = sqlite3.connect(tmp_path / "c.sqlite3").execute("SELECT result FROM results")
    assert "énergie — ∆G" in stored.fetchone()[0]


def test_keys_change_with_anything_that_changes_the_result() -> None:
    base = task_key({"model": "m", "prompt_version": "1"}, "English", "text")
    assert base == task_key({"prompt_version": "1", "model": "m"}, "English", "text")
    assert base != task_key({"model": "m2", "prompt_version": "1"}, "English", "text")
    assert base != task_key({"model": "m", "prompt_version": "2"}, "English", "text")
    assert base != task_key({"model": "m", "prompt_version": "1"}, "French", "text")
    assert base != task_key({"model": "m", "prompt_version": "1"}, "English", "text!")


def test_a_corrupt_database_names_the_file_to_delete(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError) as info:
        TaskCache(path)
    assert str(path) in info.value.hint and "delete" in info.value.hint


def test_a_newer_schema_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    TaskCache(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(ConfigError, match="schema version 99"):
        TaskCache(path)


async def test_sigint_asks_the_run_to_stop() -> None:
    control = RunControl(grace=0.01)
    with control.signals_handled():
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.05)
        assert control.stopping
        # A second signal cancels the calls and the run itself: the process exits at once.
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(asyncio.CancelledError):
            await asyncio.sleep(0.05)
        asyncio.current_task().uncancel()  # type: ignore[union-attr]


def _card(n: int, text: str) -> Flashcard:
    return Flashcard(
        id=f"lec-fc-{n}",
        type="concept",
        term=f"térm {n}",
        question=f"What is {text}?",
        answers=Answers(
            concise=text, analogy="a", eli5="e", real_world_use_case="r", common_mistakes="m"
        ),
        relevance_score=RelevanceScore(score=5, justification="j"),
        source=CardSource(lecture="lec", chunk=n % 2, pages=[n, n + 1]),
    )


class _Generator:
    identity: ClassVar[dict[str, Any]] = {
        "model": "m",
        "temperature": 0.3,
        "question_types": ["mcq", "true_false"],
        "mca_percent": {"2": 30.0, "1": 0.0},
    }


def flashcard_key(
    generator: _Generator, course: Course, language: str, lecture_id: str, chunk: Chunk
) -> str:
    """The cache key format caches written so far use: TaskKeys must keep giving it, or every
    cached task would be generated again."""
    course_data = course.model_dump(mode="json", exclude={"path"})
    chunk_data = chunk.model_dump(mode="json")
    return task_key(generator.identity, course_data, language, "flashcards", lecture_id, chunk_data)


def quiz_key(
    generator: _Generator,
    course: Course,
    language: str,
    lecture_id: str,
    level: int,
    cards: list[Flashcard],
) -> str:
    course_data = course.model_dump(mode="json", exclude={"path"})
    cards_data = [card.model_dump(mode="json") for card in cards]
    return task_key(
        generator.identity, course_data, language, "quiz", lecture_id, level, cards_data
    )


@pytest.mark.parametrize(("language", "remembered"), [("English", 4096), ("Deutsch ä", 2)])
def test_task_keys_are_the_coordinator_keys(
    language: str, remembered: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TaskKeys, "_REMEMBERED_CARDS", remembered)
    course = Course(id="bio", path=Path("/x"), name='Bio "1" — ü', code="B1", textbook="T\n")
    generator = _Generator()
    keys = TaskKeys(generator.identity, course, language)
    chunk = Chunk(lecture_id="lec", index=2, text="Σ text\n", pages=(3,), starts=((0, 3),))
    expected = flashcard_key(generator, course, language, "lec", chunk)
    assert keys.flashcards("lec", chunk) == expected
    cards = [_card(n, text) for n, text in enumerate(["osmosis", "a\\b", "😀", "x\x00y", " "])]
    for level in (1, 4):
        for group in (cards[:3], cards[3:], cards[:1], [], cards[::-1]):
            expected = quiz_key(generator, course, language, "lec", level, group)
            assert keys.quiz("lec", level, group) == expected
            assert keys.quiz("lec", level, group) == expected  # from the remembered cards
