"""Reading a model's reply and asking again: items parsed one by one (a bad item never costs the
others), the note a re-ask sends, and the question-type arithmetic of a level's mix."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from flashgen.generate import prompts
from flashgen.generate.base import Generated, Rejection
from flashgen.generate.mix import allocate
from flashgen.generate.validation import dedupe_questions
from flashgen.models import QuizQuestion, TaskKind

T = TypeVar("T")
# What a re-ask note repeats of the items kept and of the errors: enough to steer, no more.
_NOTE_TITLES = 20
_NOTE_ERRORS = 5


_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$")


def parse_items(text: str, key: str) -> list[Any]:
    """The list under ``key`` in a JSON reply; tolerant of code fences, strict about shape."""
    try:
        data = json.loads(_FENCE.sub("", text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at position {exc.pos})") from exc
    if isinstance(data, list):
        return data
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ValueError(f'the reply must be a JSON object of the form {{"{key}": [...]}}')
    return list(data[key])


def _reason(exc: Exception) -> str:
    """Why one item could not be read, in a line the model can act on."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()[:5]
        )
    if isinstance(exc, ValueError):
        return str(exc)
    # KeyError, TypeError, AttributeError…: a shape the drafts did not foresee.
    return f"unreadable item ({type(exc).__name__}: {exc})"


@dataclass(frozen=True)
class Job(Generic[T]):
    """How one task reads, counts and re-asks for its items."""

    kind: TaskKind
    drafts: Sequence[type[BaseModel]]
    build: Callable[[Any], T]
    title: Callable[[T], str]  # how the re-ask note names a kept item
    asked: int  # items the first request asks for
    want: int  # below this many kept items, a re-ask asks for the rest
    # True: only items the model offered and that were dropped are asked again (a chunk may
    # honestly hold fewer cards than ``want``); False: ``want`` is the target.
    replace_rejected_only: bool = False
    type_note: Callable[[Sequence[T], int], str] = lambda kept, count: ""
    unique: Callable[[list[T]], list[T]] = list

    @property
    def key(self) -> str:
        """The reply's envelope key ("flashcards", "questions"), also the schema's name."""
        return self.kind.envelope


def collect(text: str, job: Job[T], result: Generated[T]) -> tuple[str, list[str]]:
    """Add the usable items of a reply to ``result`` and the others to its rejections; return
    what made the whole reply unusable ("" if nothing) and this reply's errors."""
    try:
        raw_items = parse_items(text, job.key)
    except ValueError as exc:
        return f"the reply could not be used: {exc}", [f"the reply could not be used: {exc}"]
    errors: list[str] = []
    for raw in raw_items:
        try:
            item = job.build(raw)
        except Exception as exc:  # one bad item, whatever its fault, never costs the task
            reason = _reason(exc)
            result.rejected.append(Rejection(reason, json.dumps(raw, default=str)[:200]))
            errors.append(reason)
        else:
            result.items.append(item)
    if raw_items and len(errors) == len(raw_items):
        return f"none of the {job.key} were valid: {'; '.join(errors[:3])}", errors
    return "", errors


def reask_note(job: Job[T], kept: Sequence[T], errors: Sequence[str], count: int) -> str:
    texts = prompts.requests()
    if kept:
        titles = "; ".join(clip(job.title(item), 80) for item in kept[:_NOTE_TITLES])
        kept_line = texts["kept_some"].substitute(count=len(kept), key=job.key, titles=titles)
    else:
        kept_line = texts["kept_none"].substitute(key=job.key)
    distinct = list(dict.fromkeys(clip(e, 200) for e in errors))[:_NOTE_ERRORS]
    return texts["reask"].substitute(
        kept=kept_line,
        errors="; ".join(distinct) or f"fewer {job.key} than asked",
        missing=count,
        key=job.key,
        type_note=job.type_note(kept, count),
    )


TRUNCATED = prompts.requests()["truncated"].template


def missing_types(
    shares: Mapping[str, float], target: int, kept: Sequence[QuizQuestion], count: int
) -> dict[str, int]:
    """How ``count`` more questions split by type, so that with ``kept`` the mix comes out as
    the level's: types short of their quota first, in proportion to what they lack."""
    have: Counter[str] = Counter(q.type for q in kept)
    quota = allocate(shares, target)
    short = {t: max(0, quota[t] - have[t]) for t in shares}
    total = sum(short.values())
    weights = {t: n / total for t, n in short.items()} if total else dict(shares)
    return allocate(weights, count)


def trim_to_mix(
    questions: Sequence[QuizQuestion], shares: Mapping[str, float], limit: int
) -> list[QuizQuestion]:
    """At most ``limit`` questions, near-duplicates out, keeping the type mix where the
    model's questions allow it; the first of each type in reply order win."""
    unique, _ = dedupe_questions(questions)
    quota = allocate(shares, min(limit, len(unique)))
    kept: list[QuizQuestion] = []
    for question in unique:
        if quota.get(question.type, 0) > 0:
            quota[question.type] -= 1
            kept.append(question)
    leftovers = [q for q in unique if q not in kept]
    kept += leftovers[: min(limit, len(unique)) - len(kept)]
    order = {id(q): n for n, q in enumerate(unique)}
    return sorted(kept, key=lambda q: order[id(q)])


def type_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f'{n} of type "{t}"' for t, n in counts.items() if n)


def clip(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"
