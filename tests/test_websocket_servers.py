"""WebSockets under real servers on 127.0.0.1 (uvicorn, hypercorn, granian)
with a real client (tests/server_apps/wsmore.py): what each server does to a
WebSocket the app must see."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser import free_port, start_server, stop_server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

APPS = Path(__file__).resolve().parent / "server_apps"
BIN = Path(sys.executable).parent
SERVERS = ["uvicorn", "hypercorn", "granian"]


def command(server: str, port: int) -> list[str]:
    return {
        "uvicorn": [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", str(port)],
        "hypercorn": [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}"],
        "granian": [
            str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1",
        ],
    }[server] + ["wsmore:app"]  # fmt: skip


class Server:
    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.events = tmp / f"{kind}-events.txt"
        self.log = tmp / f"{kind}.log"
        path = os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path, "KOLBA_TEST_EVENTS": str(self.events)}
        self.proc = start_server(
            command(kind, self.port), APPS, env, self.port, self.log
        )

    def seen(self) -> list[str]:
        return self.events.read_text().splitlines() if self.events.exists() else []

    def wait_for(self, matches: Callable[[list[str]], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not matches(self.seen()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.kind}: not seen in {self.seen()}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    tmp = tmp_path_factory.mktemp("wsmore")
    started: list[Server] = []
    try:
        for kind in SERVERS:
            started.append(Server(kind, tmp))
        yield started
    finally:
        for server in started:
            stop_server(server.proc)


def test_a_view_that_only_sends_ends_once_a_client_that_sent_40_left(
    servers: list[Server],
) -> None:
    """A ticker that never receives; its client sends 40 messages (more than
    the read-ahead of 32) and closes. hypercorn and granian drop sends to a
    gone client, so only the watcher can tell: within the read-ahead's wait
    (5 s) the view is cancelled and torn down, under each server."""
    for server in servers:
        # (the servers that do not read on after the app stops reading answer
        # the close frame only once the watcher reads on: not waited for)
        with connect(f"{server.url}/ticker", close_timeout=1) as ws:
            assert ws.recv(timeout=5) == "tick"
            for _ in range(40):
                ws.send("x")
            time.sleep(0.2)
    for server in servers:
        server.wait_for(lambda seen: "teardown /ticker None" in seen, 10)
        time.sleep(0.1)
        seen = server.seen()
        assert seen.count("teardown /ticker None") == 1
        assert len([line for line in seen if line.startswith("ticker ended")]) == 1


def test_an_error_before_the_accept_is_a_500(servers: list[Server]) -> None:
    """Not the server's 403 for the app's close (a crash is no auth failure)."""
    for server in servers:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{server.url}/crash", open_timeout=5)
        assert refused.value.response.status_code == 500, server.kind
        assert b"Internal Server Error" in refused.value.response.body
        server.wait_for(lambda seen: "teardown /crash KeyError" in seen, 5)
        assert "Exception on /crash [GET]" in server.log.read_text()


@pytest.mark.parametrize("kind", SERVERS)
def test_open_websockets_are_torn_down_at_shutdown(kind: str, tmp_path: Path) -> None:
    """SIGTERM with a view awaiting receive() and one sending open: each is
    ended and torn down once before after_serving, under each server (granian
    runs the lifespan's shutdown while they are open, then exits: the app
    cancels them itself, or they were never torn down)."""
    server = Server(kind, tmp_path)
    try:
        server.wait_for(lambda seen: "startup" in seen, 10)
        with (
            connect(f"{server.url}/hold", close_timeout=1) as hold,
            connect(f"{server.url}/ticker", close_timeout=1) as tick,
        ):
            assert tick.recv(timeout=5) == "tick"
            hold.send("hi")
            time.sleep(0.2)
            os.kill(server.proc.pid, signal.SIGTERM)
            if not (kind == "hypercorn" and sys.version_info >= (3, 12)):
                server.proc.wait(15)
        # hypercorn 0.18 on Python 3.12+ awaits asyncio's Server.wait_closed()
        # before it tells the app to shut down, and from 3.12.1 that waits
        # for every connection to close: its WebSockets end when the clients
        # leave (above), not at the SIGTERM
        server.proc.wait(15)
    finally:
        stop_server(server.proc)
    seen = server.seen()
    assert seen[-1] == "after_serving", seen
    for start in ("after_websocket /hold", "after_websocket /ticker"):
        assert seen.count(start) == 1, seen
    for start in ("teardown /hold", "teardown /ticker", "hold ended", "ticker ended"):
        assert len([line for line in seen if line.startswith(start)]) == 1, seen


def test_a_url_without_a_websocket_is_a_404(servers: list[Server]) -> None:
    """The app's 404 (not the server's 403 for the app's close)."""
    for server in servers:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{server.url}/nothere", open_timeout=5)
        assert refused.value.response.status_code == 404, server.kind
        assert b"Not Found" in refused.value.response.body
