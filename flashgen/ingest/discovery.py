"""Find courses and their lectures on disk, refusing names that would leave the courses folder."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flashgen.errors import ConfigError, CourseNotFound, LectureNotFound, PathOutsideCourses
from flashgen.ingest.textcodec import decode_unicode
from flashgen.models import SUPPORTED_SUFFIXES, Course, Lecture

COURSE_METADATA_FILE = "course.toml"
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts ``lec_2`` before ``lec_10``."""
    return tuple(
        (0, int(part)) if part.isdecimal() else (1, part.casefold())
        for part in _DIGITS.split(name)
        if part
    )


def _sort_key(name: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Natural order; names equal under it (``lec_1.md``/``lec_1.MD``) by code point, so the
    result never depends on the order the file system lists them in."""
    return natural_key(name), name


@dataclass(frozen=True)
class SkippedFile:
    name: str
    reason: str


@dataclass(frozen=True)
class LectureScan:
    course: Course
    lectures: list[Lecture]
    skipped: list[SkippedFile] = field(default_factory=list)


def _check_simple_name(name: str, what: str) -> None:
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise PathOutsideCourses(
            f"{what} {name!r} is not a plain name",
            "give the folder or file name inside the courses folder, without '/' or '..'",
        )


def _is_inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def list_courses(courses_dir: Path) -> list[str]:
    if not courses_dir.is_dir():
        return []
    names = [
        entry.name
        for entry in courses_dir.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and _is_inside(entry, courses_dir)
    ]
    return sorted(names, key=_sort_key)


def load_course(courses_dir: Path, course_id: str) -> Course:
    _check_simple_name(course_id, "course")
    path = courses_dir / course_id
    if not path.is_dir():
        available = ", ".join(list_courses(courses_dir)) or "none"
        raise CourseNotFound(
            f"no course {course_id!r} in {courses_dir}",
            f"courses found: {available}; or point --courses-dir at the folder that holds it",
        )
    if not _is_inside(path, courses_dir):
        raise PathOutsideCourses(
            f"course {course_id!r} is a link that leads outside {courses_dir}",
            "copy the course into the courses folder instead of linking it",
        )
    return _read_course_metadata(course_id, path)


def _read_course_metadata(course_id: str, path: Path) -> Course:
    metadata_path = path / COURSE_METADATA_FILE
    data: dict[str, object] = {}
    if metadata_path.is_file():
        try:
            raw = metadata_path.read_bytes()
            data = tomllib.loads(decode_unicode(raw) or raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{metadata_path} is not valid TOML: {exc}",
                "fix the file or delete it (it is optional)",
            ) from exc
    return Course(
        id=course_id,
        path=path,
        name=str(data.get("name") or course_id),
        code=str(data.get("code") or ""),
        textbook=str(data.get("textbook") or ""),
        language=str(data.get("language") or "English"),
    )


def scan_lectures(course: Course) -> LectureScan:
    """Every lecture file of a course, naturally sorted; what was passed over, with why."""
    lectures: dict[str, Lecture] = {}
    skipped: list[SkippedFile] = []
    for entry in sorted(course.path.iterdir(), key=lambda p: _sort_key(p.name)):
        if entry.name == COURSE_METADATA_FILE:
            continue
        reason = _reason_to_skip(entry, course.path)
        if reason is None and entry.stem in lectures:
            reason = f"same lecture id as {lectures[entry.stem].path.name}: rename one of them"
        if reason:
            skipped.append(SkippedFile(entry.name, reason))
            continue
        lectures[entry.stem] = Lecture(
            id=entry.stem, path=entry, kind=SUPPORTED_SUFFIXES[entry.suffix.lower()]
        )
    return LectureScan(course=course, lectures=list(lectures.values()), skipped=skipped)


def _reason_to_skip(entry: Path, course_path: Path) -> str | None:
    if entry.name.startswith("."):
        return "hidden"
    if entry.name.startswith("~$"):
        return "an Office lock file (close the document in Word or PowerPoint)"
    if entry.is_dir():
        return "folders inside a course are not read"
    if entry.suffix.lower() not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(set(SUPPORTED_SUFFIXES)))
        return f"unsupported file type (supported: {supported})"
    if not _is_inside(entry, course_path):
        return "a link that leads outside the course folder"
    return None


def select_lectures(scan: LectureScan, names: list[str]) -> list[Lecture]:
    """The lectures named (by id or file name), in course order; all of them when none named."""
    if not names:
        return scan.lectures
    by_name = {lecture.id: lecture for lecture in scan.lectures}
    by_name.update({lecture.path.name: lecture for lecture in scan.lectures})
    chosen: set[str] = set()
    for name in names:
        _check_simple_name(name, "lecture")
        lecture = by_name.get(name)
        if lecture is None:
            available = ", ".join(lecture.id for lecture in scan.lectures) or "none"
            raise LectureNotFound(
                f"no lecture {name!r} in course {scan.course.id!r}",
                f"lectures found: {available}",
            )
        chosen.add(lecture.id)
    return [lecture for lecture in scan.lectures if lecture.id in chosen]
