"""`flashgen review` from the command line: it prints a URL on 127.0.0.1 with a token, serves
the page there, and refuses a course without output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_review_prints_a_local_url_with_a_token(sample_run: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    command = [sys.executable, "-m", "flashgen", "review", "sample-course", "lecture-02"]
    process = subprocess.Popen(
        [*command, "--output-dir", str(sample_run), "--no-browser"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]{20,})", line)
        assert found, line
        with urllib.request.urlopen(found[0], timeout=10) as response:
            page = response.read().decode()
        assert 'data-lecture="lecture-02"' in page and "lecture-01" not in page
    finally:
        process.terminate()
        process.wait(timeout=10)


def _flashgen(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flashgen", *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)


def test_review_of_a_course_without_output_says_how_to_make_some(tmp_path: Path) -> None:
    done = _flashgen("review", "sample-course", "--output-dir", str(tmp_path), "--no-browser")
    assert done.returncode != 0
    assert "flashgen run sample-course" in done.stdout + done.stderr


def test_review_of_an_unknown_lecture_is_refused(sample_run: Path) -> None:
    done = _flashgen("review", "sample-course", "no-such-lecture", "--output-dir", str(sample_run))
    assert done.returncode != 0 and "no-such-lecture" in done.stdout + done.stderr
