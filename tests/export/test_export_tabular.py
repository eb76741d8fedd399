from __future__ import annotations

import csv
import io
from pathlib import Path

from export_samples import (
    CARDS_PER_COURSE,
    COURSE,
    QUESTIONS_PER_QUIZ,
    QUIZZES_PER_COURSE,
    TRICKY,
    read_table,
)

from flashgen.export import export_course


def read_rows(path: Path) -> list[dict[str, str]]:
    return read_table(path)[1]


def test_csv_round_trips_cards(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "csv")

    rows = read_rows(result.path)
    assert result.cards == len(rows) == CARDS_PER_COURSE and result.questions == 0
    first = rows[0]
    assert first["Front"] == TRICKY  # quotes, commas, newline and unicode intact
    assert first["Back"].startswith("Concept 0 is $x^2$ for lec_1.\n\nAnalogy: Like sorting socks.")
    assert "Common mistakes: Forgetting <b>edge</b> cases & ties." in first["Back"]
    assert first["Back"].endswith("Source: lec_1, chunk 0, page 1")
    assert first["Tags"] == "algo-101 lec_1 Sorting_algorithms"
    assert not result.path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_tsv_with_questions_and_bom(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "tsv", include_questions=True, bom=True)

    assert result.path.read_bytes().startswith(b"\xef\xbb\xbf")
    headers, rows = read_table(result.path)
    assert headers[0] == "#separator:Tab"
    assert list(rows[0]) == ["Front", "Back", "Tags", "Deck", "GUID"]
    assert result.questions == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    assert len(rows) == CARDS_PER_COURSE + result.questions
    by_tag = {row["Tags"].split()[3]: row for row in rows[2:8]}  # lec_1, level 1
    assert by_tag["mcq"]["Front"].endswith("A) Quicksort\nB) Merge sort\nC) Heapsort\nD) Selection")
    assert by_tag["mcq"]["Back"] == "B) Merge sort\n\nMerge sort keeps equal keys in order."
    assert by_tag["mcq"]["Tags"] == "algo-101 lec_1 level_1 mcq stability"
    assert "(Select all that apply.)" in by_tag["mca"]["Front"]
    assert by_tag["mca"]["Back"].startswith("A) Merge sort\nB) Heapsort\n\n")
    assert by_tag["true_false"]["Back"].startswith("True\n\n")
    assert by_tag["fill_in_blank"]["Back"].startswith("stable / order-preserving\n\n")
    assert "Bubble sort → O(n^2)" in by_tag["matching"]["Back"]
    assert "Choose from: Stable; Unstable" in by_tag["categorization"]["Front"]
    assert by_tag["categorization"]["Back"].startswith("Heapsort → Unstable\n")


def test_csv_starts_with_anki_file_headers(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "csv")
    text = result.path.read_bytes().decode("utf-8")  # read_text would translate \r\n
    # https://docs.ankiweb.net/importing/text-files.html#file-headers
    assert text.startswith(
        "#separator:Comma\r\n#html:false\r\n#tags column:3\r\n#deck column:4\r\n"
        "#guid column:5\r\n#columns:Front,Back,Tags,Deck,GUID\r\n"
    )
    assert '"Say ""hi"", then\nnew line' in text
    body = text.split("#columns:Front,Back,Tags,Deck,GUID\r\n", 1)[1]
    assert len(list(csv.reader(io.StringIO(body)))) == CARDS_PER_COURSE


def test_guids_are_unique_and_decks_follow_lectures(output_dir: Path) -> None:
    rows = read_rows(export_course(output_dir, COURSE, "tsv", include_questions=True).path)
    assert len({row["GUID"] for row in rows}) == len(rows)
    assert rows[0]["Deck"] == "Algorithms 101::lec_1"
    assert rows[-1]["Deck"] == "Algorithms 101::lec_10"
