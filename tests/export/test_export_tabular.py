from __future__ import annotations

import csv
import io
from pathlib import Path

from export_samples import CARDS_PER_COURSE, COURSE, QUESTIONS_PER_QUIZ, QUIZZES_PER_COURSE, TRICKY

from flashgen.export import export_course


def read_rows(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_csv_round_trips_cards(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "csv")

    rows = read_rows(result.path)
    assert result.cards == len(rows) == CARDS_PER_COURSE and result.questions == 0
    first = rows[0]
    assert first["front"] == TRICKY  # quotes, commas, newline and unicode intact
    assert first["back"].startswith("Concept 0 is $x^2$ for lec_1.\n\nAnalogy: Like sorting socks.")
    assert "Common mistakes: Forgetting <b>edge</b> cases & ties." in first["back"]
    assert first["back"].endswith("Source: lec_1, chunk 0, page 1")
    assert first["tags"] == "algo-101 lec_1 Sorting_algorithms"
    assert not result.path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_tsv_with_questions_and_bom(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "tsv", include_questions=True, bom=True)

    assert result.path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_rows(result.path, delimiter="\t", encoding="utf-8-sig")
    assert list(rows[0]) == ["front", "back", "tags"]
    assert result.questions == QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    assert len(rows) == CARDS_PER_COURSE + result.questions
    by_tag = {row["tags"].split()[3]: row for row in rows[2:8]}  # lec_1, level 1
    assert by_tag["mcq"]["front"].endswith("A) Quicksort\nB) Merge sort\nC) Heapsort\nD) Selection")
    assert by_tag["mcq"]["back"] == "B) Merge sort\n\nMerge sort keeps equal keys in order."
    assert by_tag["mcq"]["tags"] == "algo-101 lec_1 level_1 mcq stability"
    assert "(Select all that apply.)" in by_tag["mca"]["front"]
    assert by_tag["mca"]["back"].startswith("A) Merge sort\nB) Heapsort\n\n")
    assert by_tag["true_false"]["back"].startswith("True\n\n")
    assert by_tag["fill_in_blank"]["back"].startswith("stable / order-preserving\n\n")
    assert "Bubble sort → O(n^2)" in by_tag["matching"]["back"]
    assert "Choose from: Stable; Unstable" in by_tag["categorization"]["front"]
    assert by_tag["categorization"]["back"].startswith("Heapsort → Unstable\n")


def test_csv_output_is_excel_dialect(output_dir: Path) -> None:
    result = export_course(output_dir, COURSE, "csv")
    text = result.path.read_bytes().decode("utf-8")  # read_text would translate \r\n
    assert text.startswith("front,back,tags\r\n")
    assert '"Say ""hi"", then\nnew line' in text
    assert next(csv.reader(io.StringIO(text))) == ["front", "back", "tags"]
