"""Wording of offline cards and questions, per language.

Only languages listed here get question cards and quizzes; for any other language the offline
generator writes cloze cards (the lecture's own sentence with a blank), which need no wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    what_is: str  # card question for "X is a …"
    what_are: str
    refers_to: str  # card question for "X refers to …"
    meant_by: str  # card question for a list item "term: explanation"
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


WORDINGS: dict[str, Wording] = {
    "en": Wording(
        what_is="What is {term}?",
        what_are="What are {term}?",
        refers_to="What does {term} refer to?",
        meant_by="What is meant by “{term}”?",
        cloze="Fill in the blank: {text}",
        describes="Which statement describes “{term}”?",
        which_term="Which term does the lecture describe as follows? “{text}”",
        which_example="Which term does this example from the lecture illustrate? “{text}”",
        pairs_correct="Which two of these pairings of a term and its description are correct?",
        one_false="Exactly one of these statements is false. Which one?",
        two_false="Exactly two of these statements are false. Which ones?",
        in_order="Which terms do these two descriptions define, in this order? (1) “{first}” "
        "(2) “{second}”",
        described_as="“{term}” is described as: {text}",
        swapped="“{term}” is not described as “{text}”; that describes {other}.",
        true_ones="True: {text}",
        true_or_false="True or false? {text}",
        name_term="Name the term: {text}",
        match="Match each term with its description.",
        sort="Sort these terms into the section of the lecture that introduces them.",
    ),
    "de": Wording(
        what_is="Was ist {term}?",
        what_are="Was sind {term}?",
        refers_to="Was versteht man unter {term}?",
        meant_by="Was versteht man unter „{term}“?",
        cloze="Ergänzen Sie die Lücke: {text}",
        describes="Welche Aussage beschreibt „{term}“?",
        which_term="Welcher Begriff wird in der Vorlesung so beschrieben? „{text}“",
        which_example="Welchen Begriff veranschaulicht dieses Beispiel aus der Vorlesung? „{text}“",
        pairs_correct="Welche zwei dieser Zuordnungen von Begriff und Beschreibung stimmen?",
        one_false="Genau eine dieser Aussagen ist falsch. Welche?",
        two_false="Genau zwei dieser Aussagen sind falsch. Welche?",
        in_order="Welche Begriffe definieren diese beiden Beschreibungen, in dieser Reihenfolge? "
        "(1) „{first}“ (2) „{second}“",
        described_as="„{term}“ wird beschrieben als: {text}",
        swapped="„{term}“ wird nicht als „{text}“ beschrieben; das beschreibt {other}.",
        true_ones="Richtig: {text}",
        true_or_false="Richtig oder falsch? {text}",
        name_term="Nennen Sie den Begriff: {text}",
        match="Ordnen Sie jedem Begriff seine Beschreibung zu.",
        sort="Ordnen Sie diese Begriffe dem Abschnitt der Vorlesung zu, der sie einführt.",
    ),
}


def wording(language: str) -> Wording | None:
    """The templates for a language code, or None when flashgen has none for it."""
    return WORDINGS.get(language)
