"""Export a course's generated output to Anki, CSV/TSV, Moodle GIFT, Canvas QTI or a study site.

``export_course`` reads ``OUTPUT_DIR/COURSE/<lecture>/*.json`` and writes one file. The format
modules are imported on demand: genanki alone adds about 0.1 s to every CLI start otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from flashgen.errors import UsageError
from flashgen.export.base import ExportFormat, ExportResult, SkippedItem, atomic_path
from flashgen.export.reader import CourseOutput, read_course

__all__ = ["ExportFormat", "ExportResult", "SkippedItem", "default_destination", "export_course"]

Writer = Callable[[CourseOutput, Path, ExportResult], None]


def default_destination(output_dir: Path, course_id: str, fmt: ExportFormat | str) -> Path:
    fmt = ExportFormat(fmt)
    return output_dir / course_id / "exports" / f"{course_id}{fmt.extension}"


def export_course(
    output_dir: Path,
    course_id: str,
    fmt: ExportFormat | str,
    destination: Path | None = None,
    include_questions: bool = False,
    *,
    bom: bool = False,
    lectures: Collection[str] | None = None,
    approved_only: bool = False,
) -> ExportResult:
    """Write one export file for ``course_id`` and say what went in and what was left out.

    ``destination`` may be a file or an existing folder (the default file name goes inside).
    ``include_questions`` adds quiz questions to CSV/TSV; Anki holds flashcards, GIFT and QTI
    hold questions. ``bom`` starts a CSV/TSV with a UTF-8 byte-order mark for Excel.
    ``lectures`` are the course's lectures now (others are orphaned output, left out);
    ``approved_only`` exports only approved items. Rejected items are never exported.
    Raises ``UsageError`` when the course has no output or nothing of the requested kind.
    """
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.HTML:
        return _export_site(output_dir, course_id, destination, lectures, approved_only)
    course = read_course(output_dir, course_id, lectures=lectures, approved_only=approved_only)
    _require_content(course, fmt, include_questions, approved_only)
    path = destination or default_destination(output_dir, course_id, fmt)
    if path.is_dir():
        path = path / f"{course_id}{fmt.extension}"
    result = ExportResult(
        format=fmt, path=path, skipped=list(course.skipped), warnings=list(course.warnings)
    )
    with atomic_path(path) as temporary:
        _writer(fmt, include_questions, bom)(course, temporary, result)
    return result


def _export_site(
    output_dir: Path,
    course_id: str,
    destination: Path | None,
    lectures: Collection[str] | None,
    approved_only: bool,
) -> ExportResult:
    """The study site is a folder, swapped in whole; once any item of the course is approved it
    shows approved items only (a published site shows what a teacher has checked)."""
    from flashgen.export.html_site import course_has_approvals, write_site

    approved_only = approved_only or course_has_approvals(output_dir, course_id)
    course = read_course(output_dir, course_id, lectures=lectures, approved_only=approved_only)
    if not course.card_count and not course.question_count:
        _require_content(course, ExportFormat.ANKI, False, approved_only)
    path = destination or default_destination(output_dir, course_id, ExportFormat.HTML)
    result = ExportResult(
        format=ExportFormat.HTML,
        path=path,
        skipped=list(course.skipped),
        warnings=list(course.warnings),
    )
    if approved_only:
        result.warnings.insert(0, "approved items only (items of this course are approved)")
    write_site(course, path, result)
    return result


def _require_content(
    course: CourseOutput, fmt: ExportFormat, include_questions: bool, approved_only: bool
) -> None:
    wants_cards = fmt in {ExportFormat.ANKI, ExportFormat.CSV, ExportFormat.TSV}
    wants_questions = fmt in {ExportFormat.GIFT, ExportFormat.QTI} or (
        include_questions and fmt in {ExportFormat.CSV, ExportFormat.TSV}
    )
    if (wants_cards and course.card_count) or (wants_questions and course.question_count):
        return
    kind = "flashcards" if not wants_questions else "quiz questions"
    if wants_cards and wants_questions:
        kind = "flashcards or quiz questions"
    detail = (
        f"; {len(course.skipped)} file(s) or item(s) failed validation" if course.skipped else ""
    )
    if approved_only:
        raise UsageError(
            f"no approved {kind} to export for course {course.id!r}{detail}",
            hint=f"approve items first (`flashgen approve {course.id} --help`), or export "
            "without --approved-only",
        )
    raise UsageError(
        f"no {kind} to export for course {course.id!r}{detail}",
        hint=f"run `flashgen run {course.id}` first",
    )


def _writer(fmt: ExportFormat, include_questions: bool, bom: bool) -> Writer:
    if fmt is ExportFormat.ANKI:
        from flashgen.export.anki import write_anki

        return write_anki
    if fmt is ExportFormat.GIFT:
        from flashgen.export.gift import write_gift

        return write_gift
    if fmt is ExportFormat.QTI:
        from flashgen.export.qti import write_qti

        return write_qti
    from flashgen.export.tabular import write_table

    delimiter = "\t" if fmt is ExportFormat.TSV else ","

    def write(course: CourseOutput, path: Path, result: ExportResult) -> None:
        write_table(
            course, path, result, delimiter=delimiter, include_questions=include_questions, bom=bom
        )

    return write
