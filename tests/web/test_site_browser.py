"""The study site in headless Chromium from file://: cards turn over, quizzes give instant
feedback with the explanation, math is rendered by the bundled KaTeX, no console errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from export_samples import COURSE
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from flashgen.export import ExportFormat, export_course


def _open_first_lecture(browser: Chrome, output_dir: Path) -> None:
    site = export_course(output_dir, COURSE, ExportFormat.HTML).path
    browser.get((site / "index.html").as_uri())
    browser.find_element(By.LINK_TEXT, "lec_1").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "lec_1"


def test_a_card_turns_over_and_shows_every_facet(
    browser: Chrome, output_dir: Path, console_errors: Callable[[], list[str]]
) -> None:
    _open_first_lecture(browser, output_dir)
    card = browser.find_element(By.ID, f"{COURSE}-lec_1-c1")
    back = card.find_element(By.CLASS_NAME, "back")
    assert not back.is_displayed()
    card.click()
    assert back.is_displayed() and not card.find_element(By.CLASS_NAME, "front").is_displayed()
    for label in ("Analogy:", "Explain like I'm five:", "Real-world use:", "Common mistakes:"):
        assert label in back.text
    assert back.find_elements(By.CLASS_NAME, "katex"), "x^2 on the back is rendered by KaTeX"
    assert console_errors() == []


def test_quiz_answers_get_instant_feedback(
    browser: Chrome,
    output_dir: Path,
    console_errors: Callable[[], list[str]],
    screenshot: Callable[[str], None],
) -> None:
    _open_first_lecture(browser, output_dir)
    mcq = browser.find_element(By.ID, "lec_1-L1-mcq")
    mcq.find_element(By.CSS_SELECTOR, "input[value=A]").click()
    mcq.find_element(By.TAG_NAME, "button").click()
    assert mcq.find_element(By.CLASS_NAME, "verdict").text == "Not quite."
    feedback = mcq.find_element(By.CLASS_NAME, "feedback").text
    assert "Merge sort keeps equal keys in order." in feedback
    mcq.find_element(By.CSS_SELECTOR, "input[value=B]").click()
    mcq.find_element(By.TAG_NAME, "button").click()
    assert mcq.find_element(By.CLASS_NAME, "verdict").text == "Correct."

    blank = browser.find_element(By.ID, "lec_1-L1-fib")
    blank.find_element(By.TAG_NAME, "input").send_keys("  Stable ")
    blank.find_element(By.TAG_NAME, "button").click()
    assert blank.find_element(By.CLASS_NAME, "verdict").text == "Correct."

    match = browser.find_element(By.ID, "lec_1-L1-match")
    for select in match.find_elements(By.TAG_NAME, "select"):
        Select(select).select_by_value(str(select.get_attribute("data-answer")))
    match.find_element(By.TAG_NAME, "button").click()
    assert match.find_element(By.CLASS_NAME, "verdict").text == "Correct."

    mca = browser.find_element(By.ID, "lec_1-L1-mca")
    assert mca.find_elements(By.CLASS_NAME, "katex"), "O(n log n) in the question is rendered"
    assert console_errors() == []
    browser.find_element(By.ID, f"{COURSE}-lec_1-c1").click()
    screenshot("study-site.png")


def test_printing_shows_both_faces_and_every_explanation(
    browser: Chrome, output_dir: Path, console_errors: Callable[[], list[str]]
) -> None:
    _open_first_lecture(browser, output_dir)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        card = browser.find_element(By.ID, f"{COURSE}-lec_1-c1")
        assert card.find_element(By.CLASS_NAME, "front").is_displayed()
        assert card.find_element(By.CLASS_NAME, "back").is_displayed()
        explanation = browser.find_element(By.CSS_SELECTOR, "#lec_1-L1-mcq .explanation")
        assert explanation.is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "#lec_1-L1-mcq button").is_displayed()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert console_errors() == []
