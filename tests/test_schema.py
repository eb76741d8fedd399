from __future__ import annotations

from pathlib import Path

from flashgen.models import FlashcardFile, QuizFile
from flashgen.schema import DATA_DIR, output_schemas, render, write_schemas


def test_shipped_schema_files_match_the_models() -> None:
    for name, schema in output_schemas().items():
        shipped = (DATA_DIR / name).read_text(encoding="utf-8")
        assert shipped == render(schema), (
            f"flashgen/data/{name} is out of date with models.py: "
            "run `python -m flashgen.schema` and commit the result"
        )


def test_schemas_come_from_the_output_models() -> None:
    schemas = output_schemas()
    assert sorted(schemas) == ["flashcards.schema.json", "quiz.schema.json"]
    cards, quiz = schemas["flashcards.schema.json"], schemas["quiz.schema.json"]
    assert cards["$schema"] == quiz["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert cards["properties"].keys() == FlashcardFile.model_json_schema()["properties"].keys()
    assert quiz["$defs"].keys() == QuizFile.model_json_schema()["$defs"].keys()
    question_refs = {ref["$ref"] for ref in quiz["properties"]["questions"]["items"]["oneOf"]}
    assert question_refs == {
        f"#/$defs/{name}"
        for name in (
            "ChoiceQuestion",
            "TrueFalseQuestion",
            "FillInBlankQuestion",
            "MatchingQuestion",
            "CategorizationQuestion",
        )
    }


def test_write_schemas(tmp_path: Path) -> None:
    written = write_schemas(tmp_path / "schemas")
    assert [p.name for p in written] == ["flashcards.schema.json", "quiz.schema.json"]
    assert [p.read_text(encoding="utf-8") for p in written] == [
        render(s) for s in output_schemas().values()
    ]
    assert sorted(p.name for p in (tmp_path / "schemas").iterdir()) == [p.name for p in written]
