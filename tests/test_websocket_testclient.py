"""The test client's WebSocket shows what a server would: an app that does
not end after the client's close fails the test."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kolba import Flask, websocket


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
