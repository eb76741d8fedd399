"""Prompt texts kept as data files; their combined hash is the prompt version.

The version goes into every output file's metadata and into cache keys, so editing a text
regenerates what it produced and nothing else. ``fence`` wraps material (lecture text, cards
written from it) so that nothing inside can end the element early and pass for instructions.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from flashgen.models import Flashcard

_FILES = ("flashcards.md", "quiz.md", "levels.toml", "question_types.toml", "requests.toml")


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
    """A system text (``flashcards``, ``quiz``), without its leading comment line."""
    text = _read(f"{name}.md")
    if text.startswith("<!--"):
        text = text.split("\n", 1)[1]
    return Template(text.strip())


@cache
def requests() -> dict[str, Template]:
    """The per-request messages (``requests.toml``), by name."""
    data = tomllib.loads(_read("requests.toml"))
    return {str(name): Template(str(text).strip()) for name, text in data.items()}


@cache
def levels() -> dict[int, LevelSpec]:
    data = tomllib.loads(_read("levels.toml"))["level"]
    return {
        int(key): LevelSpec(
            int(key), value["name"], int(value["mca_percent"]), value["rubric"].strip()
        )
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


def fence(text: str, label: str = "material") -> str:
    """``text`` inside ``<label-XXXX>`` … ``</label-XXXX>``, where the suffix is derived from the
    text and appears nowhere in it: the text cannot close its element (a lecture that writes
    ``</material-…>`` guesses a name that depends on what it writes). Deterministic, so the same
    material makes the same request and cache entries stay valid."""
    salt = 0
    while True:
        seed = f"{salt}\x1f{text}".encode()
        tag = f"{label}-{hashlib.sha256(seed).hexdigest()[:16]}"
        if tag not in text:
            return f"<{tag}>\n{text}\n</{tag}>"
        salt += 1


def card_line(card: Flashcard) -> str:
    """One card as the quiz request lists it; facets a generator left out (None) are omitted."""
    fields = {
        "id": card.id,
        "term": card.term,
        "question": card.question,
        "answer": card.answers.concise,
        "common_mistakes": card.answers.common_mistakes,
        "real_world_use_case": card.answers.real_world_use_case,
        "context": card.context,
        "example": card.example,
    }
    return json.dumps({k: v for k, v in fields.items() if v}, ensure_ascii=False)
