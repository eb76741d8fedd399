"""``flashgen plan`` (no calls, a token estimate a run bears out) and ``--budget``."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from flashgen.cli import app
from flashgen.generate.drafts import DraftCard, envelope_schema
from flashgen.models import Usage
from flashgen.providers.base import Completion, CompletionRequest, Message
from flashgen.providers.estimate import request_tokens, schema_tokens
from flashgen.providers.pricing import PriceTable
from flashgen.run.budget import Budget, BudgetExceeded

from .fake_api import FAKE_KEY, OPENAI
from .model_server import serve_model

ROOT = Path(__file__).parents[2]
runner = CliRunner()
# The estimate is held to this factor of the tokens a run reports, in both directions.
ESTIMATE_FACTOR = 2.0


@pytest.fixture
def courses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "courses", tmp_path / "courses")
    return tmp_path / "courses"


def run_openai(courses: Path, out: Path, model: str, *extra: str) -> tuple[int, str]:
    """``flashgen run sample-course --provider openai --model MODEL`` into ``out``."""
    return invoke(
        "run",
        "sample-course",
        "--courses-dir",
        str(courses),
        "-o",
        str(out),
        "--provider",
        "openai",
        "--model",
        model,
        *extra,
    )


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def plan_totals(courses: Path, tmp_path: Path, provider: str, *extra: str) -> dict[str, Any]:
    code, output = invoke(
        "plan",
        "sample-course",
        "--courses-dir",
        str(courses),
        "-o",
        str(tmp_path / "out"),
        "--provider",
        provider,
        "--json",
        *extra,
    )
    assert code == 0, output
    plan: dict[str, Any] = json.loads(output)
    return plan


def test_plan_makes_no_call_and_its_estimate_holds(
    courses: Path, tmp_path: Path, api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = serve_model(api_server, OPENAI, metered=True)
    common = ["sample-course", "--courses-dir", str(courses), "-o", str(tmp_path / "out")]
    base_url = f"http://127.0.0.1:{api_server.port}/v1"
    code, output = invoke(
        "plan", *common, "--provider", "openai", "--model", "gpt-4.1-mini", "--json"
    )
    assert code == 0, output
    assert seen == []  # and no key was needed
    plan = json.loads(output)
    assert plan["totals"]["flashcard_tasks"] == 3 and plan["price_known"]

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    code, output = run_openai(courses, tmp_path / "out", "gpt-4.1-mini", "--base-url", base_url)
    assert code == 0, output
    report = json.loads((tmp_path / "out" / "sample-course" / "run_report.json").read_text())
    used = report["totals"]["usage"]
    for planned, actual in (
        (plan["totals"]["input_tokens"], used["input_tokens"]),
        (plan["totals"]["output_tokens"], used["output_tokens"]),
    ):
        assert actual / ESTIMATE_FACTOR <= planned <= actual * ESTIMATE_FACTOR, (planned, actual)
    # Each request asks for what its items need, not the 8,192 cap, and the plan expects no
    # more output than the requests allowed.
    allowed = [body["max_tokens"] for body in seen]
    assert len(allowed) == plan["totals"]["flashcard_tasks"] + plan["totals"]["quiz_tasks"]
    assert max(allowed) < 8192
    assert plan["totals"]["output_tokens"] <= sum(allowed)

    code, output = invoke(
        "plan", *common, "--provider", "openai", "--model", "gpt-4.1-mini", "--json"
    )
    again = json.loads(output)["totals"]
    assert again["flashcard_cached"] == 3 and again["quiz_cached"] == again["quiz_tasks"] > 0
    assert again["input_tokens"] == 0


def test_plan_expects_no_more_output_than_max_tokens_allows(
    courses: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASHGEN_MAX_TOKENS", "300")
    totals = plan_totals(courses, tmp_path, "openai", "--model", "gpt-4.1-mini")["totals"]
    assert totals["output_tokens"] == 300 * (totals["flashcard_tasks"] + totals["quiz_tasks"])


async def test_budget_holds_calls_in_flight_at_their_max_tokens() -> None:
    """Concurrent calls cannot overshoot the budget even when every reply uses all of its
    max_tokens: each is charged that much until it returns."""
    prices = PriceTable.load()
    model = "gpt-4.1-mini"
    release = asyncio.Event()

    class Greedy:
        name = "greedy"

        def __init__(self) -> None:
            self.model = model

        async def complete(self, request: CompletionRequest) -> Completion:
            await release.wait()
            usage = Usage(input_tokens=request_tokens(request), output_tokens=request.max_tokens)
            cost = prices.cost(model, usage)
            return Completion("{}", usage.model_copy(update={"cost_usd": cost}), model)

        async def aclose(self) -> None:
            return None

    request = CompletionRequest(
        "system", (Message("user", "x" * 4000),), 2648, 0.3, schema_name="flashcards"
    )
    most = Budget(1.0, prices, model).most(request)
    budget = Budget(5.5 * most, prices, model)
    guarded = budget.guard(Greedy())
    calls = [asyncio.create_task(guarded.complete(request)) for _ in range(10)]
    await asyncio.sleep(0)
    release.set()
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert sum(isinstance(o, Completion) for o in outcomes) == 5
    assert sum(isinstance(o, BudgetExceeded) for o in outcomes) == 5
    assert budget.spent_usd <= budget.limit_usd


def test_budget_stops_new_calls_and_keeps_what_was_made(
    courses: Path, tmp_path: Path, api_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = serve_model(api_server, OPENAI, metered=True)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    code, output = run_openai(
        courses,
        tmp_path / "out",
        "gpt-4.1-mini",
        "--plain",
        "--sequential",
        "--base-url",
        f"http://127.0.0.1:{api_server.port}/v1",
        "--budget",
        "0.01",
    )
    assert code == 1
    assert "budget of $0.01 reached" in output
    report = json.loads((tmp_path / "out" / "sample-course" / "run_report.json").read_text())
    tasks = report["totals"]["tasks"]
    assert tasks["succeeded"] == len(seen) > 0 and tasks["skipped"] > 0
    assert report["totals"]["usage"]["cost_usd"] <= 0.01
    assert (tmp_path / "out" / "sample-course" / "lecture-01" / "flashcards.json").is_file()


def test_budget_needs_a_known_price(
    courses: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    code, output = run_openai(
        courses,
        tmp_path / "out",
        "my-local-llama",
        "--budget",
        "1",
        "--base-url",
        "http://127.0.0.1:9/v1",
    )
    assert code == 2 and "needs a price for model 'my-local-llama'" in output


def test_plan_counts_gemini_thinking_as_billed_output(
    courses: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = plan_totals(courses, tmp_path, "gemini")
    monkeypatch.setenv("FLASHGEN_GEMINI_THINKING_BUDGET", "1000")
    thinking = plan_totals(courses, tmp_path, "gemini")

    calls = thinking["totals"]["flashcard_tasks"] + thinking["totals"]["quiz_tasks"]
    assert without["totals"]["thinking_tokens"] == 0
    assert thinking["totals"]["thinking_tokens"] == 1000 * calls
    prices = PriceTable.load()
    extra = prices.cost("gemini-2.5-flash", Usage(output_tokens=1000 * calls))
    assert thinking["cost_usd"] == pytest.approx(without["cost_usd"] + extra, abs=1e-3)
    # Only Gemini's thinking is a setting; other providers plan none.
    assert plan_totals(courses, tmp_path, "openai")["totals"]["thinking_tokens"] == 0


def test_plan_counts_the_schema_each_request_carries(courses: Path, tmp_path: Path) -> None:
    totals = plan_totals(courses, tmp_path, "openai")["totals"]
    calls = totals["flashcard_tasks"] + totals["quiz_tasks"]
    flashcards = schema_tokens(envelope_schema("flashcards", [DraftCard]))
    assert totals["schema_tokens"] >= calls * min(flashcards, 100)
    assert totals["schema_tokens"] < totals["input_tokens"]


def test_plan_expects_cache_reads_where_levels_share_a_long_enough_prefix(
    courses: Path, tmp_path: Path
) -> None:
    """The four levels' requests over one group share everything before the level's own
    message; the plan measures that on the requests the generator sends."""
    openai = plan_totals(courses, tmp_path, "openai")["totals"]
    # Each group's three later levels read schema, system text and cards from the cache.
    assert 0 < openai["cached_tokens"] < openai["input_tokens"]
    assert openai["cached_tokens"] > openai["input_tokens"] * 0.25
    # Haiku 4.5 caches nothing under 4,096 tokens: these prefixes are shorter.
    haiku = plan_totals(courses, tmp_path, "anthropic", "--model", "claude-haiku-4-5")
    assert haiku["totals"]["cached_tokens"] == 0


def test_budget_charges_the_thinking_budget_as_output() -> None:
    prices = PriceTable.load()
    request = CompletionRequest("system", (Message("user", "x" * 400),), 1000, 0.3)
    plain = Budget(1.0, prices, "gemini-2.5-flash").most(request)
    thinking = Budget(1.0, prices, "gemini-2.5-flash", thinking_tokens=2000).most(request)
    assert thinking - plain == pytest.approx(
        prices.cost("gemini-2.5-flash", Usage(output_tokens=2000)), rel=1e-6
    )
