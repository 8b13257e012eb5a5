"""One kolba app for the real-server tests: served by uvicorn, granian and
hypercorn (ASGI) and by gunicorn (WSGI). It writes what happened (startup,
teardown, background work...) to the file named by KOLBA_TEST_EVENTS."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator

from kolba import Flask, g, request, stream_with_context, websocket

app = Flask(__name__)


def record(line: str) -> None:
    with open(os.environ["KOLBA_TEST_EVENTS"], "a") as events:
        events.write(line + "\n")


@app.before_serving
async def startup() -> None:
    record("startup")


@app.after_serving
def shutdown() -> None:
    record("shutdown")


@app.teardown_request
def teardown(exc: BaseException | None) -> None:
    record(f"teardown {request.path}")


# /teardown-waits' async teardown function waits on the server's loop until
# /teardown-release (which waits until it waits) is served
tearing_down, released = asyncio.Event(), asyncio.Event()


@app.teardown_appcontext
async def async_teardown(exc: BaseException | None) -> None:
    if g.get("wait_in_teardown"):
        tearing_down.set()
        await asyncio.wait_for(released.wait(), 5)
        released.clear()
        record(f"async teardown waited {g.wait_in_teardown}")


@app.route("/teardown-waits")
async def teardown_waits() -> str:
    g.wait_in_teardown = "after /teardown-waits"
    return "waits"


@app.route("/teardown-release")
async def teardown_release() -> str:
    await asyncio.wait_for(tearing_down.wait(), 5)
    tearing_down.clear()
    released.set()
    return "released"


@app.route("/hello")
def hello() -> str:
    return f"hello {request.args.get('name', 'world')}"


@app.route("/sleep")
async def sleep() -> str:
    await asyncio.sleep(1)
    return "slept"


@app.route("/slow-sync")
def slow_sync() -> str:
    time.sleep(1.5)
    return "slow"


@app.route("/fast")
async def fast() -> str:
    return "fast"


@app.post("/echo")
async def echo_body() -> dict[str, object]:
    return {"json": await request.get_json()}


@app.post("/stream-echo")
async def stream_echo() -> AsyncIterator[bytes]:
    """The body sent back as it arrives."""

    async def echo() -> AsyncIterator[bytes]:
        async for chunk in request.iter_body():
            yield chunk

    return echo()


@app.post("/sync-form")
def sync_form() -> str:
    return request.form.get("a", "")


@app.post("/async-data")
async def async_data() -> str:
    return str(len(await request.get_data()))


@app.route("/async-form", methods=["GET", "POST"])
async def async_form() -> str:
    # read without await, as Flask code does (the body received before)
    return request.form.get("a", "none")


@app.route("/stream")
async def stream() -> AsyncIterator[str]:
    async def ticks() -> AsyncIterator[str]:
        try:
            for i in range(10_000):
                yield f"{i}\n"
                await asyncio.sleep(0.01)
        finally:
            record("stream closed")

    return ticks()


@app.route("/sync-stream")
def sync_stream() -> Iterator[str]:
    def ticks() -> Iterator[str]:
        try:
            for i in range(10_000):
                yield f"{i}\n"
                time.sleep(0.01)
        finally:
            record("sync-stream closed")

    return ticks()


@app.route("/context-stream")
def context_stream() -> Iterator[str]:
    @stream_with_context
    def ticks() -> Iterator[str]:
        try:
            for i in range(10_000):
                yield f"{i} {request.path}\n"
                time.sleep(0.01)
        finally:
            record("context-stream closed")

    return ticks()


@app.route("/flood")
async def flood() -> AsyncIterator[bytes]:
    """16 KiB chunks as fast as the server takes them, 4,000 at most (64 MiB):
    with backpressure a client that stops reading stops it far sooner."""

    async def chunks() -> AsyncIterator[bytes]:
        made = 0
        try:
            while made < 4000:
                made += 1
                yield b"x" * 16384
                if made % 50 == 0:
                    record(f"flood made {made}")
        finally:
            record(f"flood closed after {made}")

    return chunks()


@app.route("/background")
async def background() -> str:
    async def job() -> None:
        await asyncio.sleep(0.3)
        record("background done")

    app.add_background_task(job)
    return "queued"


@app.websocket("/ws/echo")
async def ws_echo() -> None:
    while True:
        await websocket.send(await websocket.receive())


@app.websocket("/ws/gone/<how>")
async def ws_gone(how: str) -> None:
    """An echo that a test's client leaves (its teardown names how)."""
    while True:
        await websocket.send(await websocket.receive())


@app.websocket("/ws/push")
async def ws_push() -> None:
    """Sends until the client leaves (it never receives)."""
    try:
        while True:
            await websocket.send("tick")
            await asyncio.sleep(0.02)
    finally:
        record("push ended")


@app.websocket("/ws/close")
async def ws_close() -> None:
    await websocket.accept()
    await websocket.close(4001)
