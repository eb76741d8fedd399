from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from export_samples import COURSE, QUESTIONS_PER_QUIZ, QUIZZES_PER_COURSE

from flashgen.export import export_course
from flashgen.export.gift import category_path, escape, question_block
from flashgen.models import ChoiceQuestion, FillInBlankQuestion

# Moodle's qformat_gift::escapedchar_pre/post, ported: how the importer undoes our escaping.
_MOODLE_ESCAPES = {"\\:": "\x01", "\\#": "\x02", "\\=": "\x03", "\\{": "\x04", "\\}": "\x05",
                   "\\~": "\x06", "\\n": "\x07"}  # fmt: skip


def moodle_pre(text: str) -> str:
    text = text.replace("\\\\", "\x00")
    for escaped, placeholder in _MOODLE_ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text.replace("\x00", "\\")


def moodle_post(text: str) -> str:
    for escaped, placeholder in _MOODLE_ESCAPES.items():
        text = text.replace(placeholder, "\n" if escaped == "\\n" else escaped[1])
    return text


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
