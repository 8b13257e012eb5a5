"""A process forked from one that served (gunicorn --preload, an app that
added a task or ran a request as it was made) makes its own background
threads and event loops: the parent's are not its own."""

from __future__ import annotations

import asyncio
import os
import select
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


def test_an_async_view_after_a_fork_runs_on_the_childs_own_loop() -> None:
    app = Flask(__name__)

    @app.route("/")
    async def index() -> str:
        loop = asyncio.get_running_loop()
        seen = getattr(loop, "made_in", "none")
        loop.made_in = os.getpid()  # type: ignore[attr-defined]
        return str(seen)

    client = app.test_client()
    assert client.get("/").text == "none"
    assert client.get("/").text == str(os.getpid())  # the thread's loop, kept

    def work(write: Write) -> None:
        write(client.get("/").text.encode())

    assert in_a_child(work) == b"none"
