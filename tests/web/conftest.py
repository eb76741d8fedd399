from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from export_samples import write_course
from selenium.webdriver import Chrome

from flashgen.config import load_settings
from flashgen.output.store import OutputStore
from flashgen.review.server import ReviewServer


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    """The export tests' sample course: every question type, math, and text needing escapes."""
    return write_course(tmp_path / "output")


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[Chrome]:
    """Headless Chromium (Debian's `chromium` and `chromium-driver`) driven by Selenium; the
    console log is kept so tests can assert there were no JavaScript errors."""
    binary = _find("chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver")
    if binary is None or driver_path is None:
        if os.environ.get("FLASHGEN_REQUIRE_BROWSER"):  # set by .ci/run: CI must have one
            pytest.fail("FLASHGEN_REQUIRE_BROWSER is set but no chromium/chromedriver was found")
        pytest.skip(
            "no headless Chromium found: `apt-get install -y chromium chromium-driver` "
            "(.ci/run installs them)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def console_errors(browser: Chrome) -> Callable[[], list[str]]:
    """JavaScript errors (and failed loads) logged since the last call."""

    def errors() -> list[str]:
        entries: list[dict[str, object]] = browser.get_log("browser")  # type: ignore[no-untyped-call]
        return [str(entry["message"]) for entry in entries if entry["level"] == "SEVERE"]

    errors()  # drop what earlier tests left in the shared browser's log
    return errors


@pytest.fixture
def screenshot(browser: Chrome) -> Callable[[str], None]:
    """README screenshots, only when asked: `FLASHGEN_SCREENSHOTS=docs pytest tests/web`."""

    def save(name: str) -> None:
        folder = os.environ.get("FLASHGEN_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(Path(folder) / name))

    return save


REPO = Path(__file__).resolve().parents[2]
SAMPLE = "sample-course"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's sample course generated offline once (about 1 s)."""
    out = tmp_path_factory.mktemp("sample") / "output"
    subprocess.run(
        [sys.executable, "-m", "flashgen", "run", SAMPLE, "--output-dir", str(out), "--plain"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture
def review_server(sample_run: Path, tmp_path: Path) -> Iterator[ReviewServer]:
    """A review server on a fresh copy of the sample course's output, in a background thread."""
    out = tmp_path / "output"
    shutil.copytree(sample_run, out)
    settings = load_settings(output_dir=out, courses_dir=REPO / "courses")
    lectures = OutputStore(out, SAMPLE).lecture_ids()
    server = ReviewServer(settings, SAMPLE, lectures)
    server.start()
    try:
        yield server
    finally:
        server.stop()
