"""Deployment: the notes example served by gunicorn (two worker processes)
over real HTTP on 127.0.0.1, directly and behind a proxy (ProxyFix)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is in the 'test' extra")

SRC = Path(__file__).resolve().parent.parent / "src"
START_TIMEOUT = 30.0
PASSWORD = "correct horse"

Reply = tuple[int, Any, str]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited with {proc.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not listen within {START_TIMEOUT}s:\n{log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn's master and workers: its whole process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@pytest.fixture
def gunicorn(notes_dir: Path, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start ``gunicorn -w 2 wsgi:app`` in examples/notes with a fresh instance
    folder; returns the base URL. Stopped at the end of the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NOTES_", "KOLBA_"))
        }
        environ.update(
            NOTES_INSTANCE_PATH=str(tmp_path / f"instance-{port}"),
            PYTHONPATH=os.pathsep.join(
                filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
            ),
            **env,
        )
        log = tmp_path / f"gunicorn-{port}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{port}",
                    "wsgi:app",
                ],
                cwd=notes_dir,
                env=environ,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.append(proc)
        wait_until_serving(proc, port, log)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        stop(proc)


class Browser:
    """urllib with a cookie jar, no proxy, and 4xx answers returned, not raised."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(CookieJar()),
        )

    def request(
        self,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers, error.read().decode()

    def submit(
        self, page: str, action: str, fields: dict[str, str], find_token
    ) -> Reply:
        """Fill in the form on ``page`` (with its CSRF token) and post it."""
        token = find_token(self.request(page)[2])
        body = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        return self.request(action, body)

    def post_json(
        self, path: str, obj: Any, headers: dict[str, str] | None = None
    ) -> Reply:
        data = json.dumps(obj).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        status, head, text = self.request(path, data, all_headers)
        return status, head, json.loads(text)


def sign_up(browser: Browser, find_token) -> None:
    creds = {"username": "ann", "password": PASSWORD}
    status, _, page = browser.submit(
        "/auth/register", "/auth/register", creds, find_token
    )
    assert status == 200 and "Registered. Please log in." in page
    status, _, page = browser.submit("/auth/login", "/auth/login", creds, find_token)
    assert status == 200 and "Welcome, ann!" in page


def test_gunicorn_serves_pages_static_files_and_sessions(gunicorn, csrf_token_in):
    browser = Browser(gunicorn())
    status, _, page = browser.request("/")
    assert status == 200 and "<h1>Welcome</h1>" in page
    status, headers, css = browser.request("/static/style.css")
    assert status == 200
    assert headers.get_content_type() == "text/css"
    assert "nav" in css
    sign_up(browser, csrf_token_in)
    # several requests land on both workers: the session holds on each
    for _ in range(6):
        assert "<span>ann</span>" in browser.request("/")[2]
    assert browser.request("/no/such/page")[0] == 404


def test_gunicorn_serves_the_json_api(gunicorn, csrf_token_in):
    base = gunicorn()
    browser = Browser(base)
    status, _, body = browser.post_json("/api/notes", {"title": "x"})
    assert (status, body) == (
        401,
        {"error": "Log in first: HTTP Basic (curl -u) or a token."},
    )
    sign_up(browser, csrf_token_in)
    forwarded = {"X-Forwarded-Host": "evil.example"}
    status, headers, note = browser.post_json("/api/notes", {"title": "Hi"}, forwarded)
    assert status == 201
    assert headers["Location"] == f"/api/notes/{note['id']}"
    # no ProxyFix unless asked: a client's X-Forwarded-Host is ignored
    assert note["url"] == f"{base}/api/notes/{note['id']}"
    status, _, listing = browser.request("/api/notes")
    assert status == 200 and json.loads(listing) == [note]
    assert browser.post_json("/api/notes", ["not", "an", "object"])[0] == 400


def test_behind_a_proxy_external_urls_follow_x_forwarded(gunicorn, csrf_token_in):
    browser = Browser(gunicorn(NOTES_PROXY_FIX="1"))
    sign_up(browser, csrf_token_in)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "notes.example.org"}
    status, _, note = browser.post_json("/api/notes", {"title": "t"}, forwarded)
    assert status == 201
    assert note["url"] == f"https://notes.example.org/api/notes/{note['id']}"


def test_gunicorn_serves_an_unchanged_flask_app_through_a_compat_entry_module(
    tmp_path: Path,
) -> None:
    """The README's two-line entry module: with Flask installed, an app
    written `from flask import ...` is served by kolba under gunicorn."""
    (tmp_path / "myapp.py").write_text(
        "from flask import Flask, request\n"
        "app = Flask(__name__)\n"
        "@app.route('/')\n"
        "def index():\n"
        "    req = request._get_current_object()\n"
        "    return f'{type(app).__module__} {type(req).__module__}'\n"
    )
    (tmp_path / "serve.py").write_text(
        "import kolba.compat.flask  # before anything imports flask\n"
        "from myapp import app\n"
    )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    environ = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
        ),
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "serve:app"],
            cwd=tmp_path,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(proc, port, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.read().decode() == "kolba.app kolba.wrappers"
    finally:
        stop(proc)
