"""websocket.close() and accept() refuse what real servers refuse (each in
its own way: uvicorn and granian drop the connection, hypercorn cuts the
reason or fails the handshake), so that the test client shows the error:
a ValueError (TypeError for a type) naming the rule."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kolba import Flask, websocket
from kolba.testing import WebSocketClosed


def closing(app: Flask, *args: Any) -> None:
    @app.websocket("/ws")
    async def close() -> None:
        await websocket.accept()
        await websocket.close(*args)


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 2000, 5000, "1000"])
def test_a_close_code_servers_do_not_send_is_a_value_error(
    app: Flask, code: Any, caplog: pytest.LogCaptureFixture
) -> None:
    closing(app, code)
    with app.test_client().websocket("/ws") as ws:  # (testing: raised here)
        with pytest.raises(ValueError, match="a close code is an int in 1000-1003"):
            ws.receive()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)
    with caplog.at_level(logging.ERROR), app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011  # (the app's error, logged)
    assert "a close code is an int in 1000-1003, 1007-1014 or 3000-4999" in caplog.text


@pytest.mark.parametrize("code", [1000, 1003, 1007, 1014, 3000, 4999])
def test_the_close_codes_servers_send_pass(app: Flask, code: int) -> None:
    closing(app, code, "bye")
    with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert (closed.value.code, closed.value.reason) == (code, "bye")


def test_a_reason_over_123_bytes_is_a_value_error(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    closing(app, 4000, "é" * 62)  # 124 bytes
    with app.test_client().websocket("/ws") as ws:  # (testing: raised here)
        with pytest.raises(ValueError, match="reason is 124 bytes of UTF-8"):
            ws.receive()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)
    with caplog.at_level(logging.ERROR), app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert "reason is 124 bytes of UTF-8: a close frame holds 123 at most" in (
        caplog.text
    )


def test_a_reason_of_123_bytes_passes(app: Flask) -> None:
    closing(app, 4000, "é" * 61 + "x")
    with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.reason == "é" * 61 + "x"


@pytest.mark.parametrize(
    ("subprotocol", "error", "message"),
    [
        ({"X-A": "b"}, TypeError, "the subprotocol is a str, not {'X-A': 'b'}"),
        ("chat.v3", ValueError, "one the client offered (['chat.v1', 'chat.v2']"),
    ],
)
def test_an_accept_with_a_subprotocol_not_offered_is_refused(
    app: Flask,
    caplog: pytest.LogCaptureFixture,
    subprotocol: Any,
    error: type[Exception],
    message: str,
) -> None:
    """Before the accept: the app's error, a 500 answer, with the message."""
    raised: list[BaseException] = []

    @app.websocket("/ws")
    async def accept() -> None:
        try:
            await websocket.accept(subprotocol)
        except Exception as e:
            raised.append(e)
            raise

    client = app.test_client()
    with caplog.at_level(logging.ERROR), pytest.raises(error) as got:
        with client.websocket("/ws", subprotocols=["chat.v1", "chat.v2"]):
            pass
    assert len(raised) == 1 and raised[0] is got.value  # (testing: raised)
    assert message in str(raised[0])


def test_no_subprotocol_offered_none_accepted(app: Flask) -> None:
    @app.websocket("/ws")
    async def accept() -> None:
        await websocket.accept("chat")

    with pytest.raises(ValueError), app.test_client().websocket("/ws"):
        pass
