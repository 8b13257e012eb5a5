"""The usual request under ASGI (an ``async def`` view, no hooks, no session
cookie, called as a server calls the app) is served by lines of its own in
the driver: what it leaves to the general cycle (an error, a teardown
function, a receiver, a response that is not a str) is finished as before."""

from __future__ import annotations

import asyncio
import gc
import sys
import typing as t
import weakref

import pytest

from kolba import (
    Flask,
    after_this_request,
    appcontext_popped,
    has_request_context,
    request,
    request_started,
)


def server_scope(path: str, method: str = "GET") -> dict[str, t.Any]:
    """An HTTP scope with every item a server such as uvicorn gives."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


def serve(
    app: Flask, path: str, method: str = "GET"
) -> tuple[list[dict[str, t.Any]], list[t.Any]]:
    """Call the app as a server does; its messages, and the request context's
    presence at each send."""
    scope = server_scope(path, method)
    messages: list[dict[str, t.Any]] = []
    during: list[t.Any] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        messages.append(message)
        during.append(has_request_context())

    async def main() -> None:
        for _ in range(3):  # (the app decides as it starts serving)
            messages.clear()
            during.clear()
            await app(scope, receive, send)

    asyncio.run(main())
    return messages, during


def body(messages: list[dict[str, t.Any]]) -> tuple[int, dict[bytes, bytes], bytes]:
    start, end = messages
    return start["status"], dict(start["headers"]), end.get("body", b"")


def test_plain_str_sent_with_the_context_pushed() -> None:
    app = Flask(__name__)

    @app.route("/user/<int:id>")
    async def user(id: int) -> str:
        return f"user {id}"

    messages, during = serve(app, "/user/42")
    assert body(messages) == (
        200,
        {b"content-type": b"text/html; charset=utf-8", b"content-length": b"7"},
        b"user 42",
    )
    assert during == [True, True]
    assert not has_request_context()


def test_head_sends_no_body() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def hello() -> str:
        return "Hello"

    messages, _ = serve(app, "/", "HEAD")
    assert body(messages)[1][b"content-length"] == b"5"
    assert body(messages)[2] == b""


def test_error_in_the_view_reaches_its_handler_and_teardown() -> None:
    app = Flask(__name__)
    torn: list[t.Any] = []

    @app.route("/")
    async def hello() -> str:
        raise KeyError("x")

    @app.errorhandler(KeyError)
    def handled(e: KeyError) -> tuple[str, int]:
        return "handled", 409

    messages, _ = serve(app, "/")
    assert body(messages)[0] == 409
    assert body(messages)[2] == b"handled"

    app2 = Flask(__name__)

    @app2.route("/")
    async def unhandled() -> str:
        raise ValueError("boom")

    app2.teardown_request(torn.append)
    messages, _ = serve(app2, "/")
    assert body(messages)[0] == 500
    assert [type(e) for e in torn] == [ValueError] * 3


def test_cancelled_view_is_torn_down_with_its_error() -> None:
    app = Flask(__name__)
    torn: list[t.Any] = []
    app.teardown_appcontext(torn.append)

    @app.route("/")
    async def hello() -> str:
        raise asyncio.CancelledError()

    with pytest.raises(asyncio.CancelledError):
        serve(app, "/")
    assert [type(e) for e in torn] == [asyncio.CancelledError]
    assert not has_request_context()


def test_teardown_function_runs_after_a_plain_str() -> None:
    app = Flask(__name__)
    seen: list[t.Any] = []

    @app.teardown_appcontext
    def teardown(e: BaseException | None) -> None:
        seen.append((e, has_request_context()))

    @app.route("/")
    async def hello() -> str:
        return "Hello"

    messages, during = serve(app, "/")
    assert body(messages)[2] == b"Hello"
    assert during == [True, True]
    assert seen == [(None, False)] * 3  # (the request context popped first)


def test_receiver_that_replaces_the_view_args() -> None:
    app = Flask(__name__)

    def started(sender: Flask, **kwargs: t.Any) -> None:
        request.view_args = {"id": 7}

    @app.route("/user/<int:id>")
    async def user(id: int) -> str:
        return f"user {id}"

    popped: list[Flask] = []
    with (
        request_started.connected_to(started, app),
        appcontext_popped.connected_to(popped.append, app),
    ):
        messages, _ = serve(app, "/user/42")
    assert body(messages)[2] == b"user 7"
    assert popped == [app] * 3


def test_after_this_request_and_non_str_returns() -> None:
    app = Flask(__name__)

    @app.route("/after")
    async def after() -> str:
        @after_this_request
        def add(response: t.Any) -> t.Any:
            response.headers["X-After"] = "1"
            return response

        return "after"

    @app.route("/json")
    async def json() -> dict[str, int]:
        return {"a": 1}

    messages, _ = serve(app, "/after")
    assert body(messages)[1][b"x-after"] == b"1"
    messages, _ = serve(app, "/json")
    assert body(messages)[1][b"content-type"] == b"application/json"
    assert body(messages)[2] == b'{"a":1}\n'


def test_options_answered_for_the_rule() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def hello() -> str:
        return "Hello"

    messages, _ = serve(app, "/", "OPTIONS")
    status, headers, _ = body(messages)
    assert status == 200
    assert set(headers[b"allow"].decode().split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_an_error_handler_runs_while_the_views_error_is_handled() -> None:
    """As in Flask: the handler sees the error in sys.exc_info() (a log with
    its traceback), a bare ``raise`` re-raises it (to the 500 handler, as
    its original_exception), and the error is freed with the request."""
    app = Flask(__name__)
    seen: list[t.Any] = []

    class Boom(Exception):
        pass

    @app.get("/")
    async def index() -> str:
        raise ValueError("boom")

    @app.get("/again")
    async def again() -> str:
        raise KeyError("k")

    @app.get("/kept")
    async def kept() -> str:
        raise Boom()

    @app.errorhandler(ValueError)
    def value_error(e: ValueError) -> tuple[str, int]:
        seen.append(sys.exc_info()[1])
        return "handled", 400

    @app.errorhandler(KeyError)
    def key_error(e: KeyError) -> str:
        raise

    @app.errorhandler(Boom)
    def boom(e: Boom) -> tuple[str, int]:
        seen.append(weakref.ref(e))
        return "boom", 400

    @app.errorhandler(500)
    def internal(e: t.Any) -> tuple[str, int]:
        return repr(e.original_exception), 500

    messages, _ = serve(app, "/")
    assert (messages[0]["status"], messages[1]["body"]) == (400, b"handled")
    assert all(isinstance(error, ValueError) for error in seen)
    messages, _ = serve(app, "/again")
    assert (messages[0]["status"], messages[1]["body"]) == (500, b"KeyError('k')")
    seen.clear()
    gc.disable()
    try:
        serve(app, "/kept")
        assert [ref() for ref in seen] == [None] * 3  # (no cycle kept them)
    finally:
        gc.enable()
