"""In testing (``TESTING``, or ``PROPAGATE_EXCEPTIONS``), an error of a
WebSocket's view or hooks that no handler took is raised in the test by the
test client, as an HTTP view's is by ``client.get()``: where the test
receives (the app closed with 1011 for it), enters the ``with`` (an error
before the accept) or ends it. As Flask's ``handle_exception`` when it
propagates, ``got_request_exception`` is sent, nothing is logged, no 500
handler answers, teardown gets the error. A real server's connection still
closes with 1011. (Quart 0.22: with PROPAGATE_EXCEPTIONS its test client
raises the view's error at the end of its ``async with``; in testing
alone it answers a traceback page before the accept, closes 1000 after.)"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import free_port, running_server
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

from kolba import Flask, got_request_exception, websocket
from kolba.testing import WebSocketClosed

SRC = Path(__file__).resolve().parent.parent / "src"


def crashing_app(app: Flask, torn: list[str], signalled: list[str]) -> None:
    @app.websocket("/after")
    async def after() -> None:
        await websocket.send("hi")
        await websocket.receive()
        raise ValueError("after the accept")

    @app.websocket("/before")
    async def before() -> None:
        raise KeyError("before the accept")

    @app.websocket("/late")
    async def late() -> None:
        await websocket.accept()
        await websocket.receive()
        raise LookupError("while the test no longer receives")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(repr(exc))

    @app.errorhandler(500)
    def server_error(e: Any) -> str:
        signalled.append("500 handler")
        return "500 handler"

    def receiver(sender: Flask, exception: BaseException, **kwargs: Any) -> None:
        signalled.append(repr(exception))

    got_request_exception.connect(receiver, app)  # (kept alive in CONNECTED)
    CONNECTED.append((receiver, app))


CONNECTED: list[tuple[Any, Flask]] = []


@pytest.fixture(autouse=True)
def disconnect() -> Iterator[None]:
    yield
    while CONNECTED:
        receiver, app = CONNECTED.pop()
        got_request_exception.disconnect(receiver, app)


@pytest.mark.parametrize("setting", ["TESTING", "PROPAGATE_EXCEPTIONS"])
def test_an_error_after_the_accept_is_raised_where_the_test_receives(
    setting: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Flask(__name__)
    app.config[setting] = True
    torn: list[str] = []
    signalled: list[str] = []
    crashing_app(app, torn, signalled)
    with caplog.at_level(logging.ERROR), app.test_client().websocket("/after") as ws:
        assert ws.receive() == "hi"
        ws.send("go")
        with pytest.raises(ValueError, match="after the accept"):
            ws.receive()
    assert signalled == ["ValueError('after the accept')"]
    assert torn == ["ValueError('after the accept')"]
    assert caplog.records == []  # (raised, not logged)


def test_an_error_before_the_accept_is_raised_where_the_with_starts(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    torn: list[str] = []
    signalled: list[str] = []
    crashing_app(app, torn, signalled)
    with caplog.at_level(logging.ERROR), pytest.raises(KeyError, match="before"):
        with app.test_client().websocket("/before"):
            pass
    assert signalled == ["KeyError('before the accept')"]
    assert torn == ["KeyError('before the accept')"]
    assert caplog.records == []


def test_an_error_after_the_last_receive_is_raised_at_the_end_of_the_with(
    app: Flask,
) -> None:
    torn: list[str] = []
    crashing_app(app, torn, [])
    with pytest.raises(LookupError, match="no longer receives"):
        with app.test_client().websocket("/late") as ws:
            ws.send("go")
    assert torn == ["LookupError('while the test no longer receives')"]


def test_an_error_is_raised_once(app: Flask) -> None:
    crashing_app(app, [], [])
    with app.test_client().websocket("/after") as ws:
        assert ws.receive() == "hi"
        ws.send("go")
        with pytest.raises(ValueError):
            ws.receive()
        with pytest.raises(WebSocketClosed) as closed:  # (then: closed)
            ws.receive()
    assert closed.value.code == 1011


def test_a_handled_error_is_not_raised(app: Flask) -> None:
    @app.errorhandler(ValueError)
    def handled(e: ValueError) -> str:
        return "handled"

    crashing_app(app, [], [])
    with app.test_client().websocket("/after") as ws:
        assert ws.receive() == "hi"
        ws.send("go")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011


def test_without_propagation_the_connection_closes_with_1011(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    signalled: list[str] = []
    crashing_app(app, [], signalled)
    with caplog.at_level(logging.ERROR), app.test_client().websocket("/after") as ws:
        assert ws.receive() == "hi"
        ws.send("go")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert signalled == ["ValueError('after the accept')", "500 handler"]
    assert "Exception on /after [GET]" in caplog.text


SERVER_APP = """
from kolba import Flask, websocket

app = Flask(__name__)
app.config["TESTING"] = True


@app.websocket("/after")
async def after():
    await websocket.send("hi")
    await websocket.receive()
    raise ValueError("after the accept")
"""


def test_under_a_server_an_app_in_testing_still_closes_with_1011(
    tmp_path: Path,
) -> None:
    (tmp_path / "crashing.py").write_text(SERVER_APP)
    port = free_port()
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    command = [uvicorn, "--host", "127.0.0.1", "--port", str(port), "crashing:app"]
    env = {**os.environ, "PYTHONPATH": path}
    with running_server(command, tmp_path, env, port, tmp_path / "uvicorn.log"):
        with connect(f"ws://127.0.0.1:{port}/after", open_timeout=5) as ws:
            assert ws.recv(timeout=5) == "hi"
            ws.send("go")
            with pytest.raises(ConnectionClosedError) as closed:
                ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
    assert "Exception on /after [GET]" in (tmp_path / "uvicorn.log").read_text()
