"""An app whose background tasks never end (tests/test_asgi_shutdown.py):
the shutdown waits BACKGROUND_TASK_SHUTDOWN_TIMEOUT, then goes on."""

from __future__ import annotations

import asyncio
import os
import time

from kolba import Flask

app = Flask(__name__)
app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 1


def record(line: str) -> None:
    with open(os.environ["KOLBA_TEST_EVENTS"], "a") as events:
        events.write(line + "\n")


async def poll_forever() -> None:
    try:
        while True:
            await asyncio.sleep(0.1)
    finally:
        record("poll_forever finally")


def sync_forever() -> None:
    while True:
        time.sleep(0.1)


@app.before_serving
async def start() -> None:
    app.add_background_task(poll_forever)
    app.add_background_task(sync_forever)
    record("startup")


@app.after_serving
def stop() -> None:
    record("after_serving")
