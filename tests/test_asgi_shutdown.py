"""The ASGI lifespan shutdown under real servers on 127.0.0.1: background
tasks that never end do not hold it (tests/server_apps/forever.py)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from browser import free_port, start_server, stop_server

APPS = Path(__file__).resolve().parent / "server_apps"
BIN = Path(sys.executable).parent


def command(server: str, port: int) -> list[str]:
    return {
        "uvicorn": [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", str(port)],
        "hypercorn": [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}"],
        "granian": [
            str(BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1",
            "--port", str(port), "--workers", "1",
        ],
    }[server] + ["forever:app"]  # fmt: skip


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn", "granian"])
def test_tasks_that_never_end_are_cancelled_or_left_at_shutdown(
    server: str, tmp_path: Path
) -> None:
    """After BACKGROUND_TASK_SHUTDOWN_TIMEOUT (1 s here) the async task is
    cancelled (its finally runs) and the sync one, on its thread, left
    running; both logged by name; after_serving runs and the server exits."""
    port = free_port()
    events = tmp_path / "events.txt"
    log = tmp_path / "server.log"
    path = os.pathsep.join(filter(None, [str(APPS), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "KOLBA_TEST_EVENTS": str(events)}
    proc = start_server(command(server, port), APPS, env, port, log)
    try:
        deadline = time.monotonic() + 10
        while "startup" not in (events.read_text() if events.exists() else ""):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(8)  # (it never ended: it waited for the tasks for ever)
    finally:
        stop_server(proc)
    assert events.read_text().splitlines() == [
        "startup", "poll_forever finally", "after_serving"
    ]  # fmt: skip
    text = log.read_text()
    assert "Background tasks cancelled after 1 s: <function poll_forever" in text
    assert "are left running: <function sync_forever" in text
