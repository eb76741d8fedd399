"""Deterministic identifiers: the same input always yields the same id, so reruns diff cleanly."""

from __future__ import annotations

import hashlib


def digest(*parts: str, length: int = 10) -> str:
    joined = "\x1f".join(parts).encode("utf-8")
    return hashlib.sha256(joined).hexdigest()[:length]


def card_id(course_id: str, lecture_id: str, question: str) -> str:
    return f"{lecture_id}-fc-{digest(course_id, lecture_id, _normalise(question), length=8)}"


def question_id(course_id: str, lecture_id: str, level: int, question_text: str) -> str:
    text = _normalise(question_text)
    return f"{lecture_id}-q{level}-{digest(course_id, lecture_id, str(level), text, length=8)}"


def _normalise(text: str) -> str:
    return " ".join(text.casefold().split())
