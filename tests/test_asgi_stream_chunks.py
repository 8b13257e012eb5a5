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


CHUNKS: dict[str, Any] = {
    "none": None,
    "int": 5,
    "dict": {"a": 1},
    "empty": b"",
    "bytearray": bytearray(b"-"),
    "memoryview": memoryview(b"-"),
}


@pytest.mark.parametrize("stream", ["sync", "async"])
@pytest.mark.parametrize("kind", ["empty", "bytearray", "memoryview"])
def test_bytes_like_chunks_are_sent_as_bytes(
    app: Flask, stream: str, kind: str
) -> None:
    sent, error = call(app, f"/{stream}/{kind}")
    assert error is None
    assert body_of(sent) == b"first," + bytes(CHUNKS[kind]) + b"second"
    assert all(type(m.get("body", b"")) is bytes for m in sent[1:])
    assert sent[-1] == {"type": "http.response.body"}


@pytest.mark.parametrize("stream", ["sync", "async"])
@pytest.mark.parametrize("kind", ["none", "int", "dict"])
def test_a_chunk_that_is_not_bytes_or_str_is_a_type_error(
    app: Flask, stream: str, kind: str
) -> None:
    """As under a WSGI server (Flask's too): the error mid-stream reaches
    the server, which cuts the body off (no clean end; a None chunk ended
    the sync body as complete; an int or a dict went to the server as the
    body); teardown runs once. The test client (WSGI) raises it too."""
    torn_down: list[object] = []
    app.teardown_request(torn_down.append)
    sent, error = call(app, f"/{stream}/{kind}")
    assert isinstance(error, TypeError)
    name = type(CHUNKS[kind]).__name__
    assert f"chunks are bytes or str, not {name}" in str(error)
    assert body_of(sent) == b"first,"
    assert all(m.get("more_body") for m in sent[1:])
    assert len(torn_down) == 1
    with pytest.raises(TypeError):
        app.test_client().get(f"/{stream}/{kind}").get_data()
