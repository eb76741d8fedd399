"""One run per output folder: a second run is told clearly, waits with --wait, and a kill -9
of the holder leaves nothing stuck. The holder is a real process (an OS lock is per process)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flashgen.run.runlock import LOCK_FILE, OutputBusy, run_lock

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from flashgen.run.runlock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def hold(course_dir: Path) -> subprocess.Popen[str]:
    """A process holding the folder's lock until killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(course_dir)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def flashgen_run(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    courses = tmp_path / "courses"
    if not courses.exists():
        shutil.copytree(ROOT / "courses", courses)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flashgen", "run", "sample-course", "--provider", "offline"]
    command += ["--courses-dir", str(courses), "-o", str(tmp_path / "out"), "--plain", *extra]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_a_held_folder_is_refused_at_once_with_the_fix(tmp_path: Path) -> None:
    holder = hold(tmp_path)
    try:
        with pytest.raises(OutputBusy) as caught, run_lock(tmp_path):
            pass
        assert "another flashgen run" in caught.value.message and "--wait" in caught.value.hint
    finally:
        holder.kill()
        holder.wait()


def test_kill_9_of_the_holder_leaves_the_folder_free(tmp_path: Path) -> None:
    holder = hold(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (tmp_path / LOCK_FILE).exists()  # the file stays; the OS lock went with the process
    with run_lock(tmp_path):
        pass


def test_a_second_run_is_told_and_one_with_wait_starts_when_the_first_ends(
    tmp_path: Path,
) -> None:
    holder = hold(tmp_path / "out" / "sample-course")
    try:
        second = flashgen_run(tmp_path)
        output, _ = second.communicate(timeout=60)
        assert second.returncode == 2, output
        assert "another flashgen run is writing to" in output and "--wait" in output
        assert "Traceback" not in output
        assert not (tmp_path / "out" / "sample-course" / "run_report.json").exists()

        waiting = flashgen_run(tmp_path, "--wait")
        time.sleep(1.5)
        assert waiting.poll() is None  # still waiting for the lock
    finally:
        holder.kill()
        holder.wait()
    output, _ = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, output
    assert (tmp_path / "out" / "sample-course" / "run_report.json").exists()
