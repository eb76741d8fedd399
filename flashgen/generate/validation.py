"""Rules every generated item must pass before it is saved, whichever generator made it.

Pydantic models check shape (fields, counts, letters); this module checks what makes a question
usable in class: distinct options, no "all of the above", an explanation that names the right
answer, an unpredictable correct letter, and no near-duplicates within a lecture.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import TypeAdapter
from rapidfuzz import fuzz, process

from flashgen.generate.drafts import QUESTION_DRAFTS
from flashgen.ids import question_id
from flashgen.models import ChoiceQuestion, Flashcard, QuestionBase, QuizQuestion

LETTERS = ("A", "B", "C", "D")
_QUESTION = TypeAdapter(QuizQuestion)
_CATCH_ALL = re.compile(r"\b(all|none|both|neither) of (the )?(above|these|those)\b", re.I)
_LETTER_REFERENCE = re.compile(r"\b((?:option|answer|choice)s?\s+)([A-D])\b|\(([A-D])\)", re.I)
# Two texts at least this similar (rapidfuzz ratio, 0–100) are the same item.
DUPLICATE_SIMILARITY = 97.0
# fmt: off
_STOPWORDS = frozenset((
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "and", "or", "is", "are", "be", "by",
    "with", "as", "it", "its", "this", "that", "these", "those", "which", "what", "does", "do",
))
# fmt: on

T = TypeVar("T")
# Fields that are not a question's own answer material: those every type shares; options,
# taken apart from their (shuffled) order; and correct_answer, the letters of that order or a
# true/false verdict, which the statement in question_text already decides.
_NOT_MATERIAL = frozenset(QuestionBase.model_fields) | {"type", "options", "correct_answer"}


_PUNCTUATION = re.compile(r"[^\w\s]")
# The ASCII characters the pattern replaces, and ASCII whitespace (bytes.split() splits on less
# than str.split(): not on \x1c-\x1f): all become spaces on normalise's ASCII path.
_ASCII_SEPARATORS = bytes(
    code for code in range(128) if _PUNCTUATION.match(chr(code)) or chr(code).isspace()
)
_ASCII_TO_SPACE = bytes.maketrans(_ASCII_SEPARATORS, b" " * len(_ASCII_SEPARATORS))


# A text is often normalised twice in a row (a lecture's dedupe, then what is saved). The cache
# stays small: a large course has ~80,000 texts, and holding them all (key and value) cost
# tens of MB for hits that only came on courses small enough not to need them.
@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Casefolded words, punctuation taken as a space, joined by single spaces."""
    if text.isascii():  # the same result, in bytes operations (2.5x faster)
        return b" ".join(text.encode().lower().translate(_ASCII_TO_SPACE).split()).decode()
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


def finalize_question(
    course_id: str, lecture_id: str, level: int, fields: dict[str, Any]
) -> QuizQuestion:
    """Give a drafted question its id and level, shuffle its options, and check every rule.

    ``fields`` may come in the reply format (``flashgen.generate.drafts``) or the output format;
    this is the one place where the first becomes the second."""
    draft = QUESTION_DRAFTS.get(str(fields.get("type")))
    shaped = draft.output_shape(fields) if draft else fields  # unknown types fail validation
    data = {**shaped, "difficulty_level": level}
    data["id"] = question_id(course_id, lecture_id, level, _identity_text(data))
    if data.get("type") in ("mcq", "mca"):
        _check_options(data)
        data = _shuffle_options(data)
    question = _QUESTION.validate_python(data)
    if isinstance(question, ChoiceQuestion):
        _check_explanation(question)
    return question


def _identity_text(data: dict[str, Any]) -> str:
    """The question and its answer material, independent of option order: many questions can
    share a stem ("Which statements are true?") and still be different questions."""
    material: list[Any] = [str(data.get("question_text", ""))]
    options = data.get("options")
    if isinstance(options, dict):
        material.append(sorted(normalise(str(text)) for text in options.values()))
    # A type's own answer material (pairs, categories, accepted answers, …), whatever it is.
    material.extend(data[key] for key in sorted(data) if key not in _NOT_MATERIAL)
    return json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)


def _check_options(data: dict[str, Any]) -> None:
    options = data.get("options") or {}
    texts = [str(text) for text in options.values()]
    if any(_CATCH_ALL.search(text) for text in texts):
        raise ValueError('options must not be "all/none of the above"')
    if len({normalise(text) for text in texts}) != len(texts):
        raise ValueError("options must be distinct")


def _shuffle_options(data: dict[str, Any]) -> dict[str, Any]:
    """Reorder options with a generator seeded by the question id, so the correct letter is
    spread evenly yet the same on every run; letter references in the explanation follow."""
    options: dict[str, str] = data["options"]
    keys = sorted(options)
    order = list(keys)
    random.Random(data["id"]).shuffle(order)
    new_letter = {old: LETTERS[position] for position, old in enumerate(order)}

    def relabel(match: re.Match[str]) -> str:
        if match.group(3):
            return f"({new_letter.get(match.group(3).upper(), match.group(3))})"
        return match.group(1) + new_letter.get(match.group(2).upper(), match.group(2))

    return {
        **data,
        "options": {new_letter[old]: options[old] for old in order},
        "correct_answer": sorted(new_letter[old] for old in data.get("correct_answer", [])),
        "explanation": _LETTER_REFERENCE.sub(relabel, str(data.get("explanation", ""))),
    }


def _check_explanation(question: ChoiceQuestion) -> None:
    explanation = normalise(question.explanation)
    for letter in question.correct_answer:
        option = normalise(question.options[letter])
        words = [w for w in option.split() if len(w) > 3] or option.split()
        shared = sum(1 for w in words if w in explanation)
        mentions_letter = re.search(rf"\b{letter}\b", question.explanation) is not None
        if not mentions_letter and shared < max(1, len(words) // 3):
            raise ValueError("the explanation must refer to the correct option")


def dedupe(
    items: Iterable[T], text: Callable[[T], str], ident: Callable[[T], str]
) -> tuple[list[T], list[T]]:
    """Keep the first of every group of near-duplicates (or of equal ids); return
    (kept, dropped). Content-word sets are looked up by hash; the character-level check runs in
    rapidfuzz's C loop, and only against texts whose length allows the threshold at all."""
    kept: list[T] = []
    by_length = _TextsByLength()
    kept_words: set[frozenset[str]] = set()
    kept_ids: set[str] = set()
    dropped: list[T] = []
    for item in items:
        item_id = ident(item)
        if item_id in kept_ids:
            dropped.append(item)
            continue
        candidate = normalise(text(item))
        words = _content_words(candidate)
        if words in kept_words or by_length.has_near(candidate):
            dropped.append(item)
            continue
        kept.append(item)
        by_length.add(candidate)
        kept_words.add(words)
        kept_ids.add(item_id)
    return kept, dropped


class _TextsByLength:
    """Texts sorted by length, so that only those whose length allows the threshold are
    compared. ``ratio(a, b) = 1 - indel(a, b) / (|a| + |b|)`` and ``indel >= ||a| - |b||``, so
    ``ratio >= s`` needs ``|b|`` between ``|a| s / (2 - s)`` and ``|a| (2 - s) / s``.

    Within that window, a text is first compared by its last ``m`` characters only, a multiple
    of 64 (rapidfuzz's word): ~150-character questions cost about 2.5 times less to dedupe so.
    That pass cannot miss a duplicate. If ``indel(a, b) = d``, an optimal alignment matches all
    but ``d`` characters, and a match ``(i, j)`` lies at most ``d`` positions off the diagonal,
    so the last ``m`` characters of each share a subsequence of at least ``m - d``: their
    indel is at most ``2d`` and their ratio at least ``1 - d / m``. Only texts above that
    bound are compared in full."""

    _SHORTEST = (DUPLICATE_SIMILARITY / 100) / (2 - DUPLICATE_SIMILARITY / 100)
    _LONGEST = (2 - DUPLICATE_SIMILARITY / 100) / (DUPLICATE_SIMILARITY / 100)
    _WORD = 64
    _LEAST_SUFFIX_CUTOFF = 75.0  # below this, too few texts fail the suffix pass to pay for it

    def __init__(self) -> None:
        self._lengths: list[int] = []
        self._texts: list[str] = []
        self._tails: dict[int, list[str]] = {}  # suffix length -> the texts' suffixes

    def add(self, text: str) -> None:
        at = bisect.bisect(self._lengths, len(text))
        self._lengths.insert(at, len(text))
        self._texts.insert(at, text)
        for size, tails in self._tails.items():
            tails.insert(at, text[-size:])

    def has_near(self, text: str) -> bool:
        low = bisect.bisect_left(self._lengths, len(text) * self._SHORTEST - 1)
        high = bisect.bisect_right(self._lengths, len(text) * self._LONGEST + 1)
        if low >= high:
            return False
        # the most characters a duplicate in the window can differ by
        most_apart = (1 - DUPLICATE_SIMILARITY / 100) * (len(text) + self._lengths[high - 1])
        size = self._WORD * math.ceil(most_apart * 100 / (100 - self._LEAST_SUFFIX_CUTOFF) / 64)
        if size > min(len(text), self._lengths[low]):  # the bound holds for m <= |a|, |b|
            found = process.extractOne(
                text, self._texts[low:high], scorer=fuzz.ratio, score_cutoff=DUPLICATE_SIMILARITY
            )
            return found is not None
        tails = self._tails.get(size)
        if tails is None:
            tails = self._tails[size] = [t[-size:] for t in self._texts]
        near_ends = process.extract(
            text[-size:],
            tails[low:high],
            scorer=fuzz.ratio,
            score_cutoff=100 * (1 - most_apart / size) - 1e-6,
            limit=None,
        )
        return any(
            fuzz.ratio(text, self._texts[low + at]) >= DUPLICATE_SIMILARITY
            for _, _, at in near_ends
        )


def is_near_duplicate(a: str, b: str) -> bool:
    """Whether two normalised texts say the same thing: the same content words in any order
    ("the", "a", punctuation and case aside), or a character-level match of at least
    ``DUPLICATE_SIMILARITY`` (typos). Fuzzier rules merged "stable" with "unstable sort" and
    "mitosis" with "meiosis", which are different questions."""
    if a == b:
        return True
    if _content_words(a) == _content_words(b):
        return True
    return fuzz.ratio(a, b) >= DUPLICATE_SIMILARITY


def _content_words(text: str) -> frozenset[str]:
    return frozenset(text.split()) - _STOPWORDS


def card_text(card: Flashcard) -> str:
    return f"{card.question} {card.answers.concise}"


def question_text(question: QuizQuestion) -> str:
    if isinstance(question, ChoiceQuestion):
        options = " ".join(sorted(question.options.values()))  # the order is a shuffle
        return f"{question.question_text} {options}"
    return question.question_text


def dedupe_cards(cards: Sequence[Flashcard]) -> tuple[list[Flashcard], list[Flashcard]]:
    return dedupe(cards, card_text, lambda card: card.id)


def dedupe_questions(
    questions: Sequence[QuizQuestion],
) -> tuple[list[QuizQuestion], list[QuizQuestion]]:
    return dedupe(questions, question_text, lambda question: question.id)
