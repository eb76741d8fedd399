"""A reply synthesised from the schema a request carried, as a schema-constrained model writes.

Structure comes from the schema alone: its properties, required keys, enums, ``anyOf`` variants
and ``$ref``s. An object whose schema admits no properties comes back empty, exactly as a
model under constrained decoding must answer. Only the texts are chosen with a teacher's
sense, by property name, so that what the schema allows also passes flashgen's own checks
(distinct options, an explanation naming the right one, a blank to fill …), and card ids are
taken from the prompt, as a model reads them there.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from referencing import Registry
from referencing.jsonschema import DRAFT202012

CARD_ID = re.compile(r"[\w.-]+-fc-[0-9a-f]{8}")
_WORD_TEXT = (
    "osmosis diffusion ribosome glycolysis photosynthesis mitosis meiosis enzyme membrane "
    "chromosome protein lipid vesicle nucleotide replication transcription translation "
    "respiration fermentation chlorophyll gradient receptor hormone neuron synapse antibody "
    "pathogen catalyst substrate polymer monomer isotope electron orbital entropy enthalpy "
    "equilibrium momentum velocity inertia friction voltage current resistance"
)
_WORDS = _WORD_TEXT.split()
# How many items an envelope array holds when the prompt says nothing usable.
DEFAULT_ITEMS = 20


@dataclass
class Prompt:
    """What a model takes from the prompt: the card ids it may cite and how many items."""

    text: str
    ids: list[str] = field(default_factory=list)
    count: int = DEFAULT_ITEMS

    @classmethod
    def read(cls, text: str) -> Prompt:
        ids = list(dict.fromkeys(CARD_ID.findall(text)))
        # The last request in the conversation counts: a re-ask asks for what is missing.
        cards = re.findall(r"between \d+ and (\d+) flashcards", text)
        questions = re.findall(r"(\d+) (?:new |more )?questions", text)
        count = int((cards or questions or [DEFAULT_ITEMS])[-1])
        return cls(text, ids, count)


def phrase(*keys: object, words: int = 4) -> str:
    """Distinct keys give texts with different content words, never near-duplicates."""
    seed = hashlib.sha256(repr(keys).encode()).digest()
    return " ".join(_WORDS[seed[k] % len(_WORDS)] + str(seed[k + 8] % 10) for k in range(words))


class Synthesiser:
    def __init__(self, schema: dict[str, Any], prompt: Prompt) -> None:
        self._root = schema
        self._resolver = (
            Registry()
            .with_resource("urn:wire", DRAFT202012.create_resource(schema))
            .resolver("urn:wire")
        )
        self._prompt = prompt
        self._seed = hashlib.sha256(prompt.text.encode()).hexdigest()[:8]
        # How many item variants (question types' drafts) the schema offers: item n is variant
        # n mod this, and its own type value is picked from what is left of n, so that every
        # value of every variant turns up whatever the number of variants.
        self._variants = 1

    def reply(self) -> Any:
        root = self._resolve(self._root)
        if str(root.get("type")).lower() != "object":
            return self._value(root, "", 0, {})
        return self._object(root, 0, top=True)

    def _resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self._resolver.lookup(schema["$ref"]).contents
        return schema

    def _value(
        self, schema: Any, name: str, n: int, item: dict[str, Any], top: bool = False
    ) -> Any:
        schema = self._resolve(schema) if isinstance(schema, dict) else {}
        variants = schema.get("anyOf") or schema.get("oneOf")
        if variants:
            self._variants = len(variants)
            return self._value(variants[n % len(variants)], name, n, item)
        if "enum" in schema:
            return self._choice(schema["enum"], name, n, item)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next(k for k in kind if k != "null")
        kind = str(kind).lower()
        if kind == "object":
            return self._object(schema, n)
        if kind == "array":
            return self._array(schema, name, n, item, top)
        if kind == "boolean":
            return True
        if kind in ("integer", "number"):
            return max(schema.get("minimum", 1), min(schema.get("maximum", 10), 7))
        return self._text(name, n, item)

    def _object(self, schema: dict[str, Any], n: int, top: bool = False) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        item: dict[str, Any] = {}
        # The item's type first and the explanation last: what a model settles before and
        # after writing the rest.
        order = sorted(
            properties,
            key=lambda k: ("enum" not in self._resolve(properties[k]), k == "explanation"),
        )
        for key in order:
            item[key] = self._value(properties[key], key, n, item, top)
        return {key: item[key] for key in properties}

    def _array(
        self, schema: dict[str, Any], name: str, n: int, item: dict[str, Any], top: bool
    ) -> list[Any]:
        items = schema.get("items", {})
        if self._resolve(items).get("enum") and name == "correct_answer":
            letters: list[Any] = self._resolve(items)["enum"]
            return letters[:2] if item.get("type") == "mca" else letters[:1]
        if name == "source_flashcard_ids":
            ids = self._prompt.ids or ["no-card-given"]
            return [ids[n % len(ids)]]
        if name == "tags":
            return ["synthesised"]
        if top:  # the envelope's list: as many items as the prompt asks for
            return [self._value(items, name, k, {}) for k in range(self._prompt.count)]
        count = {"accepted_answers": 1, "pairs": 3}.get(name, 2)
        return [self._value(items, name, n * 100 + k, {}) for k in range(count)]

    def _choice(self, values: list[Any], name: str, n: int, item: dict[str, Any]) -> Any:
        return values[(n // self._variants) % len(values)] if name == "type" else values[0]

    def _text(self, name: str, n: int, item: dict[str, Any]) -> str:
        words = phrase(self._seed, name, n)
        if name == "question_text" and item.get("type") == "fill_in_blank":
            return f"The ____ keeps {words} in balance."
        if name == "question_text":
            return f"Which statement about {words} holds?"
        if name == "explanation":
            options = item.get("options") or {}
            answer = item.get("correct_answer")
            letters = answer if isinstance(answer, list) else []
            right = [f"option {k}: {options[k]}" for k in letters if k in options]
            return f"Correct are {'; '.join(right)}." if right else f"Because {words} holds."
        if name in ("A", "B", "C", "D"):
            return phrase(self._seed, "option", n, name)
        if name == "question":
            return f"What does {words} describe?"
        return words
