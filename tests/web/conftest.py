from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import write_course


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    """The export tests' sample course: every question type, math, and text needing escapes."""
    return write_course(tmp_path / "output")
