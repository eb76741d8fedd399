"""The sample outputs the export tests use are valid per the shipped JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from export_samples import COURSE

from flashgen.output.schema import DATA_DIR

jsonschema = pytest.importorskip("jsonschema")


def load_validator(name: str) -> object:
    schema = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_sample_outputs_validate(output_dir: Path) -> None:
    cards = load_validator("flashcards.schema.json")
    quiz = load_validator("quiz.schema.json")
    files = sorted((output_dir / COURSE).glob("*/*.json"))
    assert len(files) == 9
    for path in files:
        validator = cards if path.name == "flashcards.json" else quiz
        validator.validate(json.loads(path.read_text(encoding="utf-8")))  # type: ignore[attr-defined]


def test_schema_rejects_what_the_models_reject(output_dir: Path) -> None:
    quiz = load_validator("quiz.schema.json")
    data = json.loads((output_dir / COURSE / "lec_1" / "quiz_level_1.json").read_text("utf-8"))
    data["questions"][0]["type"] = "essay"
    errors = list(quiz.iter_errors(data))  # type: ignore[attr-defined]
    assert errors
