"""The offline generator: flashcards and quizzes extracted from the text itself.

No key, no network, deterministic. Cards come from definitional sentences ("X is a …",
"X refers to …", "Term: …" bullets, "X occurs when …"), from "X does …" sentences, from
headings with their first sentence, and as cloze cards for other sentences that use a defined
term. Quizzes are built from the lecture's cards: distractors are other cards' terms and
descriptions, so every option is real course material and every question is answerable from
the cards.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flashgen.generation import Generated, GenerationContext, Rejection
from flashgen.ids import card_id, digest
from flashgen.mix import QuestionMix, assign
from flashgen.models import (
    BLANK,
    Answers,
    CardSource,
    Chunk,
    Flashcard,
    FlashcardType,
    QuizQuestion,
    RelevanceScore,
)
from flashgen.validation import dedupe_cards, dedupe_questions, finalize_question, normalise

MAX_CARDS_PER_CHUNK = 20
MAX_CLOZE_PER_CHUNK = 3
_ARTICLE = r"(?P<article>an?|the)\s+"
_TERM = r"(?P<term>[\w][\w'’()\-/+]*(?:\s+[\w'’()\-/+]+){0,5}?)"
# fmt: off
_NOT_TERMS = {
    "it", "this", "that", "these", "those", "there", "here", "which", "each", "every", "its",
    "such", "one", "what", "for", "in", "on", "when", "if", "they", "we", "you", "he", "she",
    "all", "some", "most", "many", "our", "their", "his", "her", "another", "other", "both",
    "then", "so", "but", "and", "or", "however", "thus", "also", "note", "remember", "example",
    "like", "unlike", "because", "although", "while", "since",
}
# fmt: on
_PATTERNS: list[tuple[FlashcardType, str, re.Pattern[str]]] = [
    (
        "definition",
        "refer",
        re.compile(
            rf"^(?:{_ARTICLE})?{_TERM}\s+(?:refers to|is defined as|denotes|means)\s+"
            r"(?P<definition>.{8,})$",
            re.I,
        ),
    ),
    (
        "definition",
        "is",
        re.compile(
            rf"^(?:{_ARTICLE})?{_TERM}\s+(?P<verb>is|are)\s+"
            r"(?P<definition>(?:an?|the|any|one|a kind of|a type of)\s.{8,})$",
            re.I,
        ),
    ),
    (
        "concept",
        "occur",
        re.compile(
            rf"^(?:{_ARTICLE})?{_TERM}\s+(?P<verb>occurs|happens|arises)\s+"
            r"(?P<definition>(?:when|if|whenever)\s.{6,})$",
            re.I,
        ),
    ),
    (
        "definition",
        "colon",
        re.compile(
            r"^(?P<term>(?:(?!\b(?:is|are|was|were)\b)[^:.]){2,50}?)\s*:\s+"
            r"(?P<definition>[^:]{10,})$"
        ),
    ),
    (
        "process",
        "does",
        re.compile(
            r"^(?:(?P<article>[Aa]n?|[Tt]he)\s+)?"
            r"(?P<term>[A-Z][\w'’\-]*(?:\s+[\w'’\-]+){0,3}?)\s+"
            r"(?P<definition>(?P<verb>[a-z]{3,}(?<!ss)s)\s(?P<after>[\w'’\-]+).{6,})$"
        ),
    ),
]
_NOT_VERBS = {"is", "has", "was", "does", "its", "this", "thus", "always", "sometimes", "less"}
# A verb in "X builds the list" is followed by an article, a preposition, a number or an -ing
# word; a plural noun read as the verb ("Nerve cells rely …", "reactions occur …") is not.
# fmt: off
_AFTER_A_VERB = {
    "the", "a", "an", "each", "every", "all", "its", "their", "that", "this", "these", "those",
    "one", "two", "three", "four", "about", "up", "down", "out", "in", "into", "from", "to",
    "with", "through", "by", "on", "over", "under", "between", "across", "as", "more", "less",
    "most", "only", "no", "any", "some", "both",
}
# fmt: on
_EXAMPLE = re.compile(r"^(for example|for instance|e\.g\.|example:|as an example)[,:]?\s*", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦]|\d+[.)])\s+")
_ANALOGY_WORDS = re.compile(r"\b(like|similar to|analogous|think of|just as|compared to)\b", re.I)
_USE_WORDS = re.compile(r"\b(used|use|uses|application|in practice|real|applied)\b", re.I)
_PITFALL_WORDS = re.compile(
    r"\b(not|unlike|however|but|only|worst|avoid|suffers?|cannot|never|mistake|confuse)\b", re.I
)


@dataclass
class _Sentence:
    text: str
    heading: str
    offset: int = 0
    used: bool = False


@dataclass
class _Draft:
    kind: FlashcardType
    form: str
    term: str
    article: str
    definition: str
    sentence: _Sentence
    example: str = ""
    extras: dict[str, str] = field(default_factory=dict)


class OfflineGenerator:
    """Extractive, deterministic flashcards and quizzes; the default when no provider is set."""

    name = "offline"
    model = "extractive-v1"
    # Bump when a change to this module changes what it generates, to refresh cached results.
    version = 3

    questions_per_card = 1

    @property
    def quiz_group_size(self) -> int | None:
        return None  # distractors come from the lecture's other cards: one request sees them all

    def __init__(self, mix: QuestionMix | None = None) -> None:
        self.mix = mix or QuestionMix()

    @property
    def identity(self) -> dict[str, Any]:
        return {
            "generator": self.name,
            "model": self.model,
            "version": self.version,
            **self.mix.identity,
        }

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        sentences = _sentences(chunk.text)
        drafts = _find_definitions(sentences, chunk.text)
        drafts += _heading_cards(sentences, drafts)
        drafts += _cloze_cards(sentences, drafts)
        _attach_examples(sentences, drafts)
        cards = [
            _to_card(draft, drafts, sentences, chunk.text, ctx, _source(chunk, draft, ctx))
            for draft in drafts[:MAX_CARDS_PER_CHUNK]
        ]
        kept, dropped = dedupe_cards(cards)
        return Generated(
            items=kept,
            rejected=[Rejection("near-duplicate card", card.question) for card in dropped],
        )

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        pool = _quiz_pool(cards)
        questions: list[QuizQuestion] = []
        rejected: list[Rejection] = []
        if len(pool) < 4:
            rejected.append(Rejection(f"{len(pool)} usable cards; quizzes need at least 4"))
            return Generated(items=[], rejected=rejected)
        shares = self.mix.shares(level)
        kinds = assign([card.id for card in pool], shares, level)
        for index, card in enumerate(pool):
            rng = random.Random(digest(card.id, str(level)))
            kind = kinds[card.id]
            draft = (
                _EXTRA_BUILDERS[kind](card, index, pool, level, rng)
                if (kind in _EXTRA_BUILDERS)
                else None
            )
            if draft is None:  # mcq/mca, or an extra type this card cannot make
                multi = kind == "mca"
                draft = _LEVEL_BUILDERS[level](card, index, pool, multi, rng)
            try:
                questions.append(finalize_question(ctx.course.id, ctx.lecture_id, level, draft))
            except ValueError as exc:
                rejected.append(Rejection(str(exc), str(draft.get("question_text", ""))))
        kept, dropped = dedupe_questions(questions)
        rejected += [Rejection("near-duplicate question", q.question_text) for q in dropped]
        return Generated(items=kept, rejected=rejected)


# --- flashcards ----------------------------------------------------------------------------------


def _source(chunk: Chunk, draft: _Draft, ctx: GenerationContext) -> CardSource:
    """The chunk, narrowed to the page or slide the card's sentence stands on."""
    number = chunk.location_at(draft.sentence.offset)
    pages = [number] if number is not None and chunk.pages else list(chunk.pages)
    slides = [number] if number is not None and chunk.slides else list(chunk.slides)
    return CardSource(lecture=ctx.lecture_id, chunk=chunk.index, pages=pages, slides=slides)


def _sentences(text: str) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    heading = ""
    offset = 0
    for raw_line in text.split("\n"):
        line_offset = offset
        offset += len(raw_line) + 1
        line = raw_line.strip()
        if not line:
            continue
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            continue
        line = _BULLET.sub("", line)
        line = re.sub(r"^speaker notes:\s*", "", line, flags=re.I)
        line = line.replace("**", "").replace("__", "")
        sentences.extend(
            _Sentence(part.strip(), heading, line_offset)
            for part in _SENTENCE_SPLIT.split(line)
            if len(part.strip()) > 3
        )
    return sentences


def _clean_term(term: str, text: str) -> str:
    term = term.strip(" *_`\"'“”").strip()
    first = term.split()[0] if term.split() else ""
    # A capitalised first word is a sentence start unless the text capitalises it elsewhere too.
    if first[:1].isupper() and first[1:].islower():
        elsewhere = re.search(rf"[a-z,;] +{re.escape(first)}\b", text)
        if not elsewhere:
            term = first.lower() + term[len(first) :]
    return term


def _find_definitions(sentences: list[_Sentence], text: str) -> list[_Draft]:
    drafts: list[_Draft] = []
    seen_terms: set[str] = set()
    for sentence in sentences:
        if _EXAMPLE.match(sentence.text):
            continue
        for kind, form, pattern in _PATTERNS:
            match = pattern.match(sentence.text.rstrip())
            if not match:
                continue
            term = match.group("term")
            words = term.split()
            if words[0].lower() in _NOT_TERMS or len(words) > 6:
                continue
            groups = match.groupdict()
            if form == "does" and (
                (groups.get("verb") or "") in _NOT_VERBS
                or not _verb_like_follower((groups.get("after") or "").lower())
            ):
                continue
            article = (groups.get("article") or "").lower()
            leading = re.match(r"(?i)(an?|the)\s+", term)
            if leading and not article:
                article, term = leading.group(1).lower(), term[leading.end() :]
            term = _clean_term(term, text)
            if normalise(term) in seen_terms:
                continue
            seen_terms.add(normalise(term))
            sentence.used = True
            drafts.append(
                _Draft(
                    kind=kind,
                    form=form,
                    term=term,
                    article=article,
                    definition=match.group("definition").strip().rstrip("."),
                    sentence=sentence,
                    extras={"verb": (groups.get("verb") or "").lower()},
                )
            )
            break
    return drafts


def _verb_like_follower(word: str) -> bool:
    return word in _AFTER_A_VERB or word.isdigit() or word.endswith("ing")


def _heading_cards(sentences: list[_Sentence], drafts: list[_Draft]) -> list[_Draft]:
    """One card per section whose heading no definition already covers."""
    covered = {normalise(d.term) for d in drafts} | {normalise(d.sentence.heading) for d in drafts}
    cards: list[_Draft] = []
    for sentence in sentences:
        heading = sentence.heading
        if not heading or normalise(heading) in covered or sentence.used:
            continue
        if _EXAMPLE.match(sentence.text):
            continue
        covered.add(normalise(heading))
        sentence.used = True
        cards.append(
            _Draft(
                kind="concept",
                form="heading",
                term=heading,
                article="",
                definition=sentence.text.rstrip("."),
                sentence=sentence,
            )
        )
    return cards


def _cloze_cards(sentences: list[_Sentence], drafts: list[_Draft]) -> list[_Draft]:
    terms = sorted({d.term for d in drafts if d.form != "heading"}, key=len, reverse=True)
    cards: list[_Draft] = []
    for sentence in sentences:
        if sentence.used or len(cards) >= MAX_CLOZE_PER_CHUNK or _EXAMPLE.match(sentence.text):
            continue
        for term in terms:
            pattern = re.compile(rf"\b{re.escape(term)}\b", re.I)
            if pattern.search(sentence.text):
                blanked = pattern.sub("____", sentence.text, count=1)
                sentence.used = True
                cards.append(
                    _Draft(
                        kind="cloze",
                        form="cloze",
                        term=term,
                        article="",
                        definition=blanked,
                        sentence=sentence,
                    )
                )
                break
    return cards


def _attach_examples(sentences: list[_Sentence], drafts: list[_Draft]) -> None:
    for sentence in sentences:
        if not _EXAMPLE.match(sentence.text):
            continue
        section = [d for d in drafts if d.sentence.heading == sentence.heading and not d.example]
        mentioned = [d for d in section if d.term.lower() in sentence.text.lower()]
        before = [d for d in section if sentences.index(d.sentence) < sentences.index(sentence)]
        candidates = mentioned or before[-1:] or section[:1]
        if candidates:
            candidates[0].example = sentence.text


def _question(draft: _Draft) -> str:
    article = f"{draft.article} " if draft.article else ""
    verb = draft.extras.get("verb", "")
    if draft.form == "refer":
        return f"What does {article}{draft.term} refer to?"
    if draft.form == "occur":
        return f"When does {article}{draft.term} {verb.removesuffix('s')}?"
    if draft.form == "does":
        return f"What does {article}{draft.term} do?"
    if draft.form == "heading":
        return f"What is the key idea of “{draft.term}”?"
    if draft.form == "cloze":
        return f"Fill in the blank: {draft.definition}"
    if not article and draft.form == "colon":
        return f"What is meant by “{draft.term}”?"
    return f"What {'are' if verb == 'are' else 'is'} {article}{draft.term}?"


def _concise(draft: _Draft) -> str:
    if draft.form == "cloze":
        return draft.term
    text = draft.definition
    if draft.form == "does":
        text = f"It {text}"
    return text[:1].upper() + text[1:] + "."


def _shorten(text: str, words: int = 16) -> str:
    text = re.sub(r"\s*\([^)]*\)", "", text)
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _mentioning(draft: _Draft, sentences: list[_Sentence], pattern: re.Pattern[str]) -> str:
    """Another sentence about the card's term that matches ``pattern``."""
    for sentence in sentences:
        if sentence is draft.sentence:
            continue
        if draft.term.lower() in sentence.text.lower() and pattern.search(sentence.text):
            return sentence.text
    return ""


def _to_card(
    draft: _Draft,
    drafts: list[_Draft],
    sentences: list[_Sentence],
    text: str,
    ctx: GenerationContext,
    source: CardSource,
) -> Flashcard:
    term = draft.term
    others = [d for d in drafts if d.term != term and d.form not in ("cloze", "heading")]
    contrast = others[0] if others else None
    short = _shorten(_concise(draft) if draft.form != "cloze" else draft.sentence.text)
    analogy = _mentioning(draft, sentences, _ANALOGY_WORDS) or (
        f"Compare it with {contrast.term}: {_shorten(contrast.definition, 12)}."
        if contrast
        else f"Picture it through its section, “{draft.sentence.heading}”: {short}"
    )
    use = (
        draft.example
        or _mentioning(draft, sentences, _USE_WORDS)
        or (
            f"It comes up wherever the course deals with "
            f"“{draft.sentence.heading or ctx.lecture_id}”."
        )
    )
    pitfall = _mentioning(draft, sentences, _PITFALL_WORDS) or (
        f"Confusing {term} with {contrast.term}, which is {_shorten(contrast.definition, 12)}."
        if contrast
        else f"Remembering only the name: know that {term} means: {short}"
    )
    mentions = len(re.findall(rf"\b{re.escape(term)}\b", text, re.I))
    in_heading = normalise(term) in normalise(draft.sentence.heading)
    score = max(1, min(10, 3 + mentions + (2 if in_heading else 0) + (draft.kind == "definition")))
    reasons = [f"“{term}” appears {mentions} time{'s' if mentions != 1 else ''} in this part"]
    if draft.kind == "definition":
        reasons.append("is defined explicitly")
    if in_heading:
        reasons.append("names its section")
    question = _question(draft)
    return Flashcard(
        id=card_id(ctx.course.id, ctx.lecture_id, question),
        type=draft.kind,
        term=term,
        question=question,
        answers=Answers(
            concise=_concise(draft),
            analogy=analogy,
            eli5=f"In short: {short}",
            real_world_use_case=use,
            common_mistakes=pitfall,
        ),
        context=draft.sentence.heading,
        example=draft.example,
        relevance_score=RelevanceScore(score=score, justification=", ".join(reasons) + "."),
        source=source,
    )


# --- quizzes -------------------------------------------------------------------------------------

QuestionDraft = dict[str, Any]
LevelBuilder = Callable[[Flashcard, int, Sequence[Flashcard], bool, random.Random], QuestionDraft]
ExtraBuilder = Callable[
    [Flashcard, int, Sequence[Flashcard], int, random.Random], "QuestionDraft | None"
]


def _quiz_pool(cards: Sequence[Flashcard]) -> list[Flashcard]:
    """Cards with a distinct term and a distinct answer: what options can be made from."""
    pool: list[Flashcard] = []
    terms: set[str] = set()
    answers: set[str] = set()
    for card in cards:
        term, answer = normalise(card.term), normalise(card.answers.concise)
        if card.type == "cloze" or not term or term in terms or answer in answers:
            continue
        pool.append(card)
        terms.add(term)
        answers.add(answer)
    return pool


def _others(
    card: Flashcard, pool: Sequence[Flashcard], rng: random.Random, n: int
) -> list[Flashcard]:
    candidates = [other for other in pool if other.id != card.id]
    return rng.sample(candidates, min(n, len(candidates)))


def _statement(card: Flashcard) -> str:
    return f"{card.term} — {card.answers.concise}"


def _false_statement(a: Flashcard, b: Flashcard) -> str:
    return f"{a.term} — {b.answers.concise}"


def _plain(text: str) -> str:
    return text.rstrip(".")


def _choice(
    kind: str,
    text: str,
    correct: list[str],
    wrong: list[str],
    explanation: str,
    sources: list[Flashcard],
    tags: list[str],
) -> QuestionDraft:
    letters = ["A", "B", "C", "D"]
    options = dict(zip(letters, correct + wrong, strict=True))
    return {
        "type": kind,
        "question_text": text,
        "options": options,
        "correct_answer": letters[: len(correct)],
        "explanation": explanation,
        "source_flashcard_ids": [card.id for card in sources],
        "tags": tags,
    }


def _tags(card: Flashcard, level: int) -> list[str]:
    tags = [f"level-{level}"]
    if card.context:
        tags.append(normalise(card.context).replace(" ", "-")[:40])
    return tags


def _pairing_question(
    card: Flashcard, pool: Sequence[Flashcard], rng: random.Random, level: int, text: str
) -> QuestionDraft:
    """Two true term–description statements and two with the descriptions swapped."""
    second, third, fourth = _others(card, pool, rng, 3)
    true = [_statement(card), _statement(second)]
    false = [_false_statement(third, fourth), _false_statement(fourth, third)]
    explanation = (
        f"True: {_plain(true[0])}; and {_plain(true[1])}. "
        f"The other two attach {third.term} and {fourth.term} "
        "to each other's descriptions."
    )
    return _choice("mca", text, true, false, explanation, [card, second], _tags(card, level))


def _level_1(
    card: Flashcard, _: int, pool: Sequence[Flashcard], multi: bool, rng: random.Random
) -> QuestionDraft:
    if multi:
        return _pairing_question(
            card, pool, rng, 1, "Which of these terms are paired with their correct description?"
        )
    wrong = [other.answers.concise for other in _others(card, pool, rng, 3)]
    return _choice(
        "mcq",
        f"Which statement best describes “{card.term}”?",
        [card.answers.concise],
        wrong,
        f"“{card.term}” is described as: {card.answers.concise}",
        [card],
        _tags(card, 1),
    )


def _level_2(
    card: Flashcard, _: int, pool: Sequence[Flashcard], multi: bool, rng: random.Random
) -> QuestionDraft:
    if multi:
        return _pairing_question(
            card, pool, rng, 2, "Which of the following statements are accurate?"
        )
    wrong = [other.term for other in _others(card, pool, rng, 3)]
    if card.example:
        text = f"Which concept does this example illustrate? “{card.example}”"
    else:
        text = f"Which term matches this description? “{card.answers.concise}”"
    return _choice(
        "mcq",
        text,
        [card.term],
        wrong,
        f"It describes {card.term}: {card.answers.concise}",
        [card],
        _tags(card, 2),
    )


def _level_3(
    card: Flashcard, _: int, pool: Sequence[Flashcard], multi: bool, rng: random.Random
) -> QuestionDraft:
    if multi:
        return _pairing_question(
            card,
            pool,
            rng,
            3,
            f"Which statements hold, judging “{card.term}” against related ideas?",
        )
    first, second, third = _others(card, pool, rng, 3)
    false = [
        _false_statement(card, first),
        _false_statement(second, third),
        _false_statement(third, card),
    ]
    return _choice(
        "mcq",
        f"Only one statement about “{card.term}” and related ideas is true. Which one?",
        [_statement(card)],
        false,
        f"True: {_plain(_statement(card))}. The others attach a description to the wrong term.",
        [card],
        _tags(card, 3),
    )


def _level_4(
    card: Flashcard, index: int, pool: Sequence[Flashcard], multi: bool, rng: random.Random
) -> QuestionDraft:
    # Pair the card with one from another section where the lecture has one.
    elsewhere = [c for c in pool if c.context != card.context] or [c for c in pool if c != card]
    partner = elsewhere[index % len(elsewhere)]
    rest = [c for c in pool if c.id not in (card.id, partner.id)]
    third = rest[rng.randrange(len(rest))]

    def combined(a: Flashcard, da: Flashcard, b: Flashcard, db: Flashcard) -> str:
        return f"{a.term}: {da.answers.concise} / {b.term}: {db.answers.concise}"

    right = combined(card, card, partner, partner)
    swapped = combined(card, partner, partner, card)
    if multi:
        also_right = combined(partner, partner, third, third)
        wrong = [swapped, combined(third, partner, card, third)]
        return _choice(
            "mca",
            f"Which combinations of {card.term}, {partner.term} and {third.term} with their "
            "descriptions are both correct?",
            [right, also_right],
            wrong,
            f"Correct: {_plain(right)}; and {_plain(also_right)}.",
            [card, partner, third],
            _tags(card, 4),
        )
    wrong = [swapped, combined(card, card, partner, third), combined(card, third, partner, partner)]
    return _choice(
        "mcq",
        f"Which option describes both {card.term} and {partner.term} correctly?",
        [right],
        wrong,
        f"Correct: {_plain(right)}.",
        [card, partner],
        _tags(card, 4),
    )


_LEVEL_BUILDERS: dict[int, LevelBuilder] = {1: _level_1, 2: _level_2, 3: _level_3, 4: _level_4}


# --- opt-in question types -----------------------------------------------------------------------


def _base(
    card: Flashcard, level: int, text: str, explanation: str, sources: Sequence[Flashcard]
) -> QuestionDraft:
    return {
        "question_text": text,
        "explanation": explanation,
        "source_flashcard_ids": [c.id for c in sources],
        "tags": _tags(card, level),
    }


def _true_false(
    card: Flashcard, _: int, pool: Sequence[Flashcard], level: int, rng: random.Random
) -> QuestionDraft | None:
    truthful = rng.random() < 0.5
    other = _others(card, pool, rng, 1)[0]
    statement = _statement(card) if truthful else _false_statement(card, other)
    verdict = "True" if truthful else f"False: that describes {other.term}"
    explanation = f"{verdict}. {card.term} — {_plain(card.answers.concise)}."
    return {
        **_base(card, level, f"True or false? {statement}", explanation, [card]),
        "type": "true_false",
        "correct_answer": truthful,
    }


def _fill_in_blank(
    card: Flashcard, _: int, pool: Sequence[Flashcard], level: int, rng: random.Random
) -> QuestionDraft | None:
    text = f"{BLANK} — {card.answers.concise}"
    explanation = f"The description is of {card.term}."
    return {
        **_base(card, level, f"Name the term: {text}", explanation, [card]),
        "type": "fill_in_blank",
        "accepted_answers": [card.term],
    }


def _matching(
    card: Flashcard, _: int, pool: Sequence[Flashcard], level: int, rng: random.Random
) -> QuestionDraft | None:
    chosen = [card, *_others(card, pool, rng, 3)]
    pairs = [{"left": c.term, "right": c.answers.concise} for c in chosen]
    explanation = "; ".join(f"{c.term}: {_plain(c.answers.concise)}" for c in chosen) + "."
    return {
        **_base(card, level, "Match each term with its description.", explanation, chosen),
        "type": "matching",
        "pairs": pairs,
    }


def _categorization(
    card: Flashcard, _: int, pool: Sequence[Flashcard], level: int, rng: random.Random
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
    explanation = (
        "; ".join(f"{name}: {', '.join(c.term for c in members[name])}" for name in picked) + "."
    )
    return {
        **_base(
            card,
            level,
            "Sort these terms into the section of the lecture that introduces them.",
            explanation,
            chosen,
        ),
        "type": "categorization",
        "categories": {name: [c.term for c in members[name]] for name in picked},
    }


_EXTRA_BUILDERS: dict[str, ExtraBuilder] = {
    "true_false": _true_false,
    "fill_in_blank": _fill_in_blank,
    "matching": _matching,
    "categorization": _categorization,
}
