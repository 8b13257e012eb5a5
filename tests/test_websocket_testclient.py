"""The test client's WebSocket shows what a server would: an app that does
not end after the client's close fails the test, close codes and reasons go
both ways, the subprotocols offered and the accept's headers are seen."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kolba import Flask, websocket
from kolba.testing import WebSocketClosed


def test_close_raises_when_the_app_does_not_end(app: Flask) -> None:
    """A view that outlives the client's close (here it ignores the cancel
    that the client's leaving brings) is a TimeoutError that says so, not a
    silent pass; the view is then cancelled, as a server's shutdown would."""
    stop = threading.Event()
    cancels: list[str] = []

    @app.websocket("/ws")
    async def hung() -> None:
        await websocket.accept()
        while not stop.is_set():
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                cancels.append("cancelled")
                if len(cancels) > 1:
                    raise

    ws = app.test_client().websocket("/ws")
    ws.timeout = 0.3
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="did not end within 0.3 s"):
        with ws:
            pass
    assert time.monotonic() - started < 3
    assert cancels == ["cancelled", "cancelled"]  # the leaving's, the client's


def test_close_waits_for_a_view_that_held_the_client_back(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view that does not read, whose client sent more than the read-ahead
    before its close: the app sees the close once the read-ahead's wait has
    passed (a server's too), which the client's close waits for."""
    import kolba.asgi

    monkeypatch.setattr(kolba.asgi, "_READ_AHEAD_WAIT", 0.5)
    ended: list[str] = []

    @app.websocket("/ws")
    async def ticker() -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send("tick")
                await asyncio.sleep(0.01)
        finally:
            ended.append("ended")

    ws = app.test_client().websocket("/ws")
    ws.timeout = 0.3
    with ws:
        assert ws.receive() == "tick"
        for _ in range(40):
            ws.send("x")
    assert ended == ["ended"]


def test_the_close_reason_reaches_the_client(app: Flask) -> None:
    @app.websocket("/ws")
    async def bye() -> None:
        await websocket.accept()
        await websocket.close(4001, "custom reason")

    with app.test_client().websocket("/ws") as ws:
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert (closed.value.code, closed.value.reason) == (4001, "custom reason")
    assert (ws.close_code, ws.close_reason) == (4001, "custom reason")
    assert "custom reason" in str(closed.value)


def test_the_clients_close_code_and_reason_reach_the_app(app: Flask) -> None:
    seen: list[tuple[int, str]] = []

    @app.websocket("/ws")
    async def echo() -> None:
        try:
            while True:
                await websocket.receive()
        except Exception as e:
            seen.append((e.code, e.reason))  # type: ignore[attr-defined]
            raise

    with app.test_client().websocket("/ws") as ws:
        ws.close(4002, "leaving")
    assert seen == [(4002, "leaving")]


def test_the_offered_subprotocols_and_the_accepts_headers(app: Flask) -> None:
    @app.websocket("/ws")
    async def chat() -> None:
        offered = websocket.requested_subprotocols
        chosen = offered[-1] if offered else None
        await websocket.accept(chosen, headers={"X-Room": "lobby"})
        await websocket.send(",".join(offered))

    client = app.test_client()
    with client.websocket("/ws", subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.receive() == "chat.v1,chat.v2"
        assert ws.subprotocol == "chat.v2"
        assert ws.headers["X-Room"] == "lobby"
    # as a browser sends them: the header
    headers = {"Sec-WebSocket-Protocol": "a, b"}
    with client.websocket("/ws", headers=headers) as ws:
        assert ws.receive() == "a,b"
    with client.websocket("/ws") as ws:  # none offered
        assert ws.receive() == ""
        assert ws.subprotocol is None


def test_a_message_past_the_servers_size_limit_closes_with_1009(app: Flask) -> None:
    """As uvicorn and hypercorn close it (16 MiB by default): the app sees
    the client go with 1009, the test's next receive() the close."""
    seen: list[int] = []

    @app.websocket("/ws")
    async def echo() -> None:
        try:
            while True:
                await websocket.send(await websocket.receive())
        except Exception as e:
            seen.append(e.code)  # type: ignore[attr-defined]
            raise

    with app.test_client().websocket("/ws") as ws:
        ws.max_size = 1000
        ws.send(b"x" * 1000)
        assert ws.receive() == b"x" * 1000
        ws.send("é" * 501)  # (1002 bytes of UTF-8)
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1009
    assert seen == [1009]
