"""Overload benchmark: ``python -m benchmarks.overload [--lectures N] [--markdown FILE]``.

Real providers refuse calls for lack of capacity, whatever the client's own rate: Anthropic's
529 ``overloaded_error``, OpenAI's and Gemini's 503s and capacity 429s. This benchmark runs
flashgen (the real Coordinator and Scheduler, ``flashgen run``'s defaults: --max-concurrency
10, hedging on, no rate limit set) over the large course against the simulated server
(``benchmarks.sim``) on a virtual clock, with such refusals drawn at random (a seeded draw per
call, independent of the pace):

- ``none``: no fault (the reference);
- ``429 p%, retry-after s``: p% of calls refused with a bare 429 (no rate-limit headers or
  code) asking for s seconds, short (0.2 s, as in issue 18's measurement) and long (20 s);
- ``529 p%``: p% of calls refused as overloaded;
- ``mixed``: 5% each of bare 429s (retry-after 0.2 s), 529s, 500s and invalid replies, with
  the real LLMGenerator (which re-asks on an invalid reply), next to its own fault-free run;
- ``persistent 529``: every call refused as overloaded: how long until the run gives up.

Columns: ``makespan`` (simulated seconds), ``calls/s`` (calls the server served, over the
makespan), ``throughput`` (the fault-free run's makespan over this one's: the same work in
more or less time), ``refused`` (refusals drawn), ``failed`` (tasks that gave up).

Targets (issue 18): throughput ≥ 0.75 with 5% random overload refusals; under a persistent
overload the run ends within two minutes at default settings.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.harness import (
    GeneratorKind,
    RunResult,
    argument_parser,
    large_course,
    markdown_table,
    run_strategy,
)
from benchmarks.sim import LatencyModel, ServerLimits, SimProvider, SimTime
from flashgen.errors import Overloaded, RateLimited
from flashgen.providers.base import Completion, CompletionRequest
from flashgen.run.ratelimit import RateLimits
from tests.vclock import VirtualClockLoop

CONCURRENCY = 10
# A fast server (half a second a call) shows the client's reaction to refusals best: with
# 15 s calls, a 0.2 s retry-after is lost in the latency.
LATENCY = LatencyModel(median=0.5, sigma=0.5, seed=3)
SHORT, LONG = 0.2, 20.0


@dataclass(frozen=True)
class Scenario:
    name: str
    rate_429: float = 0.0
    rate_529: float = 0.0
    retry_after: float | None = None
    persistent: bool = False
    mixed: bool = False  # 5% 500s and 5% invalid replies too, with the real LLMGenerator


SCENARIOS = (
    Scenario("none"),
    *(
        Scenario(f"429 {p:.0%}, retry-after {ra:g} s", rate_429=p, retry_after=ra)
        for ra in (SHORT, LONG)
        for p in (0.02, 0.05, 0.20)
    ),
    *(Scenario(f"529 {p:.0%}", rate_529=p) for p in (0.02, 0.05, 0.20)),
    Scenario("mixed, fault-free", mixed=True),
    Scenario("mixed", rate_429=0.05, rate_529=0.05, retry_after=SHORT, mixed=True),
    Scenario("persistent 529", persistent=True),
)


@dataclass
class RefusingSim(SimProvider):
    """The simulated server, refusing calls at random for lack of capacity first."""

    scenario: Scenario = field(default_factory=lambda: Scenario("none"))
    refused: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self._draws = random.Random(17)

    async def complete(self, request: CompletionRequest) -> Completion:
        s = self.scenario
        draw = self._draws.random()
        if s.persistent or draw < s.rate_529 + s.rate_429:
            await self.clock.sleep(self.latency.reject_seconds)
            self.refused += 1
            if s.persistent or draw < s.rate_529:
                raise Overloaded("529 overloaded_error")
            raise RateLimited("429 Too Many Requests", retry_after=s.retry_after)
        return await super().complete(request)


@dataclass(frozen=True)
class Row:
    scenario: str
    makespan: float
    calls_per_second: float
    throughput: float
    refused: int
    failed: int


def measure(scenario: Scenario, lectures: int) -> tuple[RunResult, int]:
    latency = LATENCY
    kind: GeneratorKind = "sim"
    if scenario.mixed:
        latency = LatencyModel(
            median=LATENCY.median,
            sigma=LATENCY.sigma,
            seed=LATENCY.seed,
            transient_rate=0.05 if scenario.rate_429 else 0.0,
            invalid_rate=0.05 if scenario.rate_429 else 0.0,
        )
        kind = "llm"
    provider = RefusingSim(latency, ServerLimits(), SimTime(), scenario=scenario)
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        result = runner.run(
            run_strategy(
                "flashgen", large_course(lectures), provider, CONCURRENCY, RateLimits(), kind
            )
        )
    return result, provider.refused


def rows(lectures: int) -> list[Row]:
    found: list[Row] = []
    reference: dict[bool, float] = {}
    for scenario in SCENARIOS:
        result, refused = measure(scenario, lectures)
        if scenario.name in ("none", "mixed, fault-free"):
            reference[scenario.mixed] = result.makespan
        base = reference.get(scenario.mixed, result.makespan)
        found.append(
            Row(
                scenario.name,
                result.makespan,
                result.calls / result.makespan if result.makespan else 0.0,
                base / result.makespan if not scenario.persistent else float("nan"),
                refused,
                result.failed_tasks,
            )
        )
    return found


def table(found: Sequence[Row]) -> str:
    header = ("scenario", "makespan s", "calls/s", "throughput", "refused", "failed")
    return markdown_table(
        header,
        (
            (
                row.scenario,
                f"{row.makespan:.1f}",
                f"{row.calls_per_second:.2f}",
                "—" if row.throughput != row.throughput else f"{row.throughput:.2f}",
                str(row.refused),
                str(row.failed),
            )
            for row in found
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser("python -m benchmarks.overload", __doc__)
    parser.add_argument("--lectures", type=int, default=40, help="lectures in the large course")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    text = table(rows(args.lectures))
    print(text)
    print(f"\n({args.lectures} lectures, {time.perf_counter() - started:.0f} s wall)")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
