"""A WebSocket's sync error handlers (its own, the 500 handler), and its
teardown functions when ``do_teardown_request``/``do_teardown_appcontext``
or ``ensure_sync`` is overridden, run in kolba's thread pool, as its sync
hooks do: one that blocks holds no other connection. Each case: connection
A's slow sync function waits (up to 5 s) for connection B, on the same
loop, to be served; on the loop it would wait out the 5 s."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from test_websocket_sync_hooks import ws_scope

from kolba import Flask, g, has_app_context, has_request_context, websocket


async def connect(app: Flask, path: str) -> list[dict[str, Any]]:
    """One WebSocket that the client leaves once the app sent a message."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    inbox.put_nowait({"type": "websocket.connect"})
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "websocket.send":
            inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})

    await asyncio.wait_for(app(ws_scope(path), inbox.get, send), 20)
    # (torn down: no context of the connection is left active on the loop)
    assert not has_app_context() and not has_request_context()
    return sent


class Slow:
    """A sync function's wait for connection B (``served``)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.served = threading.Event()
        self.waited: list[bool] = []

    def wait(self) -> None:
        self.entered.set()
        self.waited.append(self.served.wait(5))


def run(app: Flask, slow: Slow, path_a: str) -> tuple[list[dict[str, Any]], float]:
    @app.websocket("/b")
    async def b() -> None:
        slow.served.set()
        await websocket.send("b served")

    async def main() -> tuple[list[dict[str, Any]], float]:
        a = asyncio.ensure_future(connect(app, path_a))
        await asyncio.to_thread(slow.entered.wait, 5)  # (A's function runs)
        start = time.perf_counter()
        sent_b = await connect(app, "/b")
        took = time.perf_counter() - start
        await a
        return sent_b, took

    return asyncio.run(main())


def served(sent: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in sent if m["type"] == "websocket.send"]


@pytest.mark.parametrize("status", [None, 500])
def test_a_slow_sync_error_handler_holds_no_other_connection(
    app: Flask, status: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Its own error handler, and the 500 handler of an error none took."""
    slow = Slow()

    def handler(e: Exception) -> tuple[str, int]:
        slow.wait()
        return "handled", 500

    if status is None:
        app.register_error_handler(ValueError, handler)
    else:
        app.register_error_handler(500, handler)
        app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.websocket("/a")
    async def a() -> None:
        await websocket.accept()
        raise ValueError("a broke")

    sent_b, took = run(app, slow, "/a")
    assert served(sent_b) == ["b served"]
    assert slow.waited == [True]
    assert took < 4


class TearsDownApp(Flask):
    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        super().do_teardown_request(exc)


class AppTearsDownApp(Flask):
    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        super().do_teardown_appcontext(exc)


class EnsureSyncApp(Flask):
    def ensure_sync(self, func: Any) -> Any:
        return super().ensure_sync(func)


@pytest.mark.parametrize("cls", [TearsDownApp, AppTearsDownApp, EnsureSyncApp])
@pytest.mark.parametrize("kind", ["teardown_request", "teardown_appcontext"])
def test_a_slow_sync_teardown_under_an_override_holds_no_other_connection(
    cls: type[Flask], kind: str
) -> None:
    app = cls(__name__)
    app.config["TESTING"] = True
    slow = Slow()
    torn: list[str] = []

    def teardown(exc: BaseException | None) -> None:
        if g.get("slow"):
            torn.append(repr(exc))
            slow.wait()

    getattr(app, kind)(teardown)

    @app.websocket("/a")
    async def a() -> None:
        g.slow = True
        await websocket.send("a served")

    sent_b, took = run(app, slow, "/a")
    assert served(sent_b) == ["b served"]
    assert slow.waited == [True]
    assert torn == ["None"]
    assert took < 4
