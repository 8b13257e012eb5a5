"""The lifespan's shutdown ends the WebSocket views still open (granian runs
it while they are, then exits) and waits for their teardown before
after_serving, BACKGROUND_TASK_SHUTDOWN_TIMEOUT at most. (Under real servers
in test_websocket_servers.py.)"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from test_websocket_sync_hooks import ws_scope

from kolba import Flask, g, websocket


async def serve_until_shutdown(app: Flask, paths: list[str]) -> list[str]:
    """The lifespan and a WebSocket to each path on one loop; once all are
    accepted, the lifespan's shutdown. What was sent, in order."""
    seen: list[str] = []
    lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan.put_nowait({"type": "lifespan.startup"})

    async def lifespan_send(message: dict[str, Any]) -> None:
        seen.append(message["type"])

    life = asyncio.ensure_future(app({"type": "lifespan"}, lifespan.get, lifespan_send))
    sockets = []
    for path in paths:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})

        async def send(message: dict[str, Any], path: str = path) -> None:
            seen.append(f"{path} {message['type']} {message.get('code', '')}".strip())

        sockets.append(asyncio.ensure_future(app(ws_scope(path), inbox.get, send)))
    while len([s for s in seen if s.endswith("websocket.accept")]) < len(paths):
        await asyncio.sleep(0.01)
    lifespan.put_nowait({"type": "lifespan.shutdown"})
    await asyncio.wait_for(life, 5)
    await asyncio.wait(sockets, timeout=5)
    return seen


def test_the_shutdown_tears_down_open_websockets_before_after_serving(
    app: Flask,
) -> None:
    events: list[str] = []

    @app.websocket("/hold")
    async def hold() -> None:
        try:
            while True:
                await websocket.receive()
        finally:
            events.append("hold ended")

    @app.websocket("/ticker")
    async def ticker() -> None:
        await websocket.accept()
        try:
            while True:
                await asyncio.sleep(0.01)
        finally:
            events.append("ticker ended")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {websocket.path} {type(exc).__name__}")

    @app.after_serving
    def after_serving() -> None:
        events.append("after_serving")

    seen = asyncio.run(serve_until_shutdown(app, ["/hold", "/ticker"]))
    assert sorted(events[:-1]) == [
        "hold ended",
        "teardown /hold CancelledError",
        "teardown /ticker CancelledError",
        "ticker ended",
    ]
    assert events[-1] == "after_serving"
    # no close sent (granian dropped the connection; a send never returns)
    assert [s for s in seen if "close" in s] == []
    assert seen[-1] == "lifespan.shutdown.complete"


def test_a_websocket_that_does_not_end_holds_the_shutdown_for_the_timeout(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.3
    events: list[str] = []

    @app.websocket("/stuck")
    async def stuck() -> None:
        await websocket.accept()
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                events.append("cancelled")

    @app.after_serving
    def after_serving() -> None:
        events.append("after_serving")

    with caplog.at_level(logging.WARNING, logger=app.logger.name):
        asyncio.run(serve_until_shutdown(app, ["/stuck"]))
    assert events[:2] == ["cancelled", "after_serving"]
    assert (
        "WebSockets cancelled at shutdown still not torn down after 0.3 s: 1"
        in caplog.text
    )


def test_a_websocket_tearing_down_at_shutdown_is_waited_for_not_cancelled(
    app: Flask,
) -> None:
    """Its view has ended; its sync teardown functions (in the thread pool)
    all run to their end before after_serving: a cancel would cut them off."""
    events: list[str] = []
    tearing = threading.Event()

    @app.websocket("/done")
    async def done() -> None:
        g.websocket = True
        await websocket.accept()

    @app.teardown_request
    def slow_teardown(exc: BaseException | None) -> None:
        tearing.set()
        time.sleep(0.3)
        events.append(f"teardown_request {exc!r}")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        if g.get("websocket"):  # (not the lifespan's app contexts)
            events.append(f"teardown_appcontext {exc!r}")

    @app.after_serving
    def after_serving() -> None:
        events.append("after_serving")

    async def main() -> None:
        lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        lifespan.put_nowait({"type": "lifespan.startup"})

        async def ignore(message: dict[str, Any]) -> None:
            pass

        life = asyncio.ensure_future(app({"type": "lifespan"}, lifespan.get, ignore))
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        socket = asyncio.ensure_future(app(ws_scope("/done"), inbox.get, ignore))
        while not tearing.is_set():
            await asyncio.sleep(0.01)
        lifespan.put_nowait({"type": "lifespan.shutdown"})
        await asyncio.wait_for(life, 5)
        await asyncio.wait_for(socket, 5)

    asyncio.run(main())
    assert events == [
        "teardown_request None",
        "teardown_appcontext None",
        "after_serving",
    ]
