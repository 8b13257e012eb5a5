"""Under WSGI (kolba run, gunicorn, the test client) the interpreter's exit
waits for the app's sync background tasks BACKGROUND_TASK_SHUTDOWN_TIMEOUT
at most, as the ASGI lifespan's shutdown does, with the same warnings: it
waited without limit (werkzeug's reloader hung after a save until every
task ended; for ever for an endless one; Ctrl+C too)."""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPT = """
import sys, threading, time
from kolba import Flask
app = Flask("exiting")
app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = {timeout}
started = threading.Semaphore(0)
def endless(n):
    started.release()
    while True:
        time.sleep(0.05)
def short():
    time.sleep(0.3)
    print("short done", flush=True)
@app.route("/")
def index():
    app.add_background_task(short)
    for n in range({endless}):
        app.add_background_task(endless, n)
    return "ok"
app.test_client().get("/").close()
started.acquire(timeout=5)
sys.exit({code})
"""


def run(timeout: float, endless: int, code: int = 3) -> tuple[float, str, str, int]:
    script = SCRIPT.format(timeout=timeout, endless=endless, code=code)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    return time.monotonic() - started, done.stdout, done.stderr, done.returncode


def test_an_endless_task_holds_the_exit_for_the_timeout_with_a_warning() -> None:
    took, out, err, code = run(1, 1)
    assert code == 3  # (the reloader's restart code, kept)
    assert took < 8
    assert out == "short done\n"  # (a task that ends within it is awaited)
    assert "Background tasks still running after 1 s (sync, on threads: they" in err
    assert "left running: <function endless" in err


def test_tasks_waiting_for_a_thread_are_cancelled_at_the_timeout() -> None:
    """More endless tasks than threads: those that never started are named
    as cancelled, the others as left running."""
    import kolba.asgi

    took, out, err, _ = run(0.5, kolba.asgi._DAEMON_THREADS + 2)
    assert took < 8
    cancelled = [line for line in err.splitlines() if "cancelled after 0.5 s" in line]
    assert len(cancelled) == 1
    assert cancelled[0].count("<function endless") == 2  # (short ended first)
    running = [line for line in err.splitlines() if "left running" in line]
    assert len(running) == 1
    assert running[0].count("<function") == kolba.asgi._DAEMON_THREADS


def test_no_limit_waits_for_the_tasks() -> None:
    """BACKGROUND_TASK_SHUTDOWN_TIMEOUT None: the exit waits for them all
    (here: the short one), as gunicorn's worker did."""
    took, out, err, code = run(None, 0, 0)  # type: ignore[arg-type]
    assert (out, err, code) == ("short done\n", "", 0)
