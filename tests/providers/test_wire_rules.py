"""The local servers' checks and replies themselves: each API's documented refusals, and a reply
that admits no more than the schema does."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic import transform_schema

from . import wire_rules
from .synth import Prompt, Synthesiser


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }


STRING = {"type": "string"}
CLEAN = obj({"a": STRING, "n": {"type": "integer"}})


def test_a_reference_to_nowhere_is_refused_by_every_api() -> None:
    schema = obj({"a": {"type": "array", "items": {"$defs": {"X": STRING}, "$ref": "#/$defs/X"}}})

    for problems in (
        wire_rules.openai_problems(schema, strict=False),
        wire_rules.anthropic_problems(schema),
        wire_rules.gemini_problems(schema),
    ):
        assert problems and "#/$defs/X can not be resolved" in problems[0]
    assert wire_rules.nested_defs(schema) == [("properties", "a", "items")]


def test_root_defs_resolve() -> None:
    schema = {**obj({"a": {"$ref": "#/$defs/X"}}), "$defs": {"X": STRING}}
    assert wire_rules.standard_problems(schema) == []
    assert wire_rules.nested_defs(schema) == []


@pytest.mark.parametrize(
    ("schema", "said"),
    [
        (
            {"type": "object", "properties": {"a": STRING}, "required": ["a"]},
            "additionalProperties",
        ),
        ({**CLEAN, "required": ["a"]}, "Missing 'n'"),
        (obj({"m": {"type": "object", "propertyNames": STRING}}), "'propertyNames' is not"),
        ({"anyOf": [CLEAN]}, 'type: "object"'),
        (obj({"x": {"anyOf": [CLEAN, obj({"a": STRING})]}}), "identical first keys"),
    ],
)
def test_openai_strict_rules(schema: dict[str, Any], said: str) -> None:
    problems = wire_rules.openai_problems(schema, strict=True)
    assert any(said in problem for problem in problems), problems
    assert wire_rules.openai_problems(schema, strict=False) == []


def test_anthropic_limitations_and_the_sdk_that_meets_them() -> None:
    schema = obj({"n": {"type": "integer", "minimum": 1}, "s": {"type": "string", "minLength": 3}})
    problems = wire_rules.anthropic_problems(schema)
    assert "For 'integer' type, property 'minimum' is not supported" in problems
    assert "For 'string' type, property 'minLength' is not supported" in problems
    assert wire_rules.anthropic_problems(transform_schema(schema)) == []


def test_gemini_takes_only_its_documented_keywords() -> None:
    assert wire_rules.gemini_problems(CLEAN) == []
    problems = wire_rules.gemini_problems(obj({"m": {"type": "object", "patternProperties": {}}}))
    assert problems == ["unsupported keyword 'patternProperties' at properties.m"]


def test_an_open_map_is_found_and_answered_only_with_what_it_admits() -> None:
    # What Anthropic's transform_schema makes of an open map of options.
    options = transform_schema(obj({"options": {"type": "object", "additionalProperties": STRING}}))
    assert wire_rules.open_maps(options) == [("properties", "options")]

    reply = Synthesiser(options, Prompt.read("")).reply()

    assert reply == {"options": {}}


def test_replies_cite_the_card_ids_of_the_prompt_and_ask_for_the_count_given() -> None:
    schema = obj(
        {
            "questions": {
                "type": "array",
                "items": obj({"source_flashcard_ids": {"type": "array", "items": STRING}}),
            }
        }
    )
    prompt = Prompt.read("Cards: lec-1-fc-0123abcd, lec-1-fc-89abcdef. Write exactly 3 questions.")

    reply = Synthesiser(schema, prompt).reply()

    cited = [q["source_flashcard_ids"] for q in reply["questions"]]
    assert cited == [["lec-1-fc-0123abcd"], ["lec-1-fc-89abcdef"], ["lec-1-fc-0123abcd"]]


def test_a_re_ask_is_answered_with_the_count_it_asks_for() -> None:
    conversation = "Write exactly 17 questions.\n{...}\n3 more questions are needed: ..."
    assert Prompt.read(conversation).count == 3
