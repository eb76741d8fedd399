"""The offline generator: flashcards and quizzes taken from the text itself.

No key, no network, deterministic. It is for trying flashgen, CI and a first pass over a course;
it writes a card only where the text defines something (cards, cloze), fills only the facets
the text states, and builds questions whose options are the lecture's own material, shaped so
that only someone who knows the content can answer them (offline_quiz). Question wording exists
for English and German (offline_lang); other languages get cloze cards and no quizzes. A model
behind a provider adds what extraction cannot: analogies, plain-language explanations, uses,
and questions about ideas the text explains without defining them.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from flashgen.generate.base import Generated, GenerationContext, Rejection
from flashgen.generate.mix import QuestionMix, assign
from flashgen.generate.offline.cards import Definition, card_question, find_definitions
from flashgen.generate.offline.cloze import Cloze, find_clozes
from flashgen.generate.offline.extra_types import EXTRA
from flashgen.generate.offline.lang import Wording, wording
from flashgen.generate.offline.quiz import (
    SINGLE,
    Draw,
    QuestionDraft,
    balance_positions,
    swapped_pairs,
)
from flashgen.generate.offline.shapes import PURPOSE, STATEMENT
from flashgen.generate.offline.text import Sentence, detect_language, sentences
from flashgen.generate.validation import (
    dedupe_cards,
    dedupe_questions,
    finalize_question,
    normalise,
)
from flashgen.ids import card_id, digest
from flashgen.models import (
    Answers,
    CardSource,
    Chunk,
    Flashcard,
    FlashcardType,
    QuizQuestion,
    RelevanceScore,
)

# A purpose ("What is X used for?") or a named statement is no definition: its answer is not
# a distractor for a definition, so those cards stay out of the quizzes' pool.
_CARD_TYPES: dict[str, FlashcardType] = {PURPOSE: "concept", STATEMENT: "fact"}
MAX_CARDS_PER_CHUNK = 20
MAX_CLOZE_PER_CHUNK = 2
# A question needs one definition card of its lecture (the course's other lectures give the
# distractors); a lecture whose cards have no three same-kind distractors anywhere gets none.
MIN_QUIZ_CARDS = 1
MIN_OPTIONS = 4  # one answer and three distractors of the same kind


class OfflineGenerator:
    """Extractive, deterministic flashcards and quizzes; the default when no provider is set."""

    name = "offline"
    model = "extractive-v2"
    sizing = None  # no requests to size
    # Bump when a change to this module changes what it generates, to refresh cached results.
    version = 5

    questions_per_card = 1

    @property
    def quiz_group_size(self) -> int | None:
        return None  # distractors come from the lecture's other cards: one request sees them all

    def __init__(
        self,
        mix: QuestionMix | None = None,
        course_chunks: Mapping[str, Sequence[Chunk]] | None = None,
    ) -> None:
        """``course_chunks``: every lecture's chunks (by lecture id), read before the run. Their
        definitions are the distractors of last resort for short lectures; given up front, the
        quiz of one lecture never depends on which other lecture finished first."""
        self.mix = mix or QuestionMix()
        self.course_chunks = {k: list(v) for k, v in sorted((course_chunks or {}).items())}
        # (course, declared language) -> the course's definition cards by their own language
        self._course_pools: dict[tuple[str, str], dict[str, list[Flashcard]]] = {}

    @property
    def identity(self) -> dict[str, Any]:
        identity = {
            "generator": self.name,
            "model": self.model,
            "version": self.version,
            **self.mix.identity,
        }
        if self.course_chunks:
            # the course's text decides the distractors: a changed lecture refreshes every quiz
            texts = [
                f"{lecture}\n{c.text}" for lecture, cs in self.course_chunks.items() for c in cs
            ]
            identity["course_text"] = digest(*texts)
        return identity

    async def flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        return self._flashcards(chunk, ctx)

    def _flashcards(self, chunk: Chunk, ctx: GenerationContext) -> Generated[Flashcard]:
        language = detect_language(chunk.text, ctx.language)
        words = wording(language)
        found = sentences(chunk.text)
        definitions = find_definitions(found, language, chunk.text)
        cards: list[Flashcard] = []
        if words is not None:
            cards += [_definition_card(d, words, found, chunk, ctx) for d in definitions]
        clozes = find_clozes(
            found,
            definitions,
            MAX_CLOZE_PER_CHUNK if words else MAX_CARDS_PER_CHUNK,
            own=words is None,
        )
        cards += [_cloze_card(c, words, found, chunk, ctx) for c in clozes]
        kept, dropped = dedupe_cards(cards[:MAX_CARDS_PER_CHUNK])
        rejected = [Rejection("near-duplicate card", card.question) for card in dropped]
        if not definitions:
            rejected.append(Rejection("no sentence in this part defines a term"))
        return Generated(items=kept, rejected=rejected)

    async def quiz(
        self, cards: Sequence[Flashcard], level: int, ctx: GenerationContext
    ) -> Generated[QuizQuestion]:
        text = " ".join(f"{c.question} {c.answers.concise}" for c in cards)
        language = detect_language(text, ctx.language)
        words = wording(language)
        if words is None:
            reason = "no question wording for this language; the cards are cloze cards only"
            return Generated(items=[], rejected=[Rejection(reason)])
        own = _quiz_pool(cards)
        course = self._course_pool(ctx, language)
        pool = _quiz_pool([*own, *course])
        if len(own) < MIN_QUIZ_CARDS or len(pool) < MIN_OPTIONS:
            reason = (
                f"{len(own)} definition cards ({len(pool)} in the course), "
                f"too few for a level-{level} quiz"
            )
            return Generated(items=[], rejected=[Rejection(reason)])
        own_ids = {card.id for card in own}
        kinds = assign([card.id for card in own], self.mix.shares(level), level)
        questions: list[QuizQuestion] = []
        rejected: list[Rejection] = []
        tally: Counter[int] = Counter()  # the length ranks the answers took (see Draw)
        for card in own:
            rng = Draw(digest(card.id, str(level)), tally)
            draft = _build(kinds[card.id], card, pool, level, rng, words)
            if draft is None:
                rejected.append(Rejection("no honest question of this design", card.term))
                continue
            # a question cites only its own lecture's cards, even when a distractor is another's
            draft["source_flashcard_ids"] = [
                i for i in draft["source_flashcard_ids"] if i in own_ids
            ]
            try:
                questions.append(finalize_question(ctx.course.id, ctx.lecture_id, level, draft))
            except ValueError as exc:
                rejected.append(Rejection(str(exc), str(draft.get("question_text", ""))))
        kept, dropped = dedupe_questions(questions)
        rejected += [Rejection("near-duplicate question", q.question_text) for q in dropped]
        kept = balance_positions(kept, digest(ctx.course.id, ctx.lecture_id, str(level)))
        return Generated(items=kept, rejected=rejected)

    def _course_pool(self, ctx: GenerationContext, language: str) -> list[Flashcard]:
        """The definition cards in ``language`` of the course's other lectures. Cards and their
        languages are found once per declared language, not again for every quiz task."""
        key = (ctx.course.id, ctx.language)
        if key not in self._course_pools:
            found: list[Flashcard] = []
            for lecture_id, chunks in self.course_chunks.items():
                lecture_ctx = replace(ctx, lecture_id=lecture_id)
                for chunk in chunks:
                    found += self._flashcards(chunk, lecture_ctx).items
            by_language: dict[str, list[Flashcard]] = {}
            for card in found:
                if card.type == "definition":
                    by_language.setdefault(_language(card, ctx), []).append(card)
            self._course_pools[key] = by_language
        cards = self._course_pools[key].get(language, [])
        return [c for c in cards if c.source.lecture != ctx.lecture_id]


# --- flashcards ----------------------------------------------------------------------------------


def _source(chunk: Chunk, sentence: Sentence, ctx: GenerationContext) -> CardSource:
    """The chunk, narrowed to the page or slide the card's sentence stands on."""
    number = chunk.location_at(sentence.offset)
    pages = [number] if number is not None and chunk.pages else list(chunk.pages)
    slides = [number] if number is not None and chunk.slides else list(chunk.slides)
    return CardSource(lecture=ctx.lecture_id, chunk=chunk.index, pages=pages, slides=slides)


def _relevance(term: str, found: list[Sentence], defined: bool) -> RelevanceScore:
    pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.I)
    mentions = sum(len(pattern.findall(s.text)) for s in found)
    headed = any(pattern.search(" ".join(s.path)) for s in found)
    score = max(1, min(10, 3 + mentions + 2 * headed + defined))
    reasons = [f"mentioned {mentions}× in this part"]
    if defined:
        reasons.append("defined in the text")
    if headed:
        reasons.append("named in a heading")
    return RelevanceScore(score=score, justification="; ".join(reasons).capitalize() + ".")


def _definition_card(
    definition: Definition,
    words: Wording,
    found: list[Sentence],
    chunk: Chunk,
    ctx: GenerationContext,
) -> Flashcard:
    question = card_question(definition, words)
    return Flashcard(
        id=card_id(ctx.course.id, ctx.lecture_id, question),
        type=_CARD_TYPES.get(definition.form, "definition"),
        term=definition.term,
        question=question,
        answers=Answers(
            concise=definition.answer,
            analogy=definition.analogy,
            real_world_use_case=definition.use,
            common_mistakes=definition.mistake,
        ),
        context=definition.sentence.context,
        example=definition.example or "",
        relevance_score=_relevance(definition.term, found, defined=True),
        source=_source(chunk, definition.sentence, ctx),
    )


def _cloze_card(
    cloze: Cloze, words: Wording | None, found: list[Sentence], chunk: Chunk, ctx: GenerationContext
) -> Flashcard:
    question = words.cloze.format(text=cloze.text) if words else cloze.text
    return Flashcard(
        id=card_id(ctx.course.id, ctx.lecture_id, question),
        type="cloze",
        term=cloze.term,
        question=question,
        answers=Answers(concise=cloze.term),
        context=cloze.sentence.context,
        relevance_score=_relevance(cloze.term, found, defined=False),
        source=_source(chunk, cloze.sentence, ctx),
    )


# --- quizzes -------------------------------------------------------------------------------------


def _language(card: Flashcard, ctx: GenerationContext) -> str:
    return detect_language(f"{card.question} {card.answers.concise}", ctx.language)


def _quiz_pool(cards: Sequence[Flashcard]) -> list[Flashcard]:
    """Definition cards with a distinct term and a distinct answer: the options' material."""
    pool: list[Flashcard] = []
    terms: set[str] = set()
    answers: set[str] = set()
    for card in cards:
        term, answer = normalise(card.term), normalise(card.answers.concise)
        if card.type != "definition" or not term or term in terms or answer in answers:
            continue
        pool.append(card)
        terms.add(term)
        answers.add(answer)
    return pool


def _build(
    kind: str,
    card: Flashcard,
    pool: Sequence[Flashcard],
    level: int,
    rng: random.Random,
    words: Wording,
) -> QuestionDraft | None:
    if kind == "mca":
        # two swapped pairs need four cards of the lecture: else the single-answer design
        return swapped_pairs(card, pool, level, rng, words) or SINGLE[level](
            card, pool, level, rng, words
        )
    extra = EXTRA.get(kind)
    if extra is not None:
        return extra(card, pool, level, rng, words)
    return SINGLE[level](card, pool, level, rng, words)
