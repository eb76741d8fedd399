"""Fixtures shared by the discovery, extraction and chunking tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).parent / "fixtures"

CourseFiles = Mapping[str, bytes | str]


def build_course(
    tmp_path: Path, files: CourseFiles, course_id: str = "algo", courses: str = "courses"
) -> Path:
    """Create ``tmp_path/courses/course_id`` holding ``files``; return the courses folder.

    Keys are file names inside the course (a trailing ``/`` makes an empty folder); ``str``
    values are written as UTF-8, ``bytes`` values as they are.
    """
    courses_dir = tmp_path / courses
    course_dir = courses_dir / course_id
    course_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = course_dir / name
        if name.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return courses_dir


MakeCourse = Callable[..., Path]


@pytest.fixture
def make_course() -> MakeCourse:
    """``make_course(tmp_path, files, course_id="algo")`` → the courses folder (see build_course).

    A fixture rather than an import: ``tests/export`` has its own ``conftest`` module.
    """
    return build_course


@pytest.fixture
def fixture_path() -> Callable[[str], Path]:
    """Path of a file in ``tests/fixtures``; fails clearly when the fixture is missing."""

    def find(name: str) -> Path:
        path = FIXTURES_DIR / name
        if not path.is_file():
            pytest.fail(f"missing test fixture {path}: copy it from /work/shared/fixtures")
        return path

    return find
