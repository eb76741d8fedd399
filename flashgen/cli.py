"""The ``flashgen`` command line: parse arguments, build settings, call the core, show results.

Heavy modules (pydantic models, providers' SDKs, PDF libraries) are imported inside the
commands so that ``flashgen --help`` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from flashgen.config import Settings
    from flashgen.ingest.discovery import LectureScan
    from flashgen.output.report import RunSummary
    from flashgen.run.runner import RunOptions

app = typer.Typer(
    name="flashgen",
    help="Generate flashcards and four levels of quizzes from a folder of lectures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals could hold API keys
    # Plain click help: rich help panels import markdown-it and rich.markdown, which doubled
    # the start-up time of `flashgen --help` (0.15 s against 0.33 s on the dev machine).
    rich_markup_mode=None,
)

CoursesDir = Annotated[
    Path | None,
    typer.Option("--courses-dir", help="Folder holding one folder per course. [default: courses]"),
]
OutputDir = Annotated[
    Path | None,
    typer.Option("--output-dir", "-o", help="Where generated JSON goes. [default: output]"),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="Folder of the task cache database (CI can cache it). [default: the output folder]",
    ),
]


@contextmanager
def _as_flashgen_errors() -> Iterator[None]:
    """The disk and the task cache's failures (full, read-only, a name in the way) as
    flashgen errors that name the path and the fix, never a traceback."""
    import sqlite3

    from flashgen.errors import storage_error

    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise storage_error(exc) from None


@contextmanager
def _errors_explained() -> Iterator[None]:
    """Turn flashgen's errors into ``error: …`` plus the fix, and the documented exit code."""
    from flashgen.errors import EXIT_INTERRUPTED, FlashgenError

    try:
        with _as_flashgen_errors():
            yield
    except FlashgenError as exc:
        console = _console(stderr=True)
        console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        if exc.hint:
            console.print(f"[bold]fix:[/] {exc.hint}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _console(stderr=True).print("[yellow]interrupted[/]")
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr)


def _settings(**overrides: Any) -> Settings:
    from pydantic import ValidationError

    from flashgen.config import load_settings
    from flashgen.errors import ConfigError

    try:
        return load_settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid setting: {problems}", "fix the flag, the FLASHGEN_* variable or .env"
        ) from None


@app.command()
def run(
    course: Annotated[str, typer.Argument(help="Course folder name inside the courses folder.")],
    lectures: Annotated[
        list[str] | None,
        typer.Argument(help="Only these lectures (file stem or name); all when none given."),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            "-p",
            help="auto, offline, anthropic, gemini or openai. auto uses the first provider "
            "whose API key is set, else the offline generator. [default: auto]",
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name for the provider.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Provider endpoint (proxies, Ollama, vLLM, gateways).")
    ] = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency",
            "-j",
            min=1,
            help="Most provider requests in flight at once. [default: 10; env "
            "FLASHGEN_MAX_CONCURRENT_REQUESTS]",
        ),
    ] = None,
    rpm: Annotated[
        int | None,
        typer.Option(
            "--rpm",
            min=1,
            help="Requests per minute the account allows. [default: none; paced from the "
            "provider's headers and 429s]",
        ),
    ] = None,
    itpm: Annotated[
        int | None, typer.Option("--itpm", min=1, help="Input tokens per minute allowed.")
    ] = None,
    otpm: Annotated[
        int | None, typer.Option("--otpm", min=1, help="Output tokens per minute allowed.")
    ] = None,
    hedge: Annotated[
        bool | None,
        typer.Option(
            "--hedge/--no-hedge",
            help="Send a second copy of a call that straggles while a slot is free (at most "
            "5% more calls; off with --budget). [default: on; env FLASHGEN_HEDGE]",
            show_default=False,
        ),
    ] = None,
    sequential: Annotated[
        bool,
        typer.Option(
            "--sequential",
            help="One task at a time in a fixed order (same results). Also "
            "FLASHGEN_BATCH_PROCESSING_ENABLED=false.",
        ),
    ] = False,
    chunk_size: Annotated[
        int | None, typer.Option(help="Target characters per chunk. [default: 6000]")
    ] = None,
    chunk_overlap: Annotated[
        int | None, typer.Option(help="Characters shared by neighbouring chunks. [default: 300]")
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(help="Language of the material. [default: course.toml, else English]"),
    ] = None,
    question_types: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated: mcq, mca, true_false, fill_in_blank, matching, "
            "categorization. [default: mcq,mca]"
        ),
    ] = None,
    questions_per_card: Annotated[
        int | None,
        typer.Option(help="Model generators: questions per card per level. [default: 5]"),
    ] = None,
    budget: Annotated[
        float | None,
        typer.Option(
            help="Stop starting calls once spend plus the most the calls in flight can cost "
            "(their max_tokens of output) would pass this many US dollars. [env FLASHGEN_BUDGET]"
        ),
    ] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option(
            help="Most output tokens a call may ask for; each call asks for what the cards or "
            "questions it requests need, within this. [default: 8192]"
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Longest a call may take in all, an answer that trickles in included; once "
            "5 calls of a kind have answered, a call of that kind also fails at 4x their median "
            "time (30 s at least), so a stalled call fails in well under a minute. "
            "[default: 120; env FLASHGEN_TIMEOUT]"
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON run report. [default: OUTPUT/COURSE/run_report.json]"
        ),
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain progress lines even on a terminal.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Ignore cached results and generate everything again.")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Leave lectures that are complete and unchanged alone; redo only failed or "
            "missing tasks of the rest. (Without it, finished tasks come from the cache anyway.)",
        ),
    ] = False,
    max_file_mb: Annotated[
        float | None, typer.Option(help="Skip lecture files larger than this. [default: 50]")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another run is writing to the same course output, start when it ends "
            "(without it, this run stops at once with an error).",
        ),
    ] = False,
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """Generate flashcards and quizzes for a course (or some of its lectures)."""
    with _errors_explained():
        settings = _settings(
            provider=provider,
            model=model,
            base_url=base_url,
            max_concurrent_requests=max_concurrency,
            batch_processing_enabled=False if sequential else None,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            language=language,
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            courses_dir=courses_dir,
            output_dir=output_dir,
            cache_dir=cache_dir,
            max_file_mb=max_file_mb,
            question_types=question_types,
            questions_per_card=questions_per_card,
            budget=budget,
            rpm=rpm,
            itpm=itpm,
            otpm=otpm,
            hedge=hedge,
        )
        from flashgen.run.runner import RunOptions

        options = RunOptions(lectures or [], force=force, retry_failed=retry_failed)
        raise typer.Exit(_locked_run(settings, course, options, report, plain, wait))


def _locked_run(
    settings: Settings,
    course_id: str,
    options: RunOptions,
    report: Path | None,
    plain: bool,
    wait: bool,
) -> int:
    from flashgen.run.runlock import run_lock
    from flashgen.run.runner import find_lectures

    scan = find_lectures(settings, course_id)  # a wrong name fails before any folder is made
    with run_lock(settings.output_dir / course_id, wait=wait):
        return _run(settings, scan, options, report, plain)


def _run(
    settings: Settings, scan: LectureScan, options: RunOptions, report: Path | None, plain: bool
) -> int:
    import asyncio

    from flashgen.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_TASKS_FAILED, FlashgenError
    from flashgen.events import fan_out
    from flashgen.output.report import RunSummary
    from flashgen.progress import LiveProgress, PlainProgress
    from flashgen.run.interrupt import RunControl
    from flashgen.run.runner import run_course

    course_id = scan.course.id
    console = _console()
    summary = RunSummary(course_id)
    control = RunControl()
    display = PlainProgress(console) if plain or not console.is_terminal else LiveProgress(console)
    failure: FlashgenError | None = None
    try:
        with display, _as_flashgen_errors():
            asyncio.run(run_course(settings, scan, options, fan_out(summary, display), control))
    except (KeyboardInterrupt, asyncio.CancelledError):
        # Before the run's own handlers were installed, or a second signal cancelled the run.
        control.stopping = True
    except FlashgenError as exc:
        failure = exc  # said after the report of what was done is saved
    summary.interrupted = control.stopping
    if failure is not None and not summary.tasks:
        raise failure  # nothing ran: the error is all there is to say
    report_path = _save_report(summary, report or _default_report(settings, course_id))
    summary.render(console)
    saved = f"report: {report_path}" if report_path else "report: not written (see above)"
    console.print(f"output: {settings.output_dir / course_id}   {saved}")
    if failure is not None:
        raise failure
    if summary.interrupted:
        console.print("[yellow]interrupted[/]: finished lectures are saved; run again to resume")
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_TASKS_FAILED


def _default_report(settings: Settings, course_id: str) -> Path:
    path = settings.output_dir / course_id / "run_report.json"
    # A lecture named run_report.json has that folder: the report goes beside it.
    return path.with_name("run_report.flashgen.json") if path.is_dir() else path


def _save_report(summary: RunSummary, path: Path) -> Path | None:
    """Write the run report if the disk lets us; else say why, and go on to the summary."""
    from flashgen.errors import storage_error

    try:
        summary.save(path)
    except OSError as exc:
        error = storage_error(exc)
        console = _console(stderr=True)
        console.print(f"[yellow]warning:[/] run report not written: {error.message}")
        return None
    return path


@app.command()
def status(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
) -> None:
    """Per lecture: complete / empty / partial (X of Y tasks) / failed / stale / not generated."""
    from flashgen.output.status import lecture_status
    from flashgen.output.store import OutputStore
    from flashgen.run.runner import file_digest, find_lectures

    with _errors_explained():
        settings = _settings(courses_dir=courses_dir, output_dir=output_dir)
        scan = find_lectures(settings, course)
        store = OutputStore(settings.output_dir, course)
        console = _console()
        colours = {
            "complete": "green",
            "empty": "yellow",
            "partial": "yellow",
            "failed": "red",
            "stale": "yellow",
        }
        incomplete = 0
        for lecture in scan.lectures:
            state = lecture_status(store, lecture.id, file_digest(lecture))
            colour = colours.get(state.state, "dim")
            console.print(f"{lecture.id:<30} [{colour}]{state.describe()}[/]", highlight=False)
            for error in state.errors[:3]:
                console.print(f"  [dim]{error}[/]", highlight=False)
            incomplete += state.state not in ("complete", "empty")
        raise typer.Exit(0 if not incomplete else 1)


@app.command()
def plan(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    lectures: Annotated[list[str] | None, typer.Argument(help="Only these lectures.")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Plan for this provider.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Plan for this model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
    cache_dir: CacheDir = None,
) -> None:
    """What a run would do and cost: lectures, chunks, tasks (cached or not), tokens, cost.
    Makes no provider calls and needs no key."""
    import json

    from rich.table import Table

    from flashgen.run.plan import make_plan
    from flashgen.run.runner import find_lectures

    with _errors_explained():
        settings = _settings(
            provider=provider,
            model=model,
            courses_dir=courses_dir,
            output_dir=output_dir,
            cache_dir=cache_dir,
        )
        result = make_plan(settings, find_lectures(settings, course), lectures or [])
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2))
            return
        table = Table(
            "lecture",
            "chunks",
            "flashcard tasks",
            "quiz tasks",
            "input tokens",
            "output tokens",
            title=f"plan — {course} with {result.provider} ({result.model})",
        )
        for item in result.lectures:
            estimate = "" if item.exact else " (est.)"
            table.add_row(
                item.lecture,
                str(item.chunks),
                f"{item.flashcard_tasks} ({item.flashcard_cached} cached)",
                f"{item.quiz_tasks} ({item.quiz_cached} cached){estimate}",
                f"{item.input_tokens:,}",
                f"{item.output_tokens:,}",
            )
        console = _console()
        console.print(table)
        for lecture, reason in result.skipped.items():
            console.print(f"[yellow]skipped[/] {lecture}: {reason}", highlight=False)
        console.print(
            f"of the input: {result.total('schema_tokens'):,} tokens of reply schema, "
            f"{result.total('cached_tokens'):,} expected from the provider's cache; "
            f"thinking: {result.total('thinking_tokens'):,} tokens (billed as output)",
            highlight=False,
        )
        price = f"${result.cost_usd:.4f}" if result.price_known else "unknown (no price for model)"
        console.print(f"estimated cost: {price}; no provider was called", highlight=False)


@app.command()
def export(
    course: Annotated[str, typer.Argument(help="Course whose generated output to export.")],
    to: Annotated[
        str, typer.Option("--to", help="anki (.apkg), csv, tsv, gift (Moodle) or qti (Canvas).")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File or folder to write. [default: OUTPUT/COURSE/exports/]"),
    ] = None,
    questions: Annotated[
        bool, typer.Option("--questions", help="csv/tsv: add a row per quiz question too.")
    ] = False,
    bom: Annotated[
        bool, typer.Option("--bom", help="csv/tsv: start with a byte-order mark (for Excel).")
    ] = False,
    output_dir: OutputDir = None,
) -> None:
    """Export generated flashcards and quizzes to Anki, CSV/TSV, Moodle GIFT or Canvas QTI."""
    from flashgen.errors import UsageError
    from flashgen.export import ExportFormat, export_course

    with _errors_explained():
        settings = _settings(output_dir=output_dir)
        try:
            fmt = ExportFormat(to)
        except ValueError:
            choices = ", ".join(f.value for f in ExportFormat)
            raise UsageError(f"unknown export format {to!r}", f"choose one of {choices}") from None
        result = export_course(settings.output_dir, course, fmt, out, questions, bom=bom)
        console = _console()
        for warning in result.warnings:
            console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
        for skipped in result.skipped:
            console.print(f"[yellow]skipped[/] {skipped.item}: {skipped.reason}", highlight=False)
        console.print(
            f"wrote {result.path} ({result.lectures} lectures, {result.cards} cards, "
            f"{result.questions} questions)",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def schema(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the schema files into this folder.")
    ] = None,
) -> None:
    """JSON Schema of the output files (flashcards.json, quiz_level_N.json)."""
    import json

    from flashgen.output.schema import output_schemas, write_schemas

    with _errors_explained():
        if out is None:
            typer.echo(json.dumps(output_schemas(), indent=2))
            return
        for path in write_schemas(out):
            typer.echo(f"wrote {path}")


@app.command("list")
def list_courses(
    course: Annotated[str | None, typer.Argument(help="Show only this course.")] = None,
    courses_dir: CoursesDir = None,
) -> None:
    """Courses and their lectures, as flashgen sees them."""
    from flashgen.ingest.discovery import list_courses as course_names
    from flashgen.ingest.discovery import load_course, scan_lectures

    with _errors_explained():
        settings = _settings(courses_dir=courses_dir)
        console = _console()
        names = [course] if course else course_names(settings.courses_dir)
        if not names:
            console.print(f"no courses in {settings.courses_dir} (make a folder per course)")
            return
        for name in names:
            scan = scan_lectures(load_course(settings.courses_dir, name))
            title = scan.course.name if scan.course.name != name else ""
            console.print(f"[bold]{name}[/]" + (f" — {title}" if title else ""), highlight=False)
            for lecture in scan.lectures:
                console.print(
                    f"  {lecture.id:<30} {lecture.kind:<5} {lecture.path.name}", highlight=False
                )
            for skipped in scan.skipped:
                if skipped.reason != "hidden":
                    console.print(
                        f"  [dim]{skipped.name}: not a lecture ({skipped.reason})[/]",
                        highlight=False,
                    )


@app.command()
def providers(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Send one tiny structured request to each configured provider: is the key, "
            "the model and the schema accepted?",
        ),
    ] = False,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Check only this provider.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="The model to check (with --provider).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="The server to check (with --provider).")
    ] = None,
) -> None:
    """Each provider: key found or not (never the key), default model, base URL."""
    from rich.table import Table

    from flashgen.providers.factory import choose_provider, describe_providers

    with _errors_explained():
        settings = _settings(provider=provider, model=model, base_url=base_url)
        if check:
            _check_providers(settings)
            return
        table = Table("provider", "key", "key variable", "default model", "base URL")
        for status in describe_providers(settings):
            table.add_row(
                status.name,
                "found" if status.key_found else "missing",
                status.key_variable,
                status.default_model,
                status.base_url or "(SDK default)",
            )
        console = _console()
        console.print(table)
        name, reason = choose_provider(settings.model_copy(update={"provider": "auto"}))
        console.print(f"--provider auto would use: {name} ({reason})", highlight=False)


def _check_providers(settings: Settings) -> None:
    import asyncio

    from flashgen.errors import ConfigError
    from flashgen.providers.check import check_providers
    from flashgen.providers.pricing import PriceTable

    results = asyncio.run(check_providers(settings, PriceTable.load(settings.prices_file)))
    if not results:
        raise ConfigError(
            "no provider to check: no API key found",
            hint="set ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENAI_API_KEY (or --base-url "
            "with --provider openai for a local server)",
        )
    console = _console()
    for result in results:
        mark = "[green]ok[/]" if result.ok else "[bold red]failed[/]"
        console.print(
            f"{mark} {result.provider} {result.model} ({result.seconds:.1f} s): {result.detail}",
            highlight=False,
            soft_wrap=True,
        )
    if not all(result.ok for result in results):
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
