"""``flashgen run``: generate a course's flashcards and quizzes, show progress, save the report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flashgen.config import Settings
    from flashgen.ingest.discovery import LectureScan
    from flashgen.output.report import RunSummary
    from flashgen.run.runner import RunOptions

from flashgen.cli.app import (
    CacheDir,
    CoursesDir,
    OutputDir,
    _as_flashgen_errors,
    _console,
    _errors_explained,
    _settings,
)


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
            # Not listed here: the names live with the question models, which this module does
            # not import (startup time); a wrong name is answered with the full list.
            help="Comma-separated question types, e.g. mcq,mca,true_false,matching "
            "(a wrong name lists them all). [default: mcq,mca]"
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
    regenerate_rejected: Annotated[
        bool,
        typer.Option(
            "--regenerate-rejected",
            help="Forget rejections in the lectures this run generates: items a person deleted "
            "or rejected may come back. Approved and edited items are still kept.",
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
    batch: Annotated[
        bool,
        typer.Option(
            "--batch",
            help="Send requests to the provider's batch API: half the price, results within "
            "a day, two waves (cards, then quizzes). Resumable: run the same command again "
            "after a stop. Anthropic, OpenAI and Gemini. [env FLASHGEN_BATCH]",
        ),
    ] = False,
    batch_fallback: Annotated[
        str | None,
        typer.Option(
            "--batch-fallback",
            metavar="next|live",
            help="Batch requests that errored, expired or were canceled: in the next batch "
            "(next), or as normal calls at the normal price (live). [default: next]",
        ),
    ] = None,
    batch_no_wait: Annotated[
        bool,
        typer.Option(
            "--batch-no-wait",
            help="With --batch: submit, then exit 0 without waiting; the same command "
            "again collects the results (flashgen status lists batches in flight).",
        ),
    ] = False,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Run shard I of N (a CI matrix): a stable share of the lectures, chosen by a "
            "digest of each lecture's id; --rpm/--itpm/--otpm are divided by N. Course-wide "
            "dedupe waits for --merge.",
        ),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="After shards (their output folders copied into one): generate nothing; "
            "remove near-duplicates across lectures and write the course's report.",
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
            batch=True if batch else None,
            batch_fallback=batch_fallback,
            batch_wait=False if batch_no_wait else None,
        )
        from flashgen.run.runner import RunOptions
        from flashgen.run.shards import parse_shard

        if merge and (shard or lectures):
            from flashgen.errors import UsageError

            raise UsageError(
                "--merge takes the whole course: no --shard and no lecture names",
                f"run the shards first, then: flashgen run {course} --merge",
            )
        options = RunOptions(
            lectures or [],
            force=force,
            retry_failed=retry_failed,
            regenerate_rejected=regenerate_rejected,
            shard=parse_shard(shard) if shard else None,
            merge=merge,
        )
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
    left: list[str] = []
    try:
        with display, _as_flashgen_errors():
            left = asyncio.run(
                run_course(settings, scan, options, fan_out(summary, display), control)
            )
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
    if left:  # --batch-no-wait: submitted, as asked; a rerun collects
        console.print(f"batches running: {', '.join(left)}; run the same command to collect")
        return EXIT_OK
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
