"""The notes example in a real headless Chromium against a real server
(``kolba run`` on 127.0.0.1). Screenshots land in ``artifacts/``."""

from __future__ import annotations

import pytest
from browser import find_chromium
from selenium.webdriver.common.by import By


def test_home_page_in_a_browser(browser, notes_server):
    driver = browser.driver
    driver.get(notes_server + "/")
    assert driver.title == "Welcome · Notes"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Welcome"
    assert browser.shot("home").stat().st_size > 1000


def test_without_chromium_the_browser_tests_fail_and_say_why(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        find_chromium()
