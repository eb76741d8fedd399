"""Destinations and atomic writes, common to every format."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import COURSE

from flashgen.export import ExportFormat, default_destination, export_course


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("anki", "algo-101.apkg"),
        ("csv", "algo-101.csv"),
        ("tsv", "algo-101.tsv"),
        ("gift", "algo-101.gift.txt"),
        ("qti", "algo-101.qti.zip"),
    ],
)
def test_default_destination(output_dir: Path, fmt: str, name: str) -> None:
    result = export_course(output_dir, COURSE, fmt)
    assert result.path == output_dir / COURSE / "exports" / name
    assert result.path.is_file()
    assert result.format is ExportFormat(fmt)
    assert result.lectures == 3
    # The exports folder is not mistaken for a lecture on the next export.
    assert export_course(output_dir, COURSE, fmt).lectures == 3


def test_destination_may_be_a_file_or_a_folder(output_dir: Path, tmp_path: Path) -> None:
    file_result = export_course(output_dir, COURSE, "csv", destination=tmp_path / "new" / "x.csv")
    assert file_result.path == tmp_path / "new" / "x.csv" and file_result.path.is_file()
    folder_result = export_course(output_dir, COURSE, ExportFormat.GIFT, destination=tmp_path)
    assert folder_result.path == tmp_path / "algo-101.gift.txt"


def test_a_failed_export_keeps_the_previous_file(
    output_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = default_destination(output_dir, COURSE, "csv")
    export_course(output_dir, COURSE, "csv")
    before = target.read_bytes()

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("flashgen.export.tabular.write_table", explode)
    with pytest.raises(RuntimeError):
        export_course(output_dir, COURSE, "csv", include_questions=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["algo-101.csv"]
