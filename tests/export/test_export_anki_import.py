"""The exports imported with Anki's own import code (the ``anki`` package, as the desktop app uses):
one note per card, and a re-import after regeneration updates notes instead of adding them.

Anki's rules: docs.ankiweb.net/importing/text-files.html (file headers, GUID column) and
docs.ankiweb.net/importing/packaged-decks.html ("Updating": a note with the same GUID is
updated only when the incoming one is newer).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from export_samples import (
    CARDS_PER_COURSE,
    COURSE,
    QUESTIONS_PER_QUIZ,
    QUIZZES_PER_COURSE,
    TRICKY,
    card,
    flashcard_file,
    write_model,
)

from flashgen.export import export_course

pytest.importorskip(
    "anki.collection", reason="the anki package is in the test extra: pip install -e '.[test]'"
)
from anki.collection import (
    Collection,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
    ImportCsvRequest,
)
from anki.notes import Note

JANUARY = datetime.fromisoformat("2026-01-02T03:04:05+00:00").timestamp()  # export_samples
STUDENT_EDIT = datetime.fromisoformat("2026-01-15T12:00:00+00:00").timestamp()
FEBRUARY = "2026-02-01T09:00:00+00:00"


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    yield col
    col.close()


def import_table(col: Collection, path: Path) -> Any:
    metadata = col.get_csv_metadata(str(path), None)
    request = ImportCsvRequest(path=str(path), metadata=metadata)
    return col.import_csv(request).log


def import_package(col: Collection, path: Path) -> Any:
    # The desktop app's defaults: update a note only if the incoming one is newer.
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def notes(col: Collection) -> dict[str, Note]:
    return {note.guid: note for note in (col.get_note(nid) for nid in col.find_notes(""))}


def regenerate_lec_1(output_dir: Path) -> None:
    """lec_1 generated again in February: card 1 reworded (so it gets a new id, as
    flashgen/ids.py derives ids from the wording), card 0 unchanged."""
    reworded = card("lec_1", 1, question="Which idea does lec_1 call concept 1?")
    reworded = reworded.model_copy(update={"id": "algo-101-lec_1-reworded"})
    cards = [card("lec_1", 0, question=TRICKY), reworded]
    data = flashcard_file("lec_1", cards)
    data.metadata.generated_at = FEBRUARY
    write_model(output_dir / COURSE / "lec_1" / "flashcards.json", data)


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_text_files_import_as_one_note_per_card(
    output_dir: Path, collection: Collection, fmt: str
) -> None:
    result = export_course(output_dir, COURSE, fmt)

    log = import_table(collection, result.path)

    assert len(log.new) == collection.note_count() == CARDS_PER_COURSE
    # html:false: Anki escapes markup and quotes itself and turns line breaks into <br>.
    front = html.escape(TRICKY).replace("\n", "<br>")
    tricky = next(
        n for n in notes(collection).values() if n.fields[0] == front and "lec_1" in n.tags
    )
    assert "Forgetting &lt;b&gt;edge&lt;/b&gt; cases &amp; ties." in tricky.fields[1]
    assert tricky.tags == ["algo-101", "lec_1", "Sorting_algorithms"]
    decks = {collection.decks.name(c.did) for c in tricky.cards()}
    assert decks == {"Algorithms 101::lec_1"}


def test_text_file_with_questions_and_bom_imports_every_row(
    output_dir: Path, collection: Collection
) -> None:
    result = export_course(output_dir, COURSE, "csv", include_questions=True, bom=True)

    log = import_table(collection, result.path)

    expected = CARDS_PER_COURSE + QUIZZES_PER_COURSE * QUESTIONS_PER_QUIZ
    assert len(log.new) == collection.note_count() == expected


def test_a_card_starting_with_hash_is_not_read_as_a_comment(
    tmp_path: Path, collection: Collection
) -> None:
    cards = [card("lec_1", 0, question="#include guards: what do they prevent?")]
    write_model(tmp_path / COURSE / "lec_1" / "flashcards.json", flashcard_file("lec_1", cards))

    log = import_table(collection, export_course(tmp_path, COURSE, "tsv").path)

    assert len(log.new) == 1
    assert next(iter(notes(collection).values())).fields[0].startswith("#include guards")


def test_text_reimport_after_rewording_updates_the_note(
    output_dir: Path, collection: Collection
) -> None:
    import_table(collection, export_course(output_dir, COURSE, "csv").path)
    regenerate_lec_1(output_dir)

    log = import_table(collection, export_course(output_dir, COURSE, "csv").path)

    assert len(log.new) == 0 and len(log.updated) == 1
    assert collection.note_count() == CARDS_PER_COURSE
    fronts = {note.fields[0] for note in notes(collection).values()}
    assert "Which idea does lec_1 call concept 1?" in fronts
    assert "What is concept 1 of lec_1?" not in fronts


def test_package_imports_as_one_note_per_card_dated_by_lecture(
    output_dir: Path,
    collection: Collection,
) -> None:
    log = import_package(collection, export_course(output_dir, COURSE, "anki").path)

    assert len(log.new) == collection.note_count() == CARDS_PER_COURSE
    assert {note.mod for note in notes(collection).values()} == {int(JANUARY)}


def student_edits(col: Collection, lecture: str, front_has: str) -> str:
    """In mid-January the student rewrites the answer of one card in their own words; the
    note's GUID."""
    note = next(n for n in notes(col).values() if lecture in n.tags and front_has in n.fields[0])
    note.fields[1] = "My own words."
    col.update_note(note)
    assert col.db is not None
    col.db.execute("update notes set mod = ? where id = ?", int(STUDENT_EDIT), note.id)
    return note.guid


def test_package_reimport_updates_only_the_changed_note(
    output_dir: Path, collection: Collection
) -> None:
    import_package(collection, export_course(output_dir, COURSE, "anki").path)
    in_other_lecture = student_edits(collection, "lec_2", "concept 1")
    in_same_lecture = student_edits(collection, "lec_1", "hi")  # card 0, not reworded
    # In February lec_1 is regenerated with card 1 reworded; lec_2 is untouched.
    regenerate_lec_1(output_dir)

    log = import_package(collection, export_course(output_dir, COURSE, "anki").path)

    assert len(log.new) == 0 and len(log.updated) == 1
    assert collection.note_count() == CARDS_PER_COURSE
    after = notes(collection)
    reworded = next(n for n in after.values() if n.fields[0].startswith("Which idea"))
    assert reworded.fields[0] == "Which idea does lec_1 call concept 1?"
    assert reworded.mod == int(datetime.fromisoformat(FEBRUARY).timestamp())
    assert not any(n.fields[0] == "What is concept 1 of lec_1?" for n in after.values())
    for guid in (in_other_lecture, in_same_lecture):
        assert after[guid].fields[1] == "My own words."
        assert after[guid].mod == int(STUDENT_EDIT)
    untouched = [
        n
        for n in after.values()
        if n.guid not in {reworded.guid, in_other_lecture, in_same_lecture}
    ]
    assert {n.mod for n in untouched} == {int(JANUARY)}


def test_without_a_previous_export_notes_take_their_lectures_time(
    output_dir: Path,
    tmp_path: Path,
    collection: Collection,
) -> None:
    regenerate_lec_1(output_dir)

    import_package(
        collection, export_course(output_dir, COURSE, "anki", tmp_path / "new.apkg").path
    )

    times = {n.guid: n.mod for n in notes(collection).values() if "lec_1" in n.tags}
    assert set(times.values()) == {int(datetime.fromisoformat(FEBRUARY).timestamp())}
    others = {n.mod for n in notes(collection).values() if "lec_1" not in n.tags}
    assert others == {int(JANUARY)}
