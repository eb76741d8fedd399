"""The commands around a run: `status`, `plan`, `export`, `schema`, `list`, `providers`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flashgen.config import Settings

from flashgen.cli.app import (
    CacheDir,
    CoursesDir,
    OutputDir,
    _console,
    _errors_explained,
    _settings,
)


def status(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
) -> None:
    """Per lecture: complete / empty / partial (X of Y tasks) / failed / stale / not generated,
    and how many items are new, approved, edited, rejected and stale; orphaned output and
    batches in flight last."""
    from flashgen.output.batch_state import batches_in_flight
    from flashgen.output.lifecycle import orphaned
    from flashgen.output.review import load_review
    from flashgen.output.status import lecture_status
    from flashgen.output.store import OutputStore
    from flashgen.run.runner import batch_state_path, file_digest, find_lectures

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
        totals: dict[str, int] = {}
        for lecture in scan.lectures:
            state = lecture_status(store, lecture.id, file_digest(lecture))
            colour = colours.get(state.state, "dim")
            console.print(f"{lecture.id:<30} [{colour}]{state.describe()}[/]", highlight=False)
            for error in state.errors[:3]:
                console.print(f"  [dim]{error}[/]", highlight=False)
            review = load_review(store.lecture_dir(lecture.id))
            if review is not None:
                counts = review.counts()
                totals = {name: totals.get(name, 0) + n for name, n in counts.items()}
                console.print(f"  review: {_counted(counts)}", highlight=False)
            incomplete += state.state not in ("complete", "empty")
        if totals:
            console.print(f"{'review, whole course':<30} {_counted(totals)}", highlight=False)
        for lecture_id in orphaned(store, {lecture.id for lecture in scan.lectures}):
            console.print(
                f"{lecture_id:<30} [yellow]orphaned: its lecture file is gone (renamed or "
                "deleted); left out of exports; `flashgen prune` removes it[/]",
                highlight=False,
            )
        for line in batches_in_flight(batch_state_path(settings)):
            console.print(f"[yellow]{line}[/]", highlight=False)
        raise typer.Exit(0 if not incomplete else 1)


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())


def plan(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    lectures: Annotated[list[str] | None, typer.Argument(help="Only these lectures.")] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Plan for this provider.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Plan for this model.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    batch: Annotated[
        bool, typer.Option("--batch", help="Cost at the batch price (flashgen run --batch).")
    ] = False,
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
            batch=True if batch else None,
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
        price += " at the batch price" if result.batch else ""
        console.print(f"estimated cost: {price}; no provider was called", highlight=False)


def export(
    course: Annotated[str, typer.Argument(help="Course whose generated output to export.")],
    to: Annotated[
        str,
        typer.Option(
            "--to", help="anki (.apkg), csv, tsv, gift (Moodle), qti (Canvas) or html (a site)."
        ),
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
    approved_only: Annotated[
        bool, typer.Option("--approved-only", help="Only items approved with `flashgen approve`.")
    ] = False,
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
) -> None:
    """Export generated flashcards and quizzes to Anki, CSV/TSV, Moodle GIFT, Canvas QTI or HTML.
    Rejected items are never exported, nor the output of lectures no longer in the course."""
    from flashgen.cli.decisions import current_lectures
    from flashgen.errors import CourseNotFound, UsageError
    from flashgen.export import ExportFormat, export_course

    with _errors_explained():
        settings = _settings(output_dir=output_dir, courses_dir=courses_dir)
        try:
            lectures: list[str] | None = current_lectures(settings, course)
        except CourseNotFound:
            lectures = None  # exported where the lecture files are not: every lecture folder
        try:
            fmt = ExportFormat(to)
        except ValueError:
            choices = ", ".join(f.value for f in ExportFormat)
            raise UsageError(f"unknown export format {to!r}", f"choose one of {choices}") from None
        result = export_course(
            settings.output_dir,
            course,
            fmt,
            out,
            questions,
            bom=bom,
            lectures=lectures,
            approved_only=approved_only,
        )
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
