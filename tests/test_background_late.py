"""app.add_background_task() called after the request's after-request
functions had their turn (from an after_request or teardown function, a
streamed body, a task or thread of the view once the response is out): the
task runs, after the response (rev-async #2: it was dropped, under ASGI and
WSGI). Flask has no add_background_task (Quart starts it at once)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from test_asgi_stream_chunks import http_scope
from test_websocket import serve, ws_scope

from kolba import (
    Flask,
    copy_current_request_context,
    current_app,
    request,
    stream_with_context,
    websocket,
)

LATE = [
    "/after-request/sync",
    "/after-request/async",
    "/teardown/sync",
    "/teardown/async",
    "/stream/sync",
    "/stream/async",
    "/task/async",
    "/thread/sync",
]


def late_app(events: list[str]) -> Flask:
    app = Flask(__name__)

    def task(tag: str) -> None:
        events.append(f"task {tag} in {current_app.name}")

    async def async_task(tag: str) -> None:
        await asyncio.sleep(0)
        events.append(f"task {tag} in {current_app.name}")

    @app.after_request
    def after(response: Any) -> Any:
        if request.path.startswith("/after-request/"):
            app.add_background_task(task, request.path)
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        if request.path.startswith("/teardown/"):
            app.add_background_task(task, request.path)

    @app.get("/after-request/sync")
    @app.get("/teardown/sync")
    def sync_view() -> str:
        return "ok"

    @app.get("/after-request/async")
    @app.get("/teardown/async")
    async def async_view() -> str:
        return "ok"

    @app.get("/stream/sync")
    def sync_stream() -> Any:
        @stream_with_context
        def chunks() -> Iterator[str]:
            yield "a"
            app.add_background_task(task, request.path)
            yield "b"

        return chunks()

    @app.get("/stream/async")
    async def async_stream() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield "a"
            app.add_background_task(async_task, request.path)
            yield "b"

        return chunks()

    @app.get("/task/async")
    async def view_task() -> str:
        async def later(path: str) -> None:
            await sent.wait()
            app.add_background_task(async_task, path)

        sent = asyncio.Event()
        app.config["SENT"] = sent
        asyncio.get_running_loop().create_task(later(request.path))
        return "ok"

    @app.get("/thread/sync")
    def view_thread() -> str:
        sent = threading.Event()
        app.config["SENT"] = sent

        def later() -> None:
            sent.wait(5)
            app.add_background_task(task, request.path)

        threading.Thread(target=copy_current_request_context(later)).start()
        return "ok"

    return app


@pytest.mark.parametrize("path", LATE)
def test_under_asgi_a_task_added_late_runs_after_the_response(path: str) -> None:
    events: list[str] = []
    app = late_app(events)

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            events.append(message["type"])
            if message["type"] == "http.response.body" and not message.get(
                "more_body"
            ):
                sent = app.config.get("SENT")
                if sent is not None:
                    sent.set()

        await asyncio.wait_for(app(http_scope(path), receive, send), 5)
        for _ in range(100):  # (the task runs on this loop, or a thread)
            if events[-1].startswith("task"):
                break
            await asyncio.sleep(0.02)

    asyncio.run(main())
    assert events[-1] == f"task {path} in {app.name}"
    assert events.count(events[-1]) == 1
    assert events[-2] == "http.response.body"  # (the last: after the response)


@pytest.mark.parametrize("path", [p for p in LATE if p != "/task/async"])
def test_under_wsgi_a_task_added_late_runs(path: str) -> None:
    """(Under WSGI a view's asyncio task does not outlive its view.)"""
    events: list[str] = []
    app = late_app(events)
    response = app.test_client().get(path)
    assert response.get_data() in (b"ok", b"ab")
    response.close()
    if path == "/thread/sync":
        app.config["SENT"].set()
    deadline = time.monotonic() + 5
    while not events and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events == [f"task {path} in {app.name}"]


def test_a_task_added_once_a_websocket_ended_runs() -> None:
    events: list[str] = []
    app = Flask(__name__)

    def task(tag: str) -> None:
        events.append(tag)

    @app.websocket("/ws")
    async def ws() -> None:
        async def later() -> None:
            await asyncio.sleep(0.1)  # (the WebSocket has ended)
            app.add_background_task(task, "late")

        app.config["LATER"] = asyncio.get_running_loop().create_task(later())
        await websocket.accept()
        app.add_background_task(task, "in the view")

    async def main() -> None:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})
        served, sent = await serve(app, ws_scope(), inbox)
        await asyncio.wait_for(served, 5)
        await app.config["LATER"]
        for _ in range(100):
            if len(events) == 2:
                break
            await asyncio.sleep(0.02)

    asyncio.run(main())
    assert events == ["in the view", "late"]


@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_task_of_a_view_whose_response_an_after_request_replaced_runs(
    driver: str,
) -> None:
    # (its tasks waited for the view's response to be closed: an
    # after_request function returning a new one left it unclosed, and the
    # task was lost)
    from kolba import Response
    from kolba.testing import ASGIClient

    ran = threading.Event()
    app = Flask(__name__)

    @app.route("/")
    def view() -> str:
        app.add_background_task(ran.set)
        return "view"

    @app.after_request
    def replace(response: Response) -> Response:
        return Response("replaced")

    client = app.test_client() if driver == "wsgi" else ASGIClient(app)
    response = client.get("/")
    assert response.text == "replaced"
    response.close()
    assert ran.wait(5)
