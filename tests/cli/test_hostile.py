"""No traceback reaches a user: the CLI, as a real process, over a table of hostile situations
(a full disk, read-only folders for output, cache and exports, odd lecture names, a damaged
cache). Each must end with a message that names the problem and its fix, never "Traceback".

Read-only folders: ``chmod`` for a normal user; as root (who ignores mode bits), the
immutable attribute (``chattr +i``). A full disk: ``RLIMIT_FSIZE`` in the child process (Python
ignores SIGXFSZ, so a write past the limit fails with EFBIG as a full disk fails with ENOSPC).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    code: int
    output: str


class Sandbox:
    """A copy of the sample courses, an output folder, and a way to run flashgen on them."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.courses = base / "courses"
        shutil.copytree(ROOT / "courses", self.courses)
        self.out = base / "out"
        self.frozen: list[Path] = []

    def flashgen(self, *args: str, file_limit: int | None = None) -> Outcome:
        def limit() -> None:
            if file_limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

        env = {**os.environ, "PYTHONPATH": str(ROOT), "FLASHGEN_PROVIDER": "offline"}
        done = subprocess.run(
            [sys.executable, "-m", "flashgen", *args],
            env=env,
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=limit,
        )
        return Outcome(done.returncode, done.stdout + done.stderr)

    def run(self, *extra: str, file_limit: int | None = None) -> Outcome:
        return self.flashgen(
            "run",
            "sample-course",
            "--courses-dir",
            str(self.courses),
            "-o",
            str(self.out),
            "--plain",
            *extra,
            file_limit=file_limit,
        )

    def read_only(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
            if done.returncode != 0:
                pytest.skip("root, and this filesystem has no immutable attribute")
        else:
            path.chmod(0o555)
        self.frozen.append(path)

    def thaw(self) -> None:
        for path in self.frozen:
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)], capture_output=True)
            else:
                path.chmod(0o755)

    @property
    def cache(self) -> Path:
        return self.out / "flashgen-cache.sqlite3"

    def sql(self, *statements: str) -> None:
        with sqlite3.connect(self.cache) as db:
            for statement in statements:
                db.execute(statement)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path)
    try:
        yield box
    finally:
        box.thaw()


def full_disk(box: Sandbox) -> Outcome:
    box.out.mkdir()
    return box.run(file_limit=24_000)  # the task cache outgrows it in the first lectures


def full_disk_on_rerun(box: Sandbox) -> Outcome:
    box.run()
    return box.run("--force", file_limit=box.cache.stat().st_size)


def read_only_output(box: Sandbox) -> Outcome:
    box.read_only(box.out / "sample-course")
    return box.run()


def read_only_cache_folder(box: Sandbox) -> Outcome:
    box.read_only(box.base / "cache")
    return box.run("--cache-dir", str(box.base / "cache"))


def read_only_cache_folder_with_a_cache(box: Sandbox) -> Outcome:
    box.run("--cache-dir", str(box.base / "cache"))
    box.read_only(box.base / "cache")
    return box.run("--cache-dir", str(box.base / "cache"))


def read_only_export_folder(box: Sandbox) -> Outcome:
    box.run()
    box.read_only(box.base / "exports")
    target = box.base / "exports" / "cards.csv"
    return box.flashgen(
        "export", "sample-course", "--to", "csv", "-o", str(box.out), "--out", str(target)
    )


def lecture_named_like_the_report(box: Sandbox) -> Outcome:
    shutil.copy(
        box.courses / "sample-course" / "lecture-01.md",
        box.courses / "sample-course" / "run_report.json.md",
    )
    return box.run()


def cache_row_not_json(box: Sandbox) -> Outcome:
    box.run()
    box.sql("UPDATE results SET result = '{not json' WHERE rowid % 2 = 0")
    return box.run()


def cache_table_changed(box: Sandbox) -> Outcome:
    box.run()
    box.sql("DROP TABLE results", "CREATE TABLE results (k TEXT, v BLOB)")
    return box.run()


def cache_file_garbage(box: Sandbox) -> Outcome:
    box.out.mkdir()
    box.cache.write_bytes(b"garbage" * 500)
    return box.run()


Situation = Callable[[Sandbox], Outcome]
# situation, exit codes allowed, words the message must hold, words it must not
CASES: list[tuple[Situation, set[int], tuple[str, ...], tuple[str, ...]]] = [
    (full_disk, {1, 2}, ("space",), ()),
    (full_disk_on_rerun, {1, 2}, ("space",), ()),
    (read_only_output, {2}, ("cannot write", "--output-dir"), ()),
    (read_only_cache_folder, {2}, ("task cache", "--cache-dir"), ("delete",)),
    (read_only_cache_folder_with_a_cache, {2}, ("task cache", "--cache-dir"), ("delete",)),
    (read_only_export_folder, {1, 2}, ("cannot write",), ()),
    (lecture_named_like_the_report, {0}, ("run_report.flashgen.json",), ()),
    (cache_row_not_json, {0}, (), ()),
    (cache_table_changed, {2}, ("delete", "flashgen-cache.sqlite3"), ()),
    (cache_file_garbage, {2}, ("delete", "flashgen-cache.sqlite3"), ()),
]


@pytest.mark.parametrize(
    ("situation", "codes", "said", "unsaid"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_no_traceback_reaches_the_user(
    sandbox: Sandbox,
    situation: Situation,
    codes: set[int],
    said: tuple[str, ...],
    unsaid: tuple[str, ...],
) -> None:
    outcome = situation(sandbox)
    assert "Traceback" not in outcome.output, outcome.output
    assert outcome.code in codes, outcome.output
    text = " ".join(outcome.output.split())  # rich wraps long lines
    for words in said:
        assert words in text, outcome.output
    for words in unsaid:
        assert words not in text, outcome.output
