"""WebSockets in process: refusing the handshake, the implicit accept of
concurrent tasks, background tasks, cancellation, what send() takes. (The
basics are in test_asgi.py, real servers in test_servers.py.)"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from kolba import Flask, WebSocketDisconnect, abort, session, websocket
from kolba.sessions import SecureCookieSessionInterface
from kolba.testing import WebSocketClosed, WebSocketRefused


def ws_scope(path: str = "/ws", **extra: Any) -> dict[str, Any]:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "ws",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
        "subprotocols": [],
        **extra,
    }


async def serve(
    app: Flask, scope: dict[str, Any], inbox: asyncio.Queue[dict[str, Any]]
) -> tuple[asyncio.Task[None], list[dict[str, Any]]]:
    """The app serving ``scope`` in a task: the server's messages come from
    ``inbox``; what the app sends is in the list."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return asyncio.ensure_future(app(scope, inbox.get, send)), sent


def record_teardown(app: Flask) -> list[str]:
    events: list[str] = []

    @app.after_websocket
    def after() -> None:
        events.append("after_websocket")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {exc!r}")

    return events


def test_a_before_websocket_return_value_refuses_the_handshake(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """As a before_request function's value ends the request: the view does
    not run, the value is the HTTP answer, nothing is logged as an error."""
    events = record_teardown(app)

    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return "in"

    @app.before_websocket
    def require_login() -> Any:
        if "user" not in session:
            return "login required", 401, {"WWW-Authenticate": "Cookie"}
        return None

    @app.websocket("/ws")
    async def feed() -> None:
        events.append("view")
        await websocket.send("secret")

    client = app.test_client()
    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused) as refused:
        with client.websocket("/ws"):
            pass
    response = refused.value.response
    assert (response.status_code, response.get_data()) == (401, b"login required")
    assert response.headers["WWW-Authenticate"] == "Cookie"
    assert events == ["after_websocket", "teardown None"]
    assert caplog.records == []
    client.get("/login")
    with client.websocket("/ws") as ws:
        assert ws.receive() == "secret"


def test_abort_in_a_before_websocket_hook_is_the_http_answer(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """abort(401) answers 401 (through the app's error handler), not 403,
    and is not logged as an error."""

    @app.before_websocket
    def deny() -> None:
        abort(401)

    @app.errorhandler(401)
    def unauthorized(e: Exception) -> tuple[str, int]:
        return "who are you?", 401

    @app.websocket("/ws")
    async def feed() -> None:
        raise AssertionError("the view ran")

    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket("/ws"):
            pass
    assert refused.value.response.status_code == 401
    assert refused.value.response.get_data() == b"who are you?"
    assert caplog.records == []


@pytest.mark.parametrize("how", ["return", "abort"])
def test_a_refusal_closes_where_the_server_takes_no_http_answer(
    app: Flask, how: str
) -> None:
    """A server without the websocket.http.response extension gets a close
    before the accept (it answers 403)."""

    @app.before_websocket
    def deny() -> Any:
        if how == "abort":
            abort(401)
        return "no", 401

    @app.websocket("/ws")
    async def feed() -> None:
        raise AssertionError("the view ran")

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        task, sent = await serve(app, ws_scope(), inbox)
        await asyncio.wait_for(task, 5)
        return sent

    assert asyncio.run(main()) == [
        {"type": "websocket.close", "code": 1008, "reason": ""}
    ]


def test_abort_after_the_accept_closes_with_1008(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def feed() -> None:
        await websocket.send("hi")
        abort(403)

    with caplog.at_level(logging.ERROR), app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "hi"
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1008
    assert caplog.records == []


@pytest.mark.parametrize("writer_first", [False, True])
def test_tasks_that_send_and_receive_at_once_accept_once(
    app: Flask, writer_first: bool
) -> None:
    """A reader and a writer task, no explicit accept: one accept, and the
    client's first message reaches the reader."""

    @app.websocket("/ws")
    async def echo() -> None:
        queue: asyncio.Queue[str | bytes] = asyncio.Queue()

        async def reader() -> None:
            while True:
                await queue.put(await websocket.receive())

        async def writer() -> None:
            await websocket.send("hello")
            while True:
                await websocket.send(f"echo: {await queue.get()!s}")

        tasks = [writer(), reader()] if writer_first else [reader(), writer()]
        await asyncio.gather(*tasks)

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "hello"
        ws.send("first")
        ws.send("second")
        assert ws.receive() == "echo: first"
        assert ws.receive() == "echo: second"


def test_a_background_task_runs_once_the_websocket_has_ended(app: Flask) -> None:
    events = record_teardown(app)
    done = threading.Event()

    def job(name: str) -> None:
        events.append(f"job {name}")
        if name == "view":
            done.set()

    @app.before_websocket
    def hook() -> None:
        app.add_background_task(job, "hook")

    @app.websocket("/ws")
    async def ws_view() -> None:
        app.add_background_task(job, await websocket.receive())
        await websocket.send("queued")
        events.append("view sent")

    with app.test_client().websocket("/ws") as ws:
        ws.send("view")
        assert ws.receive() == "queued"
    assert done.wait(5)
    assert events[:3] == ["view sent", "after_websocket", "teardown None"]
    assert sorted(events[3:]) == ["job hook", "job view"]


def test_a_cancelled_websocket_is_torn_down_once(app: Flask) -> None:
    """The server cancels the task (its shutdown): after_websocket and
    teardown run once, the client is told 1001, the cancel goes on."""
    events = record_teardown(app)

    @app.websocket("/ws")
    async def ws_view() -> None:
        while True:
            await websocket.receive()

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        task, sent = await serve(app, ws_scope(), inbox)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return sent

    sent = asyncio.run(main())
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    assert sent[1]["code"] == 1001
    assert events == ["after_websocket", "teardown CancelledError()"]


@pytest.mark.parametrize("data", [5, None, ["x"]])
def test_send_takes_str_or_bytes(app: Flask, data: Any) -> None:
    @app.websocket("/ws")
    async def ws_view() -> None:
        try:
            await websocket.send(data)
        except TypeError as e:
            await websocket.send(str(e))

    with app.test_client().websocket("/ws") as ws:
        message = ws.receive()
    assert message == (
        "websocket.send() sends str (a text message) or bytes (a binary one),"
        f" not {type(data).__name__}."
    )


def test_the_client_leaving_ends_a_view_that_does_not_receive(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A view that only sends (and waits) is cancelled when the client
    leaves, as a server that drops its sends would never tell it; teardown
    runs once, nothing is logged as an error."""
    events = record_teardown(app)

    @app.websocket("/ws")
    async def push() -> None:
        try:
            await websocket.send("ready")
            await asyncio.sleep(3600)
        finally:
            events.append("view ended")

    with caplog.at_level(logging.ERROR), app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "ready"
    assert events == ["view ended", "after_websocket", "teardown None"]
    assert caplog.records == []


def test_messages_read_while_the_view_is_busy_reach_receive_in_order(
    app: Flask,
) -> None:
    @app.websocket("/ws")
    async def later() -> None:
        await websocket.send("ready")
        await asyncio.sleep(0.2)  # the client's messages arrive meanwhile
        got = [await websocket.receive() for _ in range(3)]
        await websocket.send(" ".join(map(str, got)))

    with app.test_client().websocket("/ws") as ws:
        assert ws.receive() == "ready"
        for message in ("a", "b", "c"):
            ws.send(message)
        assert ws.receive() == "a b c"


def test_after_the_client_left_send_and_receive_raise_websocket_disconnect(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A server whose send fails once the client has gone (uvicorn raises
    its ClientDisconnected, an OSError): the view gets WebSocketDisconnect,
    and so does each later send() or receive() after a disconnect."""
    seen: list[str] = []

    @app.websocket("/ws")
    async def ws_view() -> None:
        for call in (websocket.send("x"), websocket.receive(), websocket.send("y")):
            try:
                await call
            except WebSocketDisconnect as e:
                seen.append(f"{e.code}")

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                inbox.put_nowait({"type": "websocket.disconnect", "code": 1001})
                raise OSError("the client is gone")
            sent.append(message)

        await asyncio.wait_for(app(ws_scope(), inbox.get, send), 5)
        return sent

    with caplog.at_level(logging.ERROR):
        sent = asyncio.run(main())
    assert seen == ["1006", "1001", "1001"]
    assert [m["type"] for m in sent] == ["websocket.accept"]  # no close to a gone one
    assert caplog.records == []


def test_a_view_that_reads_nothing_holds_the_client_back(app: Flask) -> None:
    """The watcher reads a bounded number of messages ahead of the view."""

    @app.websocket("/ws")
    async def deaf() -> None:
        await websocket.accept()
        await asyncio.sleep(3600)

    async def main() -> int:
        reads = 0

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            if reads == 1:
                return {"type": "websocket.connect"}
            return {"type": "websocket.receive", "text": "spam"}

        async def send(message: dict[str, Any]) -> None:
            pass

        task = asyncio.ensure_future(app(ws_scope(), receive, send))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return reads

    assert asyncio.run(main()) == 1 + 32


def test_the_read_ahead_of_big_messages_is_bounded_in_bytes(app: Flask) -> None:
    """Big messages are read ahead up to 1 MiB (the message that reaches it
    included), not 32 of them; the view then gets them all, in order, and
    each message it takes lets the watcher read on."""
    big = 300_000
    got: list[int] = []
    go = asyncio.Event()

    @app.websocket("/ws")
    async def busy() -> None:
        await websocket.accept()
        await go.wait()
        for _ in range(10):
            got.append((await websocket.receive())[0])

    async def main() -> int:
        reads: list[int] = []

        async def receive() -> dict[str, Any]:
            reads.append(len(reads))
            if len(reads) == 1:
                return {"type": "websocket.connect"}
            if len(reads) > 11:
                await asyncio.sleep(3600)
            return {"type": "websocket.receive", "bytes": bytes([len(reads)]) * big}

        async def send(message: dict[str, Any]) -> None:
            pass

        task = asyncio.ensure_future(app(ws_scope(), receive, send))
        await asyncio.sleep(0.1)
        ahead = len(reads) - 1
        go.set()
        await asyncio.wait_for(task, 5)
        return ahead

    assert asyncio.run(main()) == 4  # 4 * 300 kB is past 1 MiB: no 5th
    assert got == list(range(2, 12))


def test_one_message_past_the_byte_bound_still_lets_the_leaving_be_seen(
    app: Flask,
) -> None:
    # A view that does not receive is cancelled when the client leaves, even
    # after one message as large as the whole read-ahead.
    events = record_teardown(app)

    @app.websocket("/ws")
    async def deaf() -> None:
        await websocket.accept()
        try:
            await asyncio.sleep(3600)
        finally:
            events.append("view ended")

    async def main() -> None:
        messages = [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "bytes": b"x" * (2 << 20)},
            {"type": "websocket.disconnect", "code": 1001},
        ]

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await asyncio.sleep(3600)
            raise AssertionError("read past the disconnect")

        async def send(message: dict[str, Any]) -> None:
            pass

        await asyncio.wait_for(app(ws_scope(), receive, send), 5)

    asyncio.run(main())
    assert events == ["view ended", "after_websocket", "teardown None"]


@pytest.mark.parametrize("accept", [True, False])
def test_send_after_close_raises_the_apps_own_runtime_error(
    app: Flask, accept: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Not whatever the server does with a send after a close (uvicorn
    raised a RuntimeError of its own, hypercorn its UnexpectedMessageError,
    granian dropped it): kolba's, and nothing is sent."""
    errors: list[str] = []

    @app.websocket("/ws")
    async def closing() -> None:
        if accept:
            await websocket.accept()
        await websocket.close(4000)
        for data in ("x", b"y"):
            try:
                await websocket.send(data)
            except RuntimeError as e:
                errors.append(str(e))

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        task, sent = await serve(app, ws_scope(), inbox)
        await asyncio.wait_for(task, 5)
        return sent

    with caplog.at_level(logging.ERROR):
        sent = asyncio.run(main())
    assert errors == [
        "websocket.send() after websocket.close(): the WebSocket is closed."
    ] * 2
    close = {"type": "websocket.close", "code": 4000, "reason": ""}
    assert sent == ([{"type": "websocket.accept"}] if accept else []) + [close]
    assert caplog.records == []


@pytest.mark.parametrize("websocket_first", [True, False])
def test_a_url_of_a_websocket_and_an_http_rule_serves_each_kind(
    app: Flask, websocket_first: bool
) -> None:
    """As werkzeug's matcher (Flask): a WebSocket request takes only the
    WebSocket rules, plain HTTP only the others, whichever came first."""

    async def feed() -> None:
        await websocket.send("socket")

    def page() -> str:
        return "page"

    if websocket_first:
        app.websocket("/chat")(feed)
    app.route("/chat")(page)
    if not websocket_first:
        app.websocket("/chat")(feed)
    client = app.test_client()
    assert client.get("/chat").data == b"page"
    with client.websocket("/chat") as ws:
        assert ws.receive() == "socket"


def test_plain_http_goes_on_to_a_later_rule_past_a_websocket_one(app: Flask) -> None:
    """werkzeug's matcher passes over a rule of the other kind and goes on
    searching: /<name> answers HTTP on /ws; a WebSocket still gets /ws."""

    @app.websocket("/ws")
    async def feed() -> None:
        await websocket.send("socket")

    @app.route("/<name>")
    def page(name: str) -> str:
        return f"page {name}"

    client = app.test_client()
    assert client.get("/ws").data == b"page ws"
    with client.websocket("/ws") as ws:
        assert ws.receive() == "socket"


def test_a_websocket_on_an_http_rule_is_refused(app: Flask) -> None:
    """Only WebSocket rules take a WebSocket (werkzeug: a mismatch)."""

    @app.route("/page")
    def page() -> str:
        return "page"

    with pytest.raises((WebSocketRefused, WebSocketClosed)):
        with app.test_client().websocket("/page"):
            pass


# -- the Origin of a browser's handshake (cross-site WebSocket hijacking) ------


def origin_app(app: Flask, events: list[str]) -> Flask:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return "in"

    @app.websocket("/ws")
    async def feed() -> None:
        events.append("view")
        await websocket.send(f"hello {session.get('user')}")

    return app


@pytest.mark.parametrize(
    ("base", "origin", "headers"),
    [
        ("http://localhost", None, {}),  # no browser: no Origin
        ("http://localhost", "http://localhost", {}),
        ("http://localhost", "http://LOCALHOST:80", {}),
        ("http://LocalHost:80", "http://localhost", {}),
        ("https://localhost", "https://localhost", {}),
        ("https://localhost", "https://localhost:443", {}),
        ("http://localhost:8080", "http://localhost:8080", {}),
        ("http://[::1]:8080", "http://[::1]:8080", {}),
        # a name werkzeug's request.host refuses (a Docker service's)
        ("http://my_app:8000", "http://my_app:8000", {}),
        # behind a proxy that ends TLS and says so (a page's script cannot
        # set these headers on a handshake)
        ("http://localhost", "https://localhost", {"X-Forwarded-Proto": "https"}),
        (
            "http://127.0.0.1:8000",
            "https://chat.example",
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example"},
        ),
    ],
)
def test_a_handshake_from_the_apps_own_origin_or_none_is_accepted(
    app: Flask, base: str, origin: str | None, headers: dict[str, str]
) -> None:
    events: list[str] = []
    client = origin_app(app, events).test_client()
    client.get("/login", base_url=base)
    if origin is not None:
        headers = {**headers, "Origin": origin}
    with client.websocket("/ws", base_url=base, headers=headers) as ws:
        assert ws.receive() == "hello ann"
    assert events == ["view"]


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        ("http://localhost", "https://attacker.example"),
        ("http://localhost", "http://localhost.attacker.example"),
        ("http://localhost", "http://localhost:8080"),
        ("http://localhost:8080", "http://localhost"),
        ("http://localhost", "null"),  # a sandboxed frame, a file
        ("http://localhost", "localhost"),
        ("http://localhost", "ftp://localhost"),
        # another scheme is another origin: a plain-HTTP page (which a network
        # attacker may write) opening the site's wss:// socket, and the reverse
        ("https://localhost", "http://localhost"),
        ("http://localhost", "https://localhost"),
        ("https://localhost", "https://localhost:80"),
    ],
)
def test_a_handshake_from_another_origin_is_refused_with_403(
    app: Flask, base: str, origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A page of another site opening the app's WebSocket would ride on the
    user's cookies: refused before the session is read or the view runs."""
    events: list[str] = []
    client = origin_app(app, events).test_client()
    client.get("/login", base_url=base)
    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused) as refused:
        with client.websocket("/ws", base_url=base, headers={"Origin": origin}):
            pass
    response = refused.value.response
    assert response.status_code == 403
    assert "WEBSOCKET_ALLOWED_ORIGINS" in response.get_data(as_text=True)
    assert events == []
    assert caplog.records == []


@pytest.mark.parametrize(
    ("setting", "accepted", "refused"),
    [
        (["https://app.example"], ["https://app.example"], ["https://app.example.co"]),
        # as a browser sends them: lowercase, no default port, no path
        (["https://APP.example:443/"], ["https://app.example"], ["http://app.example"]),
        # a str, as an environment variable gives it: origins, never a substring
        (
            "https://a.example, https://b.example:8443",
            ["https://a.example", "https://b.example:8443"],
            ["https://a.exampl", "https://b.example", "https://c"],
        ),
        ("https://a.example https://*.b.example", [], ["https://evil.example"]),
        (["*"], ["https://other.example", "null"], []),
        ("*", ["https://other.example"], []),
    ],
)
def test_allowed_origins_are_configured(
    app: Flask, setting: Any, accepted: list[str], refused: list[str]
) -> None:
    events: list[str] = []
    client = origin_app(app, events).test_client()
    app.config["WEBSOCKET_ALLOWED_ORIGINS"] = setting
    for origin in accepted:
        with client.websocket("/ws", headers={"Origin": origin}) as ws:
            assert ws.receive() == "hello None"
    for origin in refused:
        with pytest.raises(WebSocketRefused) as no:
            with client.websocket("/ws", headers={"Origin": origin}):
                pass
        assert no.value.response.status_code == 403
    assert events == ["view"] * len(accepted)


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        (["app.example"], "holds 'app.example', which is no origin"),
        (["https://app.example/chat"], "holds 'https://app.example/chat'"),
        (1, "is 1: make it a list of origins"),
        (True, "is True: make it a list of origins"),
    ],
)
@pytest.mark.parametrize("origin", [None, "https://app.example"])
def test_a_setting_that_is_no_origin_says_so(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    setting: Any,
    says: str,
    origin: str | None,
) -> None:
    """At every handshake, with an Origin or not: a bad setting shows at once."""
    client = origin_app(app, []).test_client()
    app.config["WEBSOCKET_ALLOWED_ORIGINS"] = setting
    headers = {} if origin is None else {"Origin": origin}
    with pytest.raises(ValueError, match=f"WEBSOCKET_ALLOWED_ORIGINS {says}"):
        with client.websocket("/ws", headers=headers):  # (testing: raised)
            pass
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)
    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused):
        with client.websocket("/ws", headers=headers):
            pass
    assert f"WEBSOCKET_ALLOWED_ORIGINS {says}" in caplog.text


def test_an_origin_refusal_goes_through_the_apps_403_handler(app: Flask) -> None:
    origin_app(app, [])

    @app.errorhandler(403)
    def forbidden(e: Exception) -> tuple[dict[str, str], int]:
        return {"error": "origin"}, 403

    client = app.test_client()
    with pytest.raises(WebSocketRefused) as refused:
        with client.websocket("/ws", headers={"Origin": "https://x.example"}):
            pass
    assert refused.value.response.get_json() == {"error": "origin"}


def test_a_refused_handshake_opens_no_session(app: Flask) -> None:
    """Not even one of a session interface that Flask's push would open."""
    opened: list[str] = []

    class Interface(SecureCookieSessionInterface):
        def open_session(self, app: Flask, request: Any) -> Any:
            opened.append(request.path)
            return super().open_session(app, request)

    app.session_interface = Interface()
    client = origin_app(app, []).test_client()
    with pytest.raises(WebSocketRefused):
        with client.websocket("/ws", headers={"Origin": "https://x.example"}):
            pass
    assert opened == []
    with client.websocket("/ws", headers={"Origin": "http://localhost"}) as ws:
        assert ws.receive() == "hello None"
    assert opened == ["/ws"]
