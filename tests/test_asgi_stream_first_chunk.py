"""Under ASGI a streamed response is started with its first chunk, as a WSGI
server starts it (PEP 3333): a stream that fails before its first chunk is
the server's 500 (as in Flask 3.1.3 under a WSGI server), not a 200 whose
connection is then dropped (rev-errors #2)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import free_port, start_server, stop_server
from test_asgi_stream_chunks import call, http_scope
from test_servers import APPS, BIN, app_env

from kolba import Flask, Response, stream_with_context


def failing_app(seen: list[str]) -> Flask:
    app = Flask(__name__)

    def failing(empty_first: bool) -> Iterator[str]:
        if empty_first:
            yield ""  # (an empty chunk starts nothing)
        raise ValueError("before the first chunk")

    async def async_failing(empty_first: bool) -> AsyncIterator[str]:
        if empty_first:
            yield ""
        raise ValueError("before the first chunk")

    @app.get("/<kind>/<int:empty_first>")
    def sync_view(kind: str, empty_first: int) -> Any:
        if kind == "plain":
            return Response(failing(bool(empty_first)))
        if kind == "with-context":
            return Response(stream_with_context(failing(bool(empty_first))))
        return Response(async_failing(bool(empty_first)))

    @app.get("/from-async-view/<kind>/<int:empty_first>")
    async def async_view(kind: str, empty_first: int) -> Any:
        if kind == "with-context":
            return Response(stream_with_context(failing(bool(empty_first))))
        return Response(async_failing(bool(empty_first)))

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(repr(exc))

    return app


@pytest.mark.parametrize(
    "path",
    [
        "/plain/0",
        "/plain/1",
        "/with-context/0",
        "/with-context/1",
        "/async-gen/0",
        "/async-gen/1",
        "/from-async-view/with-context/0",
        "/from-async-view/async-gen/1",
    ],
)
def test_a_stream_failing_before_its_first_chunk_sends_nothing(path: str) -> None:
    seen: list[str] = []
    sent, error = call(failing_app(seen), path)
    assert sent == []  # nothing started: the server answers 500
    assert isinstance(error, ValueError)
    # (a stream_with_context or async view's stream ends its context: its
    # teardown gets the error; a plain one's came before the stream, as
    # under WSGI)
    torn_down_after = "with-context" in path or "from-async-view" in path
    assert seen == [
        "ValueError('before the first chunk')" if torn_down_after else "None"
    ]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_start_goes_with_the_first_chunk(kind: str) -> None:
    """A stream slow to make its first chunk: its start is sent with it, no
    later (then each chunk as it comes)."""
    app = Flask(__name__)
    made: list[str] = []

    def chunks() -> Iterator[str]:
        time.sleep(0.2)
        made.append("first")
        yield "first,"
        made.append("second")
        yield "second"

    async def async_chunks() -> AsyncIterator[str]:
        await asyncio.sleep(0.2)
        made.append("first")
        yield "first,"
        made.append("second")
        yield "second"

    @app.get("/")
    def view() -> Response:
        return Response(chunks() if kind == "sync" else async_chunks())

    sent, error = call(app, "/")
    assert error is None
    assert [m["type"] for m in sent[:2]] == [
        "http.response.start",
        "http.response.body",
    ]
    assert sent[0]["status"] == 200
    bodies = [m.get("body", b"") for m in sent[1:]]
    # (a sync body's chunks made by the time of a send go out as one message)
    assert bodies[0].startswith(b"first,") and bodies[-1] == b""
    assert b"".join(bodies) == b"first,second"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_client_gone_before_the_first_chunk_stops_the_stream(kind: str) -> None:
    """A stream that waits for its first chunk still sees the client leave:
    it stops (closed, torn down once, no error); the start is sent then, to
    no one, so that the server logs no response missing."""
    app = Flask(__name__)
    made: list[str] = []
    torn_down: list[str] = []

    def chunks() -> Iterator[str]:
        try:
            for n in range(50):
                time.sleep(0.05)
                made.append(str(n))
                yield ""  # (waits on, making nothing)
        finally:
            made.append("closed")

    async def async_chunks() -> AsyncIterator[str]:
        try:
            for n in range(50):
                await asyncio.sleep(0.05)
                made.append(str(n))
                yield ""
        finally:
            made.append("closed")

    @app.get("/")
    def view() -> Response:
        return Response(
            stream_with_context(chunks()) if kind == "sync" else async_chunks()
        )

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(repr(exc))

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b""}
            await asyncio.sleep(0.2)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(http_scope("/"), receive, send), 5)

    asyncio.run(main())
    assert made[-1] == "closed" and len(made) < 20
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert len(torn_down) == 1


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_real_servers_answer_500_for_a_stream_failing_at_once(
    server: str, tmp_path: Path
) -> None:
    port = free_port()
    address = f"127.0.0.1:{port}"
    if server == "uvicorn":
        command = [
            str(BIN / "uvicorn"), "first_chunk:app", "--host", "127.0.0.1",
            "--port", str(port),
        ]  # fmt: skip
    else:
        command = [str(BIN / "hypercorn"), "--bind", address, "first_chunk:app"]
    proc = start_server(command, APPS, app_env(), port, tmp_path / "log")
    try:
        with httpx.Client(base_url=f"http://{address}", timeout=10) as client:
            assert client.get("/sync").status_code == 500
            assert client.get("/async").status_code == 500
            fine = client.get("/fine")
            assert (fine.status_code, fine.text) == (200, "ab")
    finally:
        stop_server(proc)
