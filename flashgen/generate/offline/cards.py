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
from flashgen.generate.offline.text import (
    META_TERMS,
    PRONOUNS,
    Sentence,
    has_markup,
    is_stopword,
    words,
)
from flashgen.ingest.cleaning import plain_inline

MAX_TERM_WORDS = 5
MIN_ANSWER_WORDS = 4
MAX_ANSWER_WORDS = 60
MIN_CLOZE_WORDS = 6
MAX_CLOZE_MENTIONS = 8  # sentences of a chunk naming a term, beyond which it is no blank
RESTATED = 85  # rapidfuzz token-set similarity (0–100) at which a sentence repeats another
_TERM = r"(?P<term>[^\s,;:.!?()][^,;:.!?]{0,60}?)"
_END = r"(?P<definition>.+?)\s*[.!]?$"
# (language, form, pattern); the first that matches a sentence wins.
_PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "en",
        "refer",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{_TERM}\s+(?:refers to|is defined as|denotes)\s+{_END}",
            re.I,
        ),
    ),
    (
        "en",
        "is",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{_TERM}\s+(?P<verb>is|are)\s+"
            rf"(?P<definition>(?:an?|the|any|one of|a kind of|a type of)\s.+?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "refer",
        re.compile(rf"^Unter\s+(?:(?:einem|einer|dem|der|den)\s+)?{_TERM}\s+versteht man\s+{_END}"),
    ),
    (
        "de",
        "refer",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{_TERM}\s+(?:bezeichnet|bedeutet)\s+{_END}"
        ),
    ),
    (
        "de",
        "is",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{_TERM}\s+(?P<verb>ist|sind)\s+"
            rf"(?P<definition>(?:ein|eine|einer|der|die|das|jede|jeder|jedes)\s.+?)\s*[.!]?$"
        ),
    ),
    (
        "ru",
        "is",
        re.compile(rf"^{_TERM}\s*[—–-]\s+(?:это\s+)?(?P<definition>[^\W\d_].+?)\s*[.!;]?$"),
    ),
    ("en", "colon", re.compile(rf"^{_TERM}\s*(?::|\s[—–=]\s)\s*{_END}")),
    ("de", "colon", re.compile(rf"^{_TERM}\s*(?::|\s[—–=]\s)\s*{_END}")),
    # purpose: "The commit message is used to record …" / "Checked Exceptions sind für …
    # gedacht, die …"
    (
        "en",
        "used",
        re.compile(
            rf"^(?:(?P<article>an?|the)\s+)?{_TERM}\s+(?P<verb>is|are)\s+used\s+"
            rf"(?P<definition>(?:to|for)\s.+?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "used",
        re.compile(
            rf"^(?:(?P<article>Der|Die|Das|Ein|Eine)\s+)?{_TERM}\s+(?P<verb>ist|sind)\s+"
            rf"(?P<definition>für\s.+?\sgedacht\b.*?)\s*[.!]?$"
        ),
    ),
    # a named statement: "Sturtevant’s insight: The percentage of recombinants is …"
    (
        "en",
        "states",
        re.compile(
            r"^(?P<term>[A-Z][\w-]+['’]s\s+(?:insight|law|rule|principle|theorem|hypothesis"
            r"|razor|paradox|effect|idea|conjecture))\s*:\s*(?P<definition>.+?)\s*[.!]?$"
        ),
    ),
    (
        "de",
        "states",
        re.compile(
            r"^(?P<term>[A-ZÄÖÜ][\w-]+s\s+(?:Gesetz|Regel|Prinzip|Satz|Hypothese|Idee))"
            r"\s*:\s*(?P<definition>.+?)\s*[.!]?$"
        ),
    ),
    # reversed: "The smallest unit of life is called the cell." / "… nennt man Zelle."
    (
        "en",
        "called",
        re.compile(
            r"^(?P<definition>(?:an?|the)\s.+?)\s+(?:is|are)\s+(?:called|known as|termed)\s+"
            r"(?:(?P<article>an?|the)\s+)?(?P<term>[^,;:.!?()]{1,60}?)\s*[.!]?$",
            re.I,
        ),
    ),
    (
        "de",
        "called",
        re.compile(
            r"^(?P<definition>(?:Ein|Eine|Einen|Der|Die|Das|Den)\s.+?)\s+"
            r"(?:nennt man|heißt|heißen|bezeichnet man als)\s+"
            r"(?:(?P<article>der|die|das|ein|eine|einen)\s+)?(?P<term>[^,;:.!?()]{1,60}?)\s*[.!]?$"
        ),
    ),
]
# Inside a sentence: "Let's create a new file using the `touch` command, which is a quick way
# to create an empty file."
_APPOSITIVE = re.compile(
    r"\b(?P<article>the|an?)\s+(?P<term>(?:[^\s,;:.!?()]+\s){0,2}[^\s,;:.!?()]+),\s+which\s+"
    r"(?P<verb>is)\s+(?P<definition>(?:an?|the)\s[^,;:!?]+?)\s*[.!]?$",
    re.I,
)
_TASK = re.compile(
    r"^\w{1,3}:\s|^(?:[A-ZÄÖÜ]\w+en)\s+Sie\b|\b(?:Ich kann|I can)\b"
    r"|^(?:Name|List|Explain|Describe|State|Give|Think|Try|Nennen|Erläutern|Erklären|Beschreiben)\b"
)
# Classroom talk ("Let's use the command line to create a ____ for the experiments that we're
# going to do today"): a blank in it tests the moment, not the content.
_TALK = re.compile(r"\b(?:we|we're|we'll|us|let's|our|you|your|wir|uns|unser\w*)\b", re.I)
# a German infinitive (lower case, "-en"/"-ln"/"-rn"): an instruction, not a description
_INFINITIVE = re.compile(
    r"(?<![\w-])(?!(?:einen|keinen|ihren|seinen|meinen|den|denen)\b)[a-zäöüß]{3,}(?:en|ln|rn)\b"
)
# Forms whose answer is not a definition: kept out of the quiz pool of definitions.
PURPOSE, STATEMENT = "used", "states"
_EXAMPLE = re.compile(
    r"\b(for example|for instance|e\.\s?g\.|such as|zum Beispiel|z\.\s?B\.|beispielsweise"
    r"|Beispiel:|например)",
    re.I,
)
_MISTAKE = re.compile(
    r"\b(common mistake|a mistake|do not confuse|don't confuse|not to be confused"
    r"|misconception|pitfall|häufige[rn]? Fehler|nicht verwechseln|nicht zu verwechseln"
    r"|Vorsicht|ошибк)",
    re.I,
)
_ANALOGY = re.compile(
    r"\b(is like|are like|just as|analogous to|think of|vergleichbar mit)\b", re.I
)
_USE = re.compile(
    r"\b(is used (?:to|for|in)|are used (?:to|for|in)|in practice|wird verwendet"
    r"|werden verwendet|verwendet man|nutzt man|eingesetzt)\b",
    re.I,
)
# A second definition in the same sentence ("…, and anabolism is the part that …") is cut off
# at the comma: the answer stays a complete clause about the card's term only.
_SECOND_DEFINITION = re.compile(
    r",\s+(?:and|while|whereas|und|während)\s+\w+(?:\s\w+){0,3}\s+(?:is|are|ist|sind)\s"
)
_VAGUE = re.compile(
    r"\b(below|following|as shown|this slide|next slide|folgende[nrs]?|unten|s\. u\.)\b"
    r"|[{};=]|\(\)"
    # an answer that leans on what came before ("The reverse process, …") means nothing alone
    r"|^(?:the (?:reverse|opposite|same|latter|former|other)|this|these|it|they|dies|diese[rs]?)\b"
    # a Russian clause that is not a description: "не ограничено", an infinitive
    r"|^(?:не|нет)\s|^[а-яё]+ть(?:ся)?\b",
    re.I,
)
_LABEL_ENDINGS = frozenset(("result", "results", "takeaway", "takeaways", "conclusion"))
# "The level of biliverdin in blood is a heritable trait": a quantity of something, not a term
# fmt: off
_QUANTITIES = frozenset((
    "level", "levels", "amount", "amounts", "number", "numbers", "rate", "rates", "degree",
    "percentage", "value", "values", "proportion", "size",
))
# A label with a verb is a claim, not a name ("ABM offers explanations: theories that …").
_LABEL_VERBS = frozenset((
    "is", "are", "was", "has", "have", "offers", "offer", "provides", "provide", "gives",
    "give", "allows", "allow", "helps", "help", "makes", "make", "shows", "show", "needs",
    "need", "requires", "require", "uses", "use", "enables", "enable", "creates", "create",
    "means", "ist", "sind", "hat", "haben", "bietet", "bieten", "gibt", "erlaubt", "macht",
    "zeigt", "braucht",
))
# fmt: on
# An explanation that is a sentence of its own ("Implications for inheritance: When studying
# the effects of a gene, you need to …") says something about a topic; it does not define
# the label.
_OWN_SENTENCE = re.compile(
    r"^(?:when|if|because|although|while|since|once|wenn|falls|weil|obwohl)\b"
    r"|\b(?:you|we|wir)\b|(?<!^)\bSie\b",
    re.I,
)
# "A git **repository** … the **staging area** (the area where git checks for file changes)":
# a bold term glossed in brackets right after it.
_GLOSSED = re.compile(
    r"\*\*(?P<term>[^*\n]{2,60}?)\*\*\s*\((?P<definition>(?:the|an?|der|die|das|ein|eine)\s[^()\n]{10,200})\)"
)
SAME_ANSWER = 85  # rapidfuzz ratio at which two terms' answers are the same text
_ENDS = (".", "!", "?", "…", ")", '"', "”", "“")


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
    if first in _QUANTITIES and len(parts) > 1 and parts[1].lower() in ("of", "von", "an"):
        return False
    if re.search(r"[а-яё](?:ся|ть)\b", term.lower()):
        return False  # a Russian verb: "Сдаётся в формате вопрос – ответ" is no term
    # "main result", "key takeaways": a label whose last word says it is one
    return not {term.lower(), first} & META_TERMS and last not in _LABEL_ENDINGS


def complete_clause(text: str, stopped: bool = False) -> bool:
    """Enough words, no markup, and not cut off: unless the source sentence ends with a full
    stop (``stopped``), it does not end on a stopword."""
    tokens = words(text)
    if not MIN_ANSWER_WORDS <= len(text.split()) <= MAX_ANSWER_WORDS or not tokens:
        return False
    if has_markup(text) or _VAGUE.search(text) or text.rstrip().endswith(("?", ":", ",")):
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
    text = _SECOND_DEFINITION.split(text, maxsplit=1)[0].strip().rstrip(";,-–— ")
    text = text[:1].upper() + text[1:]
    return text if text.endswith(_ENDS) else text + "."


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
        if equated and _INFINITIVE.search(definition):
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
    return len(text.split()) >= 2 and not has_markup(text) and not _VAGUE.search(text)


def _defines(form: str, article: str, verb: str, raw_term: str, definition: str) -> bool:
    """Shapes that match a definition's pattern but state something else."""
    tokens = _answer(definition).split()
    if form == "is" and tokens[0].lower() in ("the", "der", "die", "das") and len(tokens) < 6:
        return False  # "The independent variable is the color of blood": this case's value
    if form == "colon" and _OWN_SENTENCE.search(definition):
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
    for match in _GLOSSED.finditer(text):
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
    if _EXAMPLE.match(text) or text.endswith("?"):
        return None
    for pattern_language, form, pattern in _PATTERNS:
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
    inline = _APPOSITIVE.search(text) if language == "en" else None
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
    if any(word.lower() in _LABEL_VERBS for word in words[1:]):
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
            (s for s in following + about if _EXAMPLE.search(s.text) and s.index not in used), None
        )
        if example is not None:
            used.add(example.index)
            definition.example = example.text
        definition.mistake = _first(about, _MISTAKE)
        definition.analogy = _first(about, _ANALOGY)
        definition.use = _first(about, _USE)


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
        if len(sentence.text.split()) < MIN_CLOZE_WORDS or _EXAMPLE.match(sentence.text):
            continue
        if _TASK.search(sentence.text) or _TALK.search(sentence.text):
            continue  # "k2: Ich kann …", "Nennen Sie …", "Let's …": a task or talk, not content
        if not own and any(_restates(sentence.text, d.sentence.text) for d in definitions):
            continue  # speaker notes often repeat the slide: that card exists already
        whole = sentence.text.rstrip().endswith((".", "!", ";")) or sentence.listed
        if not whole and id(sentence) not in defining:
            continue
        for term in terms:
            spaced = r"\s+".join(re.escape(word) for word in term.split())
            pattern = re.compile(rf"(?<![\w-]){spaced}(?![\w-])", re.I)
            found_term = pattern.search(sentence.text)
            inside = re.compile(rf"(?<!\w){spaced}", re.I)  # also in "Exception-Situation"
            if found_term and len(inside.findall(sentence.text)) > 1:
                break  # the blank's answer would stand in the same sentence
            if found_term and _opposite_named(term, sentence.text):
                break  # "zwischen ____ und unchecked Exceptions": the opposite gives it away
            if found_term:
                blanked = plain_inline(
                    sentence.text[: found_term.start()] + "____" + sentence.text[found_term.end() :]
                )
                clozes.append(Cloze(" ".join(found_term.group(0).split()), blanked, sentence))
                break
    return clozes
