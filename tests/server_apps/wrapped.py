"""A kolba app whose wsgi_app is wrapped by WSGI middleware, as README and
docs/deployment.md show (ProxyFix, SharedDataMiddleware, DispatcherMiddleware,
a custom one), for tests/test_asgi_wsgi_middleware.py under uvicorn. It
writes what happened to the file named by KOLBA_TEST_EVENTS."""

from __future__ import annotations

import asyncio
import os
import time
import typing as t
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.middleware.shared_data import SharedDataMiddleware

from kolba import Flask, request, url_for


def record(line: str) -> None:
    with open(os.environ["KOLBA_TEST_EVENTS"], "a") as events:
        events.write(line + "\n")


app = Flask(__name__)


@app.route("/who")
def who() -> str:
    return f"{request.remote_addr} {url_for('who', _external=True)}"


@app.post("/echo")
async def echo() -> dict[str, int]:
    await asyncio.sleep(0)
    return {"size": len(await request.get_data())}


sub = Flask("sub")
sub.add_url_rule("/x", "x", lambda: f"sub {request.script_root}")


def endless(environ: t.Any, start_response: t.Any) -> t.Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    sent = 0
    try:
        while True:
            yield b"tick\n"
            sent += 1
            time.sleep(0.01)
    finally:
        record(f"endless closed after {sent}")


def broken(environ: t.Any, start_response: t.Any) -> t.NoReturn:
    raise LookupError("broken middleware")


app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
app.wsgi_app = SharedDataMiddleware(  # type: ignore[method-assign]
    app.wsgi_app, {"/shared": str(Path(__file__).parent)}
)
app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
    app.wsgi_app, {"/sub": sub, "/endless": endless, "/broken": broken}
)
