"""A WebSocket view that does not read its messages still sees its client
leave: the watcher holds the client back while the view takes a message now
and then, goes on reading when it takes none (a view that only sends), and
closes with 1008 past twice the read-ahead. (Real servers, which drop a
send to a gone client, in test_websocket_servers.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import kolba.asgi
from kolba import Flask, websocket


def ws_scope(path: str = "/ws") -> dict[str, Any]:
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
    }


@pytest.fixture
def events(app: Flask) -> list[str]:
    seen: list[str] = []

    @app.after_websocket
    def after() -> None:
        seen.append("after_websocket")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(f"teardown {exc!r}")

    return seen


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The view is taken as not reading after 0.2 s, not 5."""
    monkeypatch.setattr(kolba.asgi, "_READ_AHEAD_WAIT", 0.2)


def ticker(app: Flask, events: list[str]) -> None:
    @app.websocket("/ws")
    async def ticks() -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send("tick")
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            events.append("view cancelled")
            raise


@pytest.mark.parametrize("size", [10, 600_000])
def test_a_view_that_only_sends_ends_when_a_client_that_sent_much_leaves(
    app: Flask, events: list[str], short_wait: None, size: int
) -> None:
    """40 messages (or two of 600 kB, past the 1 MiB read-ahead), then the
    client leaves: the view, which never receives, is cancelled and torn
    down (hypercorn and granian drop its sends: it ticked on for ever)."""
    ticker(app, events)
    count = 40 if size == 10 else 3

    async def main() -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = [
            {"type": "websocket.connect"},
            *[{"type": "websocket.receive", "text": "x" * size}] * count,
            {"type": "websocket.disconnect", "code": 1000},
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop(0)
            await asyncio.sleep(3600)
            raise AssertionError("read past the disconnect")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(ws_scope(), receive, send), 5)
        return sent

    sent = asyncio.run(main())
    assert events == ["view cancelled", "after_websocket", "teardown None"]
    assert "websocket.close" not in [m["type"] for m in sent]  # (it left)


def test_a_client_that_floods_a_view_that_does_not_read_is_closed(
    app: Flask, events: list[str], short_wait: None
) -> None:
    """Twice the read-ahead (64 messages) unread: the app closes with 1008
    and a reason, the view is cancelled and torn down; no more is read."""
    ticker(app, events)

    async def main() -> tuple[int, list[dict[str, Any]]]:
        reads = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            if reads == 1:
                return {"type": "websocket.connect"}
            return {"type": "websocket.receive", "text": "spam"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(ws_scope(), receive, send), 5)
        return reads, sent

    reads, sent = asyncio.run(main())
    assert reads == 1 + 64
    closes = [m for m in sent if m["type"] == "websocket.close"]
    assert closes == [
        {"type": "websocket.close", "code": 1008, "reason": "too many unread messages"}
    ]
    assert sent[-1] == closes[0]  # (nothing sent after it)
    assert events == ["view cancelled", "after_websocket", "teardown None"]


def test_a_view_that_reads_slowly_holds_the_client_back_and_gets_all(
    app: Flask, short_wait: None
) -> None:
    """A view that takes a message within the wait is reading: the client is
    held back at 32 messages ahead, never closed, and every message arrives."""
    got: list[str] = []
    most_ahead = 0

    @app.websocket("/ws")
    async def slow() -> None:
        for _ in range(100):
            got.append(str(await websocket.receive()))
            await asyncio.sleep(0.005)
        await websocket.send("done")

    async def main() -> list[dict[str, Any]]:
        reads = 0
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            nonlocal reads, most_ahead
            reads += 1
            most_ahead = max(most_ahead, reads - 1 - len(got))
            if reads == 1:
                return {"type": "websocket.connect"}
            if reads > 101:
                await asyncio.sleep(3600)
            return {"type": "websocket.receive", "text": str(reads - 2)}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(ws_scope(), receive, send), 10)
        return sent

    sent = asyncio.run(main())
    assert got == [str(i) for i in range(100)]
    assert most_ahead <= 33
    assert [m.get("code") for m in sent if m["type"] == "websocket.close"] == [1000]


def test_a_view_that_took_none_for_the_wait_reads_on_once_it_takes_one(
    app: Flask, events: list[str], short_wait: None
) -> None:
    """A view busy longer than the wait, then reading: the messages read on
    meanwhile (fewer than twice the read-ahead) all reach it, in order."""
    got: list[str] = []

    @app.websocket("/ws")
    async def busy() -> None:
        await websocket.accept()
        await asyncio.sleep(0.5)
        for _ in range(50):
            got.append(str(await websocket.receive()))

    async def main() -> None:
        reads = 0

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            if reads == 1:
                return {"type": "websocket.connect"}
            if reads > 51:
                await asyncio.sleep(3600)
            return {"type": "websocket.receive", "text": str(reads - 2)}

        async def send(message: dict[str, Any]) -> None:
            pass

        await asyncio.wait_for(app(ws_scope(), receive, send), 5)

    asyncio.run(main())
    assert got == [str(i) for i in range(50)]
    assert events == ["after_websocket", "teardown None"]
