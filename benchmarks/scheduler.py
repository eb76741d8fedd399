"""Scheduler benchmark: ``python -m benchmarks.scheduler [--quick] [--markdown FILE]``.

Runs the seed example and a large course against the simulated server (``benchmarks.sim``) on a
virtual clock (``tests.vclock``): simulated seconds cost no wall time, runs are exactly
reproducible, and every strategy meets the same latency for the same call. Each run is measured
against the lower bound

    T_lower = max(ΣL_i / C, N / r, max over lectures of CP)

(ΣL_i: the latencies of the N calls the server served, hedges included, each for the time it
held its slot; C = 10, flashgen's default cap; r: the tightest true limit as calls per second;
CP: a lecture's slowest flashcard task plus its slowest quiz task, a task taking the time any of
its calls was in flight). The seed example runs twenty latency seeds (mean and worst ratio
shown: with 108 calls one seed's draw moves the ratio by ±0.1), the large course one. Then the
overheads: ``flashgen --help``, the Scheduler's CPU per call, client CPU per call, and the peak
RSS of one flashgen run of the large course (σ=0.5, no limit) in a process of its own: a
worker's ``ru_maxrss`` would be the largest of every job and strategy it ran. That run also
splits its CPU: the work on items (dedupe, files, the task cache), which grows with the items a
call returns, and what is left, the coordination of the calls (coordinator, scheduler, events,
asyncio), which the target of 0.5 ms a call is about. The seed design's CPU per call in the
same run (a semaphore and gather, nothing saved) is the baseline beside it.

Strategies (``benchmarks.harness``): ``sequential`` (flashgen's own sequential mode), ``seed``
(semaphore + gather per phase + a global barrier, retries on 429 after retry-after, no client
rate limit), ``flashgen`` (the real Coordinator + Scheduler, hedging on as in ``flashgen run``),
``flashgen --no-hedge`` (every call sent once), ``flashgen + LLMGenerator`` (the full stack with
the real generator's parsing and validation). Reference rows, computed from
flashgen's calls: ``clairvoyant`` (list scheduling that knows every latency in advance) and, for
the large course, ``sequential`` (ΣL).

Scenarios (R = half the calls a minute the concurrency cap allows, C / mean latency / 2 × 60,
rounded down: 17/min at σ=0.5, 12/min at σ=1.0):

- ``none``: no limit anywhere.
- ``rpm``: ``--rpm R``; the server's limit is R as well.
- ``rpm, server ½``: ``--rpm R``, but the server allows R/2 and sends no hints: only 429s tell.
- ``headers``: no flashgen limit; the server allows R and says so in rate-limit headers.
- ``429s only``: no flashgen limit; the server allows R and sends no headers.
- ``otpm``: ``--otpm`` and the server at R calls' worth of output tokens; the server reserves
  ``max_tokens`` per call in flight (Anthropic's accounting).

Columns: ``rate/limit`` is served calls per second between the first and the last call start,
over the true requests-per-minute limit (in ``otpm``: the output tokens those calls wrote per
second, over the true output-tokens-per-minute limit), hedge copies left out; ``steady`` the
same from 60 s after the first 429 (adaptation over); ``failed`` tasks that gave up (retries
exhausted); lecture times are from the start of the run; ``CPU ms/call`` is the client's CPU
(the simulated server's and the fake generator's work taken out).
"""

from __future__ import annotations

import asyncio
import math
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from benchmarks.harness import (
    NO_HEDGING,
    GeneratorKind,
    RunResult,
    Workload,
    argument_parser,
    clairvoyant_makespan,
    large_course,
    lower_bound,
    markdown_table,
    output_tokens,
    quantile,
    request_rate,
    run_strategy,
    seed_example,
)
from benchmarks.sim import CallRecord, LatencyModel, ServerLimits, SimProvider, SimTime
from benchmarks.simgen import mean_output_tokens_per_call
from flashgen.run.ratelimit import RateLimits
from tests.vclock import VirtualClockLoop

CONCURRENCY = 10  # flashgen's default --max-concurrency
ADAPTATION_SECONDS = 60.0  # "steady" rates count from this long after the first 429


@dataclass(frozen=True)
class Scenario:
    name: str
    strategies: tuple[str, ...]
    client_rpm: float | None = None  # as multiples of R
    server_rpm: float | None = None
    client_otpm: float | None = None
    server_otpm: float | None = None
    hints: bool = False


SCENARIOS = (
    Scenario("none", ("sequential", "seed", NO_HEDGING, "flashgen")),
    Scenario("rpm", ("seed", NO_HEDGING, "flashgen"), client_rpm=1.0, server_rpm=1.0),
    Scenario("rpm, server ½", ("seed", "flashgen"), client_rpm=1.0, server_rpm=0.5),
    Scenario("headers", ("flashgen",), server_rpm=1.0, hints=True),
    Scenario("429s only", ("flashgen",), server_rpm=1.0),
    Scenario("otpm", ("seed", "flashgen"), client_otpm=1.0, server_otpm=1.0),
)
# Each flashgen run of the large course costs ~35 s of CPU (mostly the coordinator's question
# dedupe and JSON writing), so the large course runs what the targets name: σ=0.5 in the first
# four scenarios, σ=1.0 without and with a limit; seed and flashgen only. Its sequential run
# would cost as much again to confirm T = ΣL (T/T_lower = C): that row is computed instead.
LARGE_RUNS = {0.5: SCENARIOS[:4], 1.0: SCENARIOS[:2]}
LARGE_STRATEGIES = ("seed", "flashgen")


@dataclass(frozen=True)
class Job:
    workload: str
    sigma: float
    seeds: tuple[int, ...]
    scenario: Scenario
    full_stack: bool = False
    errors: float = 0.0  # share of calls the server fails with a 500 (injected)


@dataclass(frozen=True)
class Row:
    workload: str
    sigma: float
    scenario: str
    strategy: str
    calls: float
    ratio: float
    ratio_max: float
    makespan: float
    bound: float
    rate: float  # achieved served calls per second / r
    steady: float
    rejected: float
    failed: float
    lecture_p50: float
    lecture_p95: float
    first_lecture: float
    cpu_ms: float


@dataclass(frozen=True)
class JobResult:
    rows: tuple[Row, ...]
    wall_seconds: float


def limit_unit(latency: LatencyModel) -> float:
    """R, requests a minute: half what the concurrency cap allows, rounded down to a whole
    number as servers announce limits."""
    return float(math.floor(CONCURRENCY / latency.mean / 2 * 60))


def _workload(name: str, lectures: int) -> Workload:
    return seed_example() if name == "seed example" else large_course(lectures)


def _measure(
    scenario: Scenario,
    strategy: str,
    workload: Workload,
    latency: LatencyModel,
    generator: GeneratorKind,
) -> RunResult:
    """One run on a fresh virtual clock."""
    r_per_minute = limit_unit(latency)
    out_per_call = mean_output_tokens_per_call(latency)

    def scaled(multiple: float | None, unit: float) -> float | None:
        return None if multiple is None else multiple * r_per_minute * unit

    server = ServerLimits(
        rpm=scaled(scenario.server_rpm, 1.0),
        otpm=scaled(scenario.server_otpm, out_per_call),
        hints=scenario.hints,
    )
    client = RateLimits(
        requests_per_minute=scaled(scenario.client_rpm, 1.0),
        output_tokens_per_minute=scaled(scenario.client_otpm, out_per_call),
    )
    provider = SimProvider(latency, server, SimTime())
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(
            run_strategy(strategy, workload, provider, CONCURRENCY, client, generator)
        )


def _row(
    job: Job,
    scenario: Scenario,
    strategy: str,
    runs: Sequence[tuple[RunResult, LatencyModel]],
    label: str,
) -> Row:
    ratios, rates, steadies = [], [], []
    for result, latency in runs:
        r_per_minute = limit_unit(latency)
        true_rpm = _true(scenario.server_rpm, scenario.client_rpm, r_per_minute)
        true_otpm = _true(
            scenario.server_otpm,
            scenario.client_otpm,
            r_per_minute * mean_output_tokens_per_call(latency),
        )
        bound = lower_bound(result.records, CONCURRENCY, rpm=true_rpm, otpm=true_otpm)
        ratios.append(result.makespan / bound.value)
        if true_rpm is not None:
            rates.append(request_rate(result) / (true_rpm / 60))
            steadies.append(request_rate(result, ADAPTATION_SECONDS) / (true_rpm / 60))
        elif true_otpm is not None:  # a token limit: the share of its tokens written
            per_second = true_otpm / 60
            rates.append(request_rate(result, weight=output_tokens) / per_second)
            steadies.append(
                request_rate(result, ADAPTATION_SECONDS, weight=output_tokens) / per_second
            )
    results = [result for result, _ in runs]

    def mean(values: Sequence[float]) -> float:
        return statistics.fmean(values) if values else math.nan

    return Row(
        workload=job.workload,
        sigma=job.sigma,
        scenario=scenario.name,
        strategy=label,
        calls=mean([r.calls for r in results]),
        ratio=mean(ratios),
        ratio_max=max(ratios),
        makespan=mean([r.makespan for r in results]),
        bound=mean([r.makespan / x for r, x in zip(results, ratios, strict=True)]),
        rate=mean(rates),
        steady=mean(steadies),
        rejected=mean([r.rejected for r in results]),
        failed=mean([r.failed_tasks for r in results]),
        lecture_p50=mean([quantile(r.lecture_done, 0.5) for r in results]),
        lecture_p95=mean([quantile(r.lecture_done, 0.95) for r in results]),
        first_lecture=mean([r.lecture_done[0] for r in results]),
        cpu_ms=mean([1000 * r.cpu_seconds / r.calls for r in results]),
    )


def _true(server: float | None, client: float | None, unit: float) -> float | None:
    """The limit that really binds: the server's, or the client's own if lower."""
    limits = [m * unit for m in (server, client) if m is not None]
    return min(limits) if limits else None


def run_job(job: Job, lectures: int) -> JobResult:
    started = time.perf_counter()
    workload = _workload(job.workload, lectures)
    scenario = job.scenario
    rows = []
    large = job.workload == "large course"
    for strategy in scenario.strategies:
        if large and strategy not in LARGE_STRATEGIES:
            continue
        runs = []
        for seed in job.seeds:
            latency = LatencyModel(sigma=job.sigma, seed=seed, transient_rate=job.errors)
            runs.append((_measure(scenario, strategy, workload, latency, "sim"), latency))
        rows.append(_row(job, scenario, strategy, runs, strategy))
        if strategy == "flashgen" and scenario.name == "none":
            if large:
                rows.append(
                    _computed(
                        job,
                        scenario,
                        runs,
                        "sequential (computed: T = ΣL)",
                        lambda records: sum(r.latency for r in records),
                    )
                )
            rows.append(
                _computed(
                    job,
                    scenario,
                    runs,
                    "clairvoyant (reference)",
                    lambda records: clairvoyant_makespan(records, CONCURRENCY),
                )
            )
    if job.full_stack:
        runs = []
        for seed in job.seeds:
            latency = LatencyModel(sigma=job.sigma, seed=seed, transient_rate=job.errors)
            runs.append((_measure(scenario, "flashgen", workload, latency, "llm"), latency))
        rows.append(_row(job, scenario, "flashgen", runs, "flashgen + LLMGenerator"))
    return JobResult(tuple(rows), time.perf_counter() - started)


def _computed(
    job: Job,
    scenario: Scenario,
    runs: Sequence[tuple[RunResult, LatencyModel]],
    label: str,
    makespan: Callable[[Sequence[CallRecord]], float],
) -> Row:
    """A makespan computed from flashgen's calls rather than run: the clairvoyant schedule
    (what knowing every latency in advance would buy), or a sequential run's ΣL."""
    ratios = []
    for result, _ in runs:
        bound = lower_bound(result.records, CONCURRENCY)
        ratios.append(makespan(result.records) / bound.value)
    nan = math.nan
    return Row(
        job.workload,
        job.sigma,
        scenario.name,
        label,
        runs[0][0].calls,
        statistics.fmean(ratios),
        max(ratios),
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
        nan,
    )


# --- overheads ----------------------------------------------------------------------------------


# Where the client's CPU goes: (label, module:function or module:Class.method) timed in whichever
# thread runs them. These are the work on items, which grows with the items a call returns
# (18 questions for a quiz call here); what is left is the coordination of the calls.
CPU_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "dedupe of a lecture's cards and questions",
        (
            "flashgen.run.assemble:dedupe_questions",
            "flashgen.run.assemble:dedupe_cards",
            "flashgen.run.tasks:dedupe_cards",  # quiz groups are formed from deduplicated cards
        ),
    ),
    ("writing files (serialize, write, rename)", ("flashgen.output.store:_save",)),
    (
        "dedupe summaries kept at save",
        ("flashgen.output.store:quiz_keys", "flashgen.output.store:flashcard_keys"),
    ),
    ("course-wide dedupe at the end", ("flashgen.run.coordinator:dedupe_course",)),
    (
        "task cache (keys, look-ups, stores)",
        tuple(
            f"flashgen.output.cache:{name}"
            for name in ("TaskKeys.quiz", "TaskKeys.flashcards", "TaskCache.get", "TaskCache.put")
        ),
    ),
)
COORDINATION = "coordination: coordinator, scheduler, events, asyncio (the rest)"
CPU_RUNS = 3  # CPU figures move by ±15% from run to run on a shared machine: the median of 3


def _flashgen_alone(lectures: int) -> tuple[float, dict[str, float]]:
    """In a fresh process: ``CPU_RUNS`` flashgen runs of the large course (σ=0.5, no limit).
    Returns the process's peak RSS in MB after the first (the interpreter, the imports and the
    workload included) and the median over the runs of the client's CPU per call in ms, in all
    and by part (``CPU_PARTS``, and ``COORDINATION``: what is left, the simulated provider's
    event-loop timers included)."""
    import importlib
    import threading

    spent = dict.fromkeys((label for label, _ in CPU_PARTS), 0.0)
    nested = threading.local()  # a part called inside another counts for itself only

    for label, target in ((label, t) for label, targets in CPU_PARTS for t in targets):
        module_name, path = target.split(":")
        owner: Any = importlib.import_module(module_name)
        *classes, name = path.split(".")
        for class_name in classes:
            owner = getattr(owner, class_name)
        original = getattr(owner, name)

        def timed(*args: Any, _f: Any = original, _label: str = label, **kwargs: Any) -> Any:
            outer = getattr(nested, "inner", None)
            nested.inner = 0.0
            started = time.thread_time()
            try:
                return _f(*args, **kwargs)
            finally:
                own = time.thread_time() - started
                spent[_label] += own - nested.inner
                nested.inner = None if outer is None else outer + own

        setattr(owner, name, timed)
    workload = large_course(lectures)
    peak_rss = math.nan
    runs: list[dict[str, float]] = []
    for _ in range(CPU_RUNS):
        spent.update(dict.fromkeys(spent, 0.0))
        latency = LatencyModel(sigma=0.5, seed=1)
        result = _measure(SCENARIOS[0], "flashgen", workload, latency, "sim")
        if not runs:  # the first run's peak: a process that has run nothing else
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        per_call = {label: 1000 * seconds / result.calls for label, seconds in spent.items()}
        all_ms = 1000 * result.cpu_seconds / result.calls
        per_call[COORDINATION] = all_ms - sum(per_call.values())
        per_call["all"] = all_ms
        runs.append(per_call)
    return peak_rss, {label: statistics.median(run[label] for run in runs) for label in runs[0]}


def large_course_alone(lectures: int) -> tuple[float, dict[str, float]]:
    """Peak RSS and CPU parts of the large course's flashgen run alone, in a process that ran
    nothing else (``ru_maxrss`` is the peak over a process's whole life)."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_flashgen_alone, lectures).result()


def help_seconds(repeat: int = 5) -> float:
    """Median wall time of ``python -m flashgen --help`` in a fresh interpreter."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "flashgen", "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def admission_cpu_us(calls: int = 20_000) -> tuple[float, float]:
    """CPU per call of the Scheduler alone (µs), with a provider that answers at once:
    without limits, and with --rpm/--itpm/--otpm set (all buckets in play)."""
    from flashgen.models import Usage
    from flashgen.providers.base import Completion, CompletionRequest, Message
    from flashgen.run.scheduler import Scheduler

    class Instant:
        name, model = "instant", "instant-1"
        reply = Completion(
            text="{}", usage=Usage(input_tokens=1500, output_tokens=1700), model="instant-1"
        )

        async def complete(self, request: CompletionRequest) -> Completion:
            await asyncio.sleep(0)
            return self.reply

        async def aclose(self) -> None:
            return None

    request = CompletionRequest("system", (Message("user", "x" * 6000),), 8192, 0.3)
    huge = 1e12  # limits that never bind: the buckets are charged and refunded, never waited on

    async def drive(limits: RateLimits) -> float:
        scheduler = Scheduler(Instant(), CONCURRENCY, limits=limits)
        cpu = time.process_time()
        await asyncio.gather(*(scheduler.complete(request, (1, n)) for n in range(calls)))
        return (time.process_time() - cpu) / calls * 1e6

    free = asyncio.run(drive(RateLimits()))
    limited = asyncio.run(drive(RateLimits(huge, huge, huge)))
    return free, limited


# --- output -------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 2) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def table(rows: Sequence[Row]) -> str:
    header = [
        "workload",
        "σ",
        "scenario",
        "strategy",
        "calls",
        "T/T_lower (max)",
        "T s",
        "rate/limit",
        "steady",
        "429s",
        "failed",
        "lecture p50/p95 s",
        "1st lecture s",
        "CPU ms/call",
    ]
    return markdown_table(
        header,
        (
            [
                r.workload,
                str(r.sigma),
                r.scenario,
                r.strategy,
                f"{r.calls:.0f}",
                # A run that lost tasks did less work than the bound assumes: no ratio.
                "– (tasks failed)" if r.failed > 0 else f"{r.ratio:.3f} ({r.ratio_max:.3f})",
                _fmt(r.makespan, 0),
                _fmt(r.rate),
                _fmt(r.steady),
                _fmt(r.rejected, 1),
                _fmt(r.failed, 1),
                f"{_fmt(r.lecture_p50, 0)} / {_fmt(r.lecture_p95, 0)}",
                _fmt(r.first_lecture, 0),
                _fmt(r.cpu_ms, 2),
            ]
            for r in rows
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser("python -m benchmarks.scheduler", __doc__)
    parser.add_argument("--seeds", type=int, default=20, help="latency seeds for the seed example")
    parser.add_argument("--lectures", type=int, default=200, help="lectures in the large course")
    parser.add_argument("--quick", action="store_true", help="σ=0.5 only, one seed")
    parser.add_argument(
        "--only", choices=["seed example", "large course"], help="run one workload only"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--errors",
        type=float,
        default=0.0,
        help="share of calls the simulated server fails with a 500 (e.g. 0.02)",
    )
    parser.add_argument("--markdown", help="also write the report to this file")
    args = parser.parse_args(argv)

    sigmas = (0.5,) if args.quick else (0.5, 1.0)
    seeds = (1,) if args.quick else tuple(range(1, args.seeds + 1))
    jobs = [
        Job("large course", s, (1,), scenario, errors=args.errors)
        for s in sigmas
        for scenario in LARGE_RUNS[s]
    ]
    jobs += [
        Job("seed example", s, seeds, scenario, scenario.name == "none", args.errors)
        for s in sigmas
        for scenario in SCENARIOS
    ]
    jobs = [job for job in jobs if args.only in (None, job.workload)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(run_job, job, args.lectures) for job in jobs]
        results = [future.result() for future in futures]
    wall = time.perf_counter() - started
    order = {name: n for n, name in enumerate(s.name for s in SCENARIOS)}
    rows = sorted(
        (row for result in results for row in result.rows),
        key=lambda r: (r.workload != "seed example", r.sigma, order[r.scenario]),
    )
    large = any(job.workload == "large course" for job in jobs)
    large_rss, cpu_parts = large_course_alone(args.lectures) if large else (math.nan, {})
    free_us, limited_us = admission_cpu_us()
    core = [
        r
        for r in rows
        if r.workload == "large course" and r.strategy == "flashgen" and r.scenario == "none"
    ]
    seed = [
        r
        for r in rows
        if r.workload == "large course" and r.strategy == "seed" and r.scenario == "none"
    ]
    full = [r for r in rows if r.strategy.endswith("LLMGenerator")]
    report = "\n".join(
        [
            table(rows),
            "",
            "| overhead | measured |",
            "|---|---|",
            f"| `flashgen --help` (median of 5) | {help_seconds():.3f} s |",
            f"| Scheduler CPU per call, no limits / all three limits | "
            f"{free_us:.0f} µs / {limited_us:.0f} µs |",
            f"| client CPU per call, all (flashgen rows of the table), large course | "
            f"{', '.join(f'{r.cpu_ms:.2f} ms (σ={r.sigma})' for r in core)} |",
            f"| the seed design's CPU per call (semaphore + gather, nothing saved), large "
            f"course | {', '.join(f'{r.cpu_ms:.2f} ms (σ={r.sigma})' for r in seed)} |",
            f"| client CPU per call with LLMGenerator (parse + validate), seed example | "
            f"{', '.join(f'{r.cpu_ms:.2f} ms (σ={r.sigma})' for r in full)} |",
            f"| peak RSS, large course ({args.lectures} lectures, flashgen, σ=0.5, no limit, "
            f"a process of its own) | {_fmt(large_rss, 0)} MB |",
            *(
                f"| client CPU per call in that run: {label} | {ms:.2f} ms |"
                for label, ms in cpu_parts.items()
            ),
            f"| coordinator CPU per call (target ≤ 0.5 ms): {COORDINATION} | "
            f"{cpu_parts.get(COORDINATION, math.nan):.2f} ms |",
            f"| benchmark wall time ({args.jobs} processes) | {wall:.0f} s |",
        ]
    )
    print(report)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")


if __name__ == "__main__":
    main()
