"""What a model is asked to return: items without the ids, levels and sources flashgen adds.

The reply models are shaped so that every provider's structured-output mode can express them:
options as the four fixed keys A–D, matching and categorization as lists of objects, every
object closed (``additionalProperties: false``) with all of its properties required, and no
open maps, ``propertyNames`` or string-length keywords. ``envelope_schema`` builds one schema
whose ``$defs`` sit at the root, where every ``#/$defs/…`` reference resolves; each adapter then
hands it to its SDK's own structured-output helper. Checks a schema cannot carry (non-empty
texts, one blank, one-to-one pairs) live in validators and in the output models, and every reply
is validated against both before anything is saved. ``validation.finalize_question`` is the one
place where a drafted question becomes the output format (``flashgen.models``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from flashgen.models import FlashcardType, OptionKey


def _non_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


# Checked on validation, absent from the schema (minLength is outside some APIs' subsets).
Text = Annotated[str, AfterValidator(_non_blank)]


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftAnswers(Draft):
    """All five facets, required: a model is asked for each of them."""

    concise: Text
    analogy: Text
    eli5: Text
    real_world_use_case: Text
    common_mistakes: Text


class DraftRelevance(Draft):
    score: int = Field(ge=1, le=10)
    justification: Text


class DraftCard(Draft):
    type: FlashcardType
    term: str
    question: Text
    answers: DraftAnswers
    context: str
    example: str
    relevance_score: DraftRelevance


class _DraftQuestion(Draft):
    # First, with each variant's own values: a model states what it writes before writing it,
    # and OpenAI's strict mode tells ``anyOf`` variants apart by their first key.
    type: str
    question_text: Text
    explanation: Text
    source_flashcard_ids: list[str]
    tags: list[str]

    @classmethod
    def output_shape(cls, fields: dict[str, Any]) -> dict[str, Any]:
        """The fields in the output format (``flashgen.models``); a draft whose reply shape
        differs (what structured outputs can express) converts here."""
        return fields


class DraftOptions(Draft):
    A: Text
    B: Text
    C: Text
    D: Text


class DraftChoice(_DraftQuestion):
    type: Literal["mcq", "mca"]
    options: DraftOptions
    correct_answer: list[OptionKey]


class DraftTrueFalse(_DraftQuestion):
    type: Literal["true_false"]
    correct_answer: bool


class DraftFillInBlank(_DraftQuestion):
    type: Literal["fill_in_blank"]
    accepted_answers: list[Text]


class DraftPair(Draft):
    left: Text
    right: Text


class DraftMatching(_DraftQuestion):
    type: Literal["matching"]
    pairs: list[DraftPair]


class DraftCategory(Draft):
    category: Text
    items: list[Text]


class DraftCategorization(_DraftQuestion):
    type: Literal["categorization"]
    categories: list[DraftCategory]

    @classmethod
    def output_shape(cls, fields: dict[str, Any]) -> dict[str, Any]:
        """``[{category, items}]`` becomes ``{category: items}``; fields already in the output
        format (the offline generator's) pass unchanged."""
        categories = fields.get("categories")
        if not isinstance(categories, list):
            return fields
        names = [str(group.get("category", "")) for group in categories if isinstance(group, dict)]
        if len(names) != len(categories):
            raise ValueError("each category must be an object with a category and its items")
        if len(set(names)) != len(names):
            raise ValueError("category names must be distinct")  # a dict would merge them
        return {**fields, "categories": {g["category"]: g.get("items", []) for g in categories}}


# Each question type's reply model, by the type names its ``type`` field admits.
QUESTION_DRAFTS: dict[str, type[_DraftQuestion]] = {
    name: draft
    for draft in (DraftChoice, DraftTrueFalse, DraftFillInBlank, DraftMatching, DraftCategorization)
    for name in get_args(draft.model_fields["type"].annotation)
}


def envelope_schema(key: str, items: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """``{key: [item, …]}`` where each item matches one of ``items``: one JSON Schema with
    every definition in the root ``$defs``. A fresh copy each time: SDK helpers edit in place."""
    return copy.deepcopy(_envelope_schema(key, tuple(dict.fromkeys(items))))


@cache  # built once per item set; every request of a run asks for the same few
def _envelope_schema(key: str, unique: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    item: Any = unique[0] if len(unique) == 1 else Union[unique]  # noqa: UP007 - built at runtime
    fields: dict[str, Any] = {key: (list[item], ...)}
    envelope = create_model("Reply", __base__=Draft, **fields)
    schema: dict[str, Any] = _portable(envelope.model_json_schema())
    return schema


def _portable(schema: Any) -> Any:
    """pydantic's schema in the common subset, and shorter: a one-value ``const`` (a Literal of
    one value) becomes a one-value ``enum``, which every structured-output mode knows, and the
    titles pydantic derives from names go (a quarter of the schema's tokens, on every call)."""
    if isinstance(schema, list):
        return [_portable(part) for part in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        name: _portable(value)
        for name, value in schema.items()
        if not (name == "title" and isinstance(value, str))  # a property "title" is a dict
    }
    if "const" in converted:
        converted["enum"] = [converted.pop("const")]
    return converted


def question_draft(raw: Any) -> _DraftQuestion:
    """Validate one raw question against the draft of its declared type."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    model = QUESTION_DRAFTS.get(str(kind))
    if model is None:
        raise ValueError(f"unknown question type {kind!r}")
    return model.model_validate(raw)
