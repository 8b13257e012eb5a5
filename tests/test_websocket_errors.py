"""An error in a WebSocket view or hook goes through the app's error handling
as an HTTP request's does: its error handler, else ``got_request_exception``,
the log (once) and the 500 handler. Before the accept the answer is the
handshake's HTTP answer (a 500 for a crash, not the server's 403); after it,
the connection closes with 1011 (1008 for a client's 4xx, 1013 for a 503).
Compared with Quart 0.22, which does the same with its own signal."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from kolba import Blueprint, Flask, abort, got_request_exception, websocket
from kolba.testing import WebSocketClosed, WebSocketRefused


@pytest.fixture
def signalled(app: Flask) -> Any:
    seen: list[str] = []

    def receiver(sender: Flask, exception: BaseException, **kwargs: Any) -> None:
        seen.append(repr(exception))

    got_request_exception.connect(receiver, app)
    yield seen
    got_request_exception.disconnect(receiver, app)


@pytest.fixture
def torn(app: Flask) -> list[str]:
    seen: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(repr(exc))

    return seen


def errors_app(app: Flask) -> list[str]:
    handled: list[str] = []

    @app.errorhandler(ValueError)
    def value_error(e: ValueError) -> Any:
        handled.append(repr(e))
        return "handled", 418

    @app.websocket("/before")
    async def before() -> None:
        raise ValueError("before accept")

    @app.websocket("/after")
    async def after() -> None:
        await websocket.accept()
        raise ValueError("after accept")

    @app.websocket("/key")
    async def key() -> None:
        raise KeyError("k")

    @app.websocket("/key-after")
    async def key_after() -> None:
        await websocket.accept()
        raise KeyError("k after")

    return handled


def test_a_handled_error_before_the_accept_is_the_handlers_answer(
    app: Flask,
    signalled: list[str],
    torn: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled = errors_app(app)
    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket("/before"):
            pass
    response = refused.value.response
    assert (response.status_code, response.get_data()) == (418, b"handled")
    assert handled == ["ValueError('before accept')"]
    assert signalled == [] and caplog.records == []  # (a handler took it)
    assert torn == ["None"]


def test_a_handled_error_after_the_accept_closes_with_1011(
    app: Flask, signalled: list[str], torn: list[str]
) -> None:
    handled = errors_app(app)
    with app.test_client().websocket("/after") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert handled == ["ValueError('after accept')"]
    assert signalled == []
    assert torn == ["None"]


@pytest.mark.parametrize("path", ["/key", "/key-after"])
def test_an_unhandled_error_is_signalled_and_logged_once(
    app: Flask,
    signalled: list[str],
    torn: list[str],
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    """As an HTTP view's: got_request_exception (error trackers hook it),
    logged once; before the accept the client gets a 500 (the server's
    answer to a close would be a 403), after it a 1011. (Under a server: the
    test client raises the error in testing, see test_leftfix_ws_propagate.)"""
    errors_app(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR):
        if path == "/key":
            with pytest.raises(WebSocketRefused) as refused:
                with app.test_client().websocket(path):
                    pass
            assert refused.value.response.status_code == 500
            assert b"Internal Server Error" in refused.value.response.get_data()
        else:
            with app.test_client().websocket(path) as ws:
                with pytest.raises(WebSocketClosed) as closed:
                    ws.receive()
            assert closed.value.code == 1011
    error = "KeyError('k')" if path == "/key" else "KeyError('k after')"
    assert signalled == [error]
    assert [r.getMessage() for r in caplog.records] == [f"Exception on {path} [GET]"]
    assert torn == [error]


def test_the_500_handler_answers_an_unhandled_error_before_the_accept(
    app: Flask, signalled: list[str]
) -> None:
    errors_app(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)
    bp = Blueprint("bp", __name__)

    @bp.websocket("/crash")
    async def crash() -> None:
        raise KeyError("bp")

    @bp.errorhandler(500)
    def bp_500(e: Any) -> Any:
        return f"bp 500: {e.original_exception!r}", 500

    app.register_blueprint(bp, url_prefix="/bp")

    with pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket("/bp/crash"):
            pass
    assert refused.value.response.get_data() == b"bp 500: KeyError('bp')"
    assert signalled == ["KeyError('bp')"]


def test_an_after_websocket_error_is_signalled_and_handled(
    app: Flask, signalled: list[str], torn: list[str]
) -> None:
    handled = errors_app(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)

    @app.after_websocket
    def after() -> None:
        raise LookupError("after broke")

    @app.websocket("/hi")
    async def hi() -> None:
        await websocket.send("hi")

    with app.test_client().websocket("/hi") as ws:
        assert ws.receive() == "hi"
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert handled == []
    assert signalled == ["LookupError('after broke')"]
    assert torn == ["LookupError('after broke')"]


@pytest.mark.parametrize(("status", "code"), [(503, 1013), (500, 1011), (403, 1008)])
def test_an_http_error_after_the_accept_closes_by_its_kind(
    app: Flask, status: int, code: int
) -> None:
    """A client's error (4xx) is a policy violation (1008); a server's is not:
    1011, and 1013 "try again later" for a 503 (a session store down), so
    that a client may come back."""

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.accept()
        abort(status)

    with app.test_client().websocket("/ws") as client:
        with pytest.raises(WebSocketClosed) as closed:
            client.receive()
    assert closed.value.code == code


def test_an_error_before_the_accept_closes_with_1011_without_the_http_answer(
    app: Flask, signalled: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A server that takes no HTTP answer: a close before the accept, with
    1011 for a crash (the server answers 403), signalled and logged once."""
    errors_app(app)

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "websocket",
            "path": "/key",
            "headers": [],
            "query_string": b"",
            "server": ("127.0.0.1", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
        }
        await asyncio.wait_for(app(scope, inbox.get, send), 5)
        return sent

    with caplog.at_level(logging.ERROR):
        sent = asyncio.run(main())
    assert sent == [{"type": "websocket.close", "code": 1011, "reason": ""}]
    assert signalled == ["KeyError('k')"]
    assert len(caplog.records) == 1


def test_an_overridden_handle_user_exception_is_called() -> None:
    seen: list[str] = []

    class App(Flask):
        def handle_user_exception(self, e: Exception) -> Any:
            seen.append(repr(e))
            return "mine", 409

    app = App(__name__)

    @app.websocket("/ws")
    async def ws() -> None:
        raise ValueError("x")

    with pytest.raises(WebSocketRefused) as refused:
        with app.test_client().websocket("/ws"):
            pass
    assert refused.value.response.status_code == 409
    assert seen == ["ValueError('x')"]
