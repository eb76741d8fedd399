"""Cost table: ``python -m benchmarks.cost_table [--quick]``.

Dollars per 1,000 kept questions, live vs ``--batch``, each with and without prompt caching,
for the sample course and a large simulated course (``end_to_end.write_course``: 200 lectures
of 5 chunks), at each provider's default model and its list prices in ``prices.toml``.

Tokens come from ``flashgen plan`` (``make_plan``): the real prompts and reply schemas of every
request, the four quiz levels of a card group sharing a cached prefix when it is long enough.
Kept questions: what the plan's requests ask for, every item valid (the plan's assumption):
5 cards a chunk (the middle of cards_per_chunk 4-6, as the plan estimates) × 5 questions a card
× 4 levels, plus each quiz task's buffer of 2 (kept when valid). Re-asks are not counted (they
add the same share live and in a batch). "no cache" prices every input token as uncached;
"cache" prices the plan's expected cache reads at ``cached_input`` (Anthropic's surcharge on
cache writes left out, as in the plan). In a batch, cache hits are best effort (Anthropic:
https://docs.claude.com/en/docs/build-with-claude/batch-processing), so "batch + cache" is the
best case; the batch discount and the cache price stack.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_course import Case, write_course
from benchmarks.harness import argument_parser, markdown_table
from flashgen.config import Settings
from flashgen.models import Usage
from flashgen.providers.pricing import PriceTable
from flashgen.providers.registry import PROVIDERS
from flashgen.run.plan import Plan, make_plan
from flashgen.run.runner import find_lectures

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CARDS_PER_CHUNK = 5  # the plan's estimate: the middle of cards_per_chunk (4-6)
QUESTION_BUFFER = 2  # generate.llm.QUESTION_BUFFER: asked beyond the target, kept when valid
# (name, batch price, prompt cache)
MODES: tuple[tuple[str, bool, bool], ...] = (
    ("live", False, False),
    ("live + cache", False, True),
    ("batch", True, False),
    ("batch + cache", True, True),
)


@dataclass(frozen=True)
class Row:
    course: str
    model: str
    questions: int
    dollars: dict[str, float]  # per mode: dollars per 1,000 kept questions


def kept_questions(plan: Plan, settings: Settings) -> int:
    levels = 4
    cards = CARDS_PER_CHUNK * plan.total("chunks")
    return levels * cards * settings.questions_per_card + QUESTION_BUFFER * plan.total("quiz_tasks")


def row(courses_dir: Path, course: str, provider: str, prices: PriceTable) -> Row:
    settings = Settings(
        provider=provider,
        courses_dir=courses_dir,
        output_dir=Path(tempfile.mkdtemp()),  # nothing cached: every task priced
    )
    plan = make_plan(settings, find_lectures(settings, course), [])
    questions = kept_questions(plan, settings)
    dollars = {}
    for mode, batch, cached in MODES:
        usage = Usage(
            input_tokens=plan.total("input_tokens"),
            output_tokens=plan.total("output_tokens") + plan.total("thinking_tokens"),
            cached_tokens=plan.total("cached_tokens") if cached else 0,
        )
        dollars[mode] = prices.cost(plan.model, usage, batch=batch) / questions * 1000
    return Row(course, f"{provider} {plan.model}", questions, dollars)


def table(rows: Sequence[Row]) -> str:
    header = ["course", "model", "kept questions", *(f"$/1k {m}" for m, _, _ in MODES)]
    body = [
        [r.course, r.model, f"{r.questions:,}", *(f"{r.dollars[m]:.3f}" for m, _, _ in MODES)]
        for r in rows
    ]
    return markdown_table(header, body)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser("python -m benchmarks.cost_table", __doc__)
    parser.add_argument("--quick", action="store_true", help="20 simulated lectures, not 200")
    args = parser.parse_args(argv)
    prices = PriceTable.load()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        large = Case("large", lectures=20 if args.quick else 200, chunks=5, median=1, sigma=0)
        simulated = write_course(Path(tmp), large)
        for provider in PROVIDERS:
            rows.append(row(PROJECT_ROOT / "courses", "sample-course", provider, prices))
            rows.append(row(simulated, "bench", provider, prices))
    print(table(rows))


if __name__ == "__main__":
    main()
