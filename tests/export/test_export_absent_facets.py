"""Cards with absent facets (schema version 2, the offline generator) export cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import COURSE, bare_card, flashcard_file, read_table

from flashgen.export import export_course
from flashgen.export.render import card_back_parts
from flashgen.output.store import OutputStore


def test_back_lists_only_the_facets_present() -> None:
    parts = card_back_parts(bare_card("lec_1", 0))
    assert [label for label, _ in parts] == ["", "Context", "Source"]
    assert all(text and text != "None" for _, text in parts)


@pytest.mark.parametrize("fmt", ["anki", "csv", "tsv"])
def test_every_format_exports_cards_without_facets(tmp_path: Path, fmt: str) -> None:
    store = OutputStore(tmp_path, COURSE)
    store.save_flashcards("lec_1", flashcard_file("lec_1", [bare_card("lec_1", 0)]))
    result = export_course(tmp_path, COURSE, fmt)
    assert result.path.is_file() and result.path.stat().st_size > 0


def test_csv_back_of_a_bare_card_has_no_empty_labels(tmp_path: Path) -> None:
    store = OutputStore(tmp_path, COURSE)
    store.save_flashcards("lec_1", flashcard_file("lec_1", [bare_card("lec_1", 0)]))
    path = export_course(tmp_path, COURSE, "csv").path
    back = read_table(path)[1][0]["Back"]
    assert "Term 0 is what lec_1 defines." in back
    assert "Analogy" not in back and "None" not in back
