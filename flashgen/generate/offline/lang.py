"""Wording of offline cards and questions, per language (the templates are data:
``flashgen/data/offline_wording.toml``).

Only languages listed here get question cards and quizzes; for any other language the offline
generator writes cloze cards (the lecture's own sentence with a blank), which need no wording.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Wording:
    what_is: str  # card question for "X is a …"
    what_are: str
    refers_to: str  # card question for "X refers to …"
    meant_by: str  # card question for a list item "term: explanation"
    used_for: str  # card question for "X is used to …"
    used_for_plural: str
    states: str  # card question for "Sturtevant's insight: …"
    cloze: str  # card question around a sentence with a blank
    describes: str  # level 1: which definition fits the term
    which_term: str  # level 2: which term the description defines
    which_example: str  # level 2: which term the example illustrates
    pairs_correct: str  # levels 1-2 (multi-answer): which pairings are right
    one_false: str  # level 3: which statement is false
    two_false: str  # levels 3-4 (multi-answer): which two statements are false
    in_order: str  # level 4: which terms two descriptions define, in order
    described_as: str  # explanation: "X is described as: …"
    swapped: str  # explanation of a swapped statement
    true_ones: str  # explanation: the true statements
    true_or_false: str  # opt-in types
    name_term: str
    match: str
    sort: str


_FILE = Path(__file__).parents[2] / "data" / "offline_wording.toml"


@lru_cache(maxsize=1)
def _wordings() -> dict[str, Wording]:
    """Read once; every language's table names every template (else Wording() raises)."""
    with _FILE.open("rb") as handle:
        tables = tomllib.load(handle)
    return {language: Wording(**templates) for language, templates in tables.items()}


def wording(language: str) -> Wording | None:
    """The templates for a language code, or None when flashgen has none for it."""
    return _wordings().get(language)
