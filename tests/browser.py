"""A real headless Chromium for tests, driven through chromedriver (selenium),
and a real server to point it at.

Use the ``browser`` fixture (tests/conftest.py): a fresh profile per test,
downloads into ``browser.downloads``, screenshots with ``browser.shot(name)``
into ``artifacts/<test name>/``. Without Chromium the test fails and says
what to install: a browser test is never skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # no traffic but to our server
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1100,900",
]


def find_chromium() -> tuple[str, str]:
    """Paths of Debian's ``chromium`` and ``chromium-driver``, or a failed test
    that says how to get them."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if binary is None or not os.path.exists(driver):
        pytest.fail(
            "The browser tests need Chromium and its driver: install Debian's"
            " 'chromium' and 'chromium-driver' (apt-get install chromium"
            " chromium-driver; .ci/run does this). Found: chromium="
            f"{binary}, chromedriver={driver if os.path.exists(driver) else None}",
            pytrace=False,
        )
    return binary, driver


class Browser:
    """A selenium Chrome driver, with the helpers the tests need."""

    def __init__(self, profile: Path, artifacts: Path) -> None:
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:  # pragma: no cover - the [test] extra installs it
            pytest.fail("The browser tests need selenium: pip install -e '.[test]'")
        binary, driver = find_chromium()
        self.downloads = profile.parent / "downloads"
        self.downloads.mkdir(parents=True, exist_ok=True)
        self.artifacts = artifacts
        self._shots = 0
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.add_experimental_option(
            "prefs", {"download.default_directory": str(self.downloads)}
        )
        self.driver = webdriver.Chrome(options=options, service=Service(driver))
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd(
            "Page.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(self.downloads)},
        )

    def follow(self, element: Any) -> None:
        """Click ``element`` (a link, a submit button) and wait until the page
        it leads to has loaded: a click returns before the navigation ends."""
        from selenium.common.exceptions import (
            StaleElementReferenceException,
            WebDriverException,
        )
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.wait import WebDriverWait

        old_page = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def left(_: Any) -> bool:
            """Whether the old page is gone: its node stale, or (Chromium,
            while the new page is being built) of another document."""
            try:
                old_page.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as e:
                if "does not belong to the document" in str(e):
                    return True
                raise
            return False

        wait = WebDriverWait(self.driver, 30)
        wait.until(left)
        wait.until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def follow_found(self, by: str, value: str) -> None:
        """Find the element and follow it; found again once if the page that
        held it was replaced between the find and the click (Chromium: "Node
        with given id does not belong to the document")."""
        from selenium.common.exceptions import (
            StaleElementReferenceException,
            WebDriverException,
        )

        try:
            self.follow(self.driver.find_element(by, value))
        except (StaleElementReferenceException, WebDriverException) as e:
            if "does not belong to the document" not in str(e) and not isinstance(
                e, StaleElementReferenceException
            ):
                raise
            self.follow(self.driver.find_element(by, value))

    def shot(self, name: str) -> Path:
        """Save a screenshot as ``artifacts/<test>/NN-name.png``."""
        self._shots += 1
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{self._shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def downloaded(self, name: str, timeout: float = 10) -> Path:
        """The file ``name`` once Chromium has finished downloading it."""
        path = self.downloads / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and not list(self.downloads.glob("*.crdownload")):
                return path
            time.sleep(0.1)
        found = sorted(p.name for p in self.downloads.iterdir())
        raise AssertionError(f"no download {name!r} in {timeout}s; found {found}")

    def quit(self) -> None:
        self.driver.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    command: list[str], cwd: Path, env: dict[str, str], port: int, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``command`` (which listens on 127.0.0.1:port) in a process group
    of its own; return it once it accepts connections."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise AssertionError(
                    f"the server did not start: {log.read_text()}"
                ) from None
            time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop a started server by its pid (its process group), if it still runs."""
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


@contextmanager
def running_server(
    command: list[str], cwd: Path, env: dict[str, str], port: int, log: Path
) -> Iterator[str]:
    """Start ``command`` (which listens on 127.0.0.1:port), yield its base URL
    once it accepts connections, stop it by its pid (its process group)."""
    proc = start_server(command, cwd, env, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)
