"""The reply schemas as they reach each API, after the SDK's own transformation.

For every provider and request kind (flashcards; each quiz level with the default question mix
and with all six types), flashgen's generator drives the real adapter and SDK against the strict
local server, and the schema captured at the HTTP layer must:

(a) resolve (every ``$ref`` found from the root) and carry no nested ``$defs`` nor open map,
(b) accept a valid reply built from flashgen's own output models,
(c) yield, as a reply synthesised from it, items that parse into flashgen's models.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from export_samples import card as sample_card
from export_samples import questions as sample_questions
from pytest_httpserver import HTTPServer

from flashgen.errors import FlashgenError
from flashgen.generate.base import Generated, GenerationContext
from flashgen.generate.llm import LLMGenerator
from flashgen.generate.mix import QuestionMix
from flashgen.ids import card_id
from flashgen.models import (
    QUESTION_TYPES,
    QUIZ_LEVELS,
    CategorizationQuestion,
    Chunk,
    Course,
    Flashcard,
    QuizQuestion,
)
from flashgen.providers.base import CompletionRequest, Priority, Provider
from flashgen.providers.pricing import PriceTable

from . import wire_rules
from .fake_api import WIRES, Wire
from .model_server import read_request, serve_model

COURSE = Course(id="bio", path=Path("bio"), name="Biology")
CTX = GenerationContext(COURSE, "lec-1", "English")
CHUNK = Chunk(
    lecture_id="lec-1",
    index=0,
    text="Osmosis moves water across a membrane. Diffusion spreads solutes down a gradient.",
)
MIXES = {"default": QuestionMix(), "all-six": QuestionMix(types=QUESTION_TYPES)}
KINDS = ["flashcards"] + [f"quiz-{level}-{mix}" for level in QUIZ_LEVELS for mix in MIXES]


# Valid items of flashgen's own models, cards with ids of the form a run gives them.
CARDS = [
    sample_card("lec-1", n).model_copy(update={"id": card_id("bio", "lec-1", str(n))})
    for n in range(3)
]
VALID_QUESTIONS: dict[str, QuizQuestion] = {q.type: q for q in sample_questions("lec-1", 1)}
_ADDED_BY_FLASHGEN = ("id", "source", "difficulty_level")


def as_reply(item: Flashcard | QuizQuestion) -> dict[str, Any]:
    """What a model returns for ``item``: the output model without what flashgen adds, in
    the reply format (a categorization's categories as a list)."""
    fields = item.model_dump(mode="json", exclude=set(_ADDED_BY_FLASHGEN))
    if isinstance(item, CategorizationQuestion):
        fields["categories"] = [
            {"category": name, "items": members} for name, members in item.categories.items()
        ]
    return fields


class Captured:
    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    async def complete(self, request: CompletionRequest, priority: Priority) -> Any:
        return await self.provider.complete(request)


@pytest.fixture
async def provider_for(api_server: HTTPServer, prices: PriceTable) -> AsyncIterator[Any]:
    built: list[Provider] = []

    def build(wire: Wire) -> Provider:
        provider = wire.build(f"http://127.0.0.1:{api_server.port}", prices)
        built.append(provider)
        return provider

    yield build
    for provider in built:
        await provider.aclose()


async def generate(generator: LLMGenerator, kind: str) -> Generated[Any]:
    if kind == "flashcards":
        return await generator.flashcards(CHUNK, CTX)
    _, level, _ = kind.split("-", 2)
    return await generator.quiz(CARDS, int(level), CTX)


def valid_reply(kind: str, generator: LLMGenerator) -> dict[str, Any]:
    if kind == "flashcards":
        return {"flashcards": [as_reply(card) for card in CARDS]}
    types = generator.mix.shares(int(kind.split("-")[1]))
    return {"questions": [as_reply(VALID_QUESTIONS[t]) for t in types]}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("wire", WIRES, ids=[w.name for w in WIRES])
async def test_the_schema_on_the_wire_resolves_admits_and_yields_valid_items(
    wire: Wire, kind: str, api_server: HTTPServer, provider_for: Any
) -> None:
    seen = serve_model(api_server, wire)
    provider = provider_for(wire)
    mix = MIXES["all-six" if kind.endswith("all-six") else "default"]
    generator = LLMGenerator(Captured(provider).complete, name=wire.name, model=wire.model, mix=mix)
    try:
        outcome: Generated[Any] | FlashgenError = await generate(generator, kind)
    except FlashgenError as exc:  # the server refused: the checks below say why
        outcome = exc

    schema = read_request(wire, "", seen[0]).schema
    assert schema is not None
    # (a) it resolves, and nothing an API cannot express reaches it
    assert wire_rules.standard_problems(schema) == []
    assert wire_rules.nested_defs(schema) == []
    assert wire_rules.open_maps(schema) == []
    # (b) a valid reply built from flashgen's own models is one it admits
    jsonschema.validate(valid_reply(kind, generator), schema)
    # (c) what a model constrained by it writes parses into flashgen's models, first time
    assert isinstance(outcome, Generated), outcome
    assert outcome.items and outcome.rejected == []
    assert outcome.calls == 1
