"""Prompt templates kept as data files; their combined hash is the prompt version.

The version goes into every output file's metadata and into cache keys, so editing a template
regenerates what it produced and nothing else.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

_FILES = ("flashcards.md", "quiz.md", "levels.toml", "question_types.toml")


@dataclass(frozen=True)
class LevelSpec:
    level: int
    name: str
    mca_percent: int
    rubric: str


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def template(name: str) -> Template:
    return Template(_read(f"{name}.md"))


@cache
def levels() -> dict[int, LevelSpec]:
    data = tomllib.loads(_read("levels.toml"))["level"]
    return {
        int(key): LevelSpec(int(key), value["name"], int(value["mca_percent"]), value["rubric"])
        for key, value in data.items()
    }


@cache
def type_rules() -> dict[str, str]:
    return {str(k): str(v) for k, v in tomllib.loads(_read("question_types.toml")).items()}


@cache
def prompt_version() -> str:
    digest = hashlib.sha256()
    for name in _FILES:
        digest.update(_read(name).encode("utf-8"))
    return digest.hexdigest()[:12]
