from __future__ import annotations

from pathlib import Path
from typing import Any

from flashgen.models import FlashcardFile, QuizFile
from flashgen.output.schema import DATA_DIR, output_schemas, render, write_schemas


def test_shipped_schema_files_match_the_models() -> None:
    for name, schema in output_schemas().items():
        shipped = (DATA_DIR / name).read_text(encoding="utf-8")
        assert shipped == render(schema), (
            f"flashgen/data/{name} is out of date with models.py: "
            "run `python -m flashgen.output.schema` and commit the result"
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


def test_version_1_files_with_every_facet_still_read() -> None:
    """Files written before schema version 2 (no schema_version, all facets) load as they are."""
    from flashgen.models import OUTPUT_SCHEMA_VERSION, FlashcardFile

    old: dict[str, Any] = {
        "metadata": {
            "course_id": "c",
            "course_name": "C",
            "lecture": "l",
            "generated_at": "2026-01-01T00:00:00+00:00",
            "generator": "offline",
            "model": "extractive-v1",
            "status": "complete",
            "chunks_processed": 1,
            "total_cards": 1,
        },
        "flashcards": [
            {
                "id": "c-l-1",
                "type": "definition",
                "question": "What is a cell?",
                "answers": {
                    "concise": "The unit of life.",
                    "analogy": "A brick.",
                    "eli5": "A tiny room.",
                    "real_world_use_case": "Biology.",
                    "common_mistakes": "None.",
                },
                "relevance_score": {"score": 5, "justification": "core"},
                "source": {"lecture": "l", "chunk": 0},
            }
        ],
    }
    loaded = FlashcardFile.model_validate(old)
    assert loaded.flashcards[0].answers.eli5 == "A tiny room."
    assert loaded.metadata.schema_version == OUTPUT_SCHEMA_VERSION
    dumped = loaded.model_dump(mode="json")
    assert "note" not in dumped["metadata"]
    assert set(dumped["flashcards"][0]["answers"]) == set(old["flashcards"][0]["answers"])
