"""Offline question designs that need the content, not the shape of the options.

Every option of a question is the same kind of thing (definitions for definitions, terms for
terms, term–description statements for statements), each term and description appears once
per question (or every one equally often), and distractors are picked so that option length
and overlap with the stem give nothing away; ``finalize_question`` shuffles the letters seeded
by the question id. A design that cannot be built honestly from the cards returns None.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

from flashgen.generate.offline.lang import Wording
from flashgen.generate.validation import normalise
from flashgen.models import ChoiceQuestion, Flashcard, QuizQuestion

QuestionDraft = dict[str, Any]
Builder = Callable[
    [Flashcard, Sequence[Flashcard], int, random.Random, Wording], "QuestionDraft | None"
]
_PREFIX = 5  # words compared by their first letters, so "pairs" meets "pairing"


def stems(text: str) -> set[str]:
    """Content-word stems of a text (words longer than three letters, cut to five)."""
    return {w[:_PREFIX] for w in normalise(text).split() if len(w) > 3}


def overlap(option: str, stem: str) -> int:
    return len(stems(option) & stems(stem))


def statement(card: Flashcard, described: Flashcard | None = None) -> str:
    """ "Term — description", with another card's description when ``described`` is given."""
    return f"{card.term} — {(described or card).answers.concise}"


class Draw(random.Random):
    """A question's random source, sharing with the other questions of its quiz a tally of the
    length rank the correct option took (0: longest … 3: shortest). Drawn per question, the
    rank is skewed wherever the pool has no longer (or shorter) option to offer, and "pick
    the longest" beats chance; with the tally, each question takes the least used rank its
    pool allows."""

    def __init__(self, seed: str, tally: Counter[int]) -> None:
        super().__init__(seed)
        self.tally = tally


def similar(
    correct: str, candidates: Sequence[str], stem: str, rng: random.Random, n: int = 3
) -> list[str] | None:
    """``n`` distractors shaped like ``correct``: as much overlap with the stem, and lengths
    around it (the correct option lands at a random rank by length, or the quiz's least used
    one with a ``Draw``), or None when the pool cannot hide the answer from someone who reads
    only the options."""
    seen = {normalise(correct)}
    usable: list[str] = []
    for text in candidates:
        if normalise(text) not in seen:
            seen.add(normalise(text))
            usable.append(text)
    if len(usable) < n:
        return None
    target = overlap(correct, stem)

    def key(text: str) -> tuple[int, int]:
        return abs(overlap(text, stem) - target), abs(len(text) - len(correct))

    longer = sorted((t for t in usable if len(t) >= len(correct)), key=key)
    shorter = sorted((t for t in usable if len(t) < len(correct)), key=key)
    want_longer = rng.randrange(n + 1)
    tally = rng.tally if isinstance(rng, Draw) else None
    if tally is not None:
        possible = [r for r in range(n + 1) if r <= len(longer) and n - r <= len(shorter)]
        want_longer = min(possible, key=lambda r: (tally[r], (r - want_longer) % (n + 1)))
    picked = longer[:want_longer] + shorter[: n - want_longer]
    rest = sorted((t for t in usable if t not in picked), key=key)
    picked += rest[: n - len(picked)]
    scores = [overlap(t, stem) for t in picked]
    if target > max(scores) or (target < min(scores)):
        return None  # the stem would point at (or away from) the answer
    if tally is not None:
        tally[want_longer] += 1
    return picked


def _choice(
    kind: str,
    stem: str,
    correct: list[str],
    wrong: list[str],
    explanation: str,
    sources: Sequence[Flashcard],
    level: int,
) -> QuestionDraft:
    options = dict(zip("ABCD", correct + wrong, strict=True))
    tags = [f"level-{level}"]
    context = sources[0].context
    if context:
        tags.append(normalise(context.split(" › ")[-1]).replace(" ", "-")[:40])
    return {
        "type": kind,
        "question_text": stem,
        "options": options,
        "correct_answer": list("ABCD"[: len(correct)]),
        "explanation": explanation,
        "source_flashcard_ids": [card.id for card in sources],
        "tags": tags,
    }


def related(a: Flashcard, b: Flashcard) -> bool:
    """Whether one card's description names the other's term ("IOException — a checked
    Exception …" and "Checked — expected error sources"), or one term is a kind of the other:
    with their descriptions swapped, the "false" statement may well be true, so such cards
    are never swapped."""
    if stems(a.term) & stems(b.answers.concise) or stems(b.term) & stems(a.answers.concise):
        return True
    # one a kind of the other: "IOException" / "Exception", "Checked Exceptions" / "Exception",
    # "unchecked" / "checked"
    first, second = normalise(a.term).replace(" ", ""), normalise(b.term).replace(" ", "")
    shorter, longer = sorted((first, second), key=len)
    return bool(stems(a.term) & stems(b.term)) or (len(shorter) >= 4 and shorter in longer)


def others_than(card: Flashcard, pool: Sequence[Flashcard]) -> list[Flashcard]:
    return [other for other in pool if other.id != card.id]


def _lecture_mates(card: Flashcard, pool: Sequence[Flashcard]) -> list[Flashcard]:
    """The pool's other cards from the card's own lecture (the pool also holds the course's
    definitions, as distractors for short lectures)."""
    return [o for o in others_than(card, pool) if o.source.lecture == card.source.lecture]


def _mates_first(
    card: Flashcard, pool: Sequence[Flashcard], rng: random.Random, n: int
) -> list[Flashcard]:
    """``n`` other cards, from the card's lecture as far as it has them, then the course."""
    mates = _lecture_mates(card, pool)
    picked = rng.sample(mates, min(n, len(mates)))
    rest = [o for o in others_than(card, pool) if o not in picked and o not in mates]
    return picked + rng.sample(rest, min(n - len(picked), len(rest)))


def which_definition(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    """Level 1: the term, and four of the lecture's definitions."""
    stem = w.describes.format(term=card.term)
    answer = card.answers.concise
    wrong = similar(answer, [o.answers.concise for o in others_than(card, pool)], stem, rng)
    if wrong is None:
        return None
    explanation = w.described_as.format(term=card.term, text=answer)
    return _choice("mcq", stem, [answer], wrong, explanation, [card], level)


def which_term(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    """Level 2: an example (where the lecture gives one) or the description, and four terms."""
    others = [o.term for o in others_than(card, pool)]
    stems_tried = []
    if card.example and not re.search(re.escape(card.term), card.example, re.I):
        stems_tried.append(w.which_example.format(text=card.example))
    stems_tried.append(w.which_term.format(text=card.answers.concise))
    for stem in stems_tried:
        wrong = similar(card.term, others, stem, rng)
        if wrong is not None:
            explanation = w.described_as.format(term=card.term, text=card.answers.concise)
            return _choice("mcq", stem, [card.term], wrong, explanation, [card], level)
    return None


def one_false(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    """Level 3: three true term–description statements and one whose description belongs to
    another card; the false one is the answer."""
    others = others_than(card, pool)
    if len(others) < 4:
        return None
    true_cards = _mates_first(card, pool, rng, 3)
    spare = [o for o in others if o not in true_cards and not related(card, o)]
    donors = similar(card.answers.concise, [o.answers.concise for o in spare], "", rng, 1)
    if donors is None:
        return None
    donor = next(o for o in spare if o.answers.concise == donors[0])
    false = statement(card, donor)
    explanation = w.swapped.format(term=card.term, text=donor.answers.concise, other=donor.term)
    return _choice(
        "mcq",
        w.one_false,
        [false],
        [statement(c) for c in true_cards],
        explanation,
        [card, donor],
        level,
    )


def _four(
    card: Flashcard, pool: Sequence[Flashcard], rng: random.Random, spread: bool
) -> list[Flashcard] | None:
    """The card and three others of its lecture; with ``spread``, from other sections where
    there are any."""
    others = _lecture_mates(card, pool)
    if len(others) < 3:
        return None
    if spread:
        elsewhere = [o for o in others if o.context != card.context]
        if len(elsewhere) >= 2:
            return [card, *rng.sample(elsewhere, 2), rng.choice([o for o in others])]
    picked = rng.sample(others, 3)
    return [card, *picked]


def swapped_pairs(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    """Multi-answer: two true statements and two whose descriptions are swapped; levels 1–2
    ask for the true ones, levels 3–4 for the false ones (4 across sections). Which two are
    swapped is chosen so that the answers are neither the two longest nor the two shortest
    options."""
    four = _four(card, pool, rng, spread=level == 4)
    if four is None or len({c.id for c in four}) < 4:
        return None
    choices = [pair for pair in combinations(range(4), 2) if 0 not in pair]  # the card stays true
    rng.shuffle(choices)
    for i, j in choices:
        third, fourth = four[i], four[j]
        if related(third, fourth):
            continue
        first, second = (c for k, c in enumerate(four) if k not in (i, j))
        true = [statement(first), statement(second)]
        false = [statement(third, fourth), statement(fourth, third)]
        answers = true if level <= 2 else false
        by_length = sorted(true + false, key=len)
        if set(answers) not in ({*by_length[:2]}, {*by_length[2:]}):
            break
    else:
        return None
    if level <= 2:
        explanation = w.true_ones.format(text=f"{true[0]} / {true[1]}")
        return _choice("mca", w.pairs_correct, true, false, explanation, [first, second], level)
    explanation = " ".join(
        w.swapped.format(term=a.term, text=b.answers.concise, other=b.term)
        for a, b in ((third, fourth), (fourth, third))
    )
    return _choice("mca", w.two_false, false, true, explanation, [third, fourth], level)


def in_order(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    """Level 4: two descriptions, preferably from different sections, and four ordered pairs
    of terms in which every term appears equally often. Both descriptions are the lecture's;
    the decoy terms may come from the course."""
    mates = _lecture_mates(card, pool)
    if not mates:
        return None
    elsewhere = [o for o in mates if o.context != card.context] or mates
    partner = elsewhere[rng.randrange(len(elsewhere))]
    rest = [o for o in others_than(card, pool) if o.id != partner.id]
    if len(rest) < 2:
        return None
    stem = w.in_order.format(first=card.answers.concise, second=partner.answers.concise)
    right = f"{card.term}; {partner.term}"
    pairs = [
        f"{a.term}; {b.term}" for i, a in enumerate(rest) for b in rest[i + 1 :] if a.id != b.id
    ]
    decoys = similar(right, pairs, stem, rng, 1)
    if decoys is None:
        return None
    third, fourth = (term.strip() for term in decoys[0].split(";", 1))
    wrong = [f"{partner.term}; {card.term}", f"{third}; {fourth}", f"{fourth}; {third}"]
    explanation = w.true_ones.format(text=f"(1) {card.term}, (2) {partner.term}")
    return _choice("mcq", stem, [right], wrong, explanation, [card, partner], level)


SINGLE: dict[int, Builder] = {1: which_definition, 2: which_term, 3: one_false, 4: in_order}


def balance_positions(questions: Sequence[QuizQuestion], seed: str) -> list[QuizQuestion]:
    """Place correct options so that every letter (or pair of letters) is correct equally often
    across a quiz: a random shuffle per question, seeded by its id, still lets one letter be
    right in 40% of a 40-question quiz. Each block of questions takes the positions in an order
    seeded by ``seed``; the other options keep their relative order."""
    rng = random.Random(seed)
    slots: dict[int, list[tuple[str, ...]]] = {
        1: [(letter,) for letter in "ABCD"],
        2: [pair for pair in combinations("ABCD", 2)],
    }
    queues: dict[int, list[tuple[str, ...]]] = {1: [], 2: []}
    placed: list[QuizQuestion] = []
    for question in questions:
        count = len(question.correct_answer) if isinstance(question, ChoiceQuestion) else 0
        if count not in slots:
            placed.append(question)
            continue
        assert isinstance(question, ChoiceQuestion)
        if not queues[count]:
            queues[count] = rng.sample(slots[count], len(slots[count]))
        target = queues[count].pop()
        right = [question.options[k] for k in question.correct_answer]
        wrong = [text for k, text in question.options.items() if k not in question.correct_answer]
        options = {}
        for letter in "ABCD":
            options[letter] = right.pop(0) if letter in target else wrong.pop(0)
        placed.append(
            question.model_copy(update={"options": options, "correct_answer": list(target)})
        )
    return placed
