"""Streams that fail before their first chunk, for uvicorn and hypercorn
(tests/test_asgi_stream_first_chunk.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from kolba import Flask, Response, stream_with_context

app = Flask(__name__)


def failing() -> Iterator[str]:
    raise ValueError("the stream failed before its first chunk")
    yield "never"


@app.get("/sync")
def sync_stream() -> Response:
    return Response(stream_with_context(failing()))


@app.get("/async")
async def async_stream() -> Response:
    async def chunks() -> AsyncIterator[str]:
        raise ValueError("the stream failed before its first chunk")
        yield "never"

    return Response(chunks())


@app.get("/fine")
def fine_stream() -> Response:
    return Response(iter(["a", "b"]))
