"""Acceptance rules for what the offline generator writes, over the sample course and every
course in ../shared/real-lectures (issue 13): no markup, no stopword blanks, no cut-off answers,
no templated filler, and questions a reader who ignores the content cannot answer better than
chance + 10 points at any level."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from flashgen.generate.offline.quiz import overlap, stems
from flashgen.generate.offline.text import is_stopword

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / ".." / "shared" / "real-lectures"
REAL_COURSES = (
    "biology",
    "programming-de",
    "library-git",
    "social-modelling",
    "research-software",
    "cryptography-ru",
)
ENDS = (".", "!", "?", "…", ")", '"', "”", "“", ";")
# Words no sentence ends on: a sentence that does was cut by a line or page break.
_NEVER_LAST = """
    a an the of to in on at by for from with and or but their its our your his her my into
    than whose der die das den dem des ein eine einer einen einem eines und oder aber mit
    von zu für auf im
"""
NEVER_LAST = frozenset(_NEVER_LAST.split())


# Written here, apart from the generator's own filter, so that the test does not grade itself.
_MATH = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]", re.S)
MARKUP = {
    "front matter": re.compile(r"\b(?:permalink|layout|title|author|date|tags)\s*:", re.I),
    "HTML tag": re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>"),
    "LaTeX command": re.compile(r"\\[a-zA-Z]+"),
    "Liquid": re.compile(r"\{[{%]|[%}]\}"),
    "link or image": re.compile(r"!?\[[^\]]*\]\([^)]*\)"),
    "page number": re.compile(
        r"^\s*\d{1,3}\s*$|[.!?]\s+\d{1,3}\s*$|^(?:page|slide|seite)\s+\d", re.I
    ),
}


def _markup(text: str) -> str | None:
    outside_math = _MATH.sub(" ", text)
    return next((name for name, rule in MARKUP.items() if rule.search(outside_math)), None)


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not REAL.is_dir():
        pytest.skip(f"real lecture files not found at {REAL} (a folder beside the repository)")
    out = tmp_path_factory.mktemp("quality")
    runs = [["sample-course"]] + [[c, "--courses-dir", str(REAL)] for c in REAL_COURSES]
    for args in runs:
        subprocess.run(
            [sys.executable, "-m", "flashgen", "run", *args, "--output-dir", str(out), "--plain"],
            cwd=REPO,
            check=True,
            capture_output=True,
            env={"PATH": "/usr/bin:/bin", "FLASHGEN_PROVIDER": "offline"},
        )
    return out


def _files(output: Path, pattern: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(output.glob(f"*/*/{pattern}")):
        yield f"{path.parent.parent.name}/{path.parent.name}", json.loads(path.read_text())


def _cards(output: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, card)
        for name, data in _files(output, "flashcards.json")
        for card in data["flashcards"]
    ]


def _questions(output: Path) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, question)
        for name, data in _files(output, "quiz_level_*.json")
        for question in data["questions"]
    ]


def _texts(card: dict[str, Any]) -> list[str]:
    return [card["question"], card.get("example", ""), *card["answers"].values()]


def test_no_markup_in_cards_or_options(output: Path) -> None:
    bad = [(name, text) for name, card in _cards(output) for text in _texts(card) if _markup(text)]
    bad += [
        (name, text)
        for name, q in _questions(output)
        for text in [q["question_text"], *q.get("options", {}).values()]
        if _markup(text)
    ]
    assert not bad, bad[:5]


def test_no_stopword_blanks(output: Path) -> None:
    blanks = [
        (name, card["answers"]["concise"])
        for name, card in _cards(output)
        if card["type"] == "cloze"
        and all(is_stopword(w) for w in card["answers"]["concise"].split())
    ]
    blanks += [
        (name, answer)
        for name, q in _questions(output)
        for answer in q.get("accepted_answers", [])
        if all(is_stopword(w) for w in answer.split())
    ]
    assert not blanks, blanks[:5]


def _cut_off(text: str) -> bool:
    text = text.strip()
    if not text.endswith(ENDS):
        return True
    last = re.sub(r"[^\w'-]", " ", text).split()
    # "… better suited to their." is a sentence cut by a line break.
    return bool(last) and last[-1].lower() in NEVER_LAST


def test_no_cut_off_answers(output: Path) -> None:
    cut = [
        (name, card["answers"]["concise"])
        for name, card in _cards(output)
        if card["type"] != "cloze" and _cut_off(card["answers"]["concise"])
    ]
    assert not cut, cut[:5]


def test_no_templated_filler(output: Path) -> None:
    """No facet text that repeats across cards with only the term changed."""
    for name, data in _files(output, "flashcards.json"):
        shapes: Counter[tuple[str, str]] = Counter()
        for card in data["flashcards"]:
            for facet, text in card["answers"].items():
                if facet != "concise" and text:
                    shape = (
                        text.replace(card.get("term", ""), "<term>") if card.get("term") else text
                    )
                    shapes[(facet, re.sub(r"\W+", " ", shape)[:40])] += 1
        repeated = {key: n for key, n in shapes.items() if n >= 3}
        assert not repeated, (name, repeated)


# --- the content-blind solver --------------------------------------------------------------------

Heuristic = Callable[[dict[str, Any]], list[float]]


def _fragments(option: str, others: list[str]) -> float:
    """How much of an option's vocabulary the other options repeat."""
    mine = stems(option)
    return sum(len(mine & stems(other)) for other in others) / (len(mine) or 1)


def _at(letter: str) -> Heuristic:
    return lambda q: [float(key == letter) for key in q["options"]]


HEURISTICS: dict[str, Heuristic] = {
    "longest": lambda q: [len(t) for t in q["options"].values()],
    "shortest": lambda q: [-len(t) for t in q["options"].values()],
    "most stem overlap": lambda q: [overlap(t, q["question_text"]) for t in q["options"].values()],
    "least stem overlap": lambda q: [
        -overlap(t, q["question_text"]) for t in q["options"].values()
    ],
    "most repeated fragments": lambda q: [
        _fragments(t, [o for o in q["options"].values() if o is not t])
        for t in q["options"].values()
    ],
    "least repeated fragments": lambda q: [
        -_fragments(t, [o for o in q["options"].values() if o is not t])
        for t in q["options"].values()
    ],
    **{f"position {letter}": _at(letter) for letter in "ABCD"},
}


def _blind_answer(question: dict[str, Any], heuristic: Heuristic) -> set[str]:
    """The best-scoring option (two for multi-answer questions, which the offline generator
    writes with two correct answers); ties go to the earlier letter."""
    scores = heuristic(question)
    ranked = sorted(zip(question["options"], scores, strict=True), key=lambda p: -p[1])
    count = 1 if question["type"] == "mcq" else 2
    return {letter for letter, _ in ranked[:count]}


def _chance(question: dict[str, Any]) -> float:
    count = len(question["correct_answer"])
    return 1 / len(list(combinations("ABCD", 1 if question["type"] == "mcq" else count)))


def test_content_blind_solver_scores_near_chance(output: Path) -> None:
    by_level: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for _, question in _questions(output):
        if question["type"] in ("mcq", "mca"):
            by_level[question["difficulty_level"]].append(question)
    assert by_level, "no questions were written"
    report = {}
    for level, questions in sorted(by_level.items()):
        chance = sum(_chance(q) for q in questions) / len(questions)
        best = max(
            (
                sum(_blind_answer(q, h) == set(q["correct_answer"]) for q in questions)
                / len(questions),
                name,
            )
            for name, h in HEURISTICS.items()
        )
        report[level] = (round(best[0], 3), best[1], round(chance, 3), len(questions))
    print(report)
    assert all(best <= chance + 0.10 for best, _, chance, _ in report.values()), report


# --- honesty: what a card says, the lecture says -------------------------------------------------

_WORD = re.compile(r"[^\W_]+")


def _lecture_words(course: str, lecture: str) -> set[str]:
    """The words of a lecture's cleaned text, read again from its file."""
    from flashgen.ingest.cleaning import clean_blocks
    from flashgen.ingest.extract import extract
    from flashgen.models import Lecture

    folder = REPO / "courses" / course if course == "sample-course" else REAL / course
    [path] = [p for p in folder.iterdir() if p.stem == lecture]
    kind = path.suffix.lstrip(".")
    blocks = clean_blocks(extract(Lecture(id=lecture, path=path, kind=kind)).blocks, kind)  # type: ignore[arg-type]
    return {w.casefold() for block in blocks for w in _WORD.findall(block.text)}


def test_every_card_says_only_what_its_lecture_says(output: Path) -> None:
    """Each card's term and answer are made of the lecture's own words: nothing is invented,
    templated or taken from another lecture."""
    words: dict[str, set[str]] = {}
    foreign = []
    for name, card in _cards(output):
        if name not in words:
            words[name] = _lecture_words(*name.split("/"))
        said = _WORD.findall(f"{card['term']} {card['answers']['concise']}")
        missing = {w for w in said if w.casefold() not in words[name]}
        if missing:
            foreign.append((name, card["question"], sorted(missing)))
    assert not foreign, foreign[:5]


def test_real_lectures_get_questions(output: Path) -> None:
    """Short real lectures take distractors from their course: real courses have quizzes."""
    real = Counter(
        q["difficulty_level"]
        for name, q in _questions(output)
        if not name.startswith("sample-course/")
    )
    assert all(real[level] >= 5 for level in (1, 2, 3, 4)), real
