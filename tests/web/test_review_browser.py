"""The review page in headless Chromium: approve with a click, reject with a key, edit a field
(and see a broken rule refused), then find each change on disk; no console errors."""

from __future__ import annotations

import json
from collections.abc import Callable

from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from flashgen.output.review import load_review
from flashgen.review.server import ReviewServer


def _wait_state(browser: Chrome, item: WebElement, state: str) -> None:
    WebDriverWait(browser, 5).until(lambda _: item.get_attribute("data-state") == state)


def test_approve_reject_and_edit_from_the_page(
    browser: Chrome,
    review_server: ReviewServer,
    console_errors: Callable[[], list[str]],
    screenshot: Callable[[str], None],
) -> None:
    site = review_server.site
    lecture = site.lectures[0]
    browser.get(site.url)
    items = browser.find_elements(By.CSS_SELECTOR, "article.item")
    first, second, third = items[:3]
    assert "chunk" in first.find_element(By.CLASS_NAME, "where").text
    assert first.find_element(By.CLASS_NAME, "chunk").text.strip(), "source text beside the item"

    first.find_element(By.CSS_SELECTOR, "button[data-action=approve]").click()
    _wait_state(browser, first, "approved")

    second.click()  # select it, then the keyboard
    browser.switch_to.active_element.send_keys("r")
    _wait_state(browser, second, "rejected")

    third.click()
    browser.switch_to.active_element.send_keys("e")
    editor = third.find_element(By.TAG_NAME, "textarea")
    data = json.loads(str(editor.get_attribute("value")))
    editor.clear()
    editor.send_keys(json.dumps(data | {"question": "Q"}))
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    error = third.find_element(By.CLASS_NAME, "error")
    WebDriverWait(browser, 5).until(lambda _: error.text)
    assert "question" in error.text and "at least 3 characters" in error.text
    # the refusal is an HTTP 422, which Chromium logs; it must be the only entry
    assert [("422" in e) for e in console_errors()] == [True]
    editor.clear()
    editor.send_keys(json.dumps(data | {"question": "What does the edited card ask?"}))
    third.find_element(By.CSS_SELECTOR, "button[data-action=save]").click()
    _wait_state(browser, third, "edited")

    review = load_review(site.store.lecture_dir(lecture))
    assert review is not None
    ids = [str(item.get_attribute("data-id")) for item in (first, second, third)]
    assert [review.state(i) for i in ids] == ["approved", "rejected", "edited"]
    cards = site.store.load_flashcards(lecture)
    assert cards is not None
    saved = {card.id: card for card in cards.flashcards}
    assert ids[1] not in saved
    assert saved[ids[2]].question == "What does the edited card ask?"
    counts = browser.find_element(By.ID, f"counts-{lecture}").text
    assert "1 approved" in counts and "1 edited" in counts and "1 rejected" in counts

    Select(browser.find_element(By.ID, "filter-state")).select_by_visible_text("approved")
    assert [i.is_displayed() for i in items[:3]] == [True, False, False]
    Select(browser.find_element(By.ID, "filter-state")).select_by_visible_text("all")
    assert console_errors() == []
    browser.execute_script("window.scrollTo(0, 0)")
    screenshot("review-page.png")


def test_the_page_filters_by_type_and_file(
    browser: Chrome, review_server: ReviewServer, console_errors: Callable[[], list[str]]
) -> None:
    browser.get(review_server.site.url)
    Select(browser.find_element(By.ID, "filter-kind")).select_by_visible_text("mcq")
    shown = [i for i in browser.find_elements(By.CSS_SELECTOR, "article.item") if i.is_displayed()]
    assert shown and all(i.get_attribute("data-kind") == "mcq" for i in shown)
    Select(browser.find_element(By.ID, "filter-file")).select_by_value("cards")
    assert "0 of" in browser.find_element(By.ID, "shown").text
    assert console_errors() == []
