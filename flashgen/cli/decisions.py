"""`approve`, `reject`, `reset` (a person's decisions on items) and `prune` (output of lectures
that are gone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from flashgen.cli.app import CoursesDir, OutputDir, _console, _errors_explained, _settings

if TYPE_CHECKING:
    from flashgen.config import Settings
    from flashgen.output.review_actions import Action

Ids = Annotated[
    list[str] | None, typer.Argument(help="Item ids (the `id` field). None: every item chosen.")
]
Lectures = Annotated[
    list[str] | None,
    typer.Option("--lecture", "-l", help="Only this lecture (repeatable)."),
]
Cards = Annotated[bool, typer.Option("--cards", help="Only flashcards (with --level: and them).")]
Levels = Annotated[
    list[int] | None, typer.Option("--level", help="Only this quiz level, 1-4 (repeatable).")
]
Stale = Annotated[bool, typer.Option("--stale", help="Only items flagged stale.")]
All = Annotated[
    bool, typer.Option("--all", help="Every item of the course (when nothing else is chosen).")
]


def current_lectures(settings: Settings, course: str) -> list[str]:
    """The course's lecture ids now; none when every lecture file is gone."""
    from flashgen.ingest.discovery import load_course, scan_lectures

    return [
        lecture.id for lecture in scan_lectures(load_course(settings.courses_dir, course)).lectures
    ]


def _decide(
    action: Action,
    course: str,
    ids: list[str] | None,
    lecture: list[str] | None,
    cards: bool,
    level: list[int] | None,
    stale: bool,
    every: bool,
    courses_dir: CoursesDir,
    output_dir: OutputDir,
) -> None:
    from flashgen.errors import UsageError
    from flashgen.output.review_actions import Selection, apply, file_keys
    from flashgen.output.store import OutputStore

    with _errors_explained():
        if not (ids or lecture or cards or level or stale or every):
            raise UsageError(
                f"say which items to {action}",
                hint="pass item ids, --lecture, --cards, --level or --stale; --all for every item",
            )
        bad = [n for n in level or [] if n not in (1, 2, 3, 4)]
        if bad:
            raise UsageError(f"no quiz level {bad[0]}", hint="levels are 1, 2, 3 and 4")
        settings = _settings(courses_dir=courses_dir, output_dir=output_dir)
        store = OutputStore(settings.output_dir, course)
        selection = Selection(
            ids=frozenset(ids or []),
            lectures=frozenset(lecture or []),
            files=file_keys(cards, level or []),
            stale_only=stale,
        )
        outcome = apply(store, current_lectures(settings, course), selection, action)
        done = {"approve": "approved", "reject": "rejected", "reset": "reset"}[action]
        _console().print(
            f"{done} {outcome.changed} item(s) in {len(outcome.lectures)} lecture(s)"
            + (f"; {outcome.unchanged} already {done}" if outcome.unchanged else ""),
            highlight=False,
        )


def _decision(action: Action, doc: str) -> Callable[..., None]:
    """One of the three decision commands: the same choices of items, its own action."""

    def command(
        course: Annotated[str, typer.Argument(help="Course folder name.")],
        ids: Ids = None,
        lecture: Lectures = None,
        cards: Cards = False,
        level: Levels = None,
        stale: Stale = False,
        every: All = False,
        courses_dir: CoursesDir = None,
        output_dir: OutputDir = None,
    ) -> None:
        _decide(action, course, ids, lecture, cards, level, stale, every, courses_dir, output_dir)

    command.__doc__ = doc
    command.__name__ = action
    return command


approve = _decision("approve", "Mark items approved: every rerun keeps them as they are on disk.")
reject = _decision(
    "reject", "Reject items: they leave their files, are never exported and never generated back."
)
reset = _decision(
    "reset", "Make items new again: the next run may replace them (rejected ones may come back)."
)


def prune(
    course: Annotated[str, typer.Argument(help="Course folder name.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Remove them even when they hold approved or edited items."),
    ] = False,
    courses_dir: CoursesDir = None,
    output_dir: OutputDir = None,
) -> None:
    """Remove the output of lectures no longer in the course (deleted or renamed files)."""
    from flashgen.output.lifecycle import prune as prune_orphans
    from flashgen.output.store import OutputStore

    with _errors_explained():
        settings = _settings(courses_dir=courses_dir, output_dir=output_dir)
        store = OutputStore(settings.output_dir, course)
        pruned = prune_orphans(store, current_lectures(settings, course), force=force)
        console = _console()
        for lecture_id in pruned.removed:
            console.print(f"removed {store.lecture_dir(lecture_id)}", highlight=False)
        for lecture_id, kept in pruned.refused.items():
            console.print(
                f"[yellow]kept[/] {store.lecture_dir(lecture_id)}: {kept} approved or edited "
                "item(s); copy what you need into the renamed lecture's files, then prune --force",
                highlight=False,
            )
        if not pruned.removed and not pruned.refused:
            console.print("no orphaned lecture output", highlight=False)
        raise typer.Exit(1 if pruned.refused else 0)
