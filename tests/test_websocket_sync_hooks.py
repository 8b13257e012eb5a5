"""A WebSocket's sync hooks (url_value_preprocessor, before_websocket,
after_websocket, teardown functions) run in kolba's thread pool, in the
connection's context, as a ``def`` view's hooks do: one that blocks (a user
loaded from a database) holds neither the loop nor the other connections.
Async ones stay on the loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from kolba import Flask, g, websocket


def ws_scope(path: str) -> dict[str, Any]:
    return {
        "type": "websocket",
        "path": path,
        "headers": [],
        "query_string": b"",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }


async def connect(app: Flask, path: str) -> list[dict[str, Any]]:
    """One WebSocket that the client leaves once the app sent a message."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.send":
            inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})

    await asyncio.wait_for(app(ws_scope(path), inbox.get, send), 10)
    return sent


def test_sync_hooks_run_off_the_loop_in_the_connections_context(app: Flask) -> None:
    threads: dict[str, str] = {}
    loop_thread: list[threading.Thread] = []

    def where(name: str) -> None:
        on_loop = threading.current_thread() is loop_thread[0]
        threads[name] = "loop" if on_loop else "elsewhere"

    @app.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, Any] | None) -> None:
        where("url_value_preprocessor")
        g.room = values.pop("room") if values else None

    @app.before_websocket
    def load_user() -> None:
        where("before_websocket")
        g.user = f"ann in {g.room} at {websocket.path}"

    @app.after_websocket
    def after() -> None:
        where("after_websocket")
        assert g.user.startswith("ann")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        where("teardown_request")
        assert websocket.path == "/ws/lobby"

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        where("teardown_appcontext")
        assert g.user.startswith("ann")

    async def async_before() -> None:
        where("async before_websocket")

    app.before_websocket(async_before)

    @app.websocket("/ws/<room>")
    async def feed() -> None:
        await websocket.send(g.user)

    async def main() -> list[dict[str, Any]]:
        loop_thread.append(threading.current_thread())
        return await connect(app, "/ws/lobby")

    sent = asyncio.run(main())
    assert [m.get("text") for m in sent if m["type"] == "websocket.send"] == [
        "ann in lobby at /ws/lobby"
    ]
    assert threads == {
        "url_value_preprocessor": "elsewhere",
        "before_websocket": "elsewhere",
        "async before_websocket": "loop",
        "after_websocket": "elsewhere",
        "teardown_request": "elsewhere",
        "teardown_appcontext": "elsewhere",
    }


def test_a_blocking_sync_hook_holds_neither_the_loop_nor_other_websockets(
    app: Flask,
) -> None:
    """Six handshakes whose before_websocket blocks 0.3 s: together about
    0.3 s (one after another: 1.8 s), while the loop goes on ticking."""

    @app.before_websocket
    def slow_auth() -> None:
        time.sleep(0.3)

    @app.websocket("/ws")
    async def feed() -> None:
        await websocket.send("hi")

    async def main() -> tuple[float, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        started = time.monotonic()
        await asyncio.gather(*[connect(app, "/ws") for _ in range(6)])
        took = time.monotonic() - started
        ticker.cancel()
        return took, ticks

    took, ticks = asyncio.run(main())
    assert took < 1.2
    assert ticks >= 10
