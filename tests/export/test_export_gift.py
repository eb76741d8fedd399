from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from export_samples import COURSE, QUESTIONS_PER_QUIZ, QUIZZES_PER_COURSE
from gift_reader import Question, moodle_post, moodle_pre, read_gift, short_answer_accepts

from flashgen.export import export_course
from flashgen.export.gift import category_path, escape, question_block
from flashgen.models import ChoiceQuestion, FillInBlankQuestion


@pytest.mark.parametrize(
    "text",
    ["a ~ b = c # d { e } f : g", "back\\slash \\: \\n and \\\\", "multi\nline", "::name::"],
)
def test_escaping_survives_moodles_import(text: str) -> None:
    prepared = moodle_pre(escape(text))
    assert not set("~=#{}:") & set(prepared)
    assert moodle_post(prepared) == text


@pytest.fixture
def blocks(output_dir: Path) -> list[str]:
    result = export_course(output_dir, COURSE, "gift")
    assert result.questions == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    assert result.warnings == [
        "6 categorization question(s) exported as matching questions (item -> category): "
        "GIFT has no categorization type"
    ]
    # Moodle separates questions by blank lines; none may hide inside a question.
    return result.path.read_text(encoding="utf-8").strip().split("\n\n")


def test_blocks_are_categories_and_questions(blocks: list[str]) -> None:
    categories = [b.removeprefix("$CATEGORY: ") for b in blocks if b.startswith("$CATEGORY:")]
    assert categories == [
        f"{COURSE}/{lecture}/Level {level}"
        for lecture in ("lec_1", "lec_2", "lec_10")
        for level in (1, 2)
    ]
    assert blocks[0].startswith("// Algorithms 101")
    questions = [b for b in blocks[1:] if not b.startswith("$CATEGORY:")]
    assert len(questions) == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    assert all(re.match(r"::[^\n]+::\[html\]", q) for q in questions)


def test_tricky_text_is_escaped(blocks: list[str]) -> None:
    mcq = next(b for b in blocks if b.startswith("::lec_1-L1-mcq::"))
    assert mcq.startswith(
        "::lec_1-L1-mcq::[html]Which sort is stable\\: a \\{b\\} \\~c \\=d \\#e \\:f?{\n"
    )
    prepared = moodle_pre(mcq)
    question_text = prepared[len("::lec_1-L1-mcq::[html]") : prepared.index("{")]
    assert moodle_post(question_text) == "Which sort is stable: a {b} ~c =d #e :f?"


def test_syntax_per_question_type(blocks: list[str]) -> None:
    by_type = {b.split("::")[1].rsplit("-", 1)[1]: b for b in blocks if b.startswith("::lec_2-L2")}
    assert by_type["mcq"].splitlines()[1:] == [
        "\t~Quicksort",
        "\t=Merge sort",
        "\t~Heapsort",
        "\t~Selection",
        "\t####Merge sort keeps equal keys in order.",
        "}",
    ]
    assert by_type["mca"].splitlines()[1:5] == [
        "\t~%50%Merge sort",
        "\t~%50%Heapsort",
        "\t~%-50%Quicksort",
        "\t~%-50%Bubble sort",
    ]
    assert "\\\\(O(n \\\\log n)\\\\)" in by_type["mca"]  # math delimiters, backslashes escaped
    assert by_type["tf"].splitlines()[1] == "\tTRUE"
    assert by_type["fib"] == (
        "::lec_2-L2-fib::[html]A sort that keeps equal keys in order is called "
        "{=stable =order-preserving ####That is the definition of stability.}."
    )
    assert by_type["match"].splitlines()[1:4] == [
        "\t=Merge sort -> O(n log n)",
        "\t=Bubble sort -> O(n^2)",
        "\t=Counting sort -&gt; k -> O(n + k)",  # the prompt's own arrow cannot split the pair
    ]
    assert by_type["cat"].splitlines()[1:4] == [
        "\t=Heapsort -> Unstable",
        "\t=Insertion sort -> Stable",
        "\t=Merge sort -> Stable",
    ]


def test_three_right_answers_share_the_credit() -> None:
    question = ChoiceQuestion(
        id="q",
        type="mca",
        question_text="Pick three",
        options={"A": "a", "B": "b", "C": "c", "D": "d"},
        correct_answer=["A", "C", "D"],
        explanation="x",
        difficulty_level=3,
        source_flashcard_ids=["c"],
    )
    weights = re.findall(r"~%(-?[\d.]+)%", question_block(question))
    assert weights == ["33.33333", "-100", "33.33333", "33.33333"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("____ sorts in place", "[html]{=heap ####x} sorts in place"),
        ("Math $a$ ____ $b$", "[html]Math \\\\(a\\\\) {=heap ####x} \\\\(b\\\\)"),
    ],
)
def test_missing_word_position(text: str, expected: str) -> None:
    question = FillInBlankQuestion(  # the model refuses a question without its blank
        id="q",
        type="fill_in_blank",
        question_text=text,
        accepted_answers=["heap"],
        explanation="x",
        difficulty_level=1,
        source_flashcard_ids=["c"],
    )
    assert question_block(question) == "::q::" + expected


def test_markup_is_shown_as_text_but_short_answers_stay_plain() -> None:
    question = FillInBlankQuestion(
        id="q",
        type="fill_in_blank",
        question_text="Is a<b & c? ____",
        accepted_answers=["a<b"],
        explanation="x",
        difficulty_level=1,
        source_flashcard_ids=["c"],
    )
    block = question_block(question)
    assert html.unescape(block.split("{")[0]) == "::q::[html]Is a<b & c? "
    assert "{=a<b " in block


def test_category_names_keep_their_slashes() -> None:
    assert category_path("c", "lec 1/2", "Level 1") == "c/lec 1//2/Level 1"


def weights(question: Question) -> dict[str, float]:
    return {answer.text: answer.weight for answer in question.answers}


def test_moodle_reads_every_question_as_its_type(output_dir: Path) -> None:
    content = export_course(output_dir, COURSE, "gift").path.read_text(encoding="utf-8")
    categories, questions = read_gift(content)
    assert len(categories) == QUIZZES_PER_COURSE
    kinds = {q.name.rsplit("-", 1)[1]: q.qtype for q in questions}
    assert kinds == {
        "mcq": "multichoice",
        "mca": "multichoice",
        "tf": "truefalse",
        "fib": "shortanswer",
        "match": "match",
        "cat": "match",
    }
    mcq = next(q for q in questions if q.name == "lec_1-L1-mcq")
    assert mcq.text == "Which sort is stable: a {b} ~c =d #e :f?"
    assert weights(mcq) == {"Quicksort": 0, "Merge sort": 1, "Heapsort": 0, "Selection": 0}
    match = next(q for q in questions if q.name == "lec_1-L1-match")
    assert match.pairs[2] == ("Counting sort -> k", "O(n + k)")


def fill_in(*answers: str) -> FillInBlankQuestion:
    return FillInBlankQuestion(
        id="q",
        type="fill_in_blank",
        question_text="Git moves HEAD along ____ when you commit.",
        accepted_answers=list(answers),
        explanation="A -> B means B follows A; 50% of people # forget.",
        difficulty_level=1,
        source_flashcard_ids=["c"],
    )


def test_an_arrow_in_a_short_answer_does_not_make_a_matching_question() -> None:
    (question,) = read_gift(question_block(fill_in("main -> feature", "a*b")))[1]

    assert question.qtype == "shortanswer"
    assert question.general_feedback == "A -> B means B follows A; 50% of people # forget."
    first, second = (answer.text for answer in question.answers)
    assert short_answer_accepts(first, "main -> feature")
    assert short_answer_accepts(second, "a*b") and not short_answer_accepts(second, "axb")


def test_a_leading_percentage_is_not_read_as_a_weight() -> None:
    (short,) = read_gift(question_block(fill_in("%25% of it", "%x")))[1]
    assert weights(short) == {"%25% of it": 1, "%x": 1}

    choice = ChoiceQuestion(
        id="q",
        type="mcq",
        question_text="How much?",
        options={"A": "%25% of cases", "B": "%100% always", "C": "none", "D": "half -> more"},
        correct_answer=["C"],
        explanation="x",
        difficulty_level=1,
        source_flashcard_ids=["c"],
    )
    (read,) = read_gift(question_block(choice))[1]
    assert read.qtype == "multichoice"
    assert weights(read) == {"%25% of cases": 0, "%100% always": 0, "none": 1, "half -> more": 0}
