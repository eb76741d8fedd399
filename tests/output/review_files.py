"""Helpers for the review tests: run flashgen's commands, read and write output files as a
person would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from flashgen.cli import app

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def flashgen(courses: Path, *args: str) -> tuple[int, str]:
    command, course, *rest = args
    where = ["--courses-dir", str(courses), "--output-dir", str(courses.parent / "out")]
    result = runner.invoke(app, [command, course, *where, *rest])
    return result.exit_code, result.output


def lecture_dir(courses: Path, lecture: str = "lecture-01") -> Path:
    return courses.parent / "out" / "sample-course" / lecture


def read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_like_an_editor(path: Path, data: Any) -> None:
    """Four-space indents and every object's keys in reverse order: layout a person's editor
    may leave, which is no change to the content."""

    def reorder(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: reorder(value[key]) for key in reversed(list(value))}
        if isinstance(value, list):
            return [reorder(item) for item in value]
        return value

    path.write_text(json.dumps(reorder(data), indent=4, ensure_ascii=False), encoding="utf-8")


def states(courses: Path, lecture: str = "lecture-01") -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = read(lecture_dir(courses, lecture) / "review.json")["items"]
    return items


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every output file's bytes and modification time (the run report aside: it reports on
    the run itself)."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != "run_report.json"
    }


def card(courses: Path, card_id: str) -> dict[str, Any]:
    cards = read(lecture_dir(courses) / "flashcards.json")["flashcards"]
    found: dict[str, Any] = next(c for c in cards if c["id"] == card_id)
    return found


def question_ids(courses: Path, level: int = 1) -> list[str]:
    questions = read(lecture_dir(courses) / f"quiz_level_{level}.json")["questions"]
    return [q["id"] for q in questions]
