"""The cost table's arithmetic: a batch costs half the live run, caching never costs more."""

from __future__ import annotations

import pytest

from benchmarks.cost_table import PROJECT_ROOT, row
from flashgen.providers.pricing import PriceTable


def test_batch_halves_and_caching_never_adds() -> None:
    prices = PriceTable.load()
    got = row(PROJECT_ROOT / "courses", "sample-course", "anthropic", prices)
    assert got.questions > 0
    assert got.dollars["batch"] == pytest.approx(got.dollars["live"] / 2)
    assert got.dollars["live + cache"] <= got.dollars["live"]
    assert got.dollars["batch + cache"] <= got.dollars["batch"]
