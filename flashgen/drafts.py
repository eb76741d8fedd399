"""What a model is asked to return: items without the ids, levels and sources flashgen adds.

Their JSON Schemas go to the providers' structured-output modes; every reply is validated
against them again (and then against the full output models) before anything is saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flashgen.models import Answers, FlashcardType, MatchPair, OptionKey, RelevanceScore


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DraftCard(Draft):
    type: FlashcardType
    term: str
    question: str = Field(min_length=3)
    answers: Answers
    context: str
    example: str
    relevance_score: RelevanceScore


class _DraftQuestion(Draft):
    question_text: str = Field(min_length=3)
    explanation: str = Field(min_length=1)
    source_flashcard_ids: list[str]
    tags: list[str]


class DraftChoice(_DraftQuestion):
    type: Literal["mcq", "mca"]
    options: dict[OptionKey, str]
    correct_answer: list[OptionKey]


class DraftTrueFalse(_DraftQuestion):
    type: Literal["true_false"]
    correct_answer: bool


class DraftFillInBlank(_DraftQuestion):
    type: Literal["fill_in_blank"]
    accepted_answers: list[str]


class DraftMatching(_DraftQuestion):
    type: Literal["matching"]
    pairs: list[MatchPair]


class DraftCategorization(_DraftQuestion):
    type: Literal["categorization"]
    categories: dict[str, list[str]]


QUESTION_DRAFTS: dict[str, type[_DraftQuestion]] = {
    "mcq": DraftChoice,
    "mca": DraftChoice,
    "true_false": DraftTrueFalse,
    "fill_in_blank": DraftFillInBlank,
    "matching": DraftMatching,
    "categorization": DraftCategorization,
}


def envelope_schema(key: str, items: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """``{key: [item, …]}`` where each item matches one of ``items``."""
    return _envelope_schema(key, tuple(dict.fromkeys(items)))


@cache  # built once per item set; every request of a run asks for the same few
def _envelope_schema(key: str, unique: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    schemas = [model.model_json_schema() for model in unique]
    item_schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {
        "type": "object",
        "properties": {key: {"type": "array", "items": item_schema}},
        "required": [key],
        "additionalProperties": False,
    }


def question_draft(raw: Any) -> _DraftQuestion:
    """Validate one raw question against the draft of its declared type."""
    kind = raw.get("type") if isinstance(raw, dict) else None
    model = QUESTION_DRAFTS.get(str(kind))
    if model is None:
        raise ValueError(f"unknown question type {kind!r}")
    return model.model_validate(raw)
