"""A kolba app of WebSockets for tests/test_websocket_servers.py, served by
uvicorn, hypercorn and granian; it writes what happened to the file named by
KOLBA_TEST_EVENTS."""

from __future__ import annotations

import asyncio
import os

from kolba import Flask, request, websocket

app = Flask(__name__)


def record(line: str) -> None:
    with open(os.environ["KOLBA_TEST_EVENTS"], "a") as events:
        events.write(line + "\n")


@app.before_serving
def startup() -> None:
    record("startup")


@app.after_serving
def shutdown() -> None:
    record("after_serving")


@app.teardown_request
def teardown(exc: BaseException | None) -> None:
    record(f"teardown {request.path} {type(exc).__name__ if exc else None}")


@app.websocket("/ticker")
async def ticker() -> None:
    """Sends until it ends (it never receives)."""
    await websocket.accept()
    try:
        while True:
            await websocket.send("tick")
            await asyncio.sleep(0.02)
    except BaseException as e:
        record(f"ticker ended {type(e).__name__}")
        raise


@app.websocket("/crash")
async def crash() -> None:
    raise KeyError("crash before the accept")


@app.websocket("/hold")
async def hold() -> None:
    """Waits for messages until it ends."""
    try:
        while True:
            await websocket.receive()
    except BaseException as e:
        record(f"hold ended {type(e).__name__}")
        raise


@app.after_websocket
def after_websocket() -> None:
    record(f"after_websocket {request.path}")
