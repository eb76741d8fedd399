from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from export_samples import CARDS_PER_COURSE, COURSE, TRICKY

from flashgen.export import export_course
from flashgen.export.anki import MODEL_KEY
from flashgen.export.identity import note_guid
from flashgen.export.render import stable_int


def open_collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    with zipfile.ZipFile(apkg) as archive:
        names = archive.namelist()
        assert "collection.anki2" in names and "media" in names
        target = tmp_path / f"{apkg.stem}.anki2"
        target.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(target)


@pytest.fixture
def collection(output_dir: Path, tmp_path: Path) -> sqlite3.Connection:
    result = export_course(output_dir, COURSE, "anki")
    assert result.cards == CARDS_PER_COURSE and result.skipped == []
    return open_collection(result.path, tmp_path)


def test_one_note_per_card_with_front_back_and_tags(collection: sqlite3.Connection) -> None:
    rows = collection.execute("SELECT guid, mid, tags, flds FROM notes ORDER BY id").fetchall()
    assert len(rows) == CARDS_PER_COURSE
    guid, mid, tags, fields = rows[0]
    assert guid == note_guid(f"{COURSE}/lec_1/concept/concept0")
    assert mid == stable_int(MODEL_KEY)
    assert tags.split() == ["algo-101", "lec_1", "Sorting_algorithms"]
    front, back = fields.split("\x1f")
    assert front == TRICKY.replace("\n", "<br>")
    # Concise answer first, math converted, prices and markup left as text.
    assert back.startswith('<div class="concise">Concept 0 is \\(x^2\\) for lec_1.</div>')
    assert "Databases cost $5 and $10 to run." in back
    assert "Forgetting &lt;b&gt;edge&lt;/b&gt; cases &amp; ties." in back
    labels = ["Analogy", "Explain like I'm five", "Real-world use", "Common mistakes", "Example"]
    positions = [back.index(f"{label}:") for label in [*labels, "Context"]]
    assert positions == sorted(positions)
    assert back.endswith('<div class="source">lec_1, chunk 0, page 1</div>')


def test_decks_per_lecture_in_natural_order(collection: sqlite3.Connection) -> None:
    decks = json.loads(collection.execute("SELECT decks FROM col").fetchone()[0])
    names = {int(deck_id): deck["name"] for deck_id, deck in decks.items()}
    assert names[stable_int(f"flashgen:deck:{COURSE}")] == "Algorithms 101"
    assert names[stable_int(f"flashgen:deck:{COURSE}/lec_10")] == "Algorithms 101::lec_10"
    card_decks = collection.execute(
        "SELECT did FROM cards JOIN notes ON cards.nid = notes.id ORDER BY cards.due"
    ).fetchall()
    lecture_order = [names[did].split("::")[1] for (did,) in card_decks]
    assert lecture_order == ["lec_1", "lec_1", "lec_2", "lec_2", "lec_10", "lec_10"]


def test_reexport_is_identical_so_anki_updates_instead_of_duplicating(
    output_dir: Path, tmp_path: Path
) -> None:
    first = export_course(output_dir, COURSE, "anki", destination=tmp_path / "one.apkg")
    second = export_course(output_dir, COURSE, "anki", destination=tmp_path / "two.apkg")
    guids = [
        open_collection(r.path, tmp_path).execute("SELECT guid FROM notes ORDER BY guid").fetchall()
        for r in (first, second)
    ]
    assert guids[0] == guids[1] and len(guids[0]) == CARDS_PER_COURSE
    # Note times come from generated_at and zip entries carry a fixed date, so bytes match too.
    assert first.path.read_bytes() == second.path.read_bytes()


def test_duplicate_card_ids_are_skipped(output_dir: Path, tmp_path: Path) -> None:
    path = output_dir / COURSE / "lec_2" / "flashcards.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["flashcards"][1]["id"] = "algo-101-lec_1-c0"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = export_course(output_dir, COURSE, "anki")

    assert result.cards == CARDS_PER_COURSE - 1
    assert [(s.item, s.reason) for s in result.skipped] == [
        ("lec_2 card algo-101-lec_1-c0", "duplicate card id (also in lec_1)")
    ]


def test_a_damaged_previous_export_is_replaced(output_dir: Path, tmp_path: Path) -> None:
    # The previous export at the destination dates unchanged notes; one that cannot be read
    # is simply no record.
    destination = tmp_path / "course.apkg"
    destination.write_bytes(b"not a zip")
    result = export_course(output_dir, COURSE, "anki", destination=destination)
    rows = open_collection(result.path, tmp_path).execute("SELECT mod FROM notes").fetchall()
    assert len(rows) == CARDS_PER_COURSE
