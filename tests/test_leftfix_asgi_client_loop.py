"""kolba.testing.ASGIClient runs its requests on one event loop of its own
(as a server's share one, with one thread pool for ``def`` views), closed by
``close()`` or once the client is gone; in a test whose own loop runs, a
request runs on a new loop in a thread. (Speed: see ASGIClient's PERF
note; measured, not asserted.)"""

from __future__ import annotations

import asyncio
import gc
import threading

from kolba import Flask
from kolba.testing import ASGIClient


def loop_app() -> tuple[Flask, list[asyncio.AbstractEventLoop], list[threading.Thread]]:
    app = Flask(__name__)
    loops: list[asyncio.AbstractEventLoop] = []
    threads: list[threading.Thread] = []

    @app.get("/async")
    async def in_loop() -> str:
        loops.append(asyncio.get_running_loop())
        return "ok"

    @app.get("/sync")
    def in_pool() -> str:
        threads.append(threading.current_thread())
        return "ok"

    return app, loops, threads


def test_the_requests_of_a_client_share_its_loop_and_pool() -> None:
    app, loops, threads = loop_app()
    client = ASGIClient(app)
    for _ in range(10):
        assert client.get("/async").text == "ok"
        assert client.get("/sync").text == "ok"
    assert len(set(loops)) == 1 and not loops[0].is_closed()
    # the pool's threads reused (a new loop's pool: a new thread each time;
    # one may be added when a request comes before the last one's thread
    # is counted idle again)
    assert len(set(threads)) <= 3
    other = ASGIClient(app)
    other.get("/async")
    assert loops[-1] is not loops[0]  # a client's own
    client.close()
    assert loops[0].is_closed()
    client.get("/async")  # a new one after close()
    assert loops[-1] is not loops[0] and not loops[-1].is_closed()
    client.close()
    other.close()


def test_the_loop_closes_once_the_client_is_gone() -> None:
    app, loops, _ = loop_app()
    client = ASGIClient(app)
    client.get("/async")
    del client
    gc.collect()
    assert loops[0].is_closed()


def test_close_cancels_the_background_tasks_left_running() -> None:
    app = Flask(__name__)
    seen: list[str] = []
    started = threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    @app.get("/")
    def index() -> str:
        app.add_background_task(forever)
        return "ok"

    client = ASGIClient(app)
    assert client.get("/").text == "ok"
    client.get("/")  # (the loop runs again: the first task waits on)
    client.close()
    assert seen == ["cancelled", "cancelled"]


def test_a_request_in_a_running_loop_runs_on_a_loop_in_a_thread() -> None:
    app, loops, _ = loop_app()
    client = ASGIClient(app)

    async def main() -> asyncio.AbstractEventLoop:
        assert client.get("/async").text == "ok"
        return asyncio.get_running_loop()

    test_loop = asyncio.run(main())
    assert loops[0] is not test_loop and loops[0].is_closed()
    client.close()
