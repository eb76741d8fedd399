"""End-to-end benchmark: ``python -m benchmarks.end_to_end [--quick]``.

The real program, start to finish: ``python -m flashgen run COURSE --provider openai --base-url
http://127.0.0.1:PORT/v1`` in a subprocess, through the real OpenAI SDK, against a local HTTP
server that speaks the Chat Completions wire format. Behind the server sits the simulated model
of ``benchmarks.sim`` (lognormal latency in real seconds, optional rate limit with 429 +
``retry-after`` and ``x-ratelimit-*`` headers, valid flashcard and quiz JSON that cites the
prompt's card ids). Lecture files are written to a temporary course folder, so extraction,
chunking, validation, the cache and the output files all do their real work.

Reported per run: the process's wall time T (interpreter start to exit), T_lower from the
calls the server served (as in ``benchmarks.scheduler``), when the first request arrived (start-up:
interpreter, imports, reading and chunking the lectures), the 429s sent, the CLI's CPU per call
and peak RSS (``getrusage(RUSAGE_CHILDREN)``), the output files and the exit code. Latencies are
seconds rather than the tens of seconds of real models, so that a run takes seconds: the CLI's
CPU weighs 20-30 times more against the bound here than it would against a real API.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from benchmarks.bench_course import Case, write_course
from benchmarks.harness import argument_parser, lower_bound, markdown_table
from benchmarks.sim import LatencyModel, ServerLimits, SimProvider, SimTime
from flashgen.errors import RateLimited, TransientProviderError
from flashgen.providers.base import CompletionRequest, Message

CONCURRENCY = 10
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _request(body: dict[str, object]) -> CompletionRequest:
    system, turns = "", []
    for message in body.get("messages", []):  # type: ignore[attr-defined]
        if message["role"] == "system":
            system = message["content"]
        else:
            turns.append(Message(message["role"], message["content"]))
    response_format = body.get("response_format") or {}
    schema = response_format.get("json_schema", {}) if isinstance(response_format, dict) else {}
    return CompletionRequest(
        system=system,
        messages=tuple(turns),
        max_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 8192),  # type: ignore[call-overload]
        temperature=float(body.get("temperature", 0.3)),  # type: ignore[arg-type]
        schema_name=str(schema.get("name", "result")),
    )


def app_for(sim: SimProvider, case: Case) -> web.Application:
    draws = random.Random(29)

    async def chat(http: web.Request) -> web.Response:
        request = _request(await http.json())
        draw = draws.random()
        if draw < case.random_429:
            sim.rejected += 1
            return web.json_response(
                {"error": {"message": "Too Many Requests"}},
                status=429,
                headers={"retry-after": "0.2"},
            )
        if draw < case.random_429 + case.random_503:
            sim.rejected += 1
            return web.json_response(
                {
                    "error": {
                        "message": "The server is overloaded",
                        "type": "server_error",
                        "code": "server_overloaded",
                    }
                },
                status=503,
            )
        try:
            completion = await sim.complete(request)
        except RateLimited as exc:
            return web.json_response(
                {
                    "error": {
                        "message": "Rate limit reached",
                        "type": "requests",
                        "code": "rate_limit_exceeded",
                    }
                },
                status=429,
                headers={"retry-after": f"{exc.retry_after or 1:g}"},
            )
        except TransientProviderError:
            return web.json_response(
                {"error": {"message": "server error", "type": "server_error"}}, status=500
            )
        hints = completion.rate_limits
        headers = {}
        if hints.requests_limit is not None:
            headers["x-ratelimit-limit-requests"] = str(hints.requests_limit)
            headers["x-ratelimit-remaining-requests"] = str(hints.requests_remaining)
        usage = completion.usage
        return web.json_response(
            {
                "id": "chatcmpl-bench",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": sim.model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "length" if completion.truncated else "stop",
                        "message": {"role": "assistant", "content": completion.text},
                    }
                ],
                "usage": {
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.input_tokens + usage.output_tokens,
                },
            },
            headers=headers,
        )

    app = web.Application(client_max_size=16 * 2**20)
    app.router.add_post("/v1/chat/completions", chat)
    return app


@dataclass(frozen=True)
class Outcome:
    case: Case
    exit_code: int
    wall: float
    first_call: float  # seconds from process start to the first request at the server
    bound: float
    calls: int
    rejected: int
    cpu_ms: float
    rss_mb: float
    files: int


async def run_case(case: Case) -> Outcome:
    latency = LatencyModel(median=case.median, sigma=case.sigma, network_seconds=0.0)
    rpm = CONCURRENCY / latency.mean / 2 * 60 if case.limited else None
    sim = SimProvider(latency, ServerLimits(rpm=rpm, hints=True), SimTime())
    # A client that drops a request (the loser of a hedge) cancels its handler, so the call is
    # logged for the time it was really in flight.
    runner = web.AppRunner(app_for(sim, case), access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        with tempfile.TemporaryDirectory(prefix="flashgen-e2e-") as tmp:
            root = Path(tmp)
            courses = write_course(root, case)
            env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
            env["PYTHONPATH"] = str(PROJECT_ROOT)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            started_loop = asyncio.get_running_loop().time()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "flashgen",
                "run",
                "bench",
                "--provider",
                "openai",
                "--model",
                "sim-1",
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                "--courses-dir",
                str(courses),
                "--output-dir",
                str(root / "output"),
                "--plain",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd=tmp,
            )
            _, stderr = await process.communicate()
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if process.returncode not in (0, 1):
                sys.stderr.write(stderr.decode(errors="replace")[-2000:])
            files = len(list((root / "output").glob("bench/*/*.json")))
    finally:
        await runner.cleanup()
    bound = lower_bound(sim.records, CONCURRENCY, rpm=rpm)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Outcome(
        case=case,
        exit_code=process.returncode or 0,
        wall=wall,
        first_call=min(r.start for r in sim.records) - started_loop,
        bound=bound.value,
        calls=len(sim.records),
        rejected=sim.rejected,
        cpu_ms=1000 * cpu / max(1, len(sim.records)),
        rss_mb=after.ru_maxrss / 1024,
        files=files,
    )


def table(outcomes: Sequence[Outcome]) -> str:
    header = [
        "course",
        "latency median, σ",
        "server limit",
        "random faults",
        "calls",
        "T s",
        "T_lower s",
        "T/T_lower",
        "1st call s",
        "(T − 1st call)/T_lower",
        "429s",
        "CLI CPU ms/call",
        "peak RSS MB",
        "files",
        "exit",
    ]
    return markdown_table(
        header,
        (
            [
                o.case.name,
                f"{o.case.median:g} s, {o.case.sigma}",
                "½ of cap, with headers" if o.case.limited else "none",
                o.case.faults,
                str(o.calls),
                f"{o.wall:.1f}",
                f"{o.bound:.1f}",
                f"{o.wall / o.bound:.3f}",
                f"{o.first_call:.1f}",
                f"{(o.wall - o.first_call) / o.bound:.3f}",
                str(o.rejected),
                f"{o.cpu_ms:.2f}",
                f"{o.rss_mb:.0f}",
                str(o.files),
                str(o.exit_code),
            ]
            for o in outcomes
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser("python -m benchmarks.end_to_end", __doc__)
    parser.add_argument("--quick", action="store_true", help="the seed example only")
    parser.add_argument("--json", help="also write the outcomes to this file")
    parser.add_argument(
        "--overload",
        action="store_true",
        help="only random refusals (5%% and 20%% bare 429s or 503s) next to the fault-free run",
    )
    args = parser.parse_args(argv)
    cases = [
        Case("seed example 3×4", 3, 4, median=1.0, sigma=0.5),
        Case("seed example 3×4", 3, 4, median=1.0, sigma=1.0),
    ]
    if args.overload:
        cases = [
            Case("20 lectures × 3", 20, 3, median=0.2, sigma=0.5, **faults)  # type: ignore[arg-type]
            for faults in (
                {},
                {"random_429": 0.05},
                {"random_503": 0.05},
                {"random_429": 0.20},
                {"random_503": 0.20},
            )
        ]
    elif not args.quick:
        cases += [
            Case("20 lectures × 3", 20, 3, median=0.5, sigma=0.5),
            Case("20 lectures × 3", 20, 3, median=0.5, sigma=0.5, limited=True),
        ]
    outcomes = [asyncio.run(run_case(case)) for case in cases]
    print(table(outcomes))
    if args.json:
        Path(args.json).write_text(
            json.dumps([o.__dict__ | {"case": o.case.__dict__} for o in outcomes], indent=2),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
