"""An app whose sync view streams while it reads a body that the client
stops sending (tests/test_servers.py: the server's shutdown is not held)."""

from __future__ import annotations

from collections.abc import Iterator

from kolba import Flask, request, stream_with_context

app = Flask(__name__)
# the body is received ahead only up to 2 bytes: the stream's reads receive
# the rest (through the watcher), waiting on the thread for what never comes
app.config["MAX_CONTENT_LENGTH"] = 2


@app.post("/read-stream")
def read_stream() -> object:
    request.max_content_length = 1000
    stream = request.stream

    def chunks() -> Iterator[str]:
        yield "start\n"
        while chunk := stream.read(4):
            yield f"read {len(chunk)}\n"

    return stream_with_context(chunks())
