"""What a streamed body's chunks may be under ASGI, called directly as a
server does: a sync generator and an async one give the same answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kolba import Flask


def http_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


def call(app: Flask, path: str) -> tuple[list[dict[str, Any]], BaseException | None]:
    """What the app sends for GET ``path``, and the error it raised, if any."""
    sent: list[dict[str, Any]] = []

    async def main() -> BaseException | None:
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b""}
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        try:
            await asyncio.wait_for(app(http_scope(path), receive, send), 5)
        except Exception as e:
            return e
        return None

    return sent, asyncio.run(main())


def body_of(sent: list[dict[str, Any]]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)

    @app.get("/sync/<kind>")
    def sync_stream(kind: str) -> Any:
        def chunks() -> Iterator[Any]:
            yield "first,"
            yield CHUNKS[kind]
            yield "second"

        return chunks()

    @app.get("/async/<kind>")
    async def async_stream(kind: str) -> Any:
        async def chunks() -> AsyncIterator[Any]:
            yield "first,"
            yield CHUNKS[kind]
            yield "second"

        return chunks()

    return app


CHUNKS: dict[str, Any] = {"none": None, "empty": b"", "bytearray": bytearray(b"-")}


@pytest.mark.parametrize("stream", ["sync", "async"])
def test_a_none_chunk_does_not_end_the_body(app: Flask, stream: str) -> None:
    """(The sync path took None for the end of its iterator: a complete
    body of "first,")"""
    sent, error = call(app, f"/{stream}/none")
    assert error is None
    assert body_of(sent) == b"first,second"
    assert sent[-1] == {"type": "http.response.body"}
