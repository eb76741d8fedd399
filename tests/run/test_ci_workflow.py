"""The example GitHub Actions workflow in docs/: its shape, and its flashgen commands run here.

Each job runs in a workspace of its own, as on GitHub: the shards' output folders are copied
into the merge job's workspace as ``actions/download-artifact`` with ``merge-multiple`` does.
Steps that only set up a runner (checkout, Python, pip, cache, artifacts) are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "ci" / "github-actions-shards.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def load() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def uses(job: dict[str, Any], action: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = job["steps"]
    [step] = [s for s in steps if str(s.get("uses", "")).startswith(action + "@")]
    return step


def test_the_workflow_has_a_shard_matrix_a_kept_cache_and_a_merge() -> None:
    workflow = load()
    env, jobs = workflow["env"], workflow["jobs"]
    shards = jobs["shard"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(env["SHARDS"]) + 1))
    cache = uses(jobs["shard"], "actions/cache")["with"]
    assert cache["path"] == env["FLASHGEN_CACHE_DIR"]
    assert "matrix.shard" in cache["key"] and cache["key"].startswith(cache["restore-keys"])
    assert jobs["merge"]["needs"] == "shard"
    download = uses(jobs["merge"], "actions/download-artifact")["with"]
    assert download["merge-multiple"] is True
    assert download["path"].rstrip("/") == env["FLASHGEN_OUTPUT_DIR"]
    upload = uses(jobs["shard"], "actions/upload-artifact")["with"]
    assert upload["path"].rstrip("/") == env["FLASHGEN_OUTPUT_DIR"]


def flashgen_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if "flashgen " in s.get("run", "") and "pip" not in s["run"]]


def run_step(step: dict[str, Any], workspace: Path, env: dict[str, str], matrix: str) -> None:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "matrix.shard":
            return matrix
        if name.startswith("secrets."):
            return ""  # no key: the offline generator, as auto chooses without one
        raise AssertionError(f"the test does not know {name!r}")

    script = EXPRESSION.sub(value, step["run"])
    step_env = {k: EXPRESSION.sub(value, str(v)) for k, v in step.get("env", {}).items()}
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],
        cwd=workspace,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A ``flashgen`` on PATH that is this checkout's, run by the test's interpreter."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "flashgen"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flashgen "$@"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def workspace(tmp_path: Path, name: str) -> Path:
    """A fresh checkout: the repository's courses, nothing generated."""
    folder = tmp_path / name
    shutil.copytree(ROOT / "courses", folder / "courses")
    return folder


@pytest.mark.skipif(shutil.which("bash") is None, reason="the workflow's steps are bash scripts")
def test_the_workflow_commands_run_here_and_match_one_run(tmp_path: Path, bin_dir: Path) -> None:
    workflow = load()
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith(("_API_KEY", "_BASE_URL")) and not key.startswith("FLASHGEN_")
    }
    base["PATH"] = f"{bin_dir}{os.pathsep}{base.get('PATH', '')}"
    base["PYTHONPATH"] = str(ROOT)  # this checkout's flashgen, whatever the venv installed
    env = {**base, **{k: str(v) for k, v in workflow["env"].items()}}
    output = env["FLASHGEN_OUTPUT_DIR"]
    merged = workspace(tmp_path, "merge")
    for shard in workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]:
        job_dir = workspace(tmp_path, f"shard-{shard}")
        for step in flashgen_steps(workflow["jobs"]["shard"]):
            run_step(step, job_dir, env, str(shard))
        shutil.copytree(job_dir / output, merged / output, dirs_exist_ok=True)
        assert list((job_dir / env["FLASHGEN_CACHE_DIR"]).iterdir())  # what actions/cache keeps
    for step in flashgen_steps(workflow["jobs"]["merge"]):
        run_step(step, merged, env, "")
    course = env["COURSE"]
    assert list((merged / output / course / "exports").glob("*.apkg"))

    single = workspace(tmp_path, "single")
    subprocess.run(
        [sys.executable, "-m", "flashgen", "run", course, "--plain"],
        cwd=single,
        env={**base, "SOURCE_DATE_EPOCH": "0", "FLASHGEN_OUTPUT_DIR": output},
        check=True,
        capture_output=True,
    )
    assert lecture_files(merged / output / course) == lecture_files(single / output / course)


def lecture_files(course: Path) -> dict[str, bytes]:
    found = {
        str(p.relative_to(course)): p.read_bytes()
        for p in course.glob("*/*.json")
        if p.parent.name != "exports"
    }
    assert found
    return found
