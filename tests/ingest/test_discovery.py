"""Discovery: courses and lectures on disk, their order, what is skipped and why, and names
that try to leave the courses folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flashgen.errors import (
    EXIT_USAGE,
    ConfigError,
    CourseNotFound,
    LectureNotFound,
    PathOutsideCourses,
)
from flashgen.ingest.discovery import (
    LectureScan,
    SkippedFile,
    list_courses,
    load_course,
    natural_key,
    scan_lectures,
    select_lectures,
)

# the `make_course` fixture of conftest.py (a fixture: tests/export has its own conftest module)
MakeCourse = Callable[..., Path]
SUPPORTED_LIST = ".docx, .markdown, .md, .pdf, .pptx, .txt"


def scan(courses_dir: Path, course_id: str = "algo") -> LectureScan:
    return scan_lectures(load_course(courses_dir, course_id))


def ids(scan_result: LectureScan) -> list[str]:
    return [lecture.id for lecture in scan_result.lectures]


def skipped(scan_result: LectureScan) -> dict[str, str]:
    return {item.name: item.reason for item in scan_result.skipped}


# --- order and identity -----------------------------------------------------------------------


def test_natural_key_orders_numbers_by_value_and_ignores_case() -> None:
    names = ["lec_10", "Lec_2", "lec_1", "LEC_3", "lec_20b", "lec_20a", "appendix", "Zeta", "beta"]
    assert sorted(names, key=natural_key) == [
        "appendix",
        "beta",
        "lec_1",
        "Lec_2",
        "LEC_3",
        "lec_10",
        "lec_20a",
        "lec_20b",
        "Zeta",
    ]


def test_lectures_are_in_natural_order_with_the_file_stem_as_id(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    files = {
        "lec_10.md": "ten",
        "lec_2.pdf": b"%PDF",
        "Lec_1.TXT": "one",
        "lec_3.pptx": b"pk",
        "lec_11.docx": b"pk",
        "lec_4.markdown": "four",
    }
    result = scan(make_course(tmp_path, files))
    assert [(lec.id, lec.path.name, lec.kind) for lec in result.lectures] == [
        ("Lec_1", "Lec_1.TXT", "txt"),
        ("lec_2", "lec_2.pdf", "pdf"),
        ("lec_3", "lec_3.pptx", "pptx"),
        ("lec_4", "lec_4.markdown", "md"),
        ("lec_10", "lec_10.md", "md"),
        ("lec_11", "lec_11.docx", "docx"),
    ]
    assert result.skipped == []
    assert all(lec.path == tmp_path / "courses" / "algo" / lec.path.name for lec in result.lectures)


def test_scan_does_not_depend_on_directory_listing_order(
    tmp_path: Path, make_course: MakeCourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    courses_dir = make_course(tmp_path, {f"lec_{n}.md": "x" for n in (1, 2, 10, 11, 3)})
    forward = scan(courses_dir)
    original = Path.iterdir

    def reversed_listing(self: Path) -> Iterator[Path]:
        return iter(sorted(original(self), reverse=True))

    monkeypatch.setattr(Path, "iterdir", reversed_listing)
    assert scan(courses_dir) == forward
    assert ids(forward) == ["lec_1", "lec_2", "lec_3", "lec_10", "lec_11"]


def test_names_equal_under_natural_key_still_sort_reproducibly(
    tmp_path: Path, make_course: MakeCourse, monkeypatch: pytest.MonkeyPatch
) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "lower", "lec_1.MD": "upper"})
    (courses_dir / "Algo").mkdir()
    original = Path.iterdir

    def listing(reverse: bool) -> None:
        monkeypatch.setattr(
            Path, "iterdir", lambda self: iter(sorted(original(self), reverse=reverse))
        )

    listing(reverse=False)
    forward = (scan(courses_dir), list_courses(courses_dir))
    listing(reverse=True)
    backward = (scan(courses_dir), list_courses(courses_dir))
    assert backward == forward


def test_natural_key_does_not_crash_on_superscript_digits() -> None:
    names = ["x²1.md", "²2.md", "lec_1².md"]
    assert sorted(names, key=natural_key)  # any order, but no exception


# --- what is passed over, and why -------------------------------------------------------------


def test_hidden_files_and_folders_are_skipped_as_hidden(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    files = {"lec_1.md": "x", ".lec_0.md": "draft", ".DS_Store": b"\0\0", ".git/": ""}
    result = scan(make_course(tmp_path, files))
    assert ids(result) == ["lec_1"]
    assert skipped(result) == {".lec_0.md": "hidden", ".DS_Store": "hidden", ".git": "hidden"}


def test_unsupported_types_are_skipped_with_the_supported_types_named(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    files = {"lec_1.md": "x", "slides.ppt": b"old", "notes.key": b"k", "README": "r"}
    result = scan(make_course(tmp_path, files))
    assert ids(result) == ["lec_1"]
    expected = f"unsupported file type (supported: {SUPPORTED_LIST})"
    assert skipped(result) == {"slides.ppt": expected, "notes.key": expected, "README": expected}


def test_folders_inside_a_course_are_skipped_even_with_a_lecture_suffix(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    files = {"lec_1.md": "x", "images/": "", "lec_2.md/": "", "images/lec_3.md": "nested"}
    result = scan(make_course(tmp_path, files))
    assert ids(result) == ["lec_1"]
    assert skipped(result) == {
        "images": "folders inside a course are not read",
        "lec_2.md": "folders inside a course are not read",
    }


def test_duplicate_stem_keeps_the_first_and_tells_to_rename_the_second(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    result = scan(make_course(tmp_path, {"lec_1.pdf": b"%PDF", "lec_1.md": "x", "lec_2.md": "y"}))
    assert [(lec.id, lec.path.name) for lec in result.lectures] == [
        ("lec_1", "lec_1.md"),
        ("lec_2", "lec_2.md"),
    ]
    assert result.skipped == [
        SkippedFile("lec_1.pdf", "same lecture id as lec_1.md: rename one of them")
    ]


def test_course_toml_is_neither_a_lecture_nor_reported_as_skipped(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    result = scan(make_course(tmp_path, {"course.toml": 'name = "A"\n', "lec_1.md": "x"}))
    assert ids(result) == ["lec_1"]
    assert result.skipped == []


def test_empty_course_has_no_lectures(tmp_path: Path, make_course: MakeCourse) -> None:
    result = scan(make_course(tmp_path, {}))
    assert (result.lectures, result.skipped) == ([], [])
    assert select_lectures(result, []) == []


# --- course.toml ------------------------------------------------------------------------------


def test_course_toml_gives_name_code_textbook_and_language(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    toml = (
        'name = "Algorithmen und Datenstrukturen"\ncode = "CS-201"\n'
        'textbook = "CLRS, 4th edition"\nlanguage = "German"\nunknown = 1\n'
    )
    courses_dir = make_course(tmp_path, {"course.toml": toml})
    course = load_course(courses_dir, "algo")
    assert (course.id, course.path) == ("algo", courses_dir / "algo")
    assert (course.name, course.code, course.textbook, course.language) == (
        "Algorithmen und Datenstrukturen",
        "CS-201",
        "CLRS, 4th edition",
        "German",
    )


def test_without_course_toml_the_defaults_apply(tmp_path: Path, make_course: MakeCourse) -> None:
    course = load_course(make_course(tmp_path, {"lec_1.md": "x"}), "algo")
    assert (course.name, course.code, course.textbook, course.language) == (
        "algo",
        "",
        "",
        "English",
    )


def test_partial_course_toml_fills_only_what_it_has(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    course = load_course(make_course(tmp_path, {"course.toml": 'code = "DB1"\n'}), "algo")
    assert (course.name, course.code, course.language) == ("algo", "DB1", "English")


@pytest.mark.parametrize(
    "content",
    ['name = "unterminated\n', "name = \n", "[section\n", 'name = "a"\nname = "b"\n'],
)
def test_invalid_course_toml_is_a_config_error_naming_the_file(
    tmp_path: Path, make_course: MakeCourse, content: str
) -> None:
    courses_dir = make_course(tmp_path, {"course.toml": content})
    with pytest.raises(ConfigError) as info:
        load_course(courses_dir, "algo")
    assert str(courses_dir / "algo" / "course.toml") in info.value.message
    assert "not valid TOML" in info.value.message
    assert info.value.hint
    assert info.value.exit_code == EXIT_USAGE


def test_course_toml_that_is_not_utf8_is_a_config_error(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    courses_dir = make_course(tmp_path, {"course.toml": b'name = "Caf\xe9"\n'})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_course(courses_dir, "algo")


# --- names that do not exist ------------------------------------------------------------------


def test_unknown_course_lists_the_courses_that_exist(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    make_course(tmp_path, {}, "db")
    make_course(tmp_path, {}, "algo_10")
    courses_dir = make_course(tmp_path, {}, "algo_2")
    (courses_dir / ".hidden").mkdir()
    (courses_dir / "notes.txt").write_text("not a course")
    with pytest.raises(CourseNotFound) as info:
        load_course(courses_dir, "algo")
    assert info.value.message == f"no course 'algo' in {courses_dir}"
    assert "courses found: algo_2, algo_10, db" in info.value.hint
    assert info.value.exit_code == EXIT_USAGE


def test_unknown_course_in_an_empty_or_missing_folder_says_none(tmp_path: Path) -> None:
    for courses_dir in (tmp_path, tmp_path / "missing"):
        with pytest.raises(CourseNotFound) as info:
            load_course(courses_dir, "algo")
        assert "courses found: none" in info.value.hint


def test_a_file_is_not_a_course(tmp_path: Path, make_course: MakeCourse) -> None:
    courses_dir = make_course(tmp_path, {})
    (courses_dir / "notes.md").write_text("x")
    with pytest.raises(CourseNotFound):
        load_course(courses_dir, "notes.md")


def test_unknown_lecture_lists_the_lectures_that_exist(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    result = scan(make_course(tmp_path, {"lec_10.md": "x", "lec_2.md": "y", "notes.key": b""}))
    with pytest.raises(LectureNotFound) as info:
        select_lectures(result, ["lec_2", "lec_3"])
    assert info.value.message == "no lecture 'lec_3' in course 'algo'"
    assert info.value.hint == "lectures found: lec_2, lec_10"
    assert info.value.exit_code == EXIT_USAGE


def test_skipped_file_cannot_be_selected(tmp_path: Path, make_course: MakeCourse) -> None:
    result = scan(make_course(tmp_path, {"lec_1.md": "x", "lec_1.pdf": b"%PDF"}))
    with pytest.raises(LectureNotFound):
        select_lectures(result, ["lec_1.pdf"])


# --- selection --------------------------------------------------------------------------------


def test_selection_by_id_or_file_name_comes_back_in_course_order(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    files = {f"lec_{n}.md": "x" for n in (1, 2, 3, 10)}
    result = scan(make_course(tmp_path, files))
    chosen = select_lectures(result, ["lec_10.md", "lec_2", "lec_10", "lec_1.md"])
    assert [lecture.id for lecture in chosen] == ["lec_1", "lec_2", "lec_10"]
    assert select_lectures(result, []) == result.lectures


# --- names that try to leave the courses folder -----------------------------------------------


@pytest.mark.parametrize("name", ["../x", "..", ".", "", "a/b", "/etc", "a\\b", "~/x"])
def test_course_names_that_are_not_plain_are_refused(
    tmp_path: Path, make_course: MakeCourse, name: str
) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "x"}, "a")
    (courses_dir / "a" / "b").mkdir()
    (tmp_path / "x").mkdir()  # "../x" exists: refused because of its name, not its absence
    with pytest.raises(PathOutsideCourses) as info:
        load_course(courses_dir, name)
    assert "not a plain name" in info.value.message
    assert "'..'" in info.value.hint


def test_absolute_path_to_a_real_course_is_refused(tmp_path: Path, make_course: MakeCourse) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "x"})
    with pytest.raises(PathOutsideCourses):
        load_course(courses_dir, str(courses_dir / "algo"))


@pytest.mark.parametrize("name", ["../algo/lec_1.md", "..", "/etc/passwd", "sub/lec_1"])
def test_lecture_names_that_are_not_plain_are_refused(
    tmp_path: Path, make_course: MakeCourse, name: str
) -> None:
    result = scan(make_course(tmp_path, {"lec_1.md": "x"}))
    with pytest.raises(PathOutsideCourses):
        select_lectures(result, [name])


def test_course_symlinked_from_outside_is_refused_and_not_listed(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "x"})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    (courses_dir / "linked").symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathOutsideCourses) as info:
        load_course(courses_dir, "linked")
    assert "outside" in info.value.message and info.value.hint
    assert list_courses(courses_dir) == ["algo"]


def test_course_symlinked_inside_the_courses_folder_is_allowed(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "x"})
    (courses_dir / "alias").symlink_to(courses_dir / "algo", target_is_directory=True)
    assert ids(scan(courses_dir, "alias")) == ["lec_1"]
    assert list_courses(courses_dir) == ["algo", "alias"]


def test_lecture_symlink_leading_outside_the_course_is_skipped(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    courses_dir = make_course(tmp_path, {"lec_1.md": "x"})
    make_course(tmp_path, {"other.md": "other course"}, "db")
    secret = tmp_path / "secret.md"
    secret.write_text("not course material")
    course_dir = courses_dir / "algo"
    (course_dir / "lec_2.md").symlink_to(secret)
    (course_dir / "lec_3.md").symlink_to(courses_dir / "db" / "other.md")  # another course
    (course_dir / "lec_4.md").symlink_to(course_dir / "lec_1.md")  # inside: fine
    result = scan(courses_dir)
    assert ids(result) == ["lec_1", "lec_4"]
    reason = "a link that leads outside the course folder"
    assert skipped(result) == {"lec_2.md": reason, "lec_3.md": reason}


# --- list_courses -----------------------------------------------------------------------------


def test_list_courses_is_natural_and_ignores_hidden_folders_and_files(
    tmp_path: Path, make_course: MakeCourse
) -> None:
    for course_id in ("course_10", "Course_2", "db", ".trash", ".git"):
        make_course(tmp_path, {}, course_id)
    courses_dir = tmp_path / "courses"
    (courses_dir / "README.md").write_text("x")
    (courses_dir / ".DS_Store").write_bytes(b"\0")
    assert list_courses(courses_dir) == ["Course_2", "course_10", "db"]


def test_list_courses_of_a_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list_courses(tmp_path / "nope") == []
    (tmp_path / "file").write_text("x")
    assert list_courses(tmp_path / "file") == []


# --- spaces and unicode -----------------------------------------------------------------------


def test_names_with_spaces_and_unicode_work(tmp_path: Path, make_course: MakeCourse) -> None:
    course_id = "Théorie des Graphes – 2024"
    files = {
        "Vorlesung 10 – Kürzeste Wege.md": "x",
        "Vorlesung 2 – Bäume.txt": "y",
        "講義 1.md": "z",
        "Vorlesung 1 – Einführung.md": "w",
    }
    courses_dir = make_course(tmp_path, files, course_id)
    assert list_courses(courses_dir) == [course_id]
    course = load_course(courses_dir, course_id)
    assert course.name == course_id
    result = scan_lectures(course)
    assert ids(result) == [
        "Vorlesung 1 – Einführung",
        "Vorlesung 2 – Bäume",
        "Vorlesung 10 – Kürzeste Wege",
        "講義 1",
    ]
    chosen = select_lectures(result, ["講義 1.md", "Vorlesung 2 – Bäume"])
    assert [lecture.id for lecture in chosen] == ["Vorlesung 2 – Bäume", "講義 1"]
    assert all(os.path.exists(lecture.path) for lecture in chosen)
