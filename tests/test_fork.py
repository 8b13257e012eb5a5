"""A process forked from one that served (gunicorn --preload, an app that
added a task or ran a request as it was made) makes its own background
threads and event loops: the parent's are not its own."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
import typing as t

from kolba import Flask

Write = t.Callable[[bytes], t.Any]


def in_a_child(work: t.Callable[[Write], None]) -> bytes:
    """``work(write)`` in a forked child; what it wrote within 5 s."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        try:
            work(lambda data: os.write(write_end, data))
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 5)
        return os.read(read_end, 100) if ready else b""
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def test_a_background_task_after_a_fork_runs_at_once() -> None:
    app = Flask(__name__)
    app.add_background_task(lambda: None)  # a start-up task: the pool made
    time.sleep(0.2)  # its thread idle again

    def work(write: Write) -> None:
        ran: list[int] = []
        app.add_background_task(lambda: (write(b"ran"), ran.append(1)))
        deadline = time.monotonic() + 5
        while not ran and time.monotonic() < deadline:
            time.sleep(0.01)

    assert in_a_child(work) == b"ran"


FORKED_ASYNC_VIEWS = """
import asyncio, os, time
from kolba import Flask

app = Flask(__name__)

async def init_db():  # a start-up step using the loop's executor
    await asyncio.to_thread(time.sleep, 0)

app.ensure_sync(init_db)()
time.sleep(0.2)  # the executor's thread idle again

@app.route("/")
async def index():
    loop = asyncio.get_running_loop()
    made_in = getattr(loop, "made_in", None)
    loop.made_in = os.getpid()
    text = await asyncio.to_thread(lambda: "off the loop")
    return f"{text}, loop {'new' if made_in is None else 'kept'}"

client = app.test_client()
print("parent:", client.get("/").text, flush=True)
pid = os.fork()
if pid == 0:
    print("child:", client.get("/").text, flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("parent:", client.get("/").text, flush=True)
"""


def test_async_views_after_a_fork_run_on_loops_of_their_own() -> None:
    """gunicorn --preload after an async start-up step: the child's views run
    on a loop of its own, whose asyncio.to_thread has threads (the parent's
    inherited executor had none: a hang), and the parent's loop still wakes
    for its threads' results once the child is gone."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_ASYNC_VIEWS],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.splitlines() == [
        "parent: off the loop, loop new",
        "child: off the loop, loop new",
        "parent: off the loop, loop kept",
    ], done.stderr
