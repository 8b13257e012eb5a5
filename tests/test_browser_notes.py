"""The notes example in a real headless Chromium against a real server
(``kolba run`` on 127.0.0.1). Screenshots land in ``artifacts/<test>/``."""

from __future__ import annotations

import base64
import json
import re
import urllib.request

import pytest
from browser import find_chromium
from selenium.webdriver.common.by import By

PASSWORD = "correct horse"


def test_a_user_walks_through_the_notes_app(browser, notes_server, tmp_path):
    driver = browser.driver

    def field(name: str):
        return driver.find_element(By.NAME, name)

    def submit(label: str) -> None:
        browser.follow_found(By.XPATH, f"//main//button[.='{label}']")

    def follow_link(text: str) -> None:
        browser.follow_found(By.LINK_TEXT, text)

    def heading() -> str:
        return driver.find_element(By.TAG_NAME, "h1").text

    driver.get(notes_server + "/auth/register")
    field("username").send_keys("ann")
    field("password").send_keys(PASSWORD)
    browser.shot("register")
    submit("Register")
    assert driver.title == "Log in · Notes"
    assert "Registered. Please log in." in driver.page_source

    field("username").send_keys("ann")
    field("password").send_keys(PASSWORD)
    submit("Log in")
    assert (driver.title, heading()) == ("Your notes · Notes", "Your notes")
    menu = driver.find_element(By.CSS_SELECTOR, "nav .menu")
    assert "ann" in menu.text and "Log out" in menu.text
    browser.shot("logged-in")

    driver.get(notes_server + "/no/such/page")
    assert (driver.title, heading()) == ("Not Found · Notes", "Not Found")
    assert "ann" in driver.find_element(By.CSS_SELECTOR, "nav .menu").text
    browser.shot("not-found")
    follow_link("Back to your notes")

    upload = tmp_path / "заметка.txt"
    upload.write_text("молоко, яйца\n", encoding="utf-8")
    field("title").send_keys("Shopping")
    field("body").send_keys("for the weekend")
    field("attachment").send_keys(str(upload))
    submit("Save note")
    assert "Saved “Shopping”." in driver.page_source
    browser.shot("note-saved")

    follow_link("Shopping")
    assert (driver.title, heading()) == ("Shopping · Notes", "Shopping")
    assert "for the weekend" in driver.page_source
    # the page says UTC; its script shows the time in the reader's zone
    shown = driver.find_element(By.TAG_NAME, "time").text
    assert not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shown), shown
    browser.shot("note-page")

    driver.find_element(By.LINK_TEXT, "заметка.txt").click()
    downloaded = browser.downloaded("заметка.txt")
    assert downloaded.read_text(encoding="utf-8") == "молоко, яйца\n"
    assert driver.title == "Shopping · Notes"  # still on the page

    follow_link("All your notes")
    field("title").send_keys("   ")  # passes 'required', but is no title
    field("body").send_keys("text worth keeping")
    submit("Save note")
    assert "A title of 1 to 200 characters is required." in driver.page_source
    assert field("body").get_attribute("value") == "text worth keeping"
    assert field("title").get_attribute("maxlength") == "200"
    browser.shot("validation-error")

    follow_link("Delete")
    assert heading() == "Delete “Shopping”?"
    browser.shot("confirm-delete")
    submit("Delete")
    assert "Deleted “Shopping”." in driver.page_source
    assert "No notes yet." in driver.page_source
    browser.shot("deleted")

    driver.set_window_size(390, 844)  # a phone
    no_sideways_scroll = "return document.documentElement.scrollWidth <= innerWidth"
    assert driver.execute_script(no_sideways_scroll)
    browser.shot("phone")
    driver.set_window_size(1100, 900)

    browser.follow_found(By.XPATH, "//nav//button[.='Log out']")
    assert (driver.title, heading()) == ("Welcome · Notes", "Welcome")
    browser.shot("logged-out")


def test_after_logging_in_on_the_way_to_an_attachment_the_browser_shows_a_page(
    browser, notes_server
):
    api_post(notes_server + "/api/users", {"username": "ann", "password": PASSWORD})
    api_post(notes_server + "/api/notes", {"title": "Report"}, auth=True)
    driver = browser.driver
    driver.get(notes_server + "/notes/1/attachment")  # a link from a mail, say
    assert driver.title == "Log in · Notes"
    assert "Please log in first." in driver.page_source
    driver.find_element(By.NAME, "username").send_keys("ann")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.follow_found(By.XPATH, "//main//button[.='Log in']")
    assert driver.title == "Report · Notes"
    assert driver.current_url == notes_server + "/notes/1"
    browser.shot("landed-on-the-note")


def api_post(url: str, data: dict[str, str], auth: bool = False) -> None:
    headers = {"Content-Type": "application/json"}
    if auth:
        credentials = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {credentials}"
    request = urllib.request.Request(url, json.dumps(data).encode(), headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def test_without_chromium_the_browser_tests_fail_and_say_why(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium"):
        find_chromium()
