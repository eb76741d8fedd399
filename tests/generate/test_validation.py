"""Validators for every question type, dedupe thresholds, shuffling and the type mix."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from flashgen.generate.mix import allocate, assign, level_shares, parse_types
from flashgen.generate.validation import (
    dedupe,
    dedupe_cards,
    finalize_question,
    is_near_duplicate,
    normalise,
)
from flashgen.models import (
    Answers,
    CardSource,
    ChoiceQuestion,
    FlashcardFile,
    FlashcardMetadata,
    QuizFile,
    QuizMetadata,
    RelevanceScore,
)
from flashgen.models import Flashcard as Card
from flashgen.output.course_dedupe import dedupe_course
from flashgen.output.store import OutputStore


def choice(**changes: Any) -> dict[str, Any]:
    question = {
        "type": "mcq",
        "question_text": "Which organelle makes most of a cell's ATP?",
        "options": {
            "A": "The nucleus",
            "B": "The mitochondrion",
            "C": "The ribosome",
            "D": "The lysosome",
        },
        "correct_answer": ["B"],
        "explanation": "The mitochondrion makes ATP by cellular respiration.",
        "source_flashcard_ids": ["c1"],
        "tags": [],
    }
    return question | changes


def finalize(fields: dict[str, Any], level: int = 1) -> Any:
    return finalize_question("bio", "lec", level, fields)


def test_a_good_mcq_passes_and_keeps_its_answer() -> None:
    question = finalize(choice())
    assert isinstance(question, ChoiceQuestion)
    assert question.options[question.correct_answer[0]] == "The mitochondrion"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"correct_answer": ["A", "B"]}, "exactly one correct answer"),
        ({"correct_answer": []}, "distinct option letters"),
        ({"type": "mca"}, "at least two correct answers"),
        ({"type": "mca", "correct_answer": ["A", "B", "C", "D"]}, "at least one wrong"),
        ({"options": {"A": "x", "B": "y", "C": "z"}}, "exactly the keys A, B, C and D"),
        (
            {
                "options": {
                    "A": "Nucleus",
                    "B": "The mitochondrion",
                    "C": "nucleus!",
                    "D": "Lysosome",
                }
            },
            "distinct",
        ),
        (
            {
                "options": {
                    "A": "The nucleus",
                    "B": "The mitochondrion",
                    "C": " ",
                    "D": "The lysosome",
                }
            },
            "needs text",
        ),
        (
            {
                "options": {
                    "A": "The nucleus",
                    "B": "The mitochondrion",
                    "C": "The ribosome",
                    "D": "All of the above",
                }
            },
            "all/none of the above",
        ),
        ({"explanation": ""}, "at least 1 character"),
        ({"explanation": "Energy comes from food."}, "refer to the correct option"),
        ({"source_flashcard_ids": []}, "at least 1 item"),
    ],
)
def test_bad_choice_questions_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        finalize(choice(**changes))


def test_explanation_may_name_the_letter_and_follows_the_shuffle() -> None:
    question = finalize(choice(explanation="Option B is right: it respires."))
    letter = question.correct_answer[0]
    assert f"Option {letter} is right" in question.explanation


def other_type(kind: str, **changes: Any) -> dict[str, Any]:
    base = {
        "question_text": "Q ____ here?",
        "explanation": "Because.",
        "source_flashcard_ids": ["c1"],
        "tags": [],
        "type": kind,
    }
    extra: dict[str, dict[str, Any]] = {
        "true_false": {"correct_answer": False},
        "fill_in_blank": {"accepted_answers": ["word"]},
        "matching": {"pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "2"}]},
        "categorization": {"categories": {"fruit": ["apple"], "veg": ["leek"]}},
    }
    return base | extra[kind] | changes


@pytest.mark.parametrize("kind", ["true_false", "fill_in_blank", "matching", "categorization"])
def test_good_items_of_every_other_type(kind: str) -> None:
    assert finalize(other_type(kind)).type == kind


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("fill_in_blank", {"question_text": "No blank?"}, "exactly one blank"),
        ("fill_in_blank", {"question_text": "____ and ____"}, "exactly one blank"),
        ("fill_in_blank", {"accepted_answers": []}, "at least 1 item"),
        ("fill_in_blank", {"accepted_answers": [" "]}, "must not be empty"),
        (
            "matching",
            {"pairs": [{"left": "a", "right": "1"}, {"left": "A", "right": "2"}]},
            "one-to-one",
        ),
        (
            "matching",
            {"pairs": [{"left": "a", "right": "1"}, {"left": "b", "right": "1 "}]},
            "one-to-one",
        ),
        ("matching", {"pairs": [{"left": "a", "right": "1"}]}, "at least 2 items"),
        (
            "categorization",
            {"categories": {"fruit": ["apple"], "veg": ["Apple"]}},
            "exactly one category",
        ),
        ("categorization", {"categories": {"fruit": ["apple"], "veg": []}}, "at least one item"),
        ("categorization", {"categories": {"fruit": ["apple"]}}, "at least 2 items"),
        ("true_false", {"correct_answer": "maybe"}, "valid boolean"),
    ],
)
def test_bad_items_of_other_types(kind: str, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        finalize(other_type(kind, **changes))


def test_correct_letters_are_uniform_over_a_large_set() -> None:
    letters: Counter[str] = Counter()
    for n in range(2000):
        fields = choice(
            question_text=f"Question number {n} about cells?",
            explanation="The mitochondrion is correct.",
        )
        letters.update(finalize(fields).correct_answer)
    assert all(440 < letters[letter] < 560 for letter in "ABCD"), letters


def test_the_same_question_is_shuffled_the_same_way_every_time() -> None:
    assert finalize(choice()) == finalize(choice())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is a stable sort?", "What is a stable sort"),
        ("What is the load factor of a hash table?", "what is the load-factor of a hash table?"),
        (
            "Which enzyme unwinds DNA at the replication fork?",
            "Which enzyme unwinds the DNA at the replication fork?",
        ),
    ],
)
def test_pairs_that_must_merge(a: str, b: str) -> None:
    assert is_near_duplicate(normalise(a), normalise(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is a stable sort?", "What is an unstable sort?"),
        ("What is mitosis?", "What is meiosis?"),
        ("What does helicase do?", "What does helicase do at the replication fork in bacteria?"),
        ("Which organelle stores DNA?", "Which organelle digests worn-out parts?"),
    ],
)
def test_pairs_that_must_not_merge(a: str, b: str) -> None:
    assert not is_near_duplicate(normalise(a), normalise(b))


def card(card_id: str, term: str, question: str, lecture: str = "lec") -> Card:
    return Card(
        id=card_id,
        type="definition",
        term=term,
        question=question,
        answers=Answers(
            concise=f"{term} answer.",
            analogy="a",
            eli5="b",
            real_world_use_case="c",
            common_mistakes="d",
        ),
        relevance_score=RelevanceScore(score=5, justification="j"),
        source=CardSource(lecture=lecture, chunk=0),
    )


def test_dedupe_keeps_the_earlier_card() -> None:
    kept, dropped = dedupe_cards(
        [
            card("1", "osmosis", "What is osmosis?"),
            card("2", "diffusion", "What is diffusion?"),
            card("3", "osmosis", "What is osmosis ?"),
        ]
    )
    assert [c.id for c in kept] == ["1", "2"] and [c.id for c in dropped] == ["3"]


@pytest.mark.parametrize("longer_first", [True, False])
def test_dedupe_drops_exactly_what_the_pairwise_rule_calls_a_duplicate(longer_first: bool) -> None:
    """The length window that spares most comparisons must never skip a pair the rule merges:
    a text and the same text with as many characters added as the threshold allows (the edge
    of the window), in either order, at many lengths."""
    rng = random.Random(5)
    for length in range(40, 1500, 13):
        short = "".join(rng.choice("abcdefghij") for _ in range(length))
        added = next(m for m in range(length, 0, -1) if is_near_duplicate(short, short + "k" * m))
        for extra in (added, added + 1):
            pair = [short + "k" * extra, short] if longer_first else [short, short + "k" * extra]
            _, dropped = dedupe(pair, lambda t: t, lambda t: t)
            merged = is_near_duplicate(pair[0], pair[1])
            assert merged == (extra == added)
            assert (len(dropped) == 1) == merged, (length, extra)


def test_the_suffix_pass_never_misses_a_duplicate() -> None:
    """Texts around the length where the ends are compared first (62 to 1,400 characters), each
    against the same text with random typos: the dedupe merges exactly the pairs the pairwise
    rule merges, and there are hundreds of each."""
    rng = random.Random(11)
    merged = apart = 0
    for _ in range(1500):
        length = rng.choice((62, 66, 70, 100, 160, 300, 700, 1400))
        text = " ".join(
            "".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(2, 9)))
            for _ in range(length // 5)
        )[:length]
        typo = list(text)
        for _ in range(rng.randint(0, max(1, length // 12))):
            at = rng.randrange(len(typo))
            if rng.random() < 0.5:
                del typo[at]
            else:
                typo.insert(at, rng.choice("xyz "))
        pair = ["".join(typo), text] if rng.random() < 0.5 else [text, "".join(typo)]
        duplicate = is_near_duplicate(normalise(pair[0]), normalise(pair[1]))  # the rule, in full
        _, dropped = dedupe(pair, lambda t: t, lambda t: t)
        assert (len(dropped) == 1) == duplicate, pair
        merged += duplicate
        apart += not duplicate
    assert merged > 300 and apart > 300


def test_duplicates_across_lectures_keep_the_earlier_lecture(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, "bio")
    meta: dict[str, Any] = {
        "course_id": "bio",
        "course_name": "Bio",
        "generated_at": "t",
        "generator": "g",
        "model": "m",
    }
    for lecture, ids in (("lec_10", ["b1", "b2"]), ("lec_2", ["a1"])):
        cards = [card(ids[0], "osmosis", "What is osmosis?", lecture)]
        if len(ids) > 1:
            cards.append(card(ids[1], "enzyme", "What is an enzyme?", lecture))
        store.save_flashcards(
            lecture,
            FlashcardFile(
                metadata=FlashcardMetadata(
                    **meta, lecture=lecture, chunks_processed=1, total_cards=len(cards)
                ),
                flashcards=cards,
            ),
        )
        question = finalize(choice(source_flashcard_ids=[ids[0]]))
        store.save_quiz(
            lecture,
            1,
            QuizFile(
                metadata=QuizMetadata(
                    **meta,
                    lecture=lecture,
                    difficulty_level=1,
                    level_name="Foundation",
                    source_flashcards=1,
                    total_questions=1,
                ),
                questions=[question],
            ),
        )
    assert store.lecture_ids() == ["lec_2", "lec_10"]
    assert dedupe_course(store, store.lecture_ids()) == ["lec_10"]
    later = store.load_flashcards("lec_10")
    assert later is not None and [c.id for c in later.flashcards] == ["b2"]
    assert later.metadata.total_cards == 1
    quiz = json.loads(store.quiz_path("lec_10", 1).read_text())
    assert quiz["questions"] == []  # the same question as lec_2's
    assert dedupe_course(store, store.lecture_ids()) == []  # idempotent


def test_type_mix_allocation_is_exact_and_stable() -> None:
    assert allocate(level_shares(1), 20) == {"mcq": 19, "mca": 1}
    assert allocate(level_shares(4), 10) == {"mcq": 3, "mca": 7}
    shares = level_shares(2, parse_types("mcq,mca,true_false,matching"))
    assert sum(allocate(shares, 17).values()) == 17
    assert allocate(shares, 20)["true_false"] == 2
    ids = [f"card-{n}" for n in range(40)]
    assert Counter(assign(ids, level_shares(3), 3).values()) == {"mcq": 20, "mca": 20}
    assert assign(ids, level_shares(3), 3) == assign(list(reversed(ids)), level_shares(3), 3)
    with pytest.raises(ValueError, match="unknown question type"):
        parse_types("mcq,essay")
