"""The request body under ASGI read by several readers at once (tasks of an
async view or of its streamed body, threads of a sync one): each message is
received once, by one of them, and none waits for ever for a message another
took. (get_data() caches the body: each reader gets all of it, as under
WSGI; a stream read from two places is shared between them.)"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from test_asgi_stream_end import chunked_post, client_sending, recording

from kolba import Flask, Request, got_request_exception, request, stream_with_context

BODY = b"a" * 10 + b"b" * 10 + b"c" * 10 + b"d"


def parts() -> list[dict[str, Any]]:
    """BODY in four messages; the client then stays (its next receive waits)."""
    chunks = [BODY[:10], BODY[10:20], BODY[20:30], BODY[30:]]
    return [
        {"type": "http.request", "body": chunk, "more_body": i < 3}
        for i, chunk in enumerate(chunks)
    ]


def body_of(app: Flask) -> bytes:
    """The response body for a chunked POST of BODY (a hang fails in 5 s)."""
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        receive = client_sending(parts(), 0.01, None)
        await asyncio.wait_for(app(chunked_post(), receive, recording(sent)), 5)

    asyncio.run(main())
    assert sent[0]["status"] == 200
    return b"".join(m.get("body", b"") for m in sent[1:])


async def two_reads() -> tuple[bytes, bytes]:
    a, b = await asyncio.gather(request.get_data(), request.get_data())
    return a, b


async def two_iterations() -> list[bytes]:
    async def read() -> bytes:
        return b"".join([chunk async for chunk in request.iter_body()])

    return sorted(await asyncio.gather(read(), read()))


def test_two_tasks_of_an_async_view_await_the_body(app: Flask) -> None:
    @app.post("/")
    async def view() -> str:
        a, b = await two_reads()
        return f"{a == BODY} {b == BODY}"

    assert body_of(app) == b"True True"


@pytest.mark.parametrize("reads", ["get_data", "iter_body"])
def test_two_tasks_of_a_streamed_body_read_the_request_body(
    app: Flask, reads: str
) -> None:
    # (the stream's watcher receives the body for the reads meanwhile)
    @app.post("/")
    async def view() -> Any:
        async def chunks() -> AsyncIterator[str]:
            yield "start "
            if reads == "get_data":
                a, b = await two_reads()
                yield f"{a == BODY} {b == BODY}"
            else:
                first, second = await two_iterations()
                # each message went to one of them: all of it, nothing twice
                yield f"{sorted(first + second) == sorted(BODY)}"

        return chunks()

    expected = b"start True True" if reads == "get_data" else b"start True"
    assert body_of(app) == expected


def test_a_stream_echoing_the_body_never_receives_twice_at_once(app: Flask) -> None:
    # The stream's first read receives before its watcher runs: the watcher
    # waits for that message, then feeds the reads, so no two receive()
    # calls wait at once (a server's queue may answer them out of order).
    @app.post("/")
    async def view() -> Any:
        async def echo() -> AsyncIterator[bytes]:
            async for chunk in request.iter_body():
                yield chunk

        return echo()

    messages = parts()
    waiting = 0
    overlapped = False

    async def receive() -> dict[str, Any]:
        nonlocal waiting, overlapped
        waiting += 1
        overlapped = overlapped or waiting > 1
        try:
            await asyncio.sleep(0.01)
            if messages:
                # the later one first, as hypercorn's queue did to two waiters
                return messages.pop(-1 if waiting > 1 else 0)
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}
        finally:
            waiting -= 1

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        await asyncio.wait_for(app(chunked_post(), receive, recording(sent)), 5)

    asyncio.run(main())
    assert not overlapped
    assert b"".join(m.get("body", b"") for m in sent[1:]) == BODY


def test_a_thread_and_a_sync_stream_read_the_body_together(app: Flask) -> None:
    @app.post("/")
    def view() -> Any:
        stream = request.stream
        read: list[bytes] = []

        def chunks() -> Iterator[str]:
            yield "start "
            other = threading.Thread(target=lambda: read.append(stream.read(15)))
            other.start()
            read.append(stream.read(16))
            other.join()
            yield f"{sorted(b''.join(read)) == sorted(BODY)}"

        return stream_with_context(chunks())

    assert body_of(app) == b"start True"


class BrokenLimitRequest(Request):
    """A request class whose limit reads something that is not there."""

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        raise LookupError("no limit configured")


@pytest.mark.parametrize("kind", ["sync view", "async view"])
def test_a_limit_that_raises_while_a_view_streams_is_the_apps_error(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The limit of a body not all received yet is read for the stream's
    # watcher: its error goes through handle_exception (the 500 handler,
    # got_request_exception, the log), as Flask handles the error of a
    # property read during the request.
    app = Flask(__name__)
    app.request_class = BrokenLimitRequest
    app.config["MAX_CONTENT_LENGTH"] = 15  # (a sync view's body received up to it)
    seen: list[BaseException] = []

    def got(sender: Flask, exception: BaseException, **kwargs: Any) -> None:
        seen.append(exception)

    @app.errorhandler(500)
    def internal(e: Exception) -> tuple[str, int]:
        return "handled", 500

    def ticks() -> Iterator[str]:
        yield "tick"

    async def aticks() -> AsyncIterator[str]:
        yield "tick"

    if kind == "sync view":

        @app.post("/")
        def view() -> Any:
            return ticks()

    else:

        @app.post("/")
        async def aview() -> Any:
            return aticks()

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        receive = client_sending(parts(), 0.01, None)
        await asyncio.wait_for(app(chunked_post(), receive, recording(sent)), 5)

    with got_request_exception.connected_to(got, app), caplog.at_level(logging.ERROR):
        asyncio.run(main())
    assert sent[0]["status"] == 500
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"handled"
    assert [type(e) for e in seen] == [LookupError]
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [LookupError]
