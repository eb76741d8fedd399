"""JSON Schema for the files ``flashgen run`` writes, generated from the pydantic models.

The package ships the generated files (``flashgen/data/*.schema.json``) so that other tools can
validate outputs without importing flashgen; a test keeps them equal to what the models say.
Regenerate them with ``python -m flashgen.output.schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flashgen.models import FlashcardFile, QuizFile
from flashgen.output.store import atomic_write_text, to_json

DATA_DIR = Path(__file__).parents[1] / "data"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_MODELS: dict[str, tuple[type[FlashcardFile] | type[QuizFile], str]] = {
    "flashcards.schema.json": (FlashcardFile, "flashgen flashcards.json"),
    "quiz.schema.json": (QuizFile, "flashgen quiz_level_N.json"),
}


def output_schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema (draft 2020-12) of the output file it describes."""
    schemas: dict[str, dict[str, Any]] = {}
    for filename, (model, title) in _MODELS.items():
        schema = model.model_json_schema()
        schemas[filename] = {"$schema": JSON_SCHEMA_DIALECT, **schema, "title": title}
    return schemas


def render(schema: dict[str, Any]) -> str:
    """The exact text written for a schema, so shipped files can be compared byte for byte."""
    return to_json(schema)


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in output_schemas().items():
        path = directory / filename
        atomic_write_text(path, render(schema))
        written.append(path)
    return written


if __name__ == "__main__":
    write_schemas(DATA_DIR)
