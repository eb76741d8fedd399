"""Each Anki note's modification time: when that card last changed, read from the previous export.

Anki's package importer overwrites a note that has the same GUID only when the incoming note is
newer (docs.ankiweb.net/importing/packaged-decks.html, "Updating"). If every note of a
regenerated lecture got the new ``generated_at``, re-importing would overwrite a student's own
edits of the cards that did not change. So the previous export at the same destination is the
record: a note whose fields and tags are what that export held keeps that export's time; a
changed or new note gets its lecture file's ``generated_at``, and always a time later than the
one it had. Without a previous export (first export, a fresh CI checkout), every note gets its
lecture's time, which still leaves unchanged lectures alone.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flashgen.ids import digest


@dataclass(frozen=True)
class Exported:
    content: str
    changed: int


def previous_notes(package: Path) -> dict[str, Exported]:
    """GUID -> what an earlier export at ``package`` held; empty when there is none to read."""
    if not package.is_file():
        return {}
    try:
        with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "collection.anki2"
            database.write_bytes(archive.read("collection.anki2"))
            with contextlib.closing(sqlite3.connect(database)) as connection:
                rows = connection.execute("SELECT guid, flds, tags, mod FROM notes").fetchall()
    except (OSError, KeyError, zipfile.BadZipFile, sqlite3.Error):
        # Not a package flashgen can read (replaced by hand, damaged): start the record afresh.
        return {}
    return {
        guid: Exported(content(fields.split("\x1f"), tags.split()), mod)
        for guid, fields, tags, mod in rows
    }


def content(fields: list[str], tags: list[str]) -> str:
    return digest(*fields, "\x1e", *tags, length=32)


def note_time(
    previous: Exported | None, now_content: str, lecture_time: float | None
) -> float | None:
    """The note's modification time; None leaves it to the package's time."""
    if previous is not None and previous.content == now_content:
        return previous.changed
    if previous is None or lecture_time is None:
        return lecture_time
    return max(lecture_time, previous.changed + 1)
