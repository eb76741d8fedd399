"""The offline generator: useful cards from definitional text, valid quizzes, determinism."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from flashgen.generate.base import GenerationContext
from flashgen.generate.offline.generator import OfflineGenerator
from flashgen.ingest.chunking import chunk_blocks
from flashgen.ingest.extract import extract
from flashgen.models import ChoiceQuestion, Chunk, Course, Flashcard, Lecture

FIXTURES = Path(__file__).parents[1] / "fixtures"
COURSE = Course(id="cs", path=FIXTURES, name="Algorithms")
CTX = GenerationContext(COURSE, "lec", "English")


def chunk(text: str, index: int = 0) -> Chunk:
    return Chunk(lecture_id="lec", index=index, text=text)


async def cards_of(text: str) -> list[Flashcard]:
    return (await OfflineGenerator().flashcards(chunk(text), CTX)).items


async def definitions_of(text: str) -> tuple[list[Flashcard], dict[str, Flashcard]]:
    """All cards, and the definition cards by term."""
    cards = await cards_of(text)
    return cards, {card.term: card for card in cards if card.type != "cloze"}


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


async def test_only_real_definitions_become_cards_with_their_heading_path() -> None:
    text = (
        "# Hashing\n\n## Tables\n\nA hash table is a data structure that maps keys to values.\n\n"
        "- Load factor: the number of entries divided by the number of buckets.\n\n"
        "This is a structure that everyone likes.\n\n"
        "- Title: Hashing in practice\n\n"
        "# Resizing\n\nWhen the table grows, every key moves to a new bucket.\n\n"
        "Every hash table slows down when its buckets fill up and must grow."
    )
    cards, by_term = await definitions_of(text)
    table = by_term["hash table"]
    assert table.question == "What is a hash table?"
    assert table.answers.concise == "A data structure that maps keys to values."
    assert table.context == "Hashing › Tables"
    assert by_term["Load factor"].question == "What is meant by “Load factor”?"
    assert by_term["Load factor"].answers.concise.startswith("The number of entries")
    # no pronoun, document part or heading-only "concept" cards
    assert set(by_term) == {"hash table", "Load factor"}
    [cloze] = [card for card in cards if card.type == "cloze"]
    assert cloze.question.startswith("Fill in the blank: Every ____ slows down")
    assert cloze.answers.concise == "hash table"


async def test_facets_come_from_the_text_or_stay_absent() -> None:
    text = (
        "# Transport\n\nOsmosis is the diffusion of water across a membrane.\n\n"
        "For example, a red blood cell in pure water swells.\n\n"
        "A common mistake is to think that osmosis needs energy from the cell.\n\n"
        "Diffusion is the net movement of particles down a concentration gradient."
    )
    _, by_term = await definitions_of(text)
    osmosis, diffusion = by_term["osmosis"], by_term["diffusion"]
    assert osmosis.example == "For example, a red blood cell in pure water swells."
    assert osmosis.answers.common_mistakes == (
        "A common mistake is to think that osmosis needs energy from the cell."
    )
    assert osmosis.answers.eli5 is None and osmosis.answers.analogy is None
    assert diffusion.example == "" and diffusion.answers.common_mistakes is None
    assert "eli5" not in diffusion.answers.model_dump(mode="json")


async def test_cut_lines_and_markup_give_no_cards() -> None:
    text = (
        "Natural selection is the process by which individuals with heritable traits better\n"
        "suited to their\n\n"
        "permalink: /linear-classify/\n\n"
        "A layer is a <div class='x'>block</div> of neurons in the network.\n\n"
        "The gradient is a \\left( vector \\right) of partial derivatives of the loss."
    )
    assert await cards_of(text) == []


async def test_german_text_gets_german_questions() -> None:
    text = (
        "# Exceptions\n\n"
        "Ein Error ist ein Fehler im System, von dem man sich nicht erholen kann.\n\n"
        "Unter einer Exception versteht man einen Fehlerfall, auf den das Programm "
        "reagieren kann.\n\n"
        "Der Compiler prüft, ob die Methode jede Exception deklariert oder behandelt."
    )
    cards, by_term = await definitions_of(text)
    assert by_term["Error"].question == "Was ist ein Error?"
    assert by_term["Exception"].question == "Was versteht man unter Exception?"
    [cloze] = [card for card in cards if card.type == "cloze"]
    assert cloze.question.startswith("Ergänzen Sie die Lücke:")


async def test_languages_without_templates_get_cloze_cards_only() -> None:
    text = (
        "Системный подход – построение и анализ криптосистем на основе криптографических "
        "примитивов.\n\nСовременный подход – построение и анализ криптосистем на основе "
        "абстрактных моделей."
    )
    cards = await cards_of(text)
    assert cards and all(card.type == "cloze" for card in cards)
    assert cards[0].question.startswith("____ – построение")
    result = await OfflineGenerator().quiz(cards, 1, CTX)
    assert result.items == [] and "language" in result.rejected[0].reason


async def test_content_free_chunk_gives_no_cards() -> None:
    assert await cards_of("# Agenda\n\n") == []


async def test_same_input_same_output() -> None:
    text = (Path(__file__).parents[2] / "courses/sample-course/lecture-02.txt").read_text()
    first, second = await cards_of(text), await cards_of(text)
    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]


@pytest.fixture
async def sample_cards() -> list[Flashcard]:
    cards: list[Flashcard] = []
    for name in ("lecture-01.md", "lecture-02.txt", "lecture-03.md"):
        text = (Path(__file__).parents[2] / "courses/sample-course" / name).read_text()
        cards += await cards_of(text)
    return cards


@pytest.mark.parametrize(("level", "share"), [(1, 0.05), (2, 0.30), (3, 0.50), (4, 0.70)])
async def test_quiz_levels_follow_the_mca_share(
    sample_cards: list[Flashcard], level: int, share: float
) -> None:
    result = await OfflineGenerator().quiz(sample_cards, level, CTX)
    questions = result.items
    definitions = [card for card in sample_cards if card.type != "cloze"]
    assert len(questions) >= 0.6 * len(definitions)
    mca = sum(1 for q in questions if q.type == "mca") / len(questions)
    assert abs(mca - share) < 0.12
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


async def test_levels_two_to_four_use_their_own_designs(sample_cards: list[Flashcard]) -> None:
    terms = {card.term for card in sample_cards}
    level_2 = (await OfflineGenerator().quiz(sample_cards, 2, CTX)).items
    single = [q for q in level_2 if isinstance(q, ChoiceQuestion) and q.type == "mcq"]
    assert single and all(set(q.options.values()) <= terms for q in single)
    level_3 = (await OfflineGenerator().quiz(sample_cards, 3, CTX)).items
    assert {q.question_text for q in level_3 if q.type == "mcq"} == {
        "Exactly one of these statements is false. Which one?"
    }
    level_4 = (await OfflineGenerator().quiz(sample_cards, 4, CTX)).items
    ordered = [q for q in level_4 if isinstance(q, ChoiceQuestion) and q.type == "mcq"]
    assert ordered and all("in this order" in q.question_text for q in ordered)
    for question in ordered:
        # every term appears in exactly two options: counting fragments gives nothing away
        parts = Counter(p for text in question.options.values() for p in text.split("; "))
        assert set(parts.values()) == {2}


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
    assert result.items == [] and "too few for a level-1 quiz" in result.rejected[0].reason


def test_a_lecture_with_little_to_show_is_reported_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three definitions make cards but no quiz; a page of chatter makes nothing. Neither is
    called complete: the files, the run summary and `flashgen status` say "empty" and why."""
    from typer.testing import CliRunner

    from flashgen.cli import app

    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    course = tmp_path / "courses" / "tiny"
    course.mkdir(parents=True)
    (course / "few.md").write_text(
        "# Sorting\n\nA stable sort is a sort that keeps equal keys in their input order.\n\n"
        "Quicksort is a divide-and-conquer sort that partitions around a pivot.\n\n"
        "A heap is a tree in which every parent is at least as large as its children.\n"
    )
    (course / "chatter.md").write_text("# Welcome\n\nHello everyone, see you on Monday.\n")
    out = tmp_path / "out"
    args = ["--courses-dir", str(tmp_path / "courses"), "-o", str(out)]
    result = CliRunner().invoke(app, ["run", "tiny", *args, "--plain"])
    assert result.exit_code == 0, result.output
    assert "empty few: 3 cards, no questions at level 1, 2, 3, 4" in result.output
    assert "empty chatter: no cards" in result.output
    cards = json.loads((out / "tiny" / "few" / "flashcards.json").read_text())
    assert cards["metadata"]["status"] == "complete" and cards["metadata"]["schema_version"] == 2
    quiz = json.loads((out / "tiny" / "few" / "quiz_level_1.json").read_text())["metadata"]
    assert quiz["status"] == "empty"
    assert quiz["note"] == "empty: 3 cards, no level-1 questions from them"
    chatter = json.loads((out / "tiny" / "chatter" / "flashcards.json").read_text())["metadata"]
    assert (
        chatter["status"] == "empty" and chatter["note"] == "empty: no cards from 1 chunk of text"
    )
    report = json.loads((out / "tiny" / "run_report.json").read_text())
    assert report["lectures"]["chatter"]["status"] == "empty"
    status = CliRunner().invoke(app, ["status", "tiny", *args])
    assert status.exit_code == 0
    assert "empty: no cards" in status.output
    assert "no questions at level 1, 2, 3, 4" in " ".join(status.output.split())


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("The cell is the unit of life and it is small.", "English", "en"),
        (
            "Eine Exception ist ein Fehlerfall, auf den man in dem Programm reagieren kann, "
            "und der Compiler prüft das nicht immer.",
            "English",
            "de",
        ),
        ("Системный подход – построение и анализ криптосистем.", "English", "ru"),
        ("The cell is the unit of life.", "Deutsch", "de"),
        ("The cell is the unit of life.", "fr", "fr"),
    ],
)
def test_language_from_course_toml_or_the_text(text: str, declared: str, expected: str) -> None:
    """course.toml's language wins unless it is the default (English): then the text decides."""
    from flashgen.generate.offline.text import detect_language

    assert detect_language(text, declared) == expected


async def test_a_short_lecture_takes_distractors_from_the_course() -> None:
    """One definition in the lecture, the rest of the course read up front: level 1 and 2 get
    a question whose options come from the course, citing only the lecture's own card; the
    result does not depend on anything but the course's text, which is in the cache identity."""
    course_text = (
        "# Sorting\n\nA stable sort is a sort that keeps equal keys in their input order.\n\n"
        "Quicksort is a divide-and-conquer sort that partitions the input around a pivot.\n\n"
        "A heap is a tree in which every parent is at least as large as its children.\n\n"
        "A hash table is a data structure that maps keys to values through a hash function.\n"
    )
    short = "# Search\n\nBinary search is a method that halves a sorted range at every step.\n"
    chunks = {
        "lec": [chunk(short)],
        "other": [Chunk(lecture_id="other", index=0, text=course_text)],
    }
    generator = OfflineGenerator(course_chunks=chunks)
    own = (await generator.flashcards(chunk(short), CTX)).items
    assert [c.term for c in own] == ["binary search"]
    for level in (1, 2):
        [question] = (await generator.quiz(own, level, CTX)).items
        assert question.source_flashcard_ids == [own[0].id]
        assert isinstance(question, ChoiceQuestion)
        options = set(question.options.values())
        course_terms = {"stable sort", "quicksort", "heap", "hash table"}
        if level == 1:
            assert "A method that halves a sorted range at every step." in options
        else:
            assert "binary search" in options and len(options & course_terms) == 3
    alone = await OfflineGenerator().quiz(own, 1, CTX)
    assert alone.items == [] and "too few for a level-1 quiz" in alone.rejected[0].reason
    changed = {**chunks, "other": [Chunk(lecture_id="other", index=0, text=course_text + "x")]}
    assert OfflineGenerator(course_chunks=changed).identity != generator.identity
    assert OfflineGenerator(course_chunks=dict(reversed(chunks.items()))).identity == (
        generator.identity
    )


async def test_cards_that_name_each_other_are_never_swapped() -> None:
    """prog2: "IOException — Erwartbare Fehlerquellen" was offered as the false statement, but
    an IOException is a checked exception: its description names the other card's term."""
    text = (
        "# Begriffe\n\n"
        "- Checked = erwartbare Fehlerquellen wie fehlende Dateien\n"
        "- Unchecked = meist Programmierfehler oder Logikfehler\n\n"
        "Ein Error ist ein Fehler im System, von dem man sich nicht wieder erholen kann.\n\n"
        "Eine Exception ist ein Fehlerfall, auf den man innerhalb des Programms reagieren kann.\n\n"
        "`IOException` ist eine checked Exception, die beim Lesen von Dateien auftreten kann.\n"
    )
    ctx = GenerationContext(COURSE, "lec", "Deutsch")
    generator = OfflineGenerator()
    cards = (await generator.flashcards(chunk(text), ctx)).items
    answers = {c.term: c.answers.concise for c in cards if c.type == "definition"}
    assert {"Checked", "IOException", "Exception"} <= set(answers)
    forbidden = {
        f"IOException — {answers['Checked']}",
        f"Checked — {answers['IOException']}",
        f"Exception — {answers['IOException']}",
        f"IOException — {answers['Exception']}",
    }
    for level in (1, 2, 3, 4):
        for question in (await generator.quiz(cards, level, ctx)).items:
            assert isinstance(question, ChoiceQuestion)
            assert not forbidden & set(question.options.values())
    from flashgen.generate.offline.quiz import related

    by_term = {c.term: c for c in cards if c.type == "definition"}
    # one a kind of the other, or its opposite: never swapped either
    assert related(by_term["IOException"], by_term["Exception"])
    assert related(by_term["Checked"], by_term["Unchecked"])
    assert not related(by_term["Error"], by_term["Unchecked"])
