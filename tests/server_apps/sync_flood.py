"""A sync generator that makes 16 KiB chunks as fast as they are taken (4,000
at most), for tests/test_asgi_stream_ahead.py; GET /made tells how many it
made, whether it was closed and how many teardowns ran."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from kolba import Flask, Response, request, stream_with_context

app = Flask(__name__)
state: dict[str, Any] = {"made": 0, "closed": None, "teardowns": 0, "threads": []}


@app.teardown_request
def teardown(exc: BaseException | None) -> None:
    if request.path == "/flood":
        state["teardowns"] += 1


@app.get("/flood")
def flood() -> Any:
    def chunks() -> Iterator[bytes]:
        threads = set()
        try:
            for _ in range(4000):
                threads.add(threading.get_ident())
                state["made"] += 1
                yield b"x" * 16384
        finally:
            state["closed"] = state["made"]
            state["threads"] = len(threads)

    return Response(stream_with_context(chunks()))


@app.get("/made")
def made() -> Any:
    return dict(state)
