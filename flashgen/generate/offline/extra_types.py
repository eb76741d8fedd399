"""The opt-in question types (true/false, fill-in-blank, matching, categorization), built
offline from the lecture's cards like the designs in quiz.py; ``EXTRA`` names them by type."""

from __future__ import annotations

import random
from collections.abc import Sequence

from flashgen.generate.offline.lang import Wording
from flashgen.generate.offline.quiz import (
    Builder,
    QuestionDraft,
    others_than,
    related,
    similar,
    statement,
)
from flashgen.models import BLANK, Flashcard


def _base(
    card: Flashcard, level: int, text: str, explanation: str, sources: Sequence[Flashcard]
) -> QuestionDraft:
    return {
        "question_text": text,
        "explanation": explanation,
        "source_flashcard_ids": [c.id for c in sources],
        "tags": [f"level-{level}"],
    }


def true_false(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    truthful = rng.random() < 0.5
    others = [o for o in others_than(card, pool) if not related(card, o)]
    donors = similar(card.answers.concise, [o.answers.concise for o in others], "", rng, 1)
    if donors is None:
        return None
    donor = next(o for o in others if o.answers.concise == donors[0])
    text = statement(card) if truthful else statement(card, donor)
    explanation = (
        w.described_as.format(term=card.term, text=card.answers.concise)
        if truthful
        else w.swapped.format(term=card.term, text=donor.answers.concise, other=donor.term)
    )
    return {
        **_base(card, level, w.true_or_false.format(text=text), explanation, [card]),
        "type": "true_false",
        "correct_answer": truthful,
    }


def fill_in_blank(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    text = w.name_term.format(text=f"{BLANK} — {card.answers.concise}")
    explanation = w.described_as.format(term=card.term, text=card.answers.concise)
    return {
        **_base(card, level, text, explanation, [card]),
        "type": "fill_in_blank",
        "accepted_answers": [card.term],
    }


def matching(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    others = others_than(card, pool)
    chosen = [card, *rng.sample(others, min(3, len(others)))]
    pairs = [{"left": c.term, "right": c.answers.concise} for c in chosen]
    explanation = " ".join(statement(c) for c in chosen)
    return {
        **_base(card, level, w.match, explanation, chosen),
        "type": "matching",
        "pairs": pairs,
    }


def categorization(
    card: Flashcard, pool: Sequence[Flashcard], level: int, rng: random.Random, w: Wording
) -> QuestionDraft | None:
    sections: dict[str, list[Flashcard]] = {}
    for other in pool:
        if other.context:
            sections.setdefault(other.context, []).append(other)
    if card.context not in sections or len(sections) < 2:
        return None
    others = sorted(name for name in sections if name != card.context)
    picked = [card.context, others[rng.randrange(len(others))]]
    members = {name: sections[name][:3] for name in picked}
    chosen = [c for name in picked for c in members[name]]
    explanation = "; ".join(
        f"{name}: {', '.join(c.term for c in members[name])}" for name in picked
    )
    return {
        **_base(card, level, w.sort, explanation + ".", chosen),
        "type": "categorization",
        "categories": {name: [c.term for c in members[name]] for name in picked},
    }


EXTRA: dict[str, Builder] = {
    "true_false": true_false,
    "fill_in_blank": fill_in_blank,
    "matching": matching,
    "categorization": categorization,
}
