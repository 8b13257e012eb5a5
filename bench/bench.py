"""Per-request cost of kolba against Flask, Bottle, Falcon and a bare WSGI app.

Every app is called in-process as WSGI with a fresh copy of a minimal environ;
the body iterable is consumed and closed. Apps and routes are timed in
interleaved rounds and the best round counts, because this machine is noisy.

    python bench/bench.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import sys
import time
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
if SRC.is_dir():  # measure the checkout this script lives in
    sys.path.insert(0, str(SRC))

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

ROUTES = {"/": b"Hello, World!", "/user/42": b"User 42"}
EXTRA_ROUTES = 1000

BASE_ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "HTTP_HOST": "localhost",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.input": io.BytesIO(b""),  # GET requests never read it
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


class Skip(Exception):
    """A framework that is not installed."""


# -- the apps ---------------------------------------------------------------


def make_bare() -> WSGIApp:
    """The limit: a WSGI callable that does only what the two routes need."""

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            body = b"Hello, World!"
        elif path.startswith("/user/") and path[6:].isdigit():
            body = f"User {int(path[6:])}".encode()
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ]
        start_response("200 OK", headers)
        return [body]

    return app


def _import(name: str):
    try:
        return __import__(name)
    except ImportError as exc:
        raise Skip(f"{exc} (pip install -r bench/requirements.txt)") from exc


def make_falcon() -> WSGIApp:
    falcon = _import("falcon")

    class Hello:
        def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_HTML
            resp.text = "Hello, World!"

    class User:
        def on_get(self, req, resp, id):
            resp.content_type = falcon.MEDIA_HTML
            resp.text = f"User {id}"

    app = falcon.App()
    app.add_route("/", Hello())
    app.add_route("/user/{id:int}", User())
    return app


def make_bottle() -> WSGIApp:
    bottle = _import("bottle")
    app = bottle.Bottle()

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.route("/user/<id:int>")
    def user(id):
        return f"User {id}"

    return app


def _flask_app(flask_cls, extra_routes: int = 0) -> WSGIApp:
    """The two routes on Flask's API, after ``extra_routes`` unrelated ones."""
    app = flask_cls(__name__)

    def extra(x=None):
        return "extra"

    for i in range(extra_routes):
        if i % 2:
            app.route(f"/static{i}", endpoint=f"static{i}")(extra)
        else:
            app.route(f"/r{i}/<int:x>", endpoint=f"r{i}")(extra)

    @app.route("/")
    def hello():
        return "Hello, World!"

    @app.route("/user/<int:id>")
    def user(id):
        return f"User {id}"

    return app


def make_flask() -> WSGIApp:
    return _flask_app(_import("flask").Flask)


def _kolba_flask():
    try:
        from kolba import Flask
    except ImportError as exc:
        raise Skip(f"kolba is not importable yet: {exc}") from exc
    return Flask


def make_kolba() -> WSGIApp:
    return _flask_app(_kolba_flask())


def make_kolba_1000() -> WSGIApp:
    return _flask_app(_kolba_flask(), EXTRA_ROUTES)


# key: (label, distribution for the version, factory)
FRAMEWORKS = {
    "bare": ("bare WSGI", None, make_bare),
    "falcon": ("Falcon", "falcon", make_falcon),
    "bottle": ("Bottle", "bottle", make_bottle),
    "flask": ("Flask", "flask", make_flask),
    "kolba": ("kolba", None, make_kolba),
    "kolba_1000": (f"kolba, {EXTRA_ROUTES:,} routes", None, make_kolba_1000),
}


# -- calling and timing -----------------------------------------------------


def _start_response(status, headers, exc_info=None):
    return _write


def _write(data):
    pass


def call(app: WSGIApp, path: str) -> tuple[str, dict[str, str], bytes]:
    """One request through ``app``: status, headers and the joined body."""
    seen = []

    def start_response(status, headers, exc_info=None):
        seen.append((status, dict(headers)))
        return _write

    environ = dict(BASE_ENVIRON, PATH_INFO=path)
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, headers = seen[-1]
    return status, headers, body


def verify(name: str, app: WSGIApp) -> None:
    """Exit loudly unless every route answers 200 with the right HTML body."""
    for path, want in ROUTES.items():
        status, headers, body = call(app, path)
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if status != "200 OK" or body != want or not ctype.startswith("text/html"):
            sys.exit(
                f"bench: {name} GET {path} answered {status!r} {ctype!r} {body!r}, "
                f"expected '200 OK' 'text/html...' {want!r}"
            )


def batch(app: WSGIApp, environ: dict, n: int) -> float:
    """Seconds for ``n`` requests, each with a fresh copy of ``environ``."""
    copy = environ.copy
    start_response = _start_response
    t0 = time.perf_counter()
    for _ in range(n):
        result = app(copy(), start_response)
        for _chunk in result:
            pass
        if hasattr(result, "close"):
            result.close()
    return time.perf_counter() - t0


def calibrate(app: WSGIApp, environ: dict, seconds: float) -> int:
    """How many requests take about ``seconds`` (this also warms the app up)."""
    n = 1
    while True:
        took = batch(app, environ, n)
        if took >= min(seconds, 0.02) or n >= 1 << 24:
            return max(1, int(n * seconds / max(took, 1e-9)))
        n *= 4


def measure(apps: dict, rounds: int, seconds: float) -> dict:
    """Best µs per request for every app x route, over interleaved rounds."""
    jobs = [
        (name, path, app, dict(BASE_ENVIRON, PATH_INFO=path))
        for name, app in apps.items()
        for path in ROUTES
    ]
    sizes = {(n, p): calibrate(a, e, seconds) for n, p, a, e in jobs}
    best = {key: float("inf") for key in sizes}
    for r in range(rounds):
        shift = r % len(jobs)  # rotate the order so no app always goes first
        for name, path, app, environ in jobs[shift:] + jobs[:shift]:
            n = sizes[name, path]
            per = batch(app, environ, n) / n * 1e6
            best[name, path] = min(best[name, path], per)
    return {
        name: {
            path: {"us": best[name, path], "n": sizes[name, path]} for path in ROUTES
        }
        for name in apps
    }


# -- reporting --------------------------------------------------------------


def ratios(results: dict) -> dict:
    """The budget's ratios, per route, for the pairs that were measured."""
    pairs = {
        "flask_over_kolba": ("flask", "kolba"),
        "kolba_over_falcon": ("kolba", "falcon"),
        "kolba_over_bare": ("kolba", "bare"),
        "kolba_1000_over_kolba": ("kolba_1000", "kolba"),
    }
    out = {}
    for key, (a, b) in pairs.items():
        if a in results and b in results:
            out[key] = {p: results[a][p]["us"] / results[b][p]["us"] for p in ROUTES}
    return out


def table(labels: dict, results: dict, rel: dict) -> str:
    """The results as a text table followed by the ratios."""
    wording = {
        "flask_over_kolba": "kolba is Nx cheaper than Flask (target ≥ 10)",
        "kolba_over_falcon": "kolba / Falcon (target ≤ 1)",
        "kolba_over_bare": "kolba / bare WSGI",
        "kolba_1000_over_kolba": f"kolba {EXTRA_ROUTES:,} routes / kolba (target ≈ 1)",
    }
    width = max(map(len, [*labels.values(), *wording.values()]))
    lines = [f"{'µs per request':<{width}}" + "".join(f"{p:>12}" for p in ROUTES)]
    for name, routes in results.items():
        cells = "".join(f"{routes[p]['us']:12.2f}" for p in ROUTES)
        lines.append(f"{labels[name]:<{width}}{cells}")
    lines.append("")
    for key, text in wording.items():
        if key in rel:
            cells = "".join(f"{rel[key][p]:11.2f}x" for p in ROUTES)
            lines.append(f"{text:<{width}}{cells}")
    return "\n".join(lines)


def _label(name: str) -> str:
    label, dist, _ = FRAMEWORKS[name]
    if dist:
        with contextlib.suppress(PackageNotFoundError):
            label = f"{label} {version(dist)}"
    return label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="interleaved rounds (7; 2 quick)")
    parser.add_argument("--quick", action="store_true", help="few requests (CI)")
    parser.add_argument("--json", action="store_true", help="print JSON results")
    args = parser.parse_args(argv)
    rounds = max(1, args.rounds or (2 if args.quick else 7))
    seconds = 0.002 if args.quick else 0.1  # per app x route x round

    apps, skipped = {}, {}
    for name, (_, _, factory) in FRAMEWORKS.items():
        try:
            apps[name] = factory()
        except Skip as exc:
            skipped[name] = str(exc)
            print(f"skip {name}: {exc}", file=sys.stderr)
            continue
        verify(name, apps[name])

    results = measure(apps, rounds, seconds)
    rel = ratios(results)
    labels = {name: _label(name) for name in apps}
    if args.json:
        report = {
            "python": platform.python_version(),
            "rounds": rounds,
            "quick": args.quick,
            "labels": labels,
            "verified": {name: list(ROUTES) for name in apps},
            "skipped": skipped,
            "results": results,
            "ratios": rel,
        }
        print(json.dumps(report, indent=2))
    else:
        print(
            f"Python {platform.python_version()} ({platform.machine()}), "
            f"best of {rounds} interleaved round(s), lower is better\n"
        )
        print(table(labels, results, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
