"""One app object under real servers on 127.0.0.1: uvicorn, granian and
hypercorn speak ASGI to it, gunicorn WSGI (tests/server_apps/dual.py)."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from browser import free_port, start_server, stop_server
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

APPS = Path(__file__).resolve().parent / "server_apps"
BIN = Path(sys.executable).parent


def command(server: str, port: int) -> list[str]:
    address = f"127.0.0.1:{port}"
    return {
        "uvicorn": [
            str(BIN / "uvicorn"), "dual:app", "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "on",
        ],
        "granian": [
            str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1", "dual:app",
        ],
        # module:app, as for the others: hypercorn sees by itself that app is ASGI
        "hypercorn": [str(BIN / "hypercorn"), "--bind", address, "dual:app"],
        "gunicorn": [
            str(BIN / "gunicorn"), "--bind", address, "--workers", "1",
            "--worker-class", "gthread", "--threads", "100", "dual:app",
        ],
    }[server]  # fmt: skip


class Server:
    def __init__(
        self, kind: str, url: str, events: Path, proc: subprocess.Popen[bytes]
    ) -> None:
        self.kind = kind
        self.url = url
        self.events = events
        self.proc = proc

    def seen(self) -> list[str]:
        return self.events.read_text().splitlines() if self.events.exists() else []

    def wait_for(self, line: str, timeout: float = 5) -> list[str]:
        """The lines seen, once ``line`` is one of them."""
        self.first(line.__eq__, timeout)
        return self.seen()

    def first(self, matches: Callable[[str], bool], timeout: float = 5) -> str:
        """The first line seen that ``matches`` (waiting for one)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen():
                if matches(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"not seen in {self.seen()}")
            time.sleep(0.05)


def app_env(**extra: str) -> dict[str, str]:
    """The servers' environment: the apps importable (and the kolba that a
    PYTHONPATH of the test run names, as it tests another checkout)."""
    path = os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def serve(server: str, tmp: Path) -> Iterator[Server]:
    port = free_port()
    events = tmp / "events.txt"
    env = app_env(KOLBA_TEST_EVENTS=str(events))
    log = tmp / f"{server}.log"
    proc = start_server(command(server, port), APPS, env, port, log)
    try:
        yield Server(server, f"http://127.0.0.1:{port}", events, proc)
    finally:
        stop_server(proc)


ASGI_SERVERS = ["uvicorn", "granian", "hypercorn"]


@pytest.fixture(scope="module", params=[*ASGI_SERVERS, "gunicorn"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from serve(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module", params=ASGI_SERVERS)
def asgi_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    yield from serve(request.param, tmp_path_factory.mktemp(request.param))


def test_the_same_app_answers(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/hello", params={"name": "ann"}).text == "hello ann"
        assert client.get("/fast").text == "fast"
        echoed = client.post("/echo", json={"x": [1, 2]})
        assert echoed.json() == {"json": {"x": [1, 2]}}
        assert client.get("/missing").status_code == 404


def test_a_streamed_echo_of_the_body_sends_all_of_it_in_order(server: Server) -> None:
    # (with the client waiting for a 100 Continue, as curl does past 1 MiB,
    # hypercorn's messages came to two receive() calls at once, out of
    # order: the echo came back reordered, or hung)
    body = os.urandom(1_100_000)
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /stream-echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Expect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += sock.recv(1)
        assert interim.startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(1 << 16):
            answer += chunk
    head, _, chunked = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    echoed = b""
    while True:  # (the chunked framing taken off)
        size, _, rest = chunked.partition(b"\r\n")
        if not int(size, 16):
            break
        echoed += rest[: int(size, 16)]
        chunked = rest[int(size, 16) + 2 :]
    assert echoed == body


def test_100_concurrent_async_sleeps_take_about_one_second(server: Server) -> None:
    """One worker: under ASGI the awaits share the loop; under gunicorn each
    request has a thread (and its thread's own loop)."""

    async def run() -> float:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(
            base_url=server.url, limits=limits, timeout=30
        ) as client:
            started = time.monotonic()
            responses = await asyncio.gather(
                *(client.get("/sleep") for _ in range(100))
            )
            elapsed = time.monotonic() - started
        assert [r.text for r in responses] == ["slept"] * 100
        return elapsed

    assert asyncio.run(run()) < 4


@pytest.fixture(scope="module", params=["granian", "hypercorn"])
def http2_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The ASGI servers that speak HTTP/2 over plain TCP (uvicorn does not)."""
    yield from serve(request.param, tmp_path_factory.mktemp(request.param))


def test_http2_requests_to_an_async_view_read_the_body_without_await(
    http2_server: Server,
) -> None:
    """HTTP/2 requests come without Content-Length: a GET's empty body ends
    at its first message, a POST's form came in it; an async view reads
    either without await, again and again on one connection."""
    with httpx.Client(base_url=http2_server.url, http1=False, http2=True) as client:
        for _ in range(3):
            got = client.get("/async-form")
            assert (got.http_version, got.status_code, got.text) == (
                "HTTP/2",
                200,
                "none",
            )
            assert client.post("/async-form", data={"a": "1"}).text == "1"
            assert client.get("/fast").text == "fast"


def test_slow_sync_views_do_not_delay_an_async_one(asgi_server: Server) -> None:
    async def run() -> float:
        async with httpx.AsyncClient(base_url=asgi_server.url, timeout=30) as client:
            slow = [asyncio.ensure_future(client.get("/slow-sync")) for _ in range(3)]
            await asyncio.sleep(0.3)  # the sync views are running in threads
            started = time.monotonic()
            assert (await client.get("/fast")).text == "fast"
            elapsed = time.monotonic() - started
            assert [(await r).text for r in slow] == ["slow"] * 3
        return elapsed

    assert asyncio.run(run()) < 1


def test_an_async_teardown_function_waits_on_the_servers_loop(
    asgi_server: Server,
) -> None:
    """While /teardown-waits' async teardown function waits, the loop serves
    /teardown-release, which lets it end."""

    async def run() -> list[str]:
        async with httpx.AsyncClient(base_url=asgi_server.url, timeout=30) as client:
            waits = asyncio.ensure_future(client.get("/teardown-waits"))
            release = await client.get("/teardown-release")
            return [(await waits).text, release.text]

    assert asyncio.run(run()) == ["waits", "released"]
    seen = asgi_server.wait_for("async teardown waited after /teardown-waits")
    assert seen.count("async teardown waited after /teardown-waits") == 1


def test_websocket_echo_and_close_code(asgi_server: Server) -> None:
    ws_url = asgi_server.url.replace("http://", "ws://")
    with connect(f"{ws_url}/ws/echo") as ws:
        ws.send("hi")
        assert ws.recv(timeout=5) == "hi"
        ws.send(b"\x00\xff")
        assert ws.recv(timeout=5) == b"\x00\xff"
    with connect(f"{ws_url}/ws/close") as ws, pytest.raises(ConnectionClosed) as e:
        ws.recv(timeout=5)
    assert e.value.rcvd is not None and e.value.rcvd.code == 4001
    asgi_server.wait_for("teardown /ws/close")


def test_websocket_route_over_http(server: Server) -> None:
    response = httpx.get(f"{server.url}/ws/echo")
    assert response.status_code == 426
    assert "WebSocket endpoint" in response.text


def test_a_websocket_handshake_under_wsgi_is_426(server: Server) -> None:
    """A client's WebSocket handshake to a WebSocket route: the ASGI servers
    connect it; gunicorn (WSGI) gets the 426 that says so, never a 500."""
    ws_url = server.url.replace("http://", "ws://") + "/ws/echo"
    if server.kind != "gunicorn":
        with connect(ws_url) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "hi"
        return
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, open_timeout=5)
    assert refused.value.response.status_code == 426
    assert b"WebSocket endpoint" in refused.value.response.body


@pytest.mark.parametrize("path", ["/stream", "/sync-stream", "/context-stream"])
def test_client_disconnect_stops_the_stream_and_teardown_runs_once(
    asgi_server: Server, path: str
) -> None:
    """An async generator, a sync one and a stream_with_context one: the
    client leaving mid-stream closes it once and tears down once, and the
    server logs no error."""
    log = asgi_server.events.parent / f"{asgi_server.kind}.log"
    logged = len(log.read_text())
    host, port = asgi_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert b"200" in sock.recv(4096)
        time.sleep(0.1)
    closed = f"{path[1:]} closed"
    asgi_server.wait_for(closed)
    asgi_server.wait_for(f"teardown {path}")
    time.sleep(0.3)
    seen = asgi_server.seen()
    assert seen.count(f"teardown {path}") == 1
    assert seen.count(closed) == 1
    assert "Traceback" not in log.read_text()[logged:]


def test_a_stream_cancelled_by_a_shutdown_is_closed_once(tmp_path: Path) -> None:
    """uvicorn cancels the tasks still running after its graceful shutdown
    time, then exits a few loop turns later: the stream's generator is
    closed once, where it awaits (no "already running" error), teardown runs
    once before the exit, and the task ends cancelled (which uvicorn logs)."""
    port = free_port()
    events = tmp_path / "events.txt"
    env = app_env(KOLBA_TEST_EVENTS=str(events))
    log = tmp_path / "uvicorn.log"
    cmd = [*command("uvicorn", port), "--timeout-graceful-shutdown", "1"]
    proc = start_server(cmd, APPS, env, port, log)
    server = Server("uvicorn", f"http://127.0.0.1:{port}", events, proc)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200" in sock.recv(4096)
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(20)
    finally:
        stop_server(proc)
    seen = server.seen()
    assert seen.count("stream closed") == 1
    assert seen.count("teardown /stream") == 1
    assert seen[-1] == "shutdown"  # (the stream ended before)
    text = log.read_text()
    assert "Cancel 1 running task(s)" in text
    assert "RuntimeError" not in text and "already running" not in text
    assert text.count("Traceback") == text.count("\nasyncio.exceptions.CancelledError")


def test_a_sync_stream_waiting_for_the_body_does_not_hold_a_shutdown(
    tmp_path: Path,
) -> None:
    """A sync view's stream waits, on a thread of the pool, for body that the
    client does not send: uvicorn still exits right after its graceful
    shutdown time (the thread's wait ends as the task is cancelled)."""
    port = free_port()
    log = tmp_path / "uvicorn.log"
    cmd = [
        str(BIN / "uvicorn"), "stalled:app", "--host", "127.0.0.1",
        "--port", str(port), "--timeout-graceful-shutdown", "1",
    ]  # fmt: skip
    env = app_env()
    proc = start_server(cmd, APPS, env, port, log)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                b"POST /read-stream HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n"
            )
            received = b""
            while b"read 4" not in received:
                received += sock.recv(4096)
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(8)
    finally:
        stop_server(proc)
    assert "Cancel 1 running task(s)" in log.read_text()


@pytest.fixture(scope="module", params=[*ASGI_SERVERS, "gunicorn"])
def limited_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """tests/server_apps/limited.py served."""
    port = free_port()
    tmp = tmp_path_factory.mktemp(f"limited-{request.param}")
    cmd = [a.replace("dual:app", "limited:app") for a in command(request.param, port)]
    proc = start_server(cmd, APPS, app_env(), port, tmp / "server.log")
    try:
        yield Server(request.param, f"http://127.0.0.1:{port}", tmp / "none", proc)
    finally:
        stop_server(proc)


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize(
    ("path", "status"),
    [("/read", 413), ("/ignore", 200), ("/async-ignore", 200), ("/stream-ignore", 200)],
)
def test_an_answer_that_leaves_a_body_unread_does_not_hold_the_connection(
    limited_server: Server, path: str, status: int, framing: str
) -> None:
    """A 2 MB body past MAX_CONTENT_LENGTH (1 MB), refused or ignored, on a
    kept-alive connection: the answer comes, then the next request's or the
    connection's end (hypercorn waited for its full queue to the app to have
    room: the connection hung open for good)."""
    host, port = limited_server.url.removeprefix("http://").split(":")
    chunk = b"x" * 65536
    if framing == "length":
        head, body = b"Content-Length: %d\r\n" % (32 * len(chunk)), chunk * 32
    else:
        framed = b"10000\r\n" + chunk + b"\r\n"
        head, body = b"Transfer-Encoding: chunked\r\n", framed * 32 + b"0\r\n\r\n"
    request = b"POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), head)
    then = b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(request + body + then)
        except OSError:  # (a server may answer and close before all is sent)
            pass
        answer = b""
        try:
            while chunk := sock.recv(1 << 16):  # (a timeout: the connection hung)
                answer += chunk
        except ConnectionResetError:
            # uvicorn closes with the body unread: the kernel resets the
            # connection, and may drop its answer on the way
            assert limited_server.kind == "uvicorn"
            return
    assert answer.startswith(b"HTTP/1.1 %d" % status)


def test_a_client_that_stops_reading_holds_the_stream_back(
    asgi_server: Server,
) -> None:
    """Backpressure: /flood makes 16 KiB chunks as fast as they are taken,
    4,000 at most. A client with a small receive buffer that reads nothing
    more holds it back to what the socket buffers take; closing the socket
    cancels it (not run to its end), and teardown runs once."""

    def made() -> int:  # "flood made N", every 50 chunks
        lines = "\n".join(asgi_server.seen())
        return max([0, *map(int, re.findall(r"flood made (\d+)", lines))])

    host, port = asgi_server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    with sock:
        sock.connect((host, int(port)))
        sock.sendall(b"GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1)
        stalled = made()
        time.sleep(0.5)
        assert made() == stalled  # waiting for the client
        assert 0 < stalled < 1000  # a few MiB of socket buffers
    closed = asgi_server.first(lambda line: line.startswith("flood closed after "))
    if asgi_server.kind != "granian":
        assert int(closed.split()[-1]) < 4000  # cancelled, not run to its end
    # granian drops the sends to a gone client and tells the app late or not
    # at all (after 300 to all 4,000 chunks seen): the stream still ends and
    # is torn down once, which is what the app can be sure of there.
    seen = asgi_server.wait_for("teardown /flood")
    time.sleep(0.2)
    assert seen.count("teardown /flood") == 1
    assert asgi_server.seen().count("teardown /flood") == 1


@pytest.mark.parametrize("how", ["close", "drop"])
def test_websocket_client_gone_runs_teardown_once(
    asgi_server: Server, how: str
) -> None:
    """A client that closes (a close frame) or drops the connection (no
    frame): the view's receive ends it, and teardown runs exactly once."""
    path = f"/ws/gone/{how}"
    if how == "close":
        with connect(asgi_server.url.replace("http://", "ws://") + path) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "hi"
    else:
        host, port = asgi_server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            key = base64.b64encode(os.urandom(16))
            sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode()
                + b"Upgrade: websocket\r\n"
                + b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + b"Sec-WebSocket-Key: "
                + key
                + b"\r\n\r\n"
            )
            assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    asgi_server.wait_for(f"teardown {path}")
    time.sleep(0.2)
    assert asgi_server.seen().count(f"teardown {path}") == 1


def test_a_websocket_that_only_sends_ends_when_the_client_leaves(
    asgi_server: Server,
) -> None:
    """The view never receives: the client leaving cancels it (hypercorn and
    granian drop its sends, uvicorn fails them), nothing is logged as an
    error, and teardown runs once."""
    with connect(asgi_server.url.replace("http://", "ws://") + "/ws/push") as ws:
        assert [ws.recv(timeout=5) for _ in range(3)] == ["tick"] * 3
    asgi_server.wait_for("teardown /ws/push")
    time.sleep(0.3)
    seen = asgi_server.seen()
    assert seen.count("push ended") == 1
    assert seen.count("teardown /ws/push") == 1
    log = (asgi_server.events.parent / f"{asgi_server.kind}.log").read_text()
    assert "Exception on /ws/push" not in log and "ClientDisconnected" not in log


def test_slow_uploads_hold_no_thread_and_clients_gone_log_nothing(
    asgi_server: Server,
) -> None:
    """33 clients (more than the loop's pool has threads) that send a byte of
    a form to a sync view and stall: a sync view still answers, their bodies
    being received on the loop. Clients that leave after the headers of a
    POST with a body: nothing logged (ClientDisconnected escaped the app)."""
    port = int(asgi_server.url.rsplit(":", 1)[1])
    head = (
        b"POST /sync-form HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n"
    )
    stalled = [socket.create_connection(("127.0.0.1", port)) for _ in range(33)]
    try:
        for sock in stalled:
            sock.sendall(head)
        time.sleep(0.5)
        answer = httpx.get(asgi_server.url + "/hello", timeout=10)
        assert answer.text == "hello world"
        stalled[0].sendall(b"2\r\n=1\r\n0\r\n\r\n")  # one finishes
        stalled[0].settimeout(10)
        reply = b""
        while b"1" not in reply.partition(b"\r\n\r\n")[2]:
            chunk = stalled[0].recv(4096)  # (the head and body may come apart)
            assert chunk, reply
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        for sock in stalled:
            sock.close()
    for path in (b"/async-data", b"/sync-form", b"/nowhere"):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
            )
            time.sleep(0.2)
    time.sleep(0.5)
    log = (asgi_server.events.parent / f"{asgi_server.kind}.log").read_text()
    assert "ClientDisconnected" not in log


# Stopped as a service manager or Ctrl+C stops them: a signal to the server's
# pid. (hypercorn's worker process, given a SIGTERM of its own, dies at once:
# it leaves the shutdown to the main process, which tells it.)
@pytest.mark.parametrize(
    "kind, stop",
    [
        ("uvicorn", signal.SIGTERM),
        ("granian", signal.SIGTERM),
        ("hypercorn", signal.SIGTERM),
        ("hypercorn", signal.SIGINT),
    ],
)
def test_lifespan_and_background_tasks(kind: str, stop: int, tmp_path: Path) -> None:
    """before_serving runs at startup; a background task runs after its
    response; shutdown waits for it, then runs after_serving."""
    for server in serve(kind, tmp_path):
        assert server.seen()[:1] == ["startup"]
        assert httpx.get(f"{server.url}/background").text == "queued"
        os.kill(server.proc.pid, stop)
        server.proc.wait(20)  # (uvicorn exits by the signal again: -15)
    assert server.seen()[-2:] == ["background done", "shutdown"]


def readme_commands() -> list[list[str]]:
    """The README's commands that serve one app object under each server."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## WSGI and ASGI: one app object", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].split() for line in block.splitlines()]


@pytest.mark.parametrize(
    "words", readme_commands(), ids=[c[0] for c in readme_commands()]
)
def test_the_readmes_commands_serve_the_app(words: list[str], tmp_path: Path) -> None:
    """Each command as the README writes it (the server's own flags for the
    address added), serving an app module: its sync view, async view,
    WebSocket and WebSocket route over HTTP answer as they should."""
    assert "module:app" in words
    port = free_port()
    address = {
        "gunicorn": ["--bind", f"127.0.0.1:{port}"],
        "hypercorn": ["--bind", f"127.0.0.1:{port}"],
    }.get(words[0], ["--host", "127.0.0.1", "--port", str(port)])
    command = [
        str(BIN / words[0]),
        *["dual:app" if word == "module:app" else word for word in words[1:]],
        *address,
    ]
    env = app_env(KOLBA_TEST_EVENTS=str(tmp_path / "events.txt"))
    proc = start_server(command, APPS, env, port, tmp_path / "server.log")
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/hello", timeout=10).text == "hello world"
        assert httpx.get(f"{url}/fast", timeout=10).text == "fast"
        assert httpx.get(f"{url}/ws/echo", timeout=10).status_code == 426
        if words[0] != "gunicorn":
            with connect(url.replace("http://", "ws://") + "/ws/echo") as ws:
                ws.send("hi")
                assert ws.recv(timeout=5) == "hi"
    finally:
        stop_server(proc)
