"""The ``flashgen`` Typer app, the options several commands share, and how errors are shown.

Heavy modules (pydantic models, providers' SDKs, PDF libraries) are imported inside the
commands so that ``flashgen --help`` answers at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from flashgen.config import Settings

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
