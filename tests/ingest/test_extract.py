"""Extraction from the real fixture files, and every way a lecture file can be unusable."""

from __future__ import annotations

import io
import random
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from flashgen.errors import EXIT_TASKS_FAILED, LectureSkipped
from flashgen.ingest.cleaning import clean_blocks
from flashgen.ingest.discovery import load_course, scan_lectures
from flashgen.ingest.extract import Extraction, extract
from flashgen.models import SUPPORTED_SUFFIXES, Block, Lecture

FixturePath = Callable[[str], Path]
REAL_LECTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "real-lectures"
# the `make_course` fixture of conftest.py (a fixture: tests/export has its own conftest module)
MakeCourse = Callable[..., Path]


def lecture_at(path: Path) -> Lecture:
    """The lecture discovery would make of ``path`` (kind from the suffix)."""
    return Lecture(id=path.stem, path=path, kind=SUPPORTED_SUFFIXES[path.suffix.lower()])


def extract_file(tmp_path: Path, name: str, content: bytes | str, **kwargs: int) -> Extraction:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return extract(lecture_at(path), **kwargs)


def skip_reason(tmp_path: Path, name: str, content: bytes | str, **kwargs: int) -> LectureSkipped:
    with pytest.raises(LectureSkipped) as info:
        extract_file(tmp_path, name, content, **kwargs)
    assert info.value.exit_code == EXIT_TASKS_FAILED
    return info.value


def _random_bytes(seed: int, length: int = 4096) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(length))


def paragraphs(block: Block) -> list[str]:
    return block.text.split("\n\n")


# --- the fixture lectures ---------------------------------------------------------------------


def test_pdf_gives_one_block_per_page_with_layout_headings_and_cleaning_unwraps_them(
    fixture_path: FixturePath,
) -> None:
    extraction = extract(lecture_at(fixture_path("lecture_sorting.pdf")))
    assert 1150 <= extraction.char_count <= 1350
    assert extraction.warnings == []
    assert [(b.page, b.slide) for b in extraction.blocks] == [(1, None), (2, None), (3, None)]
    blocks = clean_blocks(extraction.blocks, "pdf")
    headings = [paragraphs(b)[0] for b in blocks]
    assert headings == ["# Sorting algorithms", "# Divide and conquer", "# Lower bounds"]
    for block in blocks:
        body = paragraphs(block)[1:]
        assert body and not any(p.startswith("#") for p in body)
        assert not any("\n" in p for p in body), "hard-wrapped lines should be joined"
    page_1 = blocks[0].text
    assert (
        "A stable sort is a sort that preserves the relative order of elements with equal keys."
        in page_1  # lines set at an even pitch: no layout cue says where a paragraph ends
    )
    assert "Insertion sort builds the sorted list one element at a time" in page_1
    assert "Quicksort refers to a divide-and-conquer algorithm" in extraction.blocks[1].text
    assert "Counting sort is a non-comparison sort" in extraction.blocks[2].text


def test_pptx_gives_one_block_per_slide_with_title_bullets_and_notes(
    fixture_path: FixturePath,
) -> None:
    extraction = extract(lecture_at(fixture_path("lecture_hashing.pptx")))
    assert extraction.warnings == []
    assert [(b.slide, b.page) for b in extraction.blocks] == [(1, None), (2, None), (3, None)]
    titles = ["Hash tables", "Collision resolution", "Load factor"]
    for block, title in zip(extraction.blocks, titles, strict=True):
        parts = paragraphs(block)
        assert parts[0] == f"# {title}"
        assert all(title not in part for part in parts[1:]), "title repeated in the body"
    first, second, third = (paragraphs(b) for b in extraction.blocks)
    assert first[1] == (  # the paragraphs of a body placeholder are its bullets
        "- A hash table is a data structure that maps keys to values through a hash function.\n"
        "- A collision occurs when two keys hash to the same bucket."
    )
    assert first[-1] == (
        "Speaker notes: Remind students that collisions are unavoidable by the pigeonhole "
        "principle."
    )
    assert "Separate chaining stores colliding entries in a list per bucket." in second[1]
    assert second[-1] == "Speaker notes: Linear probing suffers from primary clustering."
    assert "exceeds 0.75" in third[1]
    assert not any("Speaker notes" in part for part in third)


def test_docx_keeps_heading_levels(fixture_path: FixturePath) -> None:
    extraction = extract(lecture_at(fixture_path("lecture_graphs.docx")))
    [block] = extraction.blocks
    assert (block.page, block.slide) == (None, None)
    parts = paragraphs(block)
    assert [p for p in parts if p.startswith("#")] == [
        "# Graphs",
        "## Traversal",
        "## Shortest paths",
    ]
    assert parts[0] == "# Graphs"
    assert parts[1].startswith("A graph is a set of vertices")
    assert parts.index("## Traversal") < parts.index("## Shortest paths")
    assert any(p.startswith("Breadth-first search is a traversal") for p in parts)
    assert parts[-1].startswith("Dijkstra's algorithm computes shortest paths")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("encrypted.pdf", "encrypted PDF (needs a password)"),
        ("truncated.pdf", "corrupt PDF"),
        ("scanned_only.pdf", "no extractable text (scanned? run OCR first)"),
    ],
)
def test_unusable_pdfs_are_skipped_with_the_reason(
    fixture_path: FixturePath, name: str, reason: str
) -> None:
    with pytest.raises(LectureSkipped) as info:
        extract(lecture_at(fixture_path(name)))
    assert info.value.message == reason
    assert info.value.hint  # says how to fix it
    assert info.value.exit_code == EXIT_TASKS_FAILED


def test_fixtures_found_by_discovery_extract_from_paths_with_spaces_and_unicode(
    tmp_path: Path, make_course: MakeCourse, fixture_path: FixturePath
) -> None:
    names = {
        "Vorlesung 1 – Sortieren.pdf": "lecture_sorting.pdf",
        "Vorlesung 2 – Hashing.pptx": "lecture_hashing.pptx",
        "Vorlesung 3 – Graphen.docx": "lecture_graphs.docx",
    }
    courses_dir = make_course(
        tmp_path, {new: fixture_path(old).read_bytes() for new, old in names.items()}, "Kurs ä"
    )
    lectures = scan_lectures(load_course(courses_dir, "Kurs ä")).lectures
    assert [lecture.kind for lecture in lectures] == ["pdf", "pptx", "docx"]
    counts = [len(extract(lecture).blocks) for lecture in lectures]
    assert counts == [3, 3, 1]


# --- text files -------------------------------------------------------------------------------


def test_markdown_is_one_block_read_as_is(tmp_path: Path) -> None:
    text = "# Title\n\nA paragraph with **markup** and ünïcödé.\n\n## Sub\n\nMore.\n"
    extraction = extract_file(tmp_path, "lec.md", text)
    assert extraction.blocks == [Block(text=text)]
    assert extraction.warnings == []


def test_empty_markdown_is_skipped_as_empty(tmp_path: Path) -> None:
    skipped = skip_reason(tmp_path, "lec.md", b"")
    assert skipped.message == "empty file"
    assert skipped.hint


@pytest.mark.parametrize("content", [" \n\t\n  \r\n" * 50, "\ufeff\n\n\n", "\n"])
def test_whitespace_only_text_is_skipped_as_empty(tmp_path: Path, content: str) -> None:
    assert skip_reason(tmp_path, "lec.txt", content).message.startswith("empty file")


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x01\x02binary\x00" * 20,
        b"PK\x03\x04" + bytes(range(256)) * 4,
        _random_bytes(7, 2048),
    ],
)
def test_binary_bytes_in_a_text_file_are_skipped(tmp_path: Path, content: bytes) -> None:
    skipped = skip_reason(tmp_path, "notes.txt", content)
    assert skipped.message == "binary data in a text file"
    assert "notes.txt" in skipped.hint


def test_cp1252_text_is_decoded_with_a_warning(tmp_path: Path) -> None:
    content = "Le café est très apprécié — “naïve” façade.".encode("cp1252")
    extraction = extract_file(tmp_path, "notes.md", content)
    assert extraction.blocks == [Block(text="Le café est très apprécié — “naïve” façade.")]
    [warning] = extraction.warnings
    assert "notes.md" in warning and "not UTF-8" in warning


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    content = "\ufeff# Title\n\nBody text long enough to keep."
    extraction = extract_file(tmp_path, "lec.md", content.encode("utf-8"))
    assert extraction.blocks[0].text == "# Title\n\nBody text long enough to keep."
    assert extraction.warnings == []


UNICODE_TEXT = "# Auslese\n\nDie Auslese (отбор, 選択) wählt Individuen mit Merkmalen.\n"


@pytest.mark.parametrize(
    "encoding",
    ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"],
    ids=["utf16-bom", "utf16le-no-bom", "utf16be-no-bom", "utf32-bom", "utf8-bom"],
)
def test_unicode_text_with_or_without_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    # "utf-16" and "utf-32" write a byte-order mark; the -le/-be forms write none
    extraction = extract_file(tmp_path, "auslese.txt", UNICODE_TEXT.encode(encoding))
    assert extraction.blocks == [Block(text=UNICODE_TEXT)]
    assert extraction.warnings == []


def test_utf16_fixture_with_crlf_is_cleaned_like_any_text() -> None:
    path = Path(__file__).parents[1] / "fixtures" / "cleaning" / "auslese_utf16.txt"
    assert path.read_bytes()[:2] == b"\xff\xfe"
    [block] = clean_blocks(extract(lecture_at(path)).blocks, "txt")
    assert block.text == (
        "Die Auslese ist der Vorgang, bei dem Individuen mit vererbbaren Merkmalen mehr "
        "Nachkommen haben.\n\nDer Preis ist \\( p = 2 \\) Euro."
    )


def test_utf16_course_toml_is_read(tmp_path: Path) -> None:
    (tmp_path / "bio").mkdir()
    toml = 'name = "Biologie für Einsteiger"\nlanguage = "German"\n'
    (tmp_path / "bio" / "course.toml").write_bytes(toml.encode("utf-16"))
    course = load_course(tmp_path, "bio")
    assert (course.name, course.language) == ("Biologie für Einsteiger", "German")


def test_crlf_and_lone_cr_line_ends_are_normalised(tmp_path: Path) -> None:
    content = b"# Title\r\n\r\nLine one of the body.\r\nLine two.\rLine three.\r\n"
    extraction = extract_file(tmp_path, "lec.txt", content)
    assert extraction.blocks[0].text == (
        "# Title\n\nLine one of the body.\nLine two.\nLine three.\n"
    )


def test_text_below_the_minimum_is_treated_as_empty(tmp_path: Path) -> None:
    assert skip_reason(tmp_path, "lec.md", "# Hi\n\nok").message == "empty file (no text)"
    assert extract_file(tmp_path, "lec2.md", "Twenty characters!!!").char_count == 20


# --- damaged office files ---------------------------------------------------------------------


def _zip_without_office_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not an office document")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("suffix", "reason"),
    [("pdf", "corrupt PDF"), ("pptx", "corrupt PPTX"), ("docx", "corrupt DOCX")],
)
@pytest.mark.parametrize("content", ["random", "zip", "text"])
def test_office_file_that_is_not_one_is_skipped_as_corrupt(
    tmp_path: Path, suffix: str, reason: str, content: str
) -> None:
    data = {
        "random": _random_bytes(len(suffix)),
        "zip": _zip_without_office_parts(),
        "text": b"This is plain text saved with the wrong extension.\n" * 5,
    }[content]
    skipped = skip_reason(tmp_path, f"lecture.{suffix}", data)
    assert skipped.message == reason
    assert skipped.hint


def test_office_file_of_the_other_kind_is_skipped_as_corrupt(
    tmp_path: Path, fixture_path: FixturePath
) -> None:
    docx_bytes = fixture_path("lecture_graphs.docx").read_bytes()
    pptx_bytes = fixture_path("lecture_hashing.pptx").read_bytes()
    assert skip_reason(tmp_path, "a.pptx", docx_bytes).message == "corrupt PPTX"
    assert skip_reason(tmp_path, "b.docx", pptx_bytes).message == "corrupt DOCX"


def test_truncated_office_files_are_skipped_as_corrupt(
    tmp_path: Path, fixture_path: FixturePath
) -> None:
    cases = [("lecture_hashing.pptx", "corrupt PPTX"), ("lecture_graphs.docx", "corrupt DOCX")]
    for name, reason in cases:
        data = fixture_path(name).read_bytes()
        assert skip_reason(tmp_path, name, data[: len(data) // 3]).message == reason


# --- size limit and unreadable files ----------------------------------------------------------


def test_file_over_the_size_limit_is_skipped_naming_the_limit(tmp_path: Path) -> None:
    skipped = skip_reason(tmp_path, "big.md", b"a" * 1_500_000, max_bytes=1_000_000)
    assert re.fullmatch(r"file is 1\.5 MB, over the 1(\.0)? MB limit", skipped.message)
    assert "FLASHGEN_MAX_FILE_MB" in skipped.hint


def test_size_limit_applies_before_reading_a_pdf(tmp_path: Path, fixture_path: FixturePath) -> None:
    path = tmp_path / "lec.pdf"
    shutil.copyfile(fixture_path("lecture_sorting.pdf"), path)
    size = path.stat().st_size
    assert len(extract(lecture_at(path), max_bytes=size).blocks) == 3  # at the limit: read
    with pytest.raises(LectureSkipped, match="limit"):
        extract(lecture_at(path), max_bytes=size - 1)


def test_small_size_limit_is_named_exactly(tmp_path: Path) -> None:
    skipped = skip_reason(tmp_path, "big.md", b"a" * 20_000, max_bytes=10_000)
    assert "0.0 MB" not in skipped.message
    assert any(
        limit in skipped.message for limit in ("0.01 MB", "10 kB", "10.0 kB", "10,000 bytes")
    )


def test_missing_file_is_skipped_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(LectureSkipped, match=r"cannot read gone\.md"):
        extract(lecture_at(tmp_path / "gone.md"))


def test_pptx_equation_objects_are_kept_as_inline_math() -> None:
    path = REAL_LECTURES / "cryptography-ru" / "Lecture1-perfect-and-semantic-security.pptx"
    if not path.is_file():
        pytest.skip(f"{path} not found (real lecture files are beside the repository)")
    blocks = extract(lecture_at(path)).blocks
    text = "\n".join(block.text for block in blocks)
    assert r"\( T=\frac{N_1+N_2+N_3}{3}" in text  # a fraction with subscripts, from OMML
    assert r"\( E(M) \)" in text  # an equation box that python-pptx does not list as a shape


def test_pptx_slide_without_a_title_placeholder_takes_its_top_line_as_title() -> None:
    path = REAL_LECTURES / "research-software" / "05-code-documentation-slides.pptx"
    if not path.is_file():
        pytest.skip(f"{path} not found (real lecture files are beside the repository)")
    blocks = extract(lecture_at(path)).blocks
    slide_5 = next(block for block in blocks if block.slide == 5)
    assert slide_5.text.startswith("# Why document code?\n\nIs project documentation important?")


def test_office_math_becomes_latex_inline_math() -> None:
    from lxml import etree

    from flashgen.ingest.omml import paragraph_text

    m = "http://schemas.openxmlformats.org/officeDocument/2006/math"
    a = "http://schemas.openxmlformats.org/drawingml/2006/main"
    paragraph = etree.fromstring(
        f'<a:p xmlns:a="{a}" xmlns:m="{m}"><a:r><a:t>Mean </a:t></a:r><m:oMath>'
        "<m:f><m:num><m:sSub><m:e><m:r><m:t>𝑥</m:t></m:r></m:e><m:sub><m:r><m:t>1</m:t></m:r>"
        "</m:sub></m:sSub><m:r><m:t>+</m:t></m:r><m:r><m:t>𝑦</m:t></m:r></m:num>"
        "<m:den><m:r><m:t>2</m:t></m:r></m:den></m:f><m:r><m:t>≤</m:t></m:r>"
        "<m:rad><m:e><m:r><m:t>𝑧</m:t></m:r></m:e></m:rad></m:oMath><a:r><a:t>.</a:t></a:r></a:p>"
    )
    assert paragraph_text(paragraph) == r"Mean  \( \frac{x_1+y}{2}\le \sqrt{z} \)."
