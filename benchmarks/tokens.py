"""Token economy of generation, before and after: ``python -m benchmarks.tokens [--repeats N]``.

Runs flashgen's ``LLMGenerator`` twice in one process over the same course (the sample course
by default) against the same in-process fake model, and prints one table:

- **before**: ``flashgen/generation.py`` and ``flashgen/prompts/`` as they were at commit
  ``BEFORE`` (read with ``git show`` into a temporary package, ``flashgen_before``), on
  today's drafts, validation and models. So the two columns differ only by the request
  shapes, the prompts and the re-ask logic, and both meet the same validation rules.
- **after**: the working tree's ``flashgen.generate.llm``.

The fake model answers every request with valid items built from the request (as many as its
last message asks for, of the types it names, citing the card ids it lists) and replaces each
item, with probability ``--invalid`` (15%), by one validation rejects (an mcq with two
correct letters, an unknown card id, "all of the above", an empty explanation, a relevance
score of 42, a card without answers). Draws are seeded by ``--seed``, the request's text and
the item's position: deterministic, and alike, not equal, between the columns. Items are sized
like real ones (a card ~250 tokens, a question ~140).

Tokens are estimated as flashgen's planner does (4 characters a token), the JSON schema
included (it precedes the messages on the wire). Measured per column:

- input tokens per kept question (quiz calls) and per kept card (flashcard calls);
- the share of input tokens in a prefix an earlier call already sent, at least 1,024 tokens
  long (what OpenAI's and Gemini's automatic prefix caches can serve, when the calls reach
  the same cache), counted over whole blocks (system + schema, then each message);
- the share of input tokens behind a ``cache_breakpoint`` that an earlier call already wrote
  (what Anthropic's ``cache_control`` reads);
- output tokens discarded: output of items that were generated but not kept (invalid, trimmed
  as surplus, or near-duplicates), as a share of all output;
- calls per kept question, re-ask calls and their mean input size, failed tasks.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.harness import argument_parser, markdown_table
from flashgen.generate.base import GenerationContext
from flashgen.ingest.chunking import chunk_blocks
from flashgen.ingest.discovery import load_course, scan_lectures, select_lectures
from flashgen.ingest.extract import extract
from flashgen.models import QUIZ_LEVELS, Flashcard, Usage
from flashgen.providers.base import Completion, CompletionRequest, Priority
from flashgen.providers.estimate import text_tokens
from flashgen.run.tasks import quiz_groups

BEFORE = "032068b"
ROOT = Path(__file__).resolve().parent.parent
MIN_CACHED_PREFIX = 1024  # tokens: OpenAI's (and Anthropic Sonnet's) smallest cacheable prefix
_ASKED = re.compile(r"Write (?:between \d+ and |exactly )?(\d+) (?:new )?(flashcards|questions)\b")
_TYPE_COUNT = re.compile(r'(\d+) of type "(\w+)"')
_CARD_ID = re.compile(r'"id": "([\w-]+-fc-[0-9a-f]+)"')
_WORD = re.compile(r"[A-Za-z]{5,}")


# --- the code before ------------------------------------------------------------------------


def load_before(workdir: Path) -> ModuleType:
    """``flashgen.generation`` (now ``flashgen.generate.llm``) and its prompts at ``BEFORE``, as the
    package ``flashgen_before``."""
    package = workdir / "flashgen_before"
    (package / "prompts").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    listing = _git("ls-tree", "--name-only", f"{BEFORE}:flashgen/prompts").split()
    for name in listing:
        (package / "prompts" / name).write_text(_git("show", f"{BEFORE}:flashgen/prompts/{name}"))
    source = _git("show", f"{BEFORE}:flashgen/generation.py")
    source = source.replace("from flashgen import prompts", "from flashgen_before import prompts")
    for moved, now in _MOVED_SINCE_BEFORE:
        source = source.replace(f"from {moved} import", f"from {now} import")
    (package / "generation.py").write_text(source)
    sys.path.insert(0, str(workdir))
    return importlib.import_module("flashgen_before.generation")


# Modules the code at ``BEFORE`` imports that have moved since (the stage subpackages).
_MOVED_SINCE_BEFORE = (
    ("flashgen.drafts", "flashgen.generate.drafts"),
    ("flashgen.estimate", "flashgen.providers.estimate"),
    ("flashgen.mix", "flashgen.generate.mix"),
    ("flashgen.scheduler", "flashgen.providers.base"),  # Priority
    ("flashgen.validation", "flashgen.generate.validation"),
)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


# --- the fake model -------------------------------------------------------------------------


@dataclass
class Call:
    kind: str
    blocks: list[tuple[str, bool]]  # (text, cache_breakpoint): system + schema, then messages
    input_tokens: int
    output_tokens: int
    items: list[tuple[str, int]]  # each item's identifying text and its output tokens


@dataclass
class FakeModel:
    """A model that writes what it is asked for, with ``invalid`` of its items broken."""

    seed: int
    invalid: float
    calls: list[Call] = field(default_factory=list)

    async def complete(self, request: CompletionRequest, priority: Priority) -> Completion:
        users = [m.content for m in request.messages if m.role == "user"]
        rng = random.Random(hashlib.sha256(f"{self.seed}|{'|'.join(users)}".encode()).digest())
        kind = request.schema_name
        count, types = _asked(users, kind)
        vocabulary = sorted(set(_WORD.findall("\n".join(users)))) or ["concept"]
        if kind == "flashcards":
            raw = [_card(rng, vocabulary) for _ in range(count)]
            keys = [str(item["question"]) for item in raw]
        else:
            ids = list(dict.fromkeys(_CARD_ID.findall("\n".join(users)))) or ["none"]
            raw = [_question(rng, vocabulary, ids, kind) for kind in types]
            keys = [str(item["question_text"]) for item in raw]
        raw = [_broken(rng, item, kind) if rng.random() < self.invalid else item for item in raw]
        text = json.dumps({kind: raw}, ensure_ascii=False)
        schema = json.dumps(request.json_schema) if request.json_schema else ""
        blocks = [(request.system + schema, False)]
        blocks += [(m.content, m.cache_breakpoint) for m in request.messages]
        call = Call(
            kind,
            blocks,
            input_tokens=sum(text_tokens(b) for b, _ in blocks),
            output_tokens=text_tokens(text),
            items=[(k, text_tokens(json.dumps(i))) for k, i in zip(keys, raw, strict=True)],
        )
        self.calls.append(call)
        usage = Usage(input_tokens=call.input_tokens, output_tokens=call.output_tokens)
        return Completion(text=text, usage=usage, model="fake-1")


def _asked(users: Sequence[str], kind: str) -> tuple[int, list[str]]:
    """The count the last message naming one asks for, and the types the last naming them."""
    count = 6 if kind == "flashcards" else 3
    for content in reversed(users):
        found = _ASKED.findall(content)
        if found:
            count = int(found[-1][0])
            break
    types: list[str] = []
    for content in reversed(users):
        named = _TYPE_COUNT.findall(content)
        if named:
            types = [t for n, t in named for _ in range(int(n))]
            break
    types = (types + ["mcq"] * count)[:count] if kind == "questions" else types
    return count, [t if t in ("mcq", "mca") else "mcq" for t in types]


def _sentence(rng: random.Random, vocabulary: Sequence[str], words: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize() + "."


def _card(rng: random.Random, vocabulary: Sequence[str]) -> dict[str, Any]:
    term = " ".join(rng.choice(vocabulary) for _ in range(2))
    say: Callable[[int], str] = lambda words: _sentence(rng, vocabulary, words)  # noqa: E731
    return {
        "type": "concept",
        "term": term,
        "question": f"What is {term} and why does {rng.choice(vocabulary)} matter? {say(6)}",
        "answers": {
            "concise": say(22),
            "analogy": say(24),
            "eli5": say(26),
            "real_world_use_case": say(22),
            "common_mistakes": say(24),
        },
        "context": say(4),
        "example": say(16),
        "relevance_score": {"score": rng.randint(5, 10), "justification": say(12)},
    }


def _question(
    rng: random.Random, vocabulary: Sequence[str], ids: Sequence[str], kind: str
) -> dict[str, Any]:
    options = {letter: _sentence(rng, vocabulary, 7) for letter in "ABCD"}
    correct = ["A", "C"] if kind == "mca" else ["A"]
    named = " and ".join(f"option {letter} ({options[letter]})" for letter in correct)
    return {
        "type": kind,
        "question_text": f"{_sentence(rng, vocabulary, 24)} Which holds? ({rng.getrandbits(32):x})",
        "options": options,
        "correct_answer": correct,
        "explanation": f"Correct: {named}. {_sentence(rng, vocabulary, 30)}",
        "source_flashcard_ids": [rng.choice(ids)],
        "tags": [rng.choice(vocabulary), rng.choice(vocabulary)],
    }


def _broken(rng: random.Random, item: dict[str, Any], kind: str) -> dict[str, Any]:
    """The item with one fault validation catches (what the column before could read, too)."""
    if kind == "flashcards":
        faults: list[dict[str, Any]] = [
            {"relevance_score": {"score": 42, "justification": "Too high."}},
            {"answers": None},
        ]
    else:
        faults = [
            {"correct_answer": ["A", "B"] if item["type"] == "mcq" else ["A"]},
            {"source_flashcard_ids": ["lecture-fc-00000000"]},
            {"options": {**item["options"], "D": "All of the above."}},
            {"explanation": ""},
        ]
    return {**item, **rng.choice(faults)}


# --- a run ----------------------------------------------------------------------------------


@dataclass
class Tally:
    cards: int = 0
    questions: int = 0
    failed: int = 0
    discarded: int = 0  # output tokens of items not kept
    first_inputs: list[int] = field(default_factory=list)  # quiz calls
    reask_inputs: list[int] = field(default_factory=list)  # quiz calls

    def settle(self, calls: Sequence[Call], kept: set[str]) -> None:
        """Count one task's calls: output of items not kept is discarded (each kept text once)."""
        for number, call in enumerate(calls):
            if call.kind == "questions":
                (self.reask_inputs if number else self.first_inputs).append(call.input_tokens)
            for key, tokens in call.items:
                if key in kept:
                    kept.discard(key)
                else:
                    self.discarded += tokens


async def run(
    module: ModuleType, course_dir: Path, seed: int, invalid: float
) -> tuple[Tally, FakeModel]:
    model = FakeModel(seed, invalid)
    generator = module.LLMGenerator(model.complete, name="fake", model="fake-1")
    course = load_course(course_dir.parent, course_dir.name)
    tally = Tally()
    for lecture in select_lectures(scan_lectures(course), []):
        chunks = chunk_blocks(lecture.id, extract(lecture).blocks)
        ctx = GenerationContext(course, lecture.id, course.language or "English")
        by_chunk: list[list[Flashcard]] = []
        for chunk in chunks:
            start = len(model.calls)
            try:
                cards = (await generator.flashcards(chunk, ctx)).items
            except Exception:  # the task fails; the run goes on, as the coordinator's would
                tally.failed += 1
                cards = []
            tally.cards += len(cards)
            tally.settle(model.calls[start:], {c.question for c in cards})
            by_chunk.append(cards)
        for level in QUIZ_LEVELS:
            for group in quiz_groups(by_chunk, generator.quiz_group_size):
                start = len(model.calls)
                try:
                    questions = (await generator.quiz(group, level, ctx)).items
                except Exception:
                    tally.failed += 1
                    questions = []
                tally.questions += len(questions)
                tally.settle(model.calls[start:], {q.question_text for q in questions})
    return tally, model


@dataclass
class CacheFigures:
    shared: float  # share of input in a prefix an earlier call sent (>= MIN_CACHED_PREFIX)
    marked: float  # share of input behind a cache_breakpoint an earlier call wrote
    billed: float  # input tokens at Anthropic's prices: writes 1.25x, reads 0.1x, the rest 1x


def cache_figures(calls: Sequence[Call]) -> CacheFigures:
    """What prefix caches could serve of ``calls``, counted over whole blocks."""
    seen: set[tuple[str, ...]] = set()
    written: set[tuple[str, ...]] = set()
    shared = marked = total = 0
    billed = 0.0
    for call in calls:
        texts = tuple(text for text, _ in call.blocks)
        sizes = [text_tokens(text) for text in texts]
        total += sum(sizes)
        for end in range(len(texts), 0, -1):
            if texts[:end] in seen and sum(sizes[:end]) >= MIN_CACHED_PREFIX:
                shared += sum(sizes[:end])
                break
        seen.update(texts[:end] for end in range(1, len(texts) + 1))
        breaks = [n for n, (_, mark) in enumerate(call.blocks) if mark]
        size = sum(sizes[: breaks[-1] + 1]) if breaks else 0
        billed += sum(sizes) - size
        if size >= MIN_CACHED_PREFIX:  # below it, Anthropic caches nothing
            prefix = texts[: breaks[-1] + 1]
            if prefix in written:
                marked += size
                billed += 0.1 * size
            else:
                billed += 1.25 * size
            written.add(prefix)
        else:
            billed += size
    return CacheFigures(shared / total, marked / total, billed)


@dataclass
class Column:
    tallies: list[Tally] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    caches: list[CacheFigures] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(int(getattr(t, name)) for t in self.tallies)

    def rows(self) -> dict[str, str]:
        quiz = [c for c in self.calls if c.kind == "questions"]
        cards = [c for c in self.calls if c.kind == "flashcards"]
        questions, kept_cards = self.total("questions"), self.total("cards")
        firsts = [n for t in self.tallies for n in t.first_inputs]
        reasks = [n for t in self.tallies for n in t.reask_inputs]
        output = sum(c.output_tokens for c in self.calls)
        quiz_input = sum(c.input_tokens for c in quiz)
        card_input = sum(c.input_tokens for c in cards)
        billed = sum(c.billed for c in self.caches)

        def mean(values: Sequence[float]) -> float:
            return sum(values) / len(values) if values else 0.0

        return {
            "calls (flashcards + quiz)": f"{len(cards)} + {len(quiz)}",
            "kept cards / kept questions": f"{kept_cards} / {questions}",
            "failed tasks": str(self.total("failed")),
            "input tokens per kept question (quiz calls)": f"{quiz_input / questions:.0f}",
            "input tokens per kept card (flashcard calls)": f"{card_input / kept_cards:.0f}",
            "quiz calls: mean input, first call / re-ask": (
                f"{mean(firsts):.0f} / {mean(reasks):.0f}"
            ),
            "quiz re-asks per quiz task": f"{len(reasks) / len(firsts):.2f}",
            f"input in a prefix sent before (>= {MIN_CACHED_PREFIX} tokens)": (
                f"{mean([c.shared for c in self.caches]):.0%}"
            ),
            "input behind a cache_breakpoint written before": (
                f"{mean([c.marked for c in self.caches]):.0%}"
            ),
            "input billed per kept item (card or question), Anthropic cache prices": (
                f"{billed / (questions + kept_cards):.0f}"
            ),
            "output tokens discarded (items not kept)": (
                f"{self.total('discarded')} ({self.total('discarded') / output:.1%})"
            ),
            "calls per kept question (quiz calls)": f"{len(quiz) / questions:.3f}",
        }


async def measure(course_dir: Path, repeats: int, seed: int, invalid: float) -> str:
    from flashgen.generate import llm as after

    with tempfile.TemporaryDirectory() as workdir:
        before = load_before(Path(workdir))
        columns = {"before": Column(), "after": Column()}
        for n in range(repeats):
            for name, module in (("before", before), ("after", after)):
                tally, model = await run(module, course_dir, seed + n, invalid)
                column = columns[name]
                column.tallies.append(tally)
                column.calls += model.calls
                column.caches.append(cache_figures(model.calls))  # caches do not outlive a run
    rows = {name: column.rows() for name, column in columns.items()}
    header = ["", f"before ({BEFORE})", "after"]
    return markdown_table(
        header, [[label, rows["before"][label], rows["after"][label]] for label in rows["after"]]
    )


def main() -> None:
    parser = argument_parser("python -m benchmarks.tokens", __doc__)
    parser.add_argument("--course", type=Path, default=ROOT / "courses" / "sample-course")
    parser.add_argument("--repeats", type=int, default=20, help="runs per column, seeds n..n+k")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--invalid", type=float, default=0.15, help="share of items broken")
    args = parser.parse_args()
    table = asyncio.run(measure(args.course.resolve(), args.repeats, args.seed, args.invalid))
    print(
        f"{args.course.name}, {args.repeats} runs per column, {args.invalid:.0%} invalid items, "
        f"seed {args.seed}; tokens are characters / 4, schema included\n"
    )
    print(table)


if __name__ == "__main__":
    main()
