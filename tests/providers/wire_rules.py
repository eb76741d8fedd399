"""Each API's documented rules for a structured-output schema, as the local servers enforce them.

A request whose schema breaks them is refused with HTTP 400 in that API's own error body, as the
real service does, instead of being answered as if all were well:

- every API: each ``$ref`` must resolve, from the document root as JSON Schema defines it
  (https://json-schema.org/draft/2020-12/json-schema-core#section-8.2.3.1); resolution uses
  ``jsonschema``'s ``referencing``.
- OpenAI, ``strict: true``: the root is an object; every object has ``additionalProperties:
  false`` and lists all of its properties in ``required``; ``propertyNames``,
  ``patternProperties``, ``unevaluatedProperties``, ``minProperties``/``maxProperties``,
  ``allOf``, ``not``, ``if``/``then``/``else``, ``dependentRequired``/``dependentSchemas``,
  ``contains`` and ``uniqueItems`` are not supported
  (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas). Object
  variants of an ``anyOf`` must differ in their first key (its name or its schema): the API's
  own error says "Objects provided via 'anyOf' must not share identical first keys. Consider
  adding a discriminator key or rearranging the properties to ensure the first key is unique."
- Anthropic, ``output_config.format``: no numerical constraints (``minimum``, ``maximum``,
  ``multipleOf`` …), no string-length constraints, ``minItems`` only 0 or 1, no ``maxItems``,
  ``uniqueItems``, ``propertyNames`` or ``patternProperties``; ``additionalProperties`` on an
  object must be ``false``
  (https://docs.claude.com/en/docs/build-with-claude/structured-outputs#json-schema-limitations).
- Gemini, ``responseJsonSchema``: the documented subset of keywords only
  (https://ai.google.dev/gemini-api/docs/structured-output#json-schema-support).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

Path = tuple[str, ...]

_OPENAI_UNSUPPORTED = frozenset(
    {
        "propertyNames",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "minProperties",
        "maxProperties",
        "allOf",
        "not",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "contains",
        "minContains",
        "maxContains",
        "uniqueItems",
    }
)
_ANTHROPIC_UNSUPPORTED = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "maxItems",
        "uniqueItems",
        "propertyNames",
        "patternProperties",
        "minProperties",
        "maxProperties",
    }
)
_GEMINI_KEYWORDS = frozenset(
    {
        "$id",
        "$defs",
        "$ref",
        "$anchor",
        "type",
        "format",
        "title",
        "description",
        "enum",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "properties",
        "additionalProperties",
        "required",
        "propertyOrdering",
    }
)
# Keywords whose value maps names to subschemas, so their keys are names, not keywords.
_NAMED = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


def nodes(schema: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every subschema of ``schema`` with its path."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for key, value in schema.items():
        if key in _NAMED and isinstance(value, dict):
            for name, sub in value.items():
                yield from nodes(sub, (*path, key, name))
        elif isinstance(value, dict):
            yield from nodes(value, (*path, key))
        elif isinstance(value, list):
            for at, sub in enumerate(value):
                yield from nodes(sub, (*path, key, str(at)))


def standard_problems(schema: Any) -> list[str]:
    """What any JSON Schema consumer refuses: an invalid schema or a ``$ref`` to nowhere."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"invalid JSON Schema: {exc.message}"]
    resolver = (
        Registry()
        .with_resource("urn:wire", DRAFT202012.create_resource(schema))
        .resolver("urn:wire")
    )
    problems = []
    for path, node in nodes(schema):
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolver.lookup(ref)
            except Unresolvable:
                problems.append(f"In context={path}, reference {ref} can not be resolved")
    return problems


def openai_problems(schema: Any, strict: bool) -> list[str]:
    problems = standard_problems(schema)
    if problems or not strict:
        return problems
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return ["schema must be a JSON Schema of 'type: \"object\"', got a different root"]
    for path, node in nodes(schema):
        for keyword in sorted(_OPENAI_UNSUPPORTED & node.keys()):
            problems.append(f"In context={path}, '{keyword}' is not permitted.")
        if _shared_first_keys(schema, node.get("anyOf", [])):
            problems.append(
                f"In context={path}, objects provided via 'anyOf' must not share identical "
                "first keys."
            )
        if node.get("type") == "object" or "properties" in node:
            if node.get("additionalProperties") is not False:
                problems.append(
                    f"In context={path}, 'additionalProperties' is required to be supplied "
                    "and to be false."
                )
            missing = set(node.get("properties", {})) - set(node.get("required", []))
            if missing:
                problems.append(
                    f"In context={path}, 'required' is required to be supplied and to be an "
                    f"array including every key in properties. Missing '{sorted(missing)[0]}'."
                )
    return problems


def _shared_first_keys(root: dict[str, Any], variants: list[Any]) -> bool:
    firsts = []
    for variant in variants:
        resolved = _resolved(root, variant)
        properties = resolved.get("properties") or {}
        if properties:
            name = next(iter(properties))
            firsts.append(json.dumps([name, _resolved(root, properties[name])], sort_keys=True))
    return len(set(firsts)) != len(firsts)


def _resolved(root: dict[str, Any], schema: Any) -> dict[str, Any]:
    """A local ``#/…`` reference followed (standard_problems has checked they resolve)."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema if isinstance(schema, dict) else {}


def anthropic_problems(schema: Any) -> list[str]:
    problems = standard_problems(schema)
    if problems:
        return problems
    for path, node in nodes(schema):
        kind = node.get("type", "schema")
        for keyword in sorted(_ANTHROPIC_UNSUPPORTED & node.keys()):
            problems.append(f"For '{kind}' type, property '{keyword}' is not supported")
        if node.get("minItems", 0) not in (0, 1):
            problems.append(f"For 'array' type, 'minItems' values other than 0 or 1 at {path}")
        if kind == "object" and node.get("additionalProperties", False) is not False:
            problems.append(
                f"For 'object' type, 'additionalProperties' must be explicitly set to false "
                f"({path})"
            )
    return problems


def gemini_problems(schema: Any) -> list[str]:
    problems = standard_problems(schema)
    if problems:
        return problems
    for path, node in nodes(schema):
        for keyword in sorted(node.keys() - _GEMINI_KEYWORDS):
            problems.append(f"unsupported keyword '{keyword}' at {'.'.join(path) or 'root'}")
    return problems


def open_maps(schema: Any) -> list[Path]:
    """Objects whose keys the schema leaves open (no properties, or extra ones allowed): what
    some SDK helpers turn into an object that can only be empty."""
    found = []
    for path, node in nodes(schema):
        if node.get("type") != "object":
            continue
        extra = node.get("additionalProperties")
        if not node.get("properties") or (extra is not None and extra is not False):
            found.append(path)
        if "propertyNames" in node or "patternProperties" in node:
            found.append(path)
    return found


def nested_defs(schema: Any) -> list[Path]:
    """``$defs`` anywhere but at the root, where ``#/$defs/…`` references do not look."""
    return [path for path, node in nodes(schema) if path and "$defs" in node]
