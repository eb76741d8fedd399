"""The sample course copied for a test, flashgen's command line in process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.output.review_files import ROOT


@pytest.fixture
def courses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout
    target = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", target)
    return target
