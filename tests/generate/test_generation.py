"""LLMGenerator: prompt → provider → parse → validate → re-ask, with a scripted provider."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flashgen.errors import FatalProviderError, GenerationError, TruncatedOutput
from flashgen.generate.base import GenerationContext
from flashgen.generate.llm import LLMGenerator
from flashgen.generate.mix import QuestionMix
from flashgen.generate.replies import parse_items
from flashgen.models import ChoiceQuestion, Chunk, Course, Flashcard, TaskKind
from flashgen.providers.base import Completion, CompletionRequest
from flashgen.run.scheduler import Scheduler
from tests.fakes import FakeProvider, card_json, question_json

COURSE = Course(id="bio", path=Path("bio"), name="Biology", code="BIO 1", textbook="Alberts")
CTX = GenerationContext(COURSE, "lec-1", "English")
CHUNK = Chunk(lecture_id="lec-1", index=2, text="Mitochondria produce energy.", pages=(3, 4))


def generator(provider: FakeProvider, corrections: int = 2) -> LLMGenerator:
    scheduler = Scheduler(provider, concurrency=2)
    return LLMGenerator(
        scheduler.complete, name="fake", model="fake-1", max_corrections=corrections
    )


def sent(request: CompletionRequest) -> str:
    """Everything a request sends the model, as one text."""
    return "\n".join([request.system, *(m.content for m in request.messages)])


async def test_cards_get_ids_sources_and_usage() -> None:
    provider = FakeProvider(script=[json.dumps({"flashcards": [card_json("mitochondria")]})])
    result = await generator(provider, corrections=0).flashcards(CHUNK, CTX)
    [card] = result.items
    assert card.id.startswith("lec-1-fc-")
    assert card.source.chunk == 2 and card.source.pages == [3, 4]
    assert result.usage.input_tokens == 100 and result.calls == 1
    request = provider.requests[0]
    assert "Biology" in request.system and "Alberts" in request.system
    assert "Write every card in English" in request.system
    assert "pages 3–4" in request.messages[0].content
    assert request.json_schema is not None


async def test_invalid_json_is_reasked_with_the_error_not_the_reply() -> None:
    good = json.dumps({"flashcards": [card_json("ribosome")]})
    provider = FakeProvider(script=["not json at all", good])
    result = await generator(provider).flashcards(CHUNK, CTX)
    assert [c.term for c in result.items] == ["ribosome"]
    assert result.calls == 2
    first, second = provider.requests
    # A fresh request: the same system text and chunk, then a note; the reply is not sent back.
    assert second.system == first.system and second.messages[0] == first.messages[0]
    assert [m.role for m in second.messages] == ["user", "user"]
    assert "not valid JSON" in second.messages[-1].content
    assert "not json at all" not in sent(second)


async def test_invalid_items_are_dropped_and_recorded() -> None:
    bad = card_json("x")
    bad["relevance_score"] = {"score": 42, "justification": "too high"}
    reply = json.dumps({"flashcards": [card_json("nucleus"), bad]})
    result = await generator(FakeProvider(script=[reply]), corrections=0).flashcards(CHUNK, CTX)
    assert [c.term for c in result.items] == ["nucleus"]
    assert len(result.rejected) == 1 and "score" in result.rejected[0].reason


async def test_a_dropped_card_is_asked_again_by_title_and_error_only() -> None:
    bad = card_json("golgi")
    bad["relevance_score"] = {"score": 42, "justification": "too high"}
    first = json.dumps({"flashcards": [card_json(t) for t in ("nucleus", "lysosome")] + [bad]})
    second = json.dumps({"flashcards": [card_json("golgi apparatus"), card_json("vacuole")]})
    provider = FakeProvider(script=[first, second])
    result = await generator(provider).flashcards(CHUNK, CTX)
    # 2 kept, 1 dropped (below the 4 wanted): the dropped one is asked again, plus a buffer
    # card, and the buffer is kept.
    assert [c.term for c in result.items] == ["nucleus", "lysosome", "golgi apparatus", "vacuole"]
    note = provider.requests[1].messages[-1].content
    assert "Write 2 new flashcards" in note and "nucleus; lysosome" in note
    assert "relevance_score.score" in note
    assert "What is nucleus?" not in sent(provider.requests[1])  # titles only, not the cards


async def test_a_chunk_with_fewer_valid_cards_than_the_minimum_is_not_pressed_for_more() -> None:
    provider = FakeProvider(script=[json.dumps({"flashcards": [card_json("nucleus")]})])
    result = await generator(provider).flashcards(CHUNK, CTX)
    assert len(result.items) == 1 and result.calls == 1


async def test_gives_up_after_bounded_corrections() -> None:
    provider = FakeProvider(script=["{}", "{}", "{}", "{}"])
    with pytest.raises(GenerationError) as info:
        await generator(provider, corrections=2).flashcards(CHUNK, CTX)
    assert info.value.attempts == 3 and len(provider.requests) == 3
    # the three attempts were paid for: the error carries what they cost
    assert info.value.calls == 3
    assert info.value.usage.output_tokens == 3 * 50
    assert info.value.usage.cost_usd == pytest.approx(0.003)


async def test_a_provider_error_after_paid_attempts_carries_their_usage() -> None:
    provider = FakeProvider(script=["{}", FatalProviderError("400 bad request")])
    with pytest.raises(FatalProviderError) as info:
        await generator(provider, corrections=2).flashcards(CHUNK, CTX)
    assert info.value.calls == 1 and info.value.usage.cost_usd == pytest.approx(0.001)


async def test_truncated_output_is_never_parsed() -> None:
    provider = FakeProvider(
        stop_reason="max_tokens", script=[json.dumps({"flashcards": [card_json("a")]})] * 5
    )
    with pytest.raises(TruncatedOutput) as info:
        await generator(provider).flashcards(CHUNK, CTX)
    # Cut off below the cap: the same request with twice the allowance, no correction spent;
    # cut off at the cap: the corrections, each saying why.
    assert [r.max_tokens for r in provider.requests][:3] == [2648, 5296, 8192]
    assert provider.requests[1].messages == provider.requests[2].messages
    assert len(provider.requests[2].messages) == 1
    assert "cut off" in provider.requests[3].messages[-1].content
    assert info.value.attempts == 5


async def test_empty_list_is_a_valid_answer_for_content_free_chunks() -> None:
    provider = FakeProvider(script=['```json\n{"flashcards": []}\n```'])
    result = await generator(provider).flashcards(CHUNK, CTX)
    assert result.items == [] and result.calls == 1


async def two_cards() -> list[Flashcard]:
    card_reply = json.dumps({"flashcards": [card_json(t) for t in ("alpha", "beta")]})
    provider = FakeProvider(script=[card_reply])
    return (await generator(provider, corrections=0).flashcards(CHUNK, CTX)).items


def quiz_generator(provider: FakeProvider, **options: Any) -> LLMGenerator:
    scheduler = Scheduler(provider, concurrency=2)
    return LLMGenerator(scheduler.complete, name="fake", model="fake-1", **options)


async def test_quiz_questions_cite_known_cards_and_are_shuffled() -> None:
    cards = await two_cards()
    questions = [question_json(cards[0].id, 1), question_json("made-up-id", 2)]
    provider = FakeProvider(script=[json.dumps({"questions": questions})])
    result = await quiz_generator(provider, questions_per_card=1, max_corrections=0).quiz(
        cards, 2, CTX
    )
    [question] = result.items
    assert question.difficulty_level == 2 and question.source_flashcard_ids == [cards[0].id]
    assert "none of the given flashcards" in result.rejected[0].reason
    request = provider.requests[0]
    assert "Level 2" in request.messages[-1].content and cards[0].id in request.messages[0].content
    assert isinstance(question, ChoiceQuestion)
    assert question.options[question.correct_answer[0]] == "right answer 1"
    assert f"Option {question.correct_answer[0]} is correct" in question.explanation


async def test_quiz_asks_a_buffer_and_keeps_it() -> None:
    cards = await two_cards()
    provider = FakeProvider(
        reply=lambda r: json.dumps(
            {"questions": [question_json(cards[n % 2].id, n) for n in range(12)]}
        )
    )
    result = await quiz_generator(provider, questions_per_card=5).quiz(cards, 1, CTX)
    level = provider.requests[0].messages[-1].content
    assert "Write 12 questions" in level  # 2 cards × 5 + a buffer of 2
    assert '11 of type "mcq", 1 of type "mca"' in level
    # The buffer was paid for and is valid: it is kept, not trimmed away.
    assert len(result.items) == 12 and result.calls == 1


async def test_a_reply_longer_than_asked_is_cut_to_what_was_asked() -> None:
    cards = await two_cards()
    many = [question_json(cards[n % 2].id, n) for n in range(20)]
    provider = FakeProvider(script=[json.dumps({"questions": many})])
    result = await quiz_generator(provider, questions_per_card=3).quiz(cards, 1, CTX)
    assert len(result.items) == 8


async def test_only_the_missing_count_is_re_asked() -> None:
    cards = await two_cards()
    good = [question_json(cards[0].id, n) for n in range(3)]
    bad = [{**question_json(cards[0].id, 9), "correct_answer": ["A", "B"]}]
    more = [question_json(cards[1].id, n) for n in range(10, 14)]
    provider = FakeProvider(
        script=[json.dumps({"questions": good + bad}), json.dumps({"questions": more})]
    )
    result = await quiz_generator(provider, questions_per_card=3).quiz(cards, 1, CTX)
    first, follow_up = provider.requests
    note = follow_up.messages[-1].content
    assert "Kept 3 questions" in note and "Write 4 new questions" in note
    assert "exactly one correct answer" in note
    assert 'Of these: 4 of type "mcq"' in note
    # The same prefix (system, cards, level), then the note; no reply resent.
    assert follow_up.messages[:2] == first.messages and follow_up.system == first.system
    assert follow_up.cache_key == first.cache_key
    assert "right answer 0" not in sent(follow_up)
    assert follow_up.max_tokens < first.max_tokens  # sized for the 4 asked
    assert len(result.items) == 7 and result.calls == 2  # 6 wanted + the re-ask's buffer


async def test_an_item_that_breaks_the_reader_in_any_way_costs_only_itself() -> None:
    cards = await two_cards()
    garbage: list[Any] = [
        None,
        42,
        "a question as a string",
        ["a", "list"],
        {"type": "mcq"},
        {**question_json(cards[0].id, 5), "options": None},
        {**question_json(cards[0].id, 6), "options": {"A": "x"}},
        {**question_json(cards[0].id, 7), "source_flashcard_ids": None},
        {**question_json(cards[0].id, 8), "options": {"B": "b", "C": "c", "D": "d", "E": "e"}},
    ]
    good = [question_json(cards[n % 2].id, n) for n in range(2)]
    provider = FakeProvider(script=[json.dumps({"questions": garbage + good})])
    result = await quiz_generator(provider, questions_per_card=1, max_corrections=0).quiz(
        cards, 1, CTX
    )
    assert len(result.items) == 2 and len(result.rejected) == len(garbage)
    assert all(r.reason for r in result.rejected)


async def test_reader_faults_other_than_value_errors_drop_the_item() -> None:
    from flashgen.generate.base import Generated
    from flashgen.generate.replies import Job, collect

    def build(raw: Any) -> str:
        if raw == "key":
            raise KeyError("A")
        if raw == "type":
            raise TypeError("unhashable")
        if raw == "attr":
            raise AttributeError("no options")
        return str(raw)

    job: Job[str] = Job(TaskKind.QUIZ, [], build, str, asked=4, want=4)
    result: Generated[str] = Generated(items=[])
    problem, errors = collect(json.dumps(["key", "type", "attr", "ok"]), job, result)
    assert result.items == ["ok"] and problem == ""
    assert [e.split(" (")[1].split(":")[0] for e in errors] == [
        "KeyError",
        "TypeError",
        "AttributeError",
    ]


async def test_types_not_asked_for_are_rejected_and_others_are_described() -> None:
    cards = await two_cards()
    true_false = {
        "type": "true_false",
        "question_text": "Alpha is a thing?",
        "correct_answer": True,
        "explanation": "It is.",
        "source_flashcard_ids": [cards[0].id],
        "tags": [],
    }
    matching = {
        "type": "matching",
        "question_text": "Match them.",
        "pairs": [{"left": "alpha", "right": "first"}, {"left": "beta", "right": "second"}],
        "explanation": "alpha: first; beta: second.",
        "source_flashcard_ids": [cards[0].id, cards[1].id],
        "tags": [],
    }
    provider = FakeProvider(script=[json.dumps({"questions": [true_false, matching]})])
    result = await quiz_generator(
        provider, questions_per_card=1, max_corrections=0, mix=QuestionMix(("mcq", "matching"))
    ).quiz(cards, 3, CTX)
    assert [q.type for q in result.items] == ["matching"]
    assert "was not asked for" in result.rejected[0].reason
    system = provider.requests[0].system
    assert '"matching": "pairs"' in system and '"true_false"' not in system


def test_parse_items_accepts_fences_and_bare_lists() -> None:
    assert parse_items('```json\n{"questions": [1]}\n```', "questions") == [1]
    assert parse_items("[1, 2]", "questions") == [1, 2]
    with pytest.raises(ValueError, match="form"):
        parse_items('{"other": []}', "questions")


@dataclass
class Verbose(FakeProvider):
    """A model whose replies take ``needs`` output tokens: cut off below that."""

    needs: int = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.stop_reason = "max_tokens" if request.max_tokens < self.needs else "end"
        return await super().complete(request)


async def test_requests_ask_for_what_their_items_need_within_the_cap() -> None:
    cards = await two_cards()
    provider = FakeProvider()
    gen = quiz_generator(provider, questions_per_card=3)
    await gen.flashcards(CHUNK, CTX)
    await gen.quiz(cards, 1, CTX)
    # 6 cards at 300 tokens and 8 questions (2 cards × 3 + 2) at 150, each × 1.4, + 128.
    assert [r.max_tokens for r in provider.requests] == [2648, 1808]

    capped = FakeProvider()
    await quiz_generator(capped, max_tokens=1000).flashcards(CHUNK, CTX)
    assert capped.requests[0].max_tokens == 1000


async def test_a_bigger_allowance_saves_a_cut_off_reply_without_a_correction() -> None:
    provider = Verbose(needs=5000)
    gen = generator(provider, corrections=0)
    before = gen.identity
    first = await gen.flashcards(CHUNK, CTX)
    assert first.items and first.calls == 2
    assert [r.max_tokens for r in provider.requests] == [2648, 5296]
    # Later requests of the kind start where the first needed to go; the cache key stays.
    await gen.flashcards(CHUNK, CTX)
    assert provider.requests[2].max_tokens == 5296
    assert gen.identity == before and before["max_tokens"] == 8192


async def test_a_reply_longer_than_the_cap_fails_the_task() -> None:
    provider = Verbose(needs=9000)
    with pytest.raises(TruncatedOutput):
        await generator(provider, corrections=0).flashcards(CHUNK, CTX)
    assert [r.max_tokens for r in provider.requests] == [2648, 5296, 8192]


async def test_quiz_replies_cut_off_get_a_bigger_allowance_too() -> None:
    cards = await two_cards()
    provider = Verbose(
        needs=3000,
        reply=lambda r: json.dumps(
            {"questions": [question_json(cards[n % 2].id, n) for n in range(8)]}
        ),
    )
    result = await quiz_generator(provider, questions_per_card=3, max_corrections=0).quiz(
        cards, 1, CTX
    )
    assert len(result.items) == 8 and result.calls == 2
    assert [r.max_tokens for r in provider.requests] == [1808, 3616]
