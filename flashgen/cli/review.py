"""`flashgen review`: the local review page."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from flashgen.cli.app import CoursesDir, OutputDir, _console, _errors_explained, _settings


def review(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    lectures: Annotated[
        list[str] | None, typer.Argument(help="Lectures to review. [default: all]")
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the URL only; do not open a browser.")
    ] = False,
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
) -> None:
    """Open a page on 127.0.0.1 to approve, reject and edit items beside their source text.
    Every change is saved at once, through the same review state as `flashgen approve`."""
    import threading
    import webbrowser

    from flashgen.errors import UsageError
    from flashgen.output.store import OutputStore
    from flashgen.review.server import ReviewServer

    with _errors_explained():
        settings = _settings(courses_dir=courses_dir, output_dir=output_dir)
        generated = OutputStore(settings.output_dir, course).lecture_ids()
        chosen = lectures or generated
        unknown = [lec for lec in chosen if lec not in generated]
        if unknown or not chosen:
            raise UsageError(
                f"no generated output for {', '.join(unknown) or f'course {course!r}'}",
                hint=f"run `flashgen run {course}` first; `flashgen status {course}` lists them",
            )
        server = ReviewServer(settings, course, chosen)
        console = _console()
        console.print(f"review page: {server.site.url}", highlight=False, soft_wrap=True)
        console.print("press Ctrl-C to stop (every change is already saved)", highlight=False)
        if not no_browser and _graphical():
            # After the server starts; a browser that opens at once gets a refused connection.
            threading.Timer(0.5, webbrowser.open, [server.site.url]).start()
        elif not no_browser:
            console.print("no graphical browser at hand: open the URL above", highlight=False)
        server.run()


def _graphical() -> bool:
    """A desktop to open a browser on. Without one, webbrowser.open would run a text browser
    (lynx, w3m) in this terminal, in the foreground."""
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
