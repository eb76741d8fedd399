"""The offline generator: useful cards from definitional text, valid quizzes, determinism."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from flashgen.chunking import chunk_blocks
from flashgen.extract import extract
from flashgen.generation import GenerationContext
from flashgen.models import ChoiceQuestion, Chunk, Course, Flashcard, Lecture
from flashgen.offline import OfflineGenerator

FIXTURES = Path(__file__).parent / "fixtures"
COURSE = Course(id="cs", path=FIXTURES, name="Algorithms")
CTX = GenerationContext(COURSE, "lec", "English")


def chunk(text: str, index: int = 0) -> Chunk:
    return Chunk(lecture_id="lec", index=index, text=text)


async def cards_of(text: str) -> list[Flashcard]:
    return (await OfflineGenerator().flashcards(chunk(text), CTX)).items


async def test_definitional_sentences_become_cards() -> None:
    lecture = Lecture(id="lec", path=FIXTURES / "lecture_sorting.pdf", kind="pdf")
    [only] = chunk_blocks("lec", extract(lecture).blocks)
    cards = (await OfflineGenerator().flashcards(only, CTX)).items
    by_term = {card.term: card for card in cards}
    assert {
        "sorting algorithm",
        "stable sort",
        "quicksort",
        "comparison sort",
        "counting sort",
    } <= set(by_term)
    stable = by_term["stable sort"]
    assert stable.question == "What is a stable sort?"
    assert stable.answers.concise.startswith("A sort that preserves the relative order")
    assert stable.context == "Sorting algorithms" and stable.source.pages == [1]
    assert by_term["quicksort"].question == "What does quicksort refer to?"
    assert by_term["quicksort"].source.pages == [2]
    assert by_term["counting sort"].source.pages == [3]
    assert "median of three" in by_term["quicksort"].example


async def test_bullets_occurs_when_headings_and_cloze() -> None:
    text = (
        "# Hashing\n\nA hash table is a data structure that maps keys to values.\n"
        "- Load factor: the number of entries divided by the number of buckets.\n"
        "A collision occurs when two keys hash to the same bucket.\n\n"
        "# Resizing\n\nWhen the table grows, every key moves to a new bucket.\n\n"
        "Every hash table slows down when its buckets fill up."
    )
    cards = await cards_of(text)
    kinds = {card.term: card for card in cards}
    assert kinds["load factor"].answers.concise.startswith("The number of entries")
    assert kinds["collision"].question == "When does a collision occur?"
    assert kinds["Resizing"].type == "concept"
    assert "every key moves" in kinds["Resizing"].answers.concise
    cloze = [card for card in cards if card.type == "cloze"]
    assert cloze and "____" in cloze[0].question and cloze[0].answers.concise == "hash table"


async def test_every_facet_filled_and_scores_in_range() -> None:
    text = (Path(__file__).parents[1] / "courses/sample-course/lecture-01.md").read_text()
    cards = await cards_of(text)
    assert len(cards) >= 10
    assert len({card.id for card in cards}) == len(cards)
    for card in cards:
        assert all(value.strip() for value in card.answers.model_dump().values())
        assert 1 <= card.relevance_score.score <= 10


async def test_content_free_chunk_gives_no_cards() -> None:
    assert await cards_of("# Agenda\n\n") == []


async def test_same_input_same_output() -> None:
    text = (Path(__file__).parents[1] / "courses/sample-course/lecture-02.txt").read_text()
    first, second = await cards_of(text), await cards_of(text)
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]


@pytest.fixture
async def sample_cards() -> list[Flashcard]:
    cards: list[Flashcard] = []
    for name in ("lecture-01.md", "lecture-02.txt", "lecture-03.md"):
        text = (Path(__file__).parents[1] / "courses/sample-course" / name).read_text()
        cards += await cards_of(text)
    return cards


@pytest.mark.parametrize(("level", "share"), [(1, 0.05), (2, 0.30), (3, 0.50), (4, 0.70)])
async def test_quiz_levels_follow_the_mca_share(
    sample_cards: list[Flashcard], level: int, share: float
) -> None:
    result = await OfflineGenerator().quiz(sample_cards, level, CTX)
    questions = result.items
    assert len(questions) >= 0.9 * len(sample_cards)
    mca = sum(1 for q in questions if q.type == "mca") / len(questions)
    assert abs(mca - share) < 0.1
    card_ids = {card.id for card in sample_cards}
    for question in questions:
        assert question.difficulty_level == level
        assert set(question.source_flashcard_ids) <= card_ids


async def test_level_one_answer_is_the_cards_answer(sample_cards: list[Flashcard]) -> None:
    questions = (await OfflineGenerator().quiz(sample_cards, 1, CTX)).items
    by_id = {card.id: card for card in sample_cards}
    for question in questions:
        assert isinstance(question, ChoiceQuestion)
        if question.type == "mcq":
            card = by_id[question.source_flashcard_ids[0]]
            assert question.options[question.correct_answer[0]] == card.answers.concise
            distractors = [
                t for k, t in question.options.items() if k != question.correct_answer[0]
            ]
            other_answers = {c.answers.concise for c in sample_cards if c.id != card.id}
            assert set(distractors) <= other_answers


async def test_correct_letters_are_spread_evenly(sample_cards: list[Flashcard]) -> None:
    letters: Counter[str] = Counter()
    for level in (1, 2, 3):
        for question in (await OfflineGenerator().quiz(sample_cards, level, CTX)).items:
            if isinstance(question, ChoiceQuestion) and question.type == "mcq":
                letters.update(question.correct_answer)
    total = sum(letters.values())
    assert total > 60
    assert all(0.15 < letters[letter] / total < 0.35 for letter in "ABCD"), letters


async def test_too_few_cards_gives_no_quiz_and_says_why(sample_cards: list[Flashcard]) -> None:
    result = await OfflineGenerator().quiz(sample_cards[:3], 1, CTX)
    assert result.items == [] and "at least 4" in result.rejected[0].reason
