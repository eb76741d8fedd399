"""LLMGenerator: prompt → provider → parse → validate → re-ask, with a scripted provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flashgen.errors import GenerationError, TruncatedOutput
from flashgen.generation import GenerationContext, LLMGenerator, parse_items
from flashgen.models import Chunk, Course
from flashgen.scheduler import Scheduler
from tests.fakes import FakeProvider, card_json, question_json

COURSE = Course(id="bio", path=Path("bio"), name="Biology", code="BIO 1", textbook="Alberts")
CTX = GenerationContext(COURSE, "lec-1", "English")
CHUNK = Chunk(lecture_id="lec-1", index=2, text="Mitochondria produce energy.", pages=(3, 4))


def generator(provider: FakeProvider, corrections: int = 2) -> LLMGenerator:
    scheduler = Scheduler(provider, concurrency=2)
    return LLMGenerator(
        scheduler.complete, name="fake", model="fake-1", max_corrections=corrections
    )


async def test_cards_get_ids_sources_and_usage() -> None:
    provider = FakeProvider(script=[json.dumps({"flashcards": [card_json("mitochondria")]})])
    result = await generator(provider).flashcards(CHUNK, CTX)
    [card] = result.items
    assert card.id.startswith("lec-1-fc-")
    assert card.source.chunk == 2 and card.source.pages == [3, 4]
    assert result.usage.input_tokens == 100 and result.calls == 1
    prompt = provider.requests[0].messages[0].content
    assert "Biology" in prompt and "Alberts" in prompt and "pages 3–4" in prompt
    assert provider.requests[0].json_schema is not None


async def test_invalid_json_is_reasked_with_the_error() -> None:
    good = json.dumps({"flashcards": [card_json("ribosome")]})
    provider = FakeProvider(script=["not json at all", good])
    result = await generator(provider).flashcards(CHUNK, CTX)
    assert [c.term for c in result.items] == ["ribosome"]
    assert result.calls == 2
    second = provider.requests[1].messages
    assert second[1].role == "assistant" and second[1].content == "not json at all"
    assert "not valid JSON" in second[2].content


async def test_invalid_items_are_dropped_and_recorded() -> None:
    bad = card_json("x")
    bad["relevance_score"] = {"score": 42, "justification": "too high"}
    reply = json.dumps({"flashcards": [card_json("nucleus"), bad]})
    result = await generator(FakeProvider(script=[reply])).flashcards(CHUNK, CTX)
    assert [c.term for c in result.items] == ["nucleus"]
    assert len(result.rejected) == 1 and "score" in result.rejected[0].reason


async def test_gives_up_after_bounded_corrections() -> None:
    provider = FakeProvider(script=["{}", "{}", "{}", "{}"])
    with pytest.raises(GenerationError) as info:
        await generator(provider, corrections=2).flashcards(CHUNK, CTX)
    assert info.value.attempts == 3 and len(provider.requests) == 3


async def test_truncated_output_is_never_parsed() -> None:
    provider = FakeProvider(
        stop_reason="max_tokens", script=[json.dumps({"flashcards": [card_json("a")]})] * 3
    )
    with pytest.raises(TruncatedOutput):
        await generator(provider).flashcards(CHUNK, CTX)
    assert "cut off" in provider.requests[1].messages[-1].content


async def test_empty_list_is_a_valid_answer_for_content_free_chunks() -> None:
    provider = FakeProvider(script=['```json\n{"flashcards": []}\n```'])
    result = await generator(provider).flashcards(CHUNK, CTX)
    assert result.items == [] and result.calls == 1


async def test_quiz_questions_cite_known_cards_and_are_shuffled() -> None:
    card_reply = json.dumps({"flashcards": [card_json(t) for t in ("alpha", "beta")]})
    cards = (await generator(FakeProvider(script=[card_reply])).flashcards(CHUNK, CTX)).items
    questions = [question_json(cards[0].id, 1), question_json("made-up-id", 2)]
    provider = FakeProvider(script=[json.dumps({"questions": questions})])
    result = await generator(provider).quiz(cards, 2, CTX)
    [question] = result.items
    assert question.difficulty_level == 2 and question.source_flashcard_ids == [cards[0].id]
    assert "none of the given flashcards" in result.rejected[0].reason
    prompt = provider.requests[0].messages[0].content
    assert "Level 2" in prompt and cards[0].id in prompt
    assert question.options[question.correct_answer[0]] == "right answer 1"
    assert f"Option {question.correct_answer[0]} is correct" in question.explanation


def test_parse_items_accepts_fences_and_bare_lists() -> None:
    assert parse_items('```json\n{"questions": [1]}\n```', "questions") == [1]
    assert parse_items("[1, 2]", "questions") == [1, 2]
    with pytest.raises(ValueError, match="form"):
        parse_items('{"other": []}', "questions")
