"""Under an ASGI server, a wrapped or overridden ``app.wsgi_app`` serves the
HTTP requests through WSGI, in a thread (kolba.asgi.serve_wsgi): what an ASGI
server sees of it, in process and under uvicorn. tests/test_middleware.py has
the same middleware over both drivers of the test client."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
import typing as t
from pathlib import Path

import httpx
import pytest
from browser import free_port, running_server
from test_middleware import Tagging
from werkzeug.middleware.proxy_fix import ProxyFix

from kolba import Flask, request
from kolba.testing import ASGIClient

APPS = Path(__file__).resolve().parent / "server_apps"


def test_asgi_middleware_on_asgi_app_sees_the_request_first(app: Flask) -> None:
    """ASGI middleware wraps asgi_app, around the WSGI middleware (and is all
    that an ASGI server runs of it for a WebSocket)."""
    app.add_url_rule("/", "index", lambda: request.headers.get("X-Order", ""))
    app.wsgi_app = Tagging(app.wsgi_app)  # type: ignore[method-assign]
    inner = app.asgi_app

    async def asgi_middleware(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "headers": [*scope["headers"], (b"x-order", b"asgi")]}
        await inner(scope, receive, send)

    app.asgi_app = asgi_middleware  # type: ignore[method-assign]
    response = ASGIClient(app).get("/")
    assert (response.text, response.headers["X-Middleware"]) == ("asgi", "yes")


def http_scope(method: str = "GET", **headers: str) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/a b",
        "raw_path": b"/a%20b",
        "root_path": "",
        "query_string": b"q=1",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
    }


def test_untouched_wsgi_app_takes_the_native_path(app: Flask) -> None:
    assert app._direct_asgi and app._direct_wsgi
    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    assert not app._direct_asgi and not app._direct_wsgi


def test_the_body_is_received_before_the_middleware_runs(app: Flask) -> None:
    """As a sync view's (so that no thread of the pool waits for a slow
    client): a middleware that reads 10 bytes of a three-message body had
    them all received; the environ is a WSGI server's, with REQUEST_URI."""
    received: list[int] = []
    got: dict[str, t.Any] = {}

    def middleware(environ: t.Any, start_response: t.Any) -> list[bytes]:
        got["received"] = len(received)
        got["head"] = environ["wsgi.input"].read(10)
        got["uri"] = (environ["REQUEST_URI"], environ["RAW_URI"])
        got["path"] = (environ["PATH_INFO"], environ["QUERY_STRING"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read ", str(len(got["head"])).encode()]

    app.wsgi_app = middleware  # type: ignore[method-assign]
    messages: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        received.append(1)
        more = len(received) < 3
        return {"type": "http.request", "body": b"z" * 65536, "more_body": more}

    async def send(message: dict[str, t.Any]) -> None:
        messages.append(message)

    scope = http_scope("POST", **{"content-length": str(3 * 65536)})
    asyncio.run(app(scope, receive, send))
    assert got == {
        "received": 3,
        "head": b"z" * 10,
        "uri": ("/a%20b?q=1",) * 2,
        "path": ("/a b", "q=1"),
    }
    assert [m["type"] for m in messages] == [
        "http.response.start",
        "http.response.body",
    ]
    assert (messages[0]["status"], messages[1]["body"]) == (200, b"read 10")
    assert not messages[1]["more_body"]


def test_a_client_that_goes_away_stops_the_stream(app: Flask) -> None:
    """A WSGI response that never ends: the client's disconnect stops it at
    its next chunk, and close() is called (a WSGI generator's finally runs)."""
    events: list[str] = []

    def endless(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("200 OK", [])
        try:
            while True:
                yield b"tick"
                time.sleep(0.01)
        finally:
            events.append("closed")

    app.wsgi_app = endless  # type: ignore[method-assign]
    chunks: list[bytes] = []

    async def run() -> None:
        gone = asyncio.Event()

        async def receive() -> dict[str, t.Any]:
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, t.Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message["body"])
                if len(chunks) == 3:
                    gone.set()

        await asyncio.wait_for(app(http_scope(), receive, send), 5)

    asyncio.run(run())
    assert events == ["closed"]
    assert 3 <= len(chunks) <= 4


def test_under_uvicorn(tmp_path: Path) -> None:
    """tests/server_apps/wrapped.py under a real uvicorn: the middleware
    answers, a large body goes through, a client that goes away stops an
    endless WSGI response (closed), an error in the middleware is a 500."""
    port = free_port()
    events = tmp_path / "events.txt"
    env = {**os.environ, "KOLBA_TEST_EVENTS": str(events), "PYTHONPATH": str(APPS)}
    command = [
        str(Path(sys.executable).parent / "uvicorn"), "wrapped:app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with running_server(command, APPS, env, port, tmp_path / "uvicorn.log") as url:
        with httpx.Client(base_url=url) as client:
            forwarded = {
                "X-Forwarded-For": "203.0.113.9",
                "X-Forwarded-Host": "pub.example",
            }
            response = client.get(
                "/who", headers={**forwarded, "X-Forwarded-Proto": "https"}
            )
            assert response.text == "203.0.113.9 https://pub.example/who"
            assert client.get("/sub/x").text == "sub /sub"
            shared = client.get("/shared/wrapped.py")
            assert shared.status_code == 200
            assert shared.content == (APPS / "wrapped.py").read_bytes()
            body = b"b" * 1_000_000
            assert client.post("/echo", content=body).json() == {"size": 1_000_000}
            assert client.get("/broken").status_code == 500
            assert client.get("/who").status_code == 200  # still serving
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while "endless closed" not in (events.read_text() if events.exists() else ""):
            assert time.monotonic() < deadline, "the endless response went on"
            time.sleep(0.05)
    assert "LookupError: broken middleware" in (tmp_path / "uvicorn.log").read_text()


def test_behind_wsgi_middleware_an_async_view_runs_on_the_servers_loop(
    app: Flask,
) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    @app.route("/")
    async def index() -> str:
        loops.append(asyncio.get_running_loop())
        return "async"

    app.wsgi_app = ProxyFix(app.wsgi_app)  # type: ignore[method-assign]
    inner = app.asgi_app

    async def server_loop(scope: t.Any, receive: t.Any, send: t.Any) -> None:
        loops.append(asyncio.get_running_loop())
        await inner(scope, receive, send)

    app.asgi_app = server_loop  # type: ignore[method-assign]
    assert ASGIClient(app).get("/").text == "async"
    assert loops[0] is loops[1]


def test_a_receive_that_never_waits_does_not_block_the_loop(app: Flask) -> None:
    """A receive() that answers at once every time (as some benchmark
    harnesses' do) is not asked in a loop for a disconnect: the response
    ends."""

    def chunked(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
        start_response("200 OK", [])
        yield from (b"a", b"b", b"c")

    app.wsgi_app = chunked  # type: ignore[method-assign]
    bodies: list[bytes] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, t.Any]) -> None:
        bodies.append(message.get("body", b""))

    async def run() -> None:
        await asyncio.wait_for(app(http_scope(), receive, send), 5)

    asyncio.run(run())
    assert b"".join(bodies) == b"abc"


def test_werkzeugs_debugger_on_wsgi_app_shows_an_async_views_error_under_asgi(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's way to the interactive debugger under an ASGI server:
    DebuggedApplication around app.wsgi_app gets an async view's error (debug
    mode propagates it) and answers its traceback page."""
    from werkzeug.debug import DebuggedApplication

    app.debug = True
    app.wsgi_app = DebuggedApplication(app.wsgi_app, evalex=True)  # type: ignore[method-assign]

    @app.route("/")
    async def index() -> str:
        raise ValueError("boom in an async view")

    response = ASGIClient(app).get("/")
    assert response.status_code == 500
    assert "Werkzeug Debugger" in response.text
    assert "ValueError: boom in an async view" in response.text
    assert "ValueError: boom in an async view" in capsys.readouterr().err


def test_proxy_headers_middleware_on_asgi_app_fixes_http_and_websockets(
    app: Flask,
) -> None:
    """docs/deployment.md's way behind a proxy under granian or hypercorn:
    uvicorn's ProxyHeadersMiddleware on app.asgi_app gives HTTP requests and
    WebSockets alike the client's scheme and address."""
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from kolba import url_for, websocket

    app.config["TRUSTED_HOSTS"] = ["localhost"]
    app.asgi_app = ProxyHeadersMiddleware(app.asgi_app, trusted_hosts="*")  # type: ignore[method-assign]

    def seen(where: t.Any) -> str:
        return f"{where.scheme} {where.remote_addr} {url_for('ws', _external=True)}"

    app.add_url_rule("/", "index", lambda: seen(request))

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send(seen(websocket))

    client = ASGIClient(app)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/", headers=forwarded).text == (
        "https 203.0.113.9 wss://localhost/ws"
    )
    with client.websocket("/ws", headers=forwarded) as socket:
        assert socket.receive() == "wss 203.0.113.9 wss://localhost/ws"
