"""The chat example (examples/chat) under uvicorn, used by two tabs of a
real headless Chromium: what one tab says, the other shows."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from browser import free_port, running_server

CHAT = Path(__file__).resolve().parent.parent / "examples" / "chat"


def join(driver: Any, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#join button").click()
    wait_for_line(driver, f"server: {name} joined")


def say(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "text").send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#say button").click()


def wait_for_line(driver: Any, line: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> bool:
        return line in d.find_element(By.ID, "log").text.splitlines()

    WebDriverWait(driver, 10).until(shown, f"{line!r} never shown")


def test_two_tabs_chat(browser: Any, tmp_path: Path) -> None:
    port = free_port()
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    command = [uvicorn, "chat:app", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(CHAT)}
    with running_server(command, CHAT, env, port, tmp_path / "chat.log") as url:
        driver = browser.driver
        driver.get(url)
        join(driver, "ann")
        ann = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(url)
        join(driver, "bob")
        bob = driver.current_window_handle
        say(driver, "hello ann <b>!</b>")

        driver.switch_to.window(ann)
        wait_for_line(driver, "server: bob joined")
        wait_for_line(driver, "bob: hello ann <b>!</b>")  # as text, not markup
        say(driver, "hi bob")
        browser.shot("ann")

        driver.switch_to.window(bob)
        wait_for_line(driver, "ann: hi bob")
        browser.shot("bob")
        driver.close()
        driver.switch_to.window(ann)
        wait_for_line(driver, "server: bob left")
    # the server gone (a restart, a proxy's idle timeout): the tab says so
    wait_for_line(driver, "server: connection lost (reload the page to rejoin)")
