"""Offline cloze cards: a sentence of the lecture with its term blanked, where the sentence
shows the term's meaning without naming it again and without classroom talk or tasks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz

from flashgen.generate.offline.cards import Definition, complete_clause
from flashgen.generate.offline.shapes import (
    EXAMPLE,
    MAX_CLOZE_MENTIONS,
    MIN_CLOZE_WORDS,
    RESTATED,
    TALK,
    TASK,
)
from flashgen.generate.offline.text import (
    Sentence,
)
from flashgen.ingest.cleaning import plain_inline


def _opposite_named(term: str, text: str) -> bool:
    """Whether ``text`` names the term with a negating prefix added or taken away
    ("checked" / "unchecked", "stable" / "unstable")."""
    first = term.split()[0].lower()
    bare = re.sub(r"^(?:un|non-?|in)", "", first)
    forms = {f"un{bare}", f"non{bare}", f"non-{bare}", f"in{bare}", bare} - {first}
    return any(re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", text, re.I) for form in forms)


@dataclass
class Cloze:
    term: str
    text: str  # the sentence with the term blanked
    sentence: Sentence


def _restates(a: str, b: str) -> bool:
    return fuzz.token_set_ratio(a.casefold(), b.casefold()) >= RESTATED


def find_clozes(
    found: list[Sentence], definitions: list[Definition], limit: int, *, own: bool
) -> list[Cloze]:
    """Sentences that use a defined term, with the term blanked: the term is a content noun
    phrase by construction, never a stopword. With ``own``, a definition's own sentence is one
    too (for languages without question templates, where it is the only card)."""
    mentions = Counter(
        d.term for d in definitions for s in found if d.term.lower() in s.text.lower()
    )
    # the lecture's everyday word ("Exception" in a lecture on exceptions) is no blank to fill:
    # the sentence around it gives it away
    terms = sorted(
        {d.term for d in definitions if mentions[d.term] <= MAX_CLOZE_MENTIONS},
        key=len,
        reverse=True,
    )
    patterns = [_term_patterns(term) for term in terms]  # compiled once, tried on every sentence
    defining = {id(d.sentence) for d in definitions}
    skip = set() if own else defining
    clozes: list[Cloze] = []
    for sentence in found:
        if (
            len(clozes) >= limit
            or id(sentence) in skip
            or not complete_clause(sentence.text, sentence.text.rstrip().endswith((".", "!")))
        ):
            continue
        if len(sentence.text.split()) < MIN_CLOZE_WORDS or EXAMPLE.match(sentence.text):
            continue
        if TASK.search(sentence.text) or TALK.search(sentence.text):
            continue  # "k2: Ich kann …", "Nennen Sie …", "Let's …": a task or talk, not content
        if not own and any(_restates(sentence.text, d.sentence.text) for d in definitions):
            continue  # speaker notes often repeat the slide: that card exists already
        whole = sentence.text.rstrip().endswith((".", "!", ";")) or sentence.listed
        if not whole and id(sentence) not in defining:
            continue
        for term, pattern, inside in patterns:
            found_term = pattern.search(sentence.text)
            if not found_term:
                continue
            if len(inside.findall(sentence.text)) > 1:
                break  # the blank's answer would stand in the same sentence
            if _opposite_named(term, sentence.text):
                break  # "zwischen ____ und unchecked Exceptions": the opposite gives it away
            blanked = plain_inline(
                sentence.text[: found_term.start()] + "____" + sentence.text[found_term.end() :]
            )
            clozes.append(Cloze(" ".join(found_term.group(0).split()), blanked, sentence))
            break
    return clozes


def _term_patterns(term: str) -> tuple[str, re.Pattern[str], re.Pattern[str]]:
    """The term as a whole word (any spacing), and anywhere a word starts with it."""
    spaced = r"\s+".join(re.escape(word) for word in term.split())
    whole = re.compile(rf"(?<![\w-]){spaced}(?![\w-])", re.I)
    inside = re.compile(rf"(?<!\w){spaced}", re.I)  # also in "Exception-Situation"
    return term, whole, inside
