"""The ``flashgen`` command line: parse arguments, build settings, call the core, show results.

``app`` holds the Typer app and what commands share; ``run`` the run command; ``commands`` the
others."""

from __future__ import annotations

import sys

from flashgen.cli import commands, decisions, review, run
from flashgen.cli.app import app

# Registered here, in the order ``--help`` lists them.
app.command()(run.run)
app.command()(commands.status)
app.command()(commands.plan)
app.command()(decisions.approve)
app.command()(decisions.reject)
app.command()(decisions.reset)
app.command()(decisions.prune)
app.command()(review.review)
app.command()(commands.export)
app.command()(commands.schema)
app.command("list")(commands.list_courses)
app.command()(commands.providers)

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
