"""Offline flashcards: a card only where the text defines something, in the text's own words.

A definition is a whole sentence of a known shape ("X is a …", "X refers to …", "Unter X versteht
man …", "X — это …", a list item "Term: explanation"); its term must be a content noun phrase
(no stopword, pronoun or document part such as "title"), its answer a complete clause. Facets
come from the text or stay absent: context is the heading path, an example is a sentence that
says it is one, a common mistake a sentence that warns about one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz

from flashgen.generate.offline.lang import Wording
from flashgen.generate.offline.shapes import (
    ANALOGY,
    APPOSITIVE,
    ENDS,
    EXAMPLE,
    GLOSSED,
    INFINITIVE,
    LABEL_ENDINGS,
    LABEL_VERBS,
    MAX_ANSWER_WORDS,
    MAX_TERM_WORDS,
    MIN_ANSWER_WORDS,
    MISTAKE,
    OWN_SENTENCE,
    PATTERNS,
    PURPOSE,
    QUANTITIES,
    SAME_ANSWER,
    SECOND_DEFINITION,
    STATEMENT,
    USE,
    VAGUE,
)
from flashgen.generate.offline.text import (
    META_TERMS,
    PRONOUNS,
    Sentence,
    has_markup,
    is_stopword,
    words,
)
from flashgen.ingest.cleaning import plain_inline


@dataclass
class Definition:
    article: str
    term: str
    answer: str
    form: str
    verb: str
    sentence: Sentence
    example: str | None = None
    mistake: str | None = None
    analogy: str | None = None
    use: str | None = None


def _clean_term(term: str, sentence: Sentence, language: str, text: str) -> str:
    term = " ".join(term.replace("`", "").strip(" *_\"'“”„").split())
    if language != "en" or not term or not sentence.text.startswith(term.split()[0]):
        return term  # German capitalises nouns: the case is the author's
    first = term.split()[0]
    # A capitalised first word at the start of a sentence is lowered unless the text writes
    # it capitalised in mid-sentence too (a name: "Okazaki fragments").
    sentence_start = first[:1].isupper() and first[1:].islower()
    if sentence_start and sentence.text.startswith(first):
        if sentence.listed or ":" in sentence.text[: len(term) + 3]:
            # a list label is capitalised by convention: lowered only if the text has it so
            named = not re.search(rf"(?<!\w){re.escape(term.lower())}(?!\w)", text)
        else:
            named = bool(re.search(rf"[a-z,;] +{re.escape(first)}\b", text))
        term = term if named else first.lower() + term[len(first) :]
    return term


def good_term(term: str) -> bool:
    """A content noun phrase: a few words, no stopword at either end, no document part."""
    parts = term.split()
    if not 1 <= len(parts) <= MAX_TERM_WORDS or len(term) > 60 or has_markup(term):
        return False
    if re.search(r"[<>{}\[\]\\$|=;`@#\d_\"“”„]", term):
        return False
    if not words(term) or any(len(p) > 30 for p in parts):
        return False
    first, last = parts[0].lower().strip("()"), parts[-1].lower().strip("()")
    if is_stopword(first) or is_stopword(last) or first in PRONOUNS:
        return False
    if sum(1 for p in parts[1:-1] if is_stopword(p)) >= 2:
        return False  # "level of biliverdin in blood": a description, not a name
    if first in QUANTITIES and len(parts) > 1 and parts[1].lower() in ("of", "von", "an"):
        return False
    if re.search(r"[а-яё](?:ся|ть)\b", term.lower()):
        return False  # a Russian verb: "Сдаётся в формате вопрос – ответ" is no term
    # "main result", "key takeaways": a label whose last word says it is one
    return not {term.lower(), first} & META_TERMS and last not in LABEL_ENDINGS


def complete_clause(text: str, stopped: bool = False) -> bool:
    """Enough words, no markup, and not cut off: unless the source sentence ends with a full
    stop (``stopped``), it does not end on a stopword."""
    tokens = words(text)
    if not MIN_ANSWER_WORDS <= len(text.split()) <= MAX_ANSWER_WORDS or not tokens:
        return False
    if has_markup(text) or VAGUE.search(text) or text.rstrip().endswith(("?", ":", ",")):
        return False
    if len(re.findall(r"\d+", text)) > 3:
        return False  # a run of figures (a table or a slide's data), not an explanation
    if not any(is_stopword(token) for token in tokens):
        return False  # a clause has articles, prepositions, conjunctions: a label list has none
    long_words = [token for token in tokens if len(token) > 3]
    capitalised = sum(1 for token in long_words if token[:1].isupper())
    if len(long_words) >= 3 and capitalised > 0.6 * len(long_words):
        return False  # Title Case: a citation or a heading, not an explanation
    return stopped or not is_stopword(text.rstrip(" .!…").split()[-1].strip("()\"'“”"))


def _answer(definition: str) -> str:
    """The definition as a card shows it: one clause, capitalised, without Markdown marks
    (a flashcard app shows "`Files.readString`" with its backticks)."""
    text = plain_inline(definition)
    text = SECOND_DEFINITION.split(text, maxsplit=1)[0].strip().rstrip(";,-–— ")
    text = text[:1].upper() + text[1:]
    return text if text.endswith(ENDS) else text + "."


def find_definitions(found: list[Sentence], language: str, text: str) -> list[Definition]:
    definitions: list[Definition] = []
    seen: set[str] = set()
    for sentence in found:
        if not sentence.closed:
            continue  # cut off by a line or page break
        match = _match(sentence, language)
        if match is None:
            continue
        form, article, verb, raw_term, definition = match
        definition = definition.rstrip(" ,")  # "Ein Fehler …, der … ist, heißt Error."
        if form == PURPOSE and language == "de":
            definition = re.sub(r"\s+gedacht\b", "", definition, count=1)
        term = _clean_term(raw_term, sentence, language, text)
        stopped = sentence.text.rstrip().endswith((".", "!"))
        equated = sentence.listed and bool(re.match(r"^[^=]{1,62}\s=\s", sentence.text))
        if equated:
            term = _named_in_full(term, text)
        # a purpose or a named statement is a card of its own beside the term's definition
        key = f"{term.lower()}/{form in (PURPOSE, STATEMENT)}"
        if not good_term(term) or key in seen:
            continue
        if equated and INFINITIVE.search(definition):
            continue  # "Checked = behandeln oder deklarieren": what to do, not what it is
        if not (complete_clause(definition, stopped) or (equated and _noun_phrase(definition))):
            continue
        if term.lower() in definition.lower().split()[:3]:
            continue  # circular ("A cell is a cell that …")
        if not _defines(form, article, verb, raw_term, definition):
            continue
        answer = _answer(definition)
        if any(
            fuzz.ratio(answer.casefold(), d.answer.casefold()) >= SAME_ANSWER for d in definitions
        ):
            # two terms with one explanation: a copy slip in the source ("git push: commits
            # the staged snapshot …" under "git commit: commits …"); the first stays
            continue
        seen.add(key)
        definitions.append(Definition(article, term, answer, form, verb, sentence))
    definitions += _glossed(found, text, seen, definitions)
    _attach_facets(found, definitions)
    return definitions


def _named_in_full(term: str, text: str) -> str:
    """A one-word label of a slide's "Term = explanation" list, written in full where the
    lecture always does: "Checked = erwartbare Fehlerquellen" is about "Checked Exceptions"
    when the text says so at least twice."""
    if " " in term:
        return term
    plain = plain_inline(text)
    following = re.findall(rf"(?<![\w-]){re.escape(term)}\s+([A-ZÄÖÜ][\w-]+)", plain, re.I)
    counts = Counter(word for word in following if word[:1].isupper())
    if not counts:
        return term
    word, times = counts.most_common(1)[0]
    return f"{term} {word}" if times >= 2 else term


def _noun_phrase(definition: str) -> bool:
    """The answer of a list item "Term = explanation" (a slide's "Checked = erwartbare
    Fehlerquellen"): the sign says it is a definition, so two or more words are enough."""
    text = definition.strip()
    return len(text.split()) >= 2 and not has_markup(text) and not VAGUE.search(text)


def _defines(form: str, article: str, verb: str, raw_term: str, definition: str) -> bool:
    """Shapes that match a definition's pattern but state something else."""
    tokens = _answer(definition).split()
    if form == "is" and tokens[0].lower() in ("the", "der", "die", "das") and len(tokens) < 6:
        return False  # "The independent variable is the color of blood": this case's value
    if form == "colon" and OWN_SENTENCE.search(definition):
        return False
    parts = raw_term.split()
    # "Writing docstrings is an easy way …": a gerund naming an activity, not a term
    return not (
        form == "is"
        and not article
        and verb in ("is", "ist")
        and len(parts) > 1
        and len(parts[0]) > 5
        and parts[0].lower().endswith("ing")
        and parts[-1].endswith("s")
    )


def _glossed(
    found: list[Sentence], text: str, seen: set[str], definitions: list[Definition]
) -> list[Definition]:
    """Bold terms glossed in brackets right after them: "the **staging area** (the area where
    git checks for file changes)"."""
    glossed: list[Definition] = []
    for match in GLOSSED.finditer(text):
        term, gloss = " ".join(match["term"].split()), " ".join(match["definition"].split())
        sentence = next((s for s in found if gloss in s.text), None)
        key = f"{term.lower()}/False"
        if sentence is None or not good_term(term) or key in seen:
            continue
        if not complete_clause(gloss, stopped=True) or term.lower() in gloss.lower():
            continue
        seen.add(key)
        glossed.append(Definition("", term, _answer(gloss), "colon", "", sentence))
    return glossed


def _match(sentence: Sentence, language: str) -> tuple[str, str, str, str, str] | None:
    text = sentence.text.strip()
    if EXAMPLE.match(text) or text.endswith("?"):
        return None
    for pattern_language, form, pattern in PATTERNS:
        if pattern_language != language:
            continue
        if form == "colon" and not sentence.lead:
            continue  # "Term: explanation" opens a list item or a paragraph
        if form == "colon" and not sentence.listed and not _labelled_paragraph(text):
            continue
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            if form == "colon" and not _plain_label(groups["term"], groups["definition"]):
                continue
            article = groups.get("article") or ""
            verb = (groups.get("verb") or "").lower()
            return form, article, verb, groups["term"], groups["definition"]
    inline = APPOSITIVE.search(text) if language == "en" else None
    if inline:
        return "is", inline["article"], "is", inline["term"], inline["definition"]
    return None


def _labelled_paragraph(text: str) -> bool:
    """A paragraph "Term: explanation." where the label is short and plain: in slides and
    notes, longer labels are a title run into the text ("extensions to Mendel Today's
    question: …")."""
    label = text.split(":", 1)[0]
    return len(label.split()) <= 3 and not re.search(r"['’]s\b", label)


def _plain_label(label: str, definition: str) -> bool:
    """A list label that names a thing: not an action ("Avoiding Overfitting: …") and not
    several "label: text" items run together ("git init: creates … git add: tells …")."""
    words = label.split()
    if len(words) > 1 and words[0].lower().endswith("ing"):
        return False
    if any(word.lower() in LABEL_VERBS for word in words[1:]):
        return False  # a claim ("ABM offers explanations"), not a name
    return ":" not in definition


def _attach_facets(found: list[Sentence], definitions: list[Definition]) -> None:
    """Facets the text states about a term, taken from its section; none are made up."""
    used: set[int] = set()
    for definition in definitions:
        term = re.compile(rf"(?<!\w){re.escape(definition.term)}(?!\w)", re.I)
        near = [
            s
            for s in found
            if s is not definition.sentence
            and s.path == definition.sentence.path
            and complete_clause(s.text, s.text.rstrip().endswith((".", "!")))
            and s.text.rstrip().endswith((".", "!"))
        ]
        following = [s for s in near if s.index == definition.sentence.index + 1]
        about = [
            s
            for s in near
            if term.search(s.text) and not _longer_term(s.text, definition, definitions)
        ]
        example = next(
            (s for s in following + about if EXAMPLE.search(s.text) and s.index not in used), None
        )
        if example is not None:
            used.add(example.index)
            definition.example = example.text
        definition.mistake = _first(about, MISTAKE)
        definition.analogy = _first(about, ANALOGY)
        definition.use = _first(about, USE)


def _longer_term(text: str, definition: Definition, definitions: list[Definition]) -> bool:
    """Whether ``text`` is about a longer defined term that contains this one ("facilitated
    diffusion" for "diffusion") or names a qualified form of it ("simple diffusion")."""
    low, term = text.lower(), definition.term.lower()
    if any(
        term in d.term.lower() and d.term.lower() in low for d in definitions if d is not definition
    ):
        return True
    return bool(
        re.search(rf"\b(?:simple|facilitated|other|einfache[rn]?)\s+{re.escape(term)}\b", low)
    )


def _first(candidates: list[Sentence], pattern: re.Pattern[str]) -> str | None:
    return next((s.text for s in candidates if pattern.search(s.text)), None)


def card_question(definition: Definition, wording: Wording) -> str:
    if definition.form == "colon":
        return wording.meant_by.format(term=definition.term)
    if definition.form == STATEMENT:
        return wording.states.format(term=definition.term)
    article = definition.article.lower()
    named = f"{article} {definition.term}" if article else definition.term
    if definition.form == PURPOSE:
        plural = definition.verb in ("are", "sind")
        return (wording.used_for_plural if plural else wording.used_for).format(term=named)
    if definition.form == "is":
        template = wording.what_are if definition.verb in ("are", "sind") else wording.what_is
        return template.format(term=named)
    return wording.refers_to.format(term=named)
