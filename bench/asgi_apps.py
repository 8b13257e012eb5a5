"""The same two routes as ASGI apps: kolba, Starlette, Quart, Falcon and bare.

Every app's views are ``async def``; ``kolba_def`` is kolba with plain ``def``
views (run in a thread pool, as a Flask app moved to ASGI unchanged would).

``/`` answers ``Hello, World!`` and ``/user/42`` answers ``User 42``, as HTML.
bench.py times them in-process (one event loop, a fresh scope and receive per
request, the app awaited directly) and behind uvicorn's HTTP protocol in
process (raw requests parsed, responses written to a transport that drops
them: the server's own work counted, no socket and no load generator, so the
shares of bare move far less on a shared machine than over HTTP);
http_bench.py serves them.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # the modules beside
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Skip, busy, interleave, require, with_version  # noqa: E402

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
ROUTES = {"hello": "/", "user": "/user/42"}
BODIES = {"hello": b"Hello, World!", "user": b"User 42"}
NO_ASGI = "kolba has no ASGI entry yet"
STARLETTE_BAR = 1.2  # issue 8: kolba's in-process ASGI cost within 1.2x Starlette's


def make_bare() -> ASGIApp:
    """The limit: an ASGI callable that does only what the two routes need."""

    async def app(scope, receive, send):
        path = scope["path"]
        if path == "/":
            body = b"Hello, World!"
        elif path.startswith("/user/") and path[6:].isdigit():
            body = f"User {int(path[6:])}".encode()
        else:
            body = b""
        if scope["type"] != "http" or not body:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def make_bare_busy() -> ASGIApp:
    """The bare callable after busy(): about 1 µs a request more."""
    bare = make_bare()

    async def app(scope, receive, send):
        busy()
        await bare(scope, receive, send)

    return app


def make_starlette() -> ASGIApp:
    require("starlette")
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def hello(request):
        return HTMLResponse("Hello, World!")

    async def user(request):
        return HTMLResponse(f"User {request.path_params['id']}")

    return Starlette(routes=[Route("/", hello), Route("/user/{id:int}", user)])


def make_quart() -> ASGIApp:
    quart = require("quart")
    app = quart.Quart(__name__)

    @app.route("/")
    async def hello():
        return "Hello, World!"

    @app.route("/user/<int:id>")
    async def user(id):
        return f"User {id}"

    return app


def make_falcon() -> ASGIApp:
    falcon = require("falcon")
    asgi = require("falcon.asgi")

    class Hello:
        async def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_HTML
            resp.text = "Hello, World!"

    class User:
        async def on_get(self, req, resp, id):
            resp.content_type = falcon.MEDIA_HTML
            resp.text = f"User {id}"

    app = asgi.App()
    app.add_route("/", Hello())
    app.add_route("/user/{id:int}", User())
    return app


def _kolba(views: str) -> ASGIApp:
    """kolba's app with ``async def`` (as the others) or plain ``def`` views,
    if calling it with three arguments is ASGI."""
    try:
        from kolba import Flask
    except ImportError as exc:
        raise Skip(f"kolba is not importable: {exc}") from exc
    app = Flask(__name__)
    if views == "async":

        @app.route("/")
        async def hello():
            return "Hello, World!"

        @app.route("/user/<int:id>")
        async def user(id):
            return f"User {id}"

    else:

        @app.route("/")
        def hello():
            return "Hello, World!"

        @app.route("/user/<int:id>")
        def user(id):
            return f"User {id}"

    try:
        call(app, "/")
    except TypeError as exc:  # __call__(environ, start_response) only
        raise Skip(f"{NO_ASGI} ({exc})") from exc
    return app


def make_kolba() -> ASGIApp:
    return _kolba("async")


def make_kolba_def() -> ASGIApp:
    """Plain ``def`` views, which kolba runs in a thread pool under ASGI."""
    return _kolba("def")


# key: (label, distribution for the version, factory)
FRAMEWORKS = {
    "bare": ("bare ASGI", None, make_bare),
    "bare_busy": ("bare ASGI + 1 µs", None, make_bare_busy),
    "starlette": ("Starlette", "starlette", make_starlette),
    "falcon": ("Falcon", "falcon", make_falcon),
    "quart": ("Quart", "quart", make_quart),
    "kolba": ("kolba", None, make_kolba),
    "kolba_def": ("kolba, def views", None, make_kolba_def),
}


def scope_for(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


_REQUEST = {"type": "http.request", "body": b"", "more_body": False}


class Receive:
    """The body once, then (as a server) nothing until the client leaves."""

    __slots__ = ("sent",)

    def __init__(self) -> None:
        self.sent = False

    async def __call__(self) -> dict:
        if self.sent:
            await asyncio.get_running_loop().create_future()  # cancelled by apps
        self.sent = True
        return _REQUEST


async def _drop(message: dict) -> None:
    pass


def call(app: ASGIApp, path: str) -> tuple[int, str, bytes]:
    """One request: status, content type and body."""
    got: list[dict] = []

    async def send(message: dict) -> None:
        got.append(message)

    asyncio.run(app(scope_for(path), Receive(), send))
    start = next(m for m in got if m["type"] == "http.response.start")
    headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
    body = b"".join(
        m.get("body", b"") for m in got if m["type"] == "http.response.body"
    )
    return start["status"], headers.get("content-type", ""), body


def verify(name: str, app: ASGIApp) -> None:
    """Exit loudly unless both routes answer 200 with the right HTML body."""
    for key, path in ROUTES.items():
        status, ctype, body = call(app, path)
        if status != 200 or body != BODIES[key] or not ctype.startswith("text/html"):
            sys.exit(
                f"bench: ASGI {name} GET {path} answered {status} {ctype!r} "
                f"{body!r}, expected 200 'text/html...' {BODIES[key]!r}"
            )


async def _batch(app: ASGIApp, scope: dict, n: int) -> float:
    copy, send = scope.copy, _drop
    t0 = time.perf_counter()
    for _ in range(n):
        await app(copy(), Receive(), send)
    return time.perf_counter() - t0


class _DropTransport(asyncio.Transport):
    """A connection that keeps what the server writes until it is read."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data) -> None:
        self.written.append(data)

    def get_extra_info(self, name, default=None):
        peers = {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}
        return peers.get(name, default)

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self) -> None:
        pass


def behind_uvicorn(name: str, app: ASGIApp, loop) -> Callable:
    """``timer(path)`` for ``app`` behind uvicorn's httptools protocol, in
    process: ``timer(path)(n)`` serves n raw requests, one after another.
    Exits loudly unless both routes answer 200 with the right body."""
    require("uvicorn")
    from uvicorn.config import Config
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    config = Config(app, interface="asgi3", access_log=False, lifespan="off")
    config.load()
    protocol = HttpToolsProtocol(config, ServerState(), {}, _loop=loop)
    transport = _DropTransport()
    protocol.connection_made(transport)

    def timer(path: str) -> Callable[[int], float]:
        raw = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".encode()

        async def batch(n: int) -> float:
            transport.written.clear()
            t0 = time.perf_counter()
            for _ in range(n):
                protocol.data_received(raw)
                for task in list(protocol.tasks):
                    await task
            return time.perf_counter() - t0

        return lambda n: loop.run_until_complete(batch(n))

    for key, path in ROUTES.items():
        timer(path)(1)
        answer = b"".join(transport.written)
        if not answer.startswith(b"HTTP/1.1 200 ") or not answer.endswith(BODIES[key]):
            sys.exit(
                f"bench: ASGI {name} behind uvicorn: GET {path} gave {answer!r}"
            )
    return timer


def build() -> tuple[dict, dict]:
    """The apps that could be built (and answer right), and why others not."""
    apps, skipped = {}, {}
    for name, (_, _, factory) in FRAMEWORKS.items():
        try:
            apps[name] = factory()
        except Skip as exc:
            skipped[name] = str(exc)
            continue
        verify(name, apps[name])
    return apps, skipped


def label(name: str) -> str:
    return with_version(*FRAMEWORKS[name][:2])


def in_process(rounds: int, seconds: float) -> dict:
    """µs per request of each ASGI app, and kolba's ratios to Starlette and bare."""
    apps, skipped = build()
    loop = asyncio.new_event_loop()
    try:

        def timer(app, scope):
            return lambda n: loop.run_until_complete(_batch(app, scope, n))

        timers = {
            (name, key): timer(app, scope_for(path))
            for key, path in ROUTES.items()
            for name, app in apps.items()
        }
        flat = interleave(timers, rounds, seconds)
    finally:
        loop.close()
    results = _by_app(flat, apps)
    behind, shares = _behind_uvicorn(apps, rounds, seconds)
    ratios = {}
    for other in ("starlette", "bare"):
        if "kolba" in results and other in results:
            ratios[f"kolba_over_{other}"] = {
                key: results["kolba"][key]["us"] / results[other][key]["us"]
                for key in ROUTES
            }
    bars = {
        f"{ROUTES[key]}: kolba/Starlette <= {STARLETTE_BAR}": value <= STARLETTE_BAR
        for key, value in ratios.get("kolba_over_starlette", {}).items()
    }
    labels = {name: label(name) for name in apps}
    return {
        "labels": labels,
        "results": results,
        "ratios": ratios,
        "bars": bars,
        "skipped": skipped,
        "uvicorn": behind,
        "uvicorn_share_of_bare": shares,
    }


def _by_app(flat: dict, apps: dict) -> dict:
    """interleave()'s cells keyed (app, route), regrouped app by app."""
    grouped: dict = {name: {} for name in apps}
    for (name, key), cell in flat.items():
        grouped[name][key] = cell
    return grouped


def _behind_uvicorn(apps: dict, rounds: int, seconds: float) -> tuple[dict, dict]:
    """µs per request of each app behind uvicorn's protocol (on uvloop, as
    uvicorn runs), and its share of bare's requests per second there."""
    try:
        require("uvicorn")
        loop = require("uvloop").new_event_loop()
    except Skip:
        return {}, {}
    try:
        timers = {}
        for name, app in apps.items():
            timer = behind_uvicorn(name, app, loop)
            for key, path in ROUTES.items():
                timers[(name, key)] = timer(path)
        flat = interleave(timers, rounds, seconds)
    finally:
        loop.close()
    behind = _by_app(flat, apps)
    shares = {
        name: {key: behind["bare"][key]["us"] / cells[key]["us"] for key in ROUTES}
        for name, cells in behind.items()
    }
    return behind, shares


def report(asgi: dict) -> str:
    """The in-process ASGI table; a skipped kolba says why."""
    lines = [
        f"{'ASGI in-process, µs':<22}" + "".join(f"{p:>10}" for p in ROUTES.values())
    ]
    for name, cells in asgi["results"].items():
        lines.append(
            f"{asgi['labels'][name]:<22}"
            + "".join(f"{cells[k]['us']:10.2f}" for k in ROUTES)
        )
    for key, values in asgi["ratios"].items():
        text = key.replace("_over_", "/").replace("starlette", "Starlette")
        lines.append(f"{text:<22}" + "".join(f"{values[k]:9.2f}x" for k in ROUTES))
    for text, ok in asgi["bars"].items():
        lines.append(f"  {'ok  ' if ok else 'MISS'} {text} (issue 8)")
    if asgi.get("uvicorn"):
        lines.append(
            f"\n{'behind uvicorn, in-proc':<22}"
            + "".join(f"{p:>17}" for p in ROUTES.values())
            + "   µs (share of bare's requests/s)"
        )
        for name, cells in asgi["uvicorn"].items():
            share = asgi["uvicorn_share_of_bare"][name]
            lines.append(
                f"{asgi['labels'][name]:<22}"
                + "".join(f"{cells[k]['us']:10.2f} ({share[k]:.2f})" for k in ROUTES)
            )
    for name, why in asgi["skipped"].items():
        lines.append(f"skip {name}: {why}")
    return "\n".join(lines)
