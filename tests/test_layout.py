"""The package layout: every module imports on its own (no import cycle hides behind the order
in which other modules happen to be imported first)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import pytest

import flashgen


def all_modules() -> list[str]:
    found = pkgutil.walk_packages(flashgen.__path__, prefix="flashgen.")
    # __main__ runs the CLI when imported: it is what `python -m flashgen` executes.
    return sorted(["flashgen", *(i.name for i in found if i.name != "flashgen.__main__")])


@pytest.mark.parametrize("name", all_modules())
def test_every_module_imports_on_its_own(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh import of flashgen for this module alone: sys.modules without any flashgen module
    # (monkeypatch puts the originals back, so other tests keep the classes they imported).
    before = set(sys.modules)
    for loaded in [m for m in sys.modules if m == "flashgen" or m.startswith("flashgen.")]:
        monkeypatch.delitem(sys.modules, loaded)
    try:
        importlib.import_module(name)
    finally:
        # ... and modules first imported here leave too: one left behind would hold the fresh
        # classes, and a later test's isinstance against the originals would fail.
        for added in set(sys.modules) - before:
            if added == "flashgen" or added.startswith("flashgen."):
                del sys.modules[added]


def test_the_stages_are_subpackages() -> None:
    names = set(all_modules())
    for stage in ("ingest", "generate", "providers", "run", "output", "export"):
        assert f"flashgen.{stage}" in names


def test_no_module_is_over_400_lines() -> None:
    # Small modules, one job each: a module past this has grown a second concern to split off.
    root = Path(flashgen.__file__).parent
    long = {
        str(path.relative_to(root)): lines
        for path in root.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, long
