"""A sync body under ASGI (a generator, stream_with_context, a file) is made
by one thread of the stream pool, a few chunks ahead of the sends: its
chunks, its end and its close all run on that thread; a slow client holds it
back (at most _AHEAD_CHUNKS / _AHEAD_BYTES waiting, twice that held); a
client that leaves stops and closes it there at once, its teardown run once;
a file's thread is freed while its client is slow. (Called directly, as a
server does; under uvicorn: tests/test_servers.py and bench numbers in the
commit.)"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kolba import Flask, Response, send_file, stream_with_context
from kolba.asgi import _STREAM_THREADS

Message = dict[str, Any]


def scope(path: str = "/") -> Message:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("testserver", 80),
    }


def staying(leaves_after: float = 3600) -> Callable[[], Awaitable[Message]]:
    """The receive() of a client that sent no body and leaves after a while."""

    async def receive() -> Message:
        await asyncio.sleep(leaves_after)
        return {"type": "http.disconnect"}

    return receive


def body(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize("wrap", ["plain", "stream_with_context"])
def test_a_sync_bodys_chunks_and_end_run_on_one_thread(wrap: str) -> None:
    """Before, each chunk was made by whichever thread of the pool was free:
    three bodies at once each ran on several threads; a generator that reads
    a sqlite3 cursor it opened (as under a WSGI server) failed: "SQLite
    objects created in a thread can only be used in that same thread"."""
    app = Flask(__name__)
    threads: dict[int, list[int]] = {}

    def rows(n: int) -> Iterator[str]:
        db = sqlite3.connect(":memory:")
        try:
            cursor = db.execute(
                "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r"
                " WHERE i < 60) SELECT i FROM r"
            )
            for (i,) in cursor:
                threads.setdefault(n, []).append(threading.get_ident())
                time.sleep(0.001)
                yield f"{i}\n"
        finally:
            db.close()
            threads[n].append(threading.get_ident())

    @app.get("/<int:n>")
    def view(n: int) -> Any:
        gen = rows(n)
        return Response(stream_with_context(gen) if wrap != "plain" else gen)

    async def get(n: int) -> list[Message]:
        sent: list[Message] = []

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope(f"/{n}"), staying(), send)
        return sent

    async def main() -> list[list[Message]]:
        return await asyncio.wait_for(asyncio.gather(*map(get, range(3))), 20)

    for sent in asyncio.run(main()):
        assert sent[0]["status"] == 200
        assert body(sent) == "".join(f"{i}\n" for i in range(1, 61)).encode()
    assert sorted(threads) == [0, 1, 2]
    for idents in threads.values():
        assert len(idents) == 61 and len(set(idents)) == 1
    assert threading.get_ident() not in {i[0] for i in threads.values()}


def wrapped(app: Flask) -> None:
    """app.wsgi_app wrapped by a WSGI middleware (served by serve_wsgi)."""
    inner = app.wsgi_app
    app.wsgi_app = lambda environ, start_response: inner(environ, start_response)  # type: ignore[method-assign]


SERVED = ["native", "wsgi-middleware"]


@pytest.mark.parametrize("served", SERVED)
def test_a_slow_client_keeps_the_body_a_few_chunks_ahead(served: str) -> None:
    """The thread makes chunks while the sends wait (before, none: one chunk
    at a time, each after the send of the one before), up to the bound."""
    app = Flask(__name__)
    if served != "native":
        wrapped(app)
    made = 0
    ahead: list[int] = []

    def chunks() -> Iterator[bytes]:
        nonlocal made
        for _ in range(400):
            made += 1
            yield b"x" * 10

    @app.get("/")
    def view() -> Any:
        return Response(chunks())

    sent: list[Message] = []
    sent_bytes = 0

    async def send(message: Message) -> None:
        nonlocal sent_bytes
        sent.append(message)
        if message["type"] == "http.response.body":
            await asyncio.sleep(0.002)  # (a slow client: the server waits)
            sent_bytes += len(message.get("body", b""))
            ahead.append(made - sent_bytes // 10)  # (chunks sent, merged or not)

    asyncio.run(asyncio.wait_for(app(scope(), staying(), send), 20))
    assert body(sent) == b"x" * 4000
    assert max(ahead) > 1  # made while the sends waited
    from kolba.asgi import _AHEAD_CHUNKS

    # what waits, what the sender took, and the chunk in the thread's hand
    assert max(ahead) <= 2 * _AHEAD_CHUNKS + 1
    assert sent[-1] == {"type": "http.response.body"}


def test_a_slow_client_holds_the_bytes_ahead_back() -> None:
    app = Flask(__name__)
    chunk = 100_000
    made = 0
    ahead: list[int] = []

    def chunks() -> Iterator[bytes]:
        nonlocal made
        for _ in range(40):
            made += chunk
            yield b"y" * chunk

    @app.get("/")
    def view() -> Any:
        return Response(chunks())

    sent_bytes = 0

    async def send(message: Message) -> None:
        nonlocal sent_bytes
        if message["type"] == "http.response.body":
            sent_bytes += len(message.get("body", b""))
            await asyncio.sleep(0.005)
            ahead.append(made - sent_bytes)

    asyncio.run(asyncio.wait_for(app(scope(), staying(), send), 20))
    from kolba.asgi import _AHEAD_BYTES

    assert sent_bytes == 40 * chunk
    assert max(ahead) <= 2 * (_AHEAD_BYTES + chunk)


@pytest.mark.parametrize("served", SERVED)
@pytest.mark.parametrize("slow_client", [False, True], ids=["fast", "slow"])
@pytest.mark.parametrize("wrap", ["plain", "stream_with_context"])
def test_a_client_that_leaves_closes_the_body_on_its_thread_at_once(
    wrap: str, slow_client: bool, served: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Before, the body's generator was closed (its finally, the teardown of
    stream_with_context) on the loop's thread, by the response's close; now
    by the thread that ran it, before the app returns; also when that thread
    waits for room (a slow client) as the client leaves."""
    app = Flask(__name__)
    events: list[tuple[str, Any]] = []
    ran_on: set[int] = set()
    if served != "native":
        wrapped(app)

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(("teardown", threading.get_ident()))

    def endless() -> Iterator[bytes]:
        try:
            while True:
                ran_on.add(threading.get_ident())
                if not slow_client:
                    time.sleep(0.001)
                yield b"row\n"
        finally:
            events.append(("closed", threading.get_ident()))

    @app.get("/")
    def view() -> Any:
        gen = endless()
        return Response(stream_with_context(gen) if wrap != "plain" else gen)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if slow_client:
            await asyncio.sleep(0.01)

    async def main() -> float:
        await app(scope(), staying(0.3), send)
        return time.monotonic()

    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        returned = asyncio.run(asyncio.wait_for(main(), 10))
    assert caplog.records == []
    assert returned - started < 2  # at once, not when the pool is freed
    assert len(ran_on) == 1
    (thread,) = ran_on
    closed = [e for e in events if e[0] == "closed"]
    assert closed == [("closed", thread)]
    teardowns = [e for e in events if e[0] == "teardown"]
    assert len(teardowns) == 1
    if wrap == "stream_with_context":  # (its context ends with the generator)
        assert events[-1] == ("teardown", thread)
    assert sent[0]["status"] == 200 and sent[-1].get("more_body") is True


def test_an_error_after_chunks_made_ahead_sends_them_first() -> None:
    """The chunks made before the body's error are sent, then the error is
    the app's (the server drops the connection), the body closed once."""
    app = Flask(__name__)
    closed: list[int] = []

    def chunks() -> Iterator[str]:
        try:
            for i in range(10):
                yield f"{i},"
            raise ValueError("row 10")
        finally:
            closed.append(threading.get_ident())

    @app.get("/")
    def view() -> Any:
        return stream_with_context(chunks())

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(ValueError, match="row 10"):
        asyncio.run(asyncio.wait_for(app(scope(), staying(), send), 10))
    assert body(sent) == b"0,1,2,3,4,5,6,7,8,9,"
    assert all(m.get("more_body") for m in sent[1:])
    assert len(closed) == 1 and closed[0] != threading.get_ident()


@pytest.fixture
def file_app(tmp_path: Path) -> tuple[Flask, bytes]:
    data = bytes(range(256)) * 4096  # 1 MB
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "big.bin").write_bytes(data)
    app = Flask(__name__, root_path=str(tmp_path))

    @app.get("/download")
    def download() -> Any:
        return send_file(tmp_path / "static" / "big.bin")

    return app, data


@pytest.mark.parametrize("served", SERVED)
@pytest.mark.parametrize("path", ["/download", "/static/big.bin"])
def test_a_file_is_read_in_64_kb_reads(
    file_app: tuple[Flask, bytes], path: str, served: str
) -> None:
    """Before, werkzeug's FileWrapper's 8 KB reads, one thread hop each."""
    app, data = file_app
    if served != "native":
        wrapped(app)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope(path), staying(), send), 10))
    assert body(sent) == data
    sizes = [len(m.get("body", b"")) for m in sent[1:]]
    assert sizes == [64 * 1024] * 16 + [0]


def test_slow_clients_of_files_hold_no_thread(file_app: tuple[Flask, bytes]) -> None:
    """More clients of a file than the stream pool has threads, each taking
    nothing until all of them have their first chunk: a file's thread returns
    while its chunks wait (a generator's waits on its thread, as under WSGI)."""
    app, data = file_app
    count = _STREAM_THREADS + 10
    all_started = asyncio.Event()
    started = 0

    async def get() -> bytes:
        nonlocal started
        sent: list[Message] = []

        async def send(message: Message) -> None:
            nonlocal started
            sent.append(message)
            if len(sent) == 2:
                started += 1
                if started == count:
                    all_started.set()
                await all_started.wait()

        await app(scope("/download"), staying(), send)
        return body(sent)

    async def main() -> list[bytes]:
        gets = asyncio.gather(*(get() for _ in range(count)))
        return await asyncio.wait_for(gets, 20)

    assert asyncio.run(main()) == [data] * count


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_under_a_real_server_a_client_that_stops_reading_holds_the_body_back(
    server: str, tmp_path: Path
) -> None:
    """A sync generator of 16 KiB chunks (4,000 at most) to a client with a
    small receive buffer that reads nothing more: it stalls once the socket
    buffers and the chunks ahead are full, on one thread; the client's
    leaving closes it there (not run to its end), torn down once."""
    import json
    import socket

    from browser import free_port, start_server, stop_server
    from test_servers import APPS, BIN, app_env

    port = free_port()
    address = f"127.0.0.1:{port}"
    command = (
        [str(BIN / "uvicorn"), "sync_flood:app", "--host", "127.0.0.1",
         "--port", str(port)]
        if server == "uvicorn"
        else [str(BIN / "hypercorn"), "--bind", address, "sync_flood:app"]
    )  # fmt: skip
    proc = start_server(command, APPS, app_env(), port, tmp_path / "log")

    def state() -> dict[str, Any]:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /made HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        return json.loads(answer.partition(b"\r\n\r\n")[2])  # type: ignore[no-any-return]

    try:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        with sock:
            sock.connect(("127.0.0.1", port))
            sock.sendall(b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(1)
            stalled = state()["made"]
            time.sleep(0.5)
            assert state()["made"] == stalled  # waiting for the client
            assert 0 < stalled < 1000  # socket buffers, and the chunks ahead
        deadline = time.monotonic() + 10
        while (seen := state())["closed"] is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)
        seen = state()
        assert seen["closed"] is not None and seen["closed"] < 4000
        assert seen["threads"] == 1
        assert seen["teardowns"] == 1
    finally:
        stop_server(proc)


def test_small_chunks_made_by_the_time_of_a_send_go_out_as_one_message() -> None:
    """A slow client: the chunks made meanwhile are joined into messages of
    up to 64 KB (one send, one write by the server, not one each); the body
    is the same, and a chunk of 64 KB or more goes out alone."""
    app = Flask(__name__)

    def chunks() -> Iterator[bytes]:
        for i in range(400):
            yield b"%d," % i
        yield b"y" * 70_000
        yield b"end"

    app.add_url_rule("/", "view", lambda: Response(chunks()))
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        await asyncio.sleep(0.002)  # (a slow client: the server waits)

    asyncio.run(asyncio.wait_for(app(scope(), staying(), send), 20))
    bodies = [m["body"] for m in sent if m.get("body")]
    assert b"".join(bodies) == b"".join(
        [b"%d," % i for i in range(400)] + [b"y" * 70_000, b"end"]
    )
    assert len(bodies) < 100
    assert b"y" * 70_000 in bodies
    assert all(len(b) <= 64 * 1024 for b in bodies if b != b"y" * 70_000)
