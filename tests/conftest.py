"""Shared fixtures: a fresh app and its test client; the notes example."""

from __future__ import annotations

import os
import re
import sys
import threading
import typing as t
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import werkzeug.test

from kolba import Flask
from kolba.testing import ASGIClient, KolbaClient


@pytest.fixture(autouse=True)
def _close_test_responses(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Close every test-client response, and the body of its request, when its
    test ends, as a WSGI server does: a response of ``send_file`` holds its file
    open, a request with a large body a temporary file (werkzeug's client
    closes that only after following redirects). kolba's and Flask's clients
    both open through werkzeug's."""
    responses: list[werkzeug.test.TestResponse] = []
    werkzeug_open = werkzeug.test.Client.open

    def open_and_keep(self: werkzeug.test.Client, *args: Any, **kwargs: Any) -> Any:
        response = werkzeug_open(self, *args, **kwargs)
        responses.append(response)
        return response

    monkeypatch.setattr(werkzeug.test.Client, "open", open_and_keep)
    yield
    for response in responses:
        response.close()
        getattr(response.request.input_stream, "close", lambda: None)()


@pytest.fixture
def app() -> Flask:
    """A testing app with a secret key (sessions and flashing work)."""
    app = Flask("kolba_test_app")
    app.config.update(TESTING=True, SECRET_KEY="test-secret")
    return app


@pytest.fixture(scope="module", params=["wsgi", "asgi"])
def driver(request: pytest.FixtureRequest) -> t.Iterator[str]:
    """Runs a test twice: its test clients speak WSGI, then ASGI (through
    the app's ASGI entry); both must give the same status, headers and body.
    A module takes it whole with ``pytestmark = pytest.mark.usefixtures("driver")``."""
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "asgi":
            patch.setattr(Flask, "test_client_class", ASGIClient)
        yield str(request.param)


@pytest.fixture
def client(app: Flask, driver: str) -> KolbaClient:
    """The app's test client, over each driver in turn."""
    return app.test_client()


NOTES_EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "notes"


@pytest.fixture
def notes_dir() -> Path:
    """``examples/notes``: the notes example (``wsgi.py`` and package ``notes``)."""
    return NOTES_EXAMPLE


@pytest.fixture
def notes_server(tmp_path: Path) -> Iterator[str]:
    """The notes example served by ``kolba run`` on 127.0.0.1 (a real server,
    its own instance folder); its base URL."""
    from browser import free_port, running_server

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(_APP_ENV)},
        "NOTES_INSTANCE_PATH": str(tmp_path / "notes-instance"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "kolba", "--app", "notes", "run"]
    log = tmp_path / "notes-server.log"
    with running_server(
        [*command, "--port", str(port)], NOTES_EXAMPLE, env, port, log
    ) as url:
        yield url


_APP_ENV = ("KOLBA_", "FLASK_", "NOTES_")


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (tests/browser.py) with a fresh profile; fails the
    test, saying why, when Chromium or its driver is not installed."""
    from browser import ARTIFACTS, Browser

    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    chromium = Browser(tmp_path / "chromium-profile", ARTIFACTS / name)
    yield chromium
    chromium.quit()


@pytest.fixture
def csrf_token_in() -> Callable[[str], str]:
    """Reads the CSRF token out of a page of the notes example."""

    def find(html: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, "no CSRF token in the page"
        return match.group(1)

    return find


WSGIResult = tuple[int, list[tuple[str, str]], bytes]


@pytest.fixture
def run_wsgi() -> Callable[..., WSGIResult]:
    """Calls a WSGI app with a raw environ, as a server would, in a thread:
    a request that hangs fails the test after ``timeout`` seconds."""

    def run(
        app: Callable[..., Any], environ: dict[str, Any], timeout: float = 10
    ) -> WSGIResult:
        result: list[WSGIResult] = []
        errors: list[BaseException] = []

        def target() -> None:
            statuses: list[tuple[str, list[tuple[str, str]]]] = []
            try:
                body_iter = app(environ, lambda s, h, e=None: statuses.append((s, h)))
                try:
                    body = b"".join(body_iter)
                finally:
                    getattr(body_iter, "close", lambda: None)()
                status, headers = statuses[0]
                result.append((int(status.split()[0]), headers, body))
            except BaseException as e:
                errors.append(e)

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(timeout)
        assert not thread.is_alive(), f"the request hung for {timeout} seconds"
        if errors:
            raise errors[0]
        return result[0]

    return run
