"""What every exporter shares: the format names, the result it fills in, and the atomic write."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class ExportFormat(StrEnum):
    ANKI = "anki"
    CSV = "csv"
    TSV = "tsv"
    GIFT = "gift"
    QTI = "qti"
    HTML = "html"

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_EXTENSIONS = {
    ExportFormat.ANKI: ".apkg",
    ExportFormat.CSV: ".csv",
    ExportFormat.TSV: ".tsv",
    # Moodle's GIFT importer looks for .txt; the inner suffix keeps the format visible.
    ExportFormat.GIFT: ".gift.txt",
    ExportFormat.QTI: ".qti.zip",
    # A folder: the static study site.
    ExportFormat.HTML: "-site",
}


@dataclass(frozen=True)
class SkippedItem:
    """A file, card or question that is not in the export, and why."""

    item: str
    reason: str


@dataclass
class ExportResult:
    format: ExportFormat
    path: Path
    lectures: int = 0
    cards: int = 0
    questions: int = 0
    skipped: list[SkippedItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append(SkippedItem(item, reason))


@contextlib.contextmanager
def atomic_path(destination: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; move it into place only if the body succeeds.

    A reader (an LMS upload, Anki's file watcher, a CI artifact step) never sees half a file, and a
    failed export leaves the previous one intact.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp creates 0600; an export is meant to be shared like any other output file.
        temporary.chmod(0o644)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
