"""How a streamed response ends under ASGI when the client leaves (the server
says http.disconnect) or the server cancels the app's task (uvicorn on a
shutdown past its grace time, hypercorn when a client leaves): the body's
generator is closed once, after it stopped running; teardown runs once; a
client gone is no error; a cancelled task stays cancelled. (Under real
servers: tests/test_servers.py.)"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from kolba import Flask, Request, current_app, request, stream_with_context

KINDS = ["async view, async generator", "sync view, async generator"]
KINDS += ["async view, sync generator", "sync view, stream_with_context"]


def streaming_app(kind: str, events: list[Any], chunks: int = 100_000) -> Flask:
    """An app whose / streams ``chunks`` chunks, a few ms apart, recording
    its generator's end and its teardown functions in ``events``."""
    app = Flask(__name__)

    @app.teardown_request
    def teardown_request(exc: BaseException | None) -> None:
        events.append(("teardown_request", type(exc).__name__ if exc else None))

    @app.teardown_appcontext
    def teardown_appcontext(exc: BaseException | None) -> None:
        events.append(("teardown_appcontext", type(exc).__name__ if exc else None))

    async def ticks() -> AsyncIterator[str]:
        n = 0
        try:
            while n < chunks:
                n += 1
                yield "tick"
                await asyncio.sleep(0.002)
        finally:
            events.append(("closed", n < chunks))

    def sync_ticks() -> Iterator[str]:
        n = 0
        try:
            while n < chunks:
                n += 1
                yield request.path if kind.endswith("context") else "tick"
                time.sleep(0.002)
        finally:
            events.append(("closed", n < chunks))

    if kind == "async view, async generator":

        @app.route("/", methods=["GET", "POST"])
        async def view() -> Any:
            return ticks()

    elif kind == "sync view, async generator":

        @app.route("/", methods=["GET", "POST"])
        def view() -> Any:
            return ticks()

    elif kind == "async view, sync generator":

        @app.route("/", methods=["GET", "POST"])
        async def view() -> Any:
            return sync_ticks()

    else:

        @app.route("/", methods=["GET", "POST"])
        def view() -> Any:
            return stream_with_context(sync_ticks())

    return app


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
    }


def chunked_post() -> dict[str, Any]:
    return scope() | {"method": "POST", "headers": [(b"transfer-encoding", b"chunked")]}


def client_sending(
    parts: list[dict[str, Any]], every: float, leaves_after: float | None
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The receive() of a client that sends ``parts`` (taken from the
    list), ``every`` s apart, then leaves ``leaves_after`` s later (None:
    it stays)."""

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(every)
        if parts:
            return parts.pop(0)
        await asyncio.sleep(3600 if leaves_after is None else leaves_after)
        return {"type": "http.disconnect"}

    return receive


def recording(
    sent: list[dict[str, Any]],
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    """A send() that keeps what the app sends in ``sent``."""

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return send


def serve(
    app: Flask, leave: bool, cancels: int = 1
) -> tuple[str, list[dict[str, Any]], list[Any]]:
    """Serve one streamed request; after 0.1 s the client leaves (``leave``),
    or once two chunks are sent the server cancels the app's task
    (``cancels`` times, a loop turn apart, as asyncio.run cancels again the
    tasks left at its end). Returns
    how the task ended, what was sent and what the loop's exception handler
    was given."""
    sent: list[dict[str, Any]] = []
    reported: list[Any] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.1 if leave else 3600)
        return {"type": "http.disconnect"}

    send = recording(sent)

    async def main() -> str:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reported.append(context))
        task = asyncio.ensure_future(app(scope(), receive, send))
        if not leave:
            # (the stream under way: a few chunks sent, however busy the machine)
            for _ in range(500):
                if len(sent) > 2:
                    break
                await asyncio.sleep(0.01)
            for _ in range(cancels):
                task.cancel()
                await asyncio.sleep(0)
        try:
            await asyncio.wait_for(task, 5)
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
            ended = "cancelled"
        else:
            ended = "returned"
        await asyncio.sleep(0.05)  # (anything left running would report here)
        return ended

    return asyncio.run(main()), sent, reported


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_that_leaves_stops_the_stream_as_no_error(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[Any] = []
    app = streaming_app(kind, events)
    with caplog.at_level(logging.WARNING):
        ended, sent, reported = serve(app, leave=True)
    assert ended == "returned"
    assert reported == [] and caplog.records == []
    assert events.count(("closed", True)) == 1  # stopped, not run to its end
    # (stream_with_context's context ends as the generator is closed, as in
    # Flask: its teardown functions are given the GeneratorExit)
    exc = "GeneratorExit" if kind.endswith("context") else None
    assert [e for e in events if e[0] != "closed"] == [
        ("teardown_request", exc),
        ("teardown_appcontext", exc),
    ]
    assert 2 < len(sent) < 200


@pytest.mark.parametrize("cancels", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_a_cancelled_task_closes_the_stream_once_and_stays_cancelled(
    kind: str, cancels: int, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[Any] = []
    app = streaming_app(kind, events)
    with caplog.at_level(logging.WARNING):
        ended, sent, reported = serve(app, leave=False, cancels=cancels)
    assert ended == "cancelled"
    assert reported == [] and caplog.records == []
    assert events.count(("closed", True)) == 1
    names = [e[0] for e in events if e[0] != "closed"]
    assert names == ["teardown_request", "teardown_appcontext"]
    # no RuntimeError of a generator closed while it ran
    assert {e[1] for e in events if e[0] != "closed"} <= {
        None,
        "CancelledError",
        "GeneratorExit",
    }
    assert len(sent) > 2


def echoing_app(kind: str) -> Flask:
    """An app whose POST / streams back the size of each part of the body as
    it reads it, then the total: the stream's chunks read the body."""
    app = Flask(__name__)

    def sizes() -> Iterator[str]:
        total = 0
        while chunk := request.stream.read(1000):
            total += len(chunk)
            yield f"{len(chunk)} "
        yield f"total={total}"

    async def async_sizes(req: Request) -> AsyncIterator[str]:
        total = 0
        async for chunk in req.iter_body(1000):
            total += len(chunk)
            yield f"{len(chunk)} "
        yield f"total={total}"

    if kind == "async view, async generator":

        @app.post("/")
        async def view() -> Any:
            return async_sizes(request._get_current_object())

    elif kind == "sync view, async generator":

        @app.post("/")
        def view() -> Any:
            # (an async body runs on the loop, out of the view's context)
            return async_sizes(request._get_current_object())

    elif kind == "async view, sync generator":

        @app.post("/")
        async def view() -> Any:
            return stream_with_context(sizes())

    else:

        @app.post("/")
        def view() -> Any:
            return stream_with_context(sizes())

    return app


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_that_reads_the_body_gets_all_of_it(kind: str) -> None:
    """The watcher for a disconnect receives nothing until the body is all
    received: the body's messages are the stream's (50 of 1,000 bytes)."""
    parts = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": i < 49}
        for i in range(50)
    ]
    sent: list[dict[str, Any]] = []

    receive = client_sending(parts, 0.001, leaves_after=None)

    send = recording(sent)

    post = scope() | {
        "method": "POST",
        "headers": [(b"content-length", b"50000")],
    }
    asyncio.run(asyncio.wait_for(echoing_app(kind)(post, receive, send), 10))
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    assert sent[0]["status"] == 200
    assert body.endswith("total=50000") and not parts


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_whose_body_nobody_reads_stops_when_the_client_leaves(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The watcher receives the body that the stream does not read, so that
    it sees the client leave (a server drops the sends to a gone client)."""
    events: list[Any] = []
    app = streaming_app(kind, events)
    parts = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": i < 9}
        for i in range(10)
    ]
    sent: list[dict[str, Any]] = []

    receive = client_sending(parts, 0.001, leaves_after=0.1)

    send = recording(sent)

    post = scope() | {"method": "POST", "headers": [(b"content-length", b"10000")]}
    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(app(post, receive, send), 5))
    assert caplog.records == []
    assert events.count(("closed", True)) == 1  # stopped, not run to its end
    assert 2 < len(sent) < 200


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_that_leaves_while_the_stream_reads_its_body_is_no_error(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    parts = [
        {"type": "http.request", "body": b"x" * 1000, "more_body": True}
        for i in range(10)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.001)
        return parts.pop(0) if parts else {"type": "http.disconnect"}

    send = recording(sent)

    post = scope() | {"method": "POST", "headers": [(b"content-length", b"50000")]}
    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(echoing_app(kind)(post, receive, send), 5))
    assert caplog.records == []
    assert b"total=" not in b"".join(m.get("body", b"") for m in sent)


@pytest.mark.parametrize("stream", ["sync generator", "async generator"])
def test_the_body_a_stream_left_unread_is_whole_for_a_later_read(stream: str) -> None:
    """The watcher received up to its limit ahead of a stream that read part
    of the body and stopped: a teardown function reads the rest, all of it."""
    app = Flask(__name__)
    seen: list[int] = []

    def part() -> Iterator[str]:
        got = 0
        while got < 500 and (chunk := request.stream.read(100)):
            got += len(chunk)
        yield f"part {got}"

    async def async_part(req: Request) -> AsyncIterator[str]:
        await asyncio.sleep(0.05)  # (the watcher receives ahead meanwhile)
        got = 0
        async for chunk in req.iter_body(100):
            got += len(chunk)
            if got >= 500:
                break
        yield f"part {got}"

    @app.post("/")
    async def view() -> Any:
        if stream == "sync generator":
            return part()
        return async_part(request._get_current_object())

    @app.teardown_request
    async def read_the_rest(exc: BaseException | None) -> None:
        seen.append(len(await request.get_data()))

    feed: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for i in range(100):
        feed.put_nowait(
            {"type": "http.request", "body": b"x" * 100, "more_body": i < 99}
        )
    sent: list[dict[str, Any]] = []

    send = recording(sent)

    post = scope() | {"method": "POST", "headers": [(b"content-length", b"10000")]}
    asyncio.run(asyncio.wait_for(app(post, feed.get, send), 5))
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"part 500"
    assert seen == [9500]


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_past_the_limit_is_dropped_and_a_client_leaving_still_stops_the_stream(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream whose request body passes MAX_CONTENT_LENGTH unread: the
    watcher drops the rest (no read may have it: it is a 413) and so still
    sees the client leave; nothing past the limit is held. Before, it held
    64 messages (4 MiB here), then no longer received: the stream ran on."""
    events: list[Any] = []
    app = streaming_app(kind, events)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    taken: list[int] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.0005)
        if len(taken) < 100:
            taken.append(65536)
            return {"type": "http.request", "body": b"x" * 65536, "more_body": True}
        await asyncio.sleep(0.1)
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    send = recording(sent)

    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(app(chunked_post(), receive, send), 5))
    assert caplog.records == []
    assert len(taken) == 100  # all received (and dropped), then the disconnect
    assert events.count(("closed", True)) == 1
    assert sent[0]["status"] == 200


@pytest.mark.parametrize("kind", ["async view", "sync view"])
def test_a_stream_reads_the_body_up_to_the_requests_limit_then_a_413(kind: str) -> None:
    """The watcher drops a body at the request's own max_content_length (a
    view may raise the app's): reads get all up to it, then a 413."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    seen: list[Any] = []

    def reads() -> Iterator[str]:
        try:
            while chunk := request.stream.read(500):
                seen.append(len(chunk))
                yield "."
        except Exception as e:
            seen.append(type(e).__name__)
        yield "end"

    if kind == "async view":

        @app.post("/")
        async def view() -> Any:
            request.max_content_length = 3000
            return stream_with_context(reads())

    else:

        @app.post("/")
        def view() -> Any:
            request.max_content_length = 3000
            return stream_with_context(reads())

    parts = [
        {"type": "http.request", "body": b"x" * 500, "more_body": True}
        for _ in range(100)
    ]

    receive = client_sending(parts, 0.0005, leaves_after=None)

    sent: list[dict[str, Any]] = []

    send = recording(sent)

    asyncio.run(asyncio.wait_for(app(chunked_post(), receive, send), 5))
    assert sum(n for n in seen if type(n) is int) == 3000
    assert seen[-1] == "RequestEntityTooLarge"
    assert b"".join(m.get("body", b"") for m in sent[1:]).endswith(b"end")


@pytest.mark.parametrize("body", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_a_receive_that_fails_during_a_stream_is_the_apps_error(
    kind: str, body: bool
) -> None:
    """The server's receive() raising while the stream is watched: the
    stream stops and the app raises that error (before: an async stream ran
    on unwatched, a sync one stopped as if all was sent, the error lost)."""
    events: list[Any] = []
    app = streaming_app(kind, events)
    first = [{"type": "http.request", "body": b"x", "more_body": True}] if body else []

    async def receive() -> dict[str, Any]:
        if first:
            return first.pop()
        await asyncio.sleep(0.05)
        raise OSError("the server's receive failed")

    sent: list[dict[str, Any]] = []

    send = recording(sent)

    post = scope() | {"method": "POST"}
    if body:  # (announced over the limit: a sync view receives none ahead)
        post["headers"] = [(b"content-length", b"10")]
        app.config["MAX_CONTENT_LENGTH"] = 5
    with pytest.raises(OSError, match="the server's receive failed"):
        asyncio.run(asyncio.wait_for(app(post, receive, send), 5))
    assert events.count(("closed", True)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_stream_whose_input_a_hook_replaced_stops_when_the_client_leaves(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A before_request hook replaced wsgi.input: the stream is watched all
    the same (the driver's body is still the one receiving)."""
    events: list[Any] = []
    app = streaming_app(kind, events)

    @app.before_request
    def replace_the_input() -> None:
        request.environ["wsgi.input"] = io.BytesIO(b"")

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.1)
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    send = recording(sent)

    with caplog.at_level(logging.WARNING):
        post = scope() | {"method": "POST"}
        asyncio.run(asyncio.wait_for(app(post, receive, send), 5))
    assert caplog.records == []
    assert events.count(("closed", True)) == 1
    assert 2 < len(sent) < 200


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_of_many_small_messages_under_the_limit_still_lets_a_leaving_be_seen(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A slow client's body in many small messages that the stream does not
    read: the watcher holds them (bounded by their size, not their number)
    and sees the client leave. Before, it held 64 messages, then no longer
    received: the stream ran on, and uvicorn could not stop."""
    events: list[Any] = []
    app = streaming_app(kind, events)
    app.config["MAX_CONTENT_LENGTH"] = 10_000_000
    parts = [
        {"type": "http.request", "body": b"x" * 10, "more_body": True}
        for _ in range(300)
    ]

    receive = client_sending(parts, 0.0005, leaves_after=0.1)

    send = recording([])

    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(app(chunked_post(), receive, send), 5))
    assert caplog.records == []
    assert parts == []
    assert events.count(("closed", True)) == 1


def test_a_request_class_limit_that_needs_the_app_is_read_in_its_context() -> None:
    """A request class whose max_content_length reads current_app (as
    Flask 3.0's did), a sync view streaming a body not all received ahead:
    its limit is read while the view's context is pushed. Before: a
    RuntimeError after the view, and no response."""

    class AppLimitedRequest(Request):
        @property
        def max_content_length(self) -> int | None:  # type: ignore[override]
            limit: int | None = current_app.config["MAX_CONTENT_LENGTH"]
            return limit

    app = Flask(__name__)
    app.request_class = AppLimitedRequest

    @app.post("/")
    def view() -> Any:
        def length() -> Iterator[str]:
            yield f"n={len(request.get_data())}"

        return stream_with_context(length())

    parts = [
        {"type": "http.request", "body": b"a" * 100_000, "more_body": i < 9}
        for i in range(10)
    ]
    sent: list[dict[str, Any]] = []

    receive = client_sending(parts, 0.001, leaves_after=None)

    send = recording(sent)

    form = chunked_post()
    form["headers"] += [(b"content-type", b"application/x-www-form-urlencoded")]
    asyncio.run(asyncio.wait_for(app(form, receive, send), 5))
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"n=1000000"


@pytest.mark.parametrize("read", [False, True])
def test_behind_wsgi_middleware_a_stream_stops_when_the_client_leaves(
    read: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """app.wsgi_app wrapped by a WSGI middleware, a sync stream answering a
    body past MAX_CONTENT_LENGTH (never all received ahead): the rest of
    the body is received for the app's reads, and the client's leaving
    stops the stream. Before, the watcher waited for a body that never
    completed: the stream ran on. The body the stream reads is whole."""
    events: list[Any] = []
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    inner = app.wsgi_app
    app.wsgi_app = lambda environ, start_response: inner(environ, start_response)  # type: ignore[method-assign]
    got: list[int] = []

    @app.post("/")
    def view() -> Any:
        def ticks() -> Iterator[str]:
            try:
                if read:
                    request.max_content_length = None
                    got.append(len(request.get_data()))
                while True:
                    yield "tick"
                    time.sleep(0.002)
            finally:
                events.append("closed")

        return stream_with_context(ticks())

    parts = [
        {"type": "http.request", "body": b"x" * 500, "more_body": True}
        for _ in range(100)
    ]
    if read:  # (the body ends, then the client leaves)
        parts.append({"type": "http.request", "body": b"", "more_body": False})
    receive = client_sending(parts, 0.0005, leaves_after=0.1)
    send = recording([])

    with caplog.at_level(logging.WARNING):
        asyncio.run(asyncio.wait_for(app(chunked_post(), receive, send), 5))
    assert caplog.records == []
    assert events == ["closed"]
    assert got == ([50_000] if read else [])


@pytest.mark.parametrize("limit_fails", [False, True])
def test_an_error_pages_stream_stops_when_the_client_leaves(limit_fails: bool) -> None:
    """The 500 handler of an async view answers with an endless stream: it is
    watched as any stream is (also when the error was the request class's own
    limit, which is then not read again)."""
    events: list[Any] = []
    app = Flask(__name__)
    if limit_fails:

        class Failing(Request):
            @property
            def max_content_length(self) -> int | None:  # type: ignore[override]
                raise LookupError("no limit here")

        app.request_class = Failing

    @app.post("/")
    async def index() -> str:
        if not limit_fails:
            raise ValueError("boom")
        return str(await request.get_data())  # reads the limit, which raises

    @app.errorhandler(500)
    def on_500(e: Exception) -> Any:
        events.append(type(getattr(e, "original_exception", e)).__name__)

        async def ticks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.01)
            finally:
                events.append("closed")

        return app.response_class(ticks(), 500)

    parts = [{"type": "http.request", "body": b"x" * 10, "more_body": True}]
    sent: list[dict[str, Any]] = []
    receive = client_sending(parts, 0.001, leaves_after=0.2)
    post = scope() | {"method": "POST", "headers": [(b"content-length", b"20")]}
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(app(post, receive, send=recording(sent)), 5))
    assert time.monotonic() - started < 2
    assert sent[0]["status"] == 500
    assert events == ["LookupError" if limit_fails else "ValueError", "closed"]


def test_a_client_that_leaves_before_its_body_came_stops_the_stream() -> None:
    """The disconnect received before the view ran (its body was received
    ahead) reaches the stream's watcher: a server may send it only once."""
    events: list[Any] = []
    app = Flask(__name__)

    @app.post("/")
    async def ticks() -> Any:
        async def gen() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick"
                    await asyncio.sleep(0.01)
            finally:
                events.append("closed")

        return gen()

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"x" * 100, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:  # (then nothing more, as hypercorn)
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    post = scope() | {"method": "POST", "headers": [(b"content-length", b"1000")]}
    sent: list[dict[str, Any]] = []
    asyncio.run(asyncio.wait_for(app(post, receive, recording(sent)), 5))
    assert events == ["closed"]
    assert len(sent) < 50


@pytest.mark.parametrize("wrapped", [False, True], ids=["native", "wsgi-middleware"])
def test_streams_that_hold_a_pooled_resource_end_while_new_requests_wait_for_it(
    wrapped: bool,
) -> None:
    """Sync views that take a connection from a pool (as Flask-SQLAlchemy's
    session does) and give it back at teardown, after their stream: while new
    requests fill the loop's thread pool waiting for a connection, the
    streams' chunks are still made (they once waited for those threads, and
    the requests waited out the pool's timeout: 500s)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    connections = threading.BoundedSemaphore(2)
    app = Flask(__name__)
    if wrapped:
        app.wsgi_app = (lambda inner: lambda e, s: inner(e, s))(app.wsgi_app)  # type: ignore[method-assign]

    @app.teardown_request
    def give_back(exc: BaseException | None) -> None:
        if getattr(request, "_holds", False):
            connections.release()

    @app.get("/rows")
    def rows() -> Any:
        if not connections.acquire(timeout=3):
            raise RuntimeError("no connection in 3 s")
        request._holds = True  # type: ignore[attr-defined]

        def chunks() -> Iterator[str]:
            for i in range(3):
                time.sleep(0.01)
                yield f"row {i}\n"

        return stream_with_context(chunks())

    async def get(sent: list[dict[str, Any]]) -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(30)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({**scope(), "path": "/rows"}, receive, send)

    async def main() -> list[list[dict[str, Any]]]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(3))
        answers: list[list[dict[str, Any]]] = [[] for _ in range(8)]
        await asyncio.wait_for(asyncio.gather(*map(get, answers)), 20)
        return answers

    for sent in asyncio.run(main()):
        assert sent[0]["status"] == 200
        body = b"".join(m.get("body", b"") for m in sent[1:])
        assert body == b"row 0\nrow 1\nrow 2\n"


@pytest.mark.parametrize("framing", ["length", "chunked"])
def test_a_body_an_async_view_read_whole_is_not_received_again(framing: str) -> None:
    """The end of the answer receives the rest of a body only when some is
    left: once an async view read it all, no receive() follows."""
    app = Flask(__name__)

    @app.post("/size")
    async def size() -> str:
        return str(len(await request.get_data()))

    messages = [
        {"type": "http.request", "body": b"x" * 10, "more_body": True},
        {"type": "http.request", "body": b"y" * 10, "more_body": False},
    ]
    received: list[str] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append("receive")
        if messages:
            return messages.pop(0)
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # (as a server's send lets other tasks run)
        sent.append(message)

    length = [(b"content-length", b"20")] if framing == "length" else []
    headers = length or [(b"transfer-encoding", b"chunked")]
    post = scope() | {"method": "POST", "path": "/size", "headers": headers}
    asyncio.run(app(post, receive, send))
    assert sent[-1]["body"] == b"20"
    assert received == ["receive", "receive"]


def test_streams_on_different_loops_do_not_wait_for_each_others_threads() -> None:
    """Each loop has its stream threads (as its own executor was): eight test
    clients in eight threads, whose streams wait for all eight to have begun,
    all end; so does a stream that serves another app's stream in process."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from kolba.testing import ASGIClient

    app = Flask(__name__)
    all_in = threading.Barrier(8, timeout=5)

    @app.get("/sub")
    def sub() -> Any:
        def chunks() -> Iterator[str]:
            yield "joined\n"
            all_in.wait()
            yield "all here\n"

        return stream_with_context(chunks())

    @app.get("/proxy")
    def proxy() -> Any:
        def chunks() -> Iterator[str]:
            yield ASGIClient(app, app.response_class).get("/rows").text

        return stream_with_context(chunks())

    @app.get("/rows")
    def rows() -> Any:
        def chunks() -> Iterator[str]:
            time.sleep(0.05)
            yield "row\n"

        return stream_with_context(chunks())

    def get(path: str) -> str:
        return ASGIClient(app, app.response_class).get(path).text

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(get, ["/sub"] * 8)) == ["joined\nall here\n"] * 8
        assert list(pool.map(get, ["/proxy"] * 8)) == ["row\n"] * 8
