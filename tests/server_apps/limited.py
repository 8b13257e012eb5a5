"""An app with MAX_CONTENT_LENGTH whose views answer without reading all of
a body (tests/test_servers.py: the connection still ends)."""

from __future__ import annotations

from collections.abc import Iterator

from kolba import Flask, request

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 1_000_000


@app.post("/read")
def read() -> str:
    return f"read {len(request.get_data())}"  # past the limit: a 413


@app.post("/ignore")
def ignore() -> str:
    return "ignored"


@app.post("/async-ignore")
async def async_ignore() -> str:
    return "ignored"


@app.post("/stream-ignore")
def stream_ignore() -> Iterator[str]:
    yield "ignored"


@app.get("/ping")
def ping() -> str:
    return "pong"
