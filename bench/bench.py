"""Per-request cost of kolba against Flask, Falcon, Bottle and a bare WSGI app.

Every row of the table is one kind of request (hello, JSON, a template, a
session, a form, ...). Each framework serves every row the way its users
would write it; before anything is timed, every framework's answer to every
row is checked against Flask's (same status, type and body, or what the row
compares). Apps are called in-process as WSGI with a fresh environ per
request, the body iterable consumed and closed, in interleaved rounds; the
best round counts, because this machine is noisy. Then ``import`` time and
memory of each framework (fresh interpreters) and the in-process cost of the
ASGI apps (see asgi_apps.py).

    python bench/bench.py [--quick] [--json] [--rows json,form] [--rounds N]

To add a row, write one function ``def my_row(fw: Fw) -> None`` that adds the
route to ``fw.app`` for each framework it supports (``raise Unsupported`` for
the others), and decorate it with ``@row(...)`` giving the request it answers.
A row that needs a setting applying to a whole app builds an app of its own
and returns it as ``Own(app, headers)``.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import io
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import parse_qsl

if str(Path(__file__).resolve().parent) not in sys.path:  # the modules beside
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import (  # noqa: E402
    HERE,
    SRC,
    Skip,
    busy,
    interleave,
    require,
    with_version,
)

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

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
    "wsgi.input": io.BytesIO(b""),  # only POST rows read it, and get their own
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


class Unsupported(Exception):
    """A row that a framework has no way to serve (its cell stays empty)."""


# -- what the rows share ----------------------------------------------------

SECRET_KEY = "bench-only-secret-key-5f2c9a7e1d4b"
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STATIC_FILE = "style.css"  # 10 KB
JSON_DATA = {
    "id": 42,
    "name": "Alice Smith",
    "email": "alice@example.com",
    "active": True,
    "score": 9.5,
    "visits": 1234,
    "city": "Paris",
    "lang": "fr",
    "tags": ["admin", "beta"],
    "created": "2026-01-01T12:00:00Z",
}
TABLE = [
    {"id": i, "name": f"User <{i}>", "email": f"user{i}@example.com"} for i in range(10)
]
FORM_FIELDS = ["name", "email", "age", "city", "lang"]
FORM_BODY = b"name=Alice+Smith&email=alice%40example.com&age=42&city=Paris&lang=fr"
QUERY_ARGS = ["q", "page", "per_page", "sort", "order"]
QUERY = "q=kolba&page=2&per_page=20&sort=date&order=desc"
HOOKS = 5


class CompactJSON:
    """Flask's session payload for plain str/int values: sorted, compact JSON."""

    @staticmethod
    def dumps(obj) -> str:
        return json.dumps(obj, separators=(",", ":"), sort_keys=True)

    loads = staticmethod(json.loads)


def session_signer():
    """itsdangerous set up exactly as Flask's cookie session interface."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(
        SECRET_KEY,
        salt="cookie-session",
        serializer=CompactJSON,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


SESSION_MAX_AGE = 31 * 24 * 3600  # Flask's PERMANENT_SESSION_LIFETIME
SESSION_IN = {"count": 1, "user": "alice"}


def session_view_text(data: dict) -> str:
    return f"count {data['count']} for {data['user']}"


def jinja_env():
    """Jinja2 as Flask configures it for .html templates (no auto reload)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, auto_reload=False
    )


# -- the frameworks ---------------------------------------------------------


@dataclass
class Fw:
    """One framework's app while rows add their routes to it."""

    name: str  # kolba, kolba_10k, flask, falcon, bottle, bare
    api: str  # flask (kolba and Flask), falcon, bottle, bare
    mod: object  # the framework's module (kolba or flask for the Flask API)
    app: object
    extra: dict = field(default_factory=dict)  # per-app state rows share


class Bare:
    """The limit: a WSGI callable that does only what each row needs."""

    def __init__(self) -> None:
        self.exact: dict[str, Callable] = {}
        self.prefix: list[tuple[str, Callable]] = []

    def route(self, path: str, handler: Callable, prefix: bool = False) -> None:
        if prefix:
            self.prefix.append((path, handler))
        else:
            self.exact[path] = handler

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        handler = self.exact.get(path)
        if handler is None:
            for start, candidate in self.prefix:
                if path.startswith(start):
                    handler = candidate
                    break
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"Not Found"]
        status, headers, body = handler(environ)
        if status is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


HTML = "text/html; charset=utf-8"


def _bare_html(text: str):
    return "200 OK", [("Content-Type", HTML)], text.encode()


def make_flask_api(name: str, extra_routes: int = 0) -> Callable[[], Fw]:
    def make() -> Fw:
        mod = _kolba() if name.startswith("kolba") else require("flask")
        app = mod.Flask(__name__, root_path=str(HERE), template_folder="templates")
        app.secret_key = SECRET_KEY

        def extra(x=None):
            return "extra"

        for i in range(extra_routes):
            if i % 2:
                app.route(f"/static{i}", endpoint=f"static{i}")(extra)
            else:
                app.route(f"/r{i}/<int:x>", endpoint=f"r{i}")(extra)
        return Fw(name, "flask", mod, app)

    return make


def _kolba():
    try:
        import kolba
    except ImportError as exc:
        raise Skip(f"kolba is not importable: {exc}") from exc
    return kolba


def make_falcon() -> Fw:
    falcon = require("falcon")
    return Fw("falcon", "falcon", falcon, falcon.App())


def make_bottle() -> Fw:
    bottle = require("bottle")
    return Fw("bottle", "bottle", bottle, bottle.Bottle())


def make_bare() -> Fw:
    return Fw("bare", "bare", None, Bare())


class BusyBare(Bare):
    """The bare callable after busy(): about 1 µs a request more."""

    def __call__(self, environ, start_response):
        busy()
        return super().__call__(environ, start_response)


def make_bare_busy() -> Fw:
    return Fw("bare_busy", "bare", None, BusyBare())


def finish_bottle(fw: Fw) -> None:
    """Mount the blueprint-like child apps once their routes are in."""
    for prefix, child in fw.extra.get("mounts", {}).items():
        fw.app.mount(prefix, child)


EXTRA_ROUTES = 10_000

# key: (label, distribution for the version, factory, rows timed or None: all)
FRAMEWORKS: dict[str, tuple[str, str | None, Callable[[], Fw], tuple | None]] = {
    "bare": ("bare", None, make_bare, None),
    "falcon": ("Falcon", "falcon", make_falcon, None),
    "bottle": ("Bottle", "bottle", make_bottle, None),
    "flask": ("Flask", "flask", make_flask_api("flask"), None),
    "kolba": ("kolba", None, make_flask_api("kolba"), None),
    "bare_busy": ("bare + 1 µs", None, make_bare_busy, ("hello", "user")),
    "kolba_10k": (
        f"kolba+10k (+{EXTRA_ROUTES:,} routes)",
        None,
        make_flask_api("kolba_10k", EXTRA_ROUTES),
        ("hello", "user"),
    ),
}
REFERENCE = ["flask", "kolba"]  # whose answer the others must match, in order


# -- the rows ---------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def mimetype(self) -> str:
        return self.header("content-type").split(";")[0].strip().lower()


def same_type_and_body(a: Answer):
    return a.status, a.mimetype, a.body


@dataclass
class Own:
    """The app that serves a row, and headers the row's requests add for it."""

    app: WSGIApp
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Row:
    name: str
    label: str
    setup: Callable[[Fw], Own | None]  # None: the row is served by ``fw.app``
    method: str = "GET"
    path: str = "/"
    query: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    compare: Callable[[Answer], object] = same_type_and_body

    def environ(self, extra: dict[str, str] | None = None) -> dict:
        env = dict(BASE_ENVIRON, REQUEST_METHOD=self.method, PATH_INFO=self.path)
        env["QUERY_STRING"] = self.query
        for name, value in (self.headers | (extra or {})).items():
            key = name.upper().replace("-", "_")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            env[key] = value
        if self.body:
            env["CONTENT_LENGTH"] = str(len(self.body))
        return env

    def environ_factory(
        self, extra: dict[str, str] | None = None
    ) -> Callable[[], dict]:
        """A fresh environ per call (with its own body stream if any)."""
        env = self.environ(extra)
        if not self.body:
            return env.copy
        body, bytes_io = self.body, io.BytesIO

        def fresh():
            new = env.copy()
            new["wsgi.input"] = bytes_io(body)
            return new

        return fresh


ROWS: dict[str, Row] = {}


def row(name: str, label: str, **request) -> Callable:
    """Register ``setup(fw)`` as the row ``name`` answering ``request``."""

    def register(setup: Callable[[Fw], Own | None]) -> Callable[[Fw], Own | None]:
        ROWS[name] = Row(name, label, setup, **request)
        return setup

    return register


@row("hello", "hello /", path="/")
def hello_row(fw: Fw) -> None:
    text = "Hello, World!"
    if fw.api == "flask":
        fw.app.route("/", endpoint="hello")(lambda: text)
    elif fw.api == "falcon":

        class Hello:
            def on_get(self, req, resp):
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = text

        fw.app.add_route("/", Hello())
    elif fw.api == "bottle":
        fw.app.route("/")(lambda: text)
    else:
        fw.app.route("/", lambda environ: _bare_html(text))


@row("user", "/user/<int:id>", path="/user/42")
def user_row(fw: Fw) -> None:
    if fw.api == "flask":

        @fw.app.route("/user/<int:id>")
        def user(id):
            return f"User {id}"

    elif fw.api == "falcon":

        class User:
            def on_get(self, req, resp, id):
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = f"User {id}"

        fw.app.add_route("/user/{id:int}", User())
    elif fw.api == "bottle":
        fw.app.route("/user/<id:int>")(lambda id: f"User {id}")
    else:

        def user(environ):
            tail = environ["PATH_INFO"][6:]
            if not tail.isdigit():
                return None, [], b""
            return _bare_html(f"User {int(tail)}")

        fw.app.route("/user/", user, prefix=True)


def _json_payload(a: Answer):
    return a.status, a.mimetype, json.loads(a.body)


@row("json", "JSON, 10-key dict", path="/json", compare=_json_payload)
def json_row(fw: Fw) -> None:
    if fw.api == "flask":
        jsonify = fw.mod.jsonify
        fw.app.route("/json", endpoint="json")(lambda: jsonify(JSON_DATA))
    elif fw.api == "falcon":

        class Data:
            def on_get(self, req, resp):
                resp.media = JSON_DATA

        fw.app.add_route("/json", Data())
    elif fw.api == "bottle":
        fw.app.route("/json")(lambda: JSON_DATA)  # Bottle's JSON plugin
    else:
        dumps = json.dumps

        def data(environ):
            body = dumps(JSON_DATA).encode()
            return "200 OK", [("Content-Type", "application/json")], body

        fw.app.route("/json", data)


@row("template", "Jinja2, 10 rows, extends base", path="/page")
def template_row(fw: Fw) -> None:
    context = {"title": "Users", "rows": TABLE}
    if fw.api == "flask":
        mod = fw.mod

        @fw.app.route("/page")
        def page():
            return mod.render_template("page.html", **context)

        return
    env = jinja_env()
    if fw.api == "falcon":

        class Page:
            def on_get(self, req, resp):
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = env.get_template("page.html").render(context)

        fw.app.add_route("/page", Page())
    elif fw.api == "bottle":
        fw.app.route("/page")(lambda: env.get_template("page.html").render(context))
    else:
        fw.app.route(
            "/page",
            lambda environ: _bare_html(env.get_template("page.html").render(context)),
        )


def _session_payload(a: Answer):
    cookie = a.header("set-cookie").split(";")[0]
    name, _, value = cookie.partition("=")
    return a.status, a.mimetype, a.body, name, session_signer().loads(value)


SESSION_COOKIE = session_signer().dumps(SESSION_IN)


@row(
    "session",
    "signed session: read, change, re-sign",
    path="/session",
    headers={"Cookie": f"session={SESSION_COOKIE}"},
    compare=_session_payload,
)
def session_row(fw: Fw) -> None:
    if fw.api == "flask":
        session_view(fw.mod, fw.app)
        return
    signer = session_signer()
    from itsdangerous import BadSignature

    def load(value: str | None) -> dict:
        if not value:
            return {}
        try:
            return signer.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return {}

    if fw.api == "falcon":

        class Count:
            def on_get(self, req, resp):
                data = load(req.cookies.get("session"))
                data["count"] = data.get("count", 0) + 1
                resp.set_cookie(
                    "session",
                    signer.dumps(data),
                    http_only=True,
                    secure=False,
                    path="/",
                    same_site="Lax",
                )
                resp.vary = "Cookie"
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = session_view_text(data)

        fw.app.add_route("/session", Count())
    elif fw.api == "bottle":
        bottle = fw.mod

        @fw.app.route("/session")
        def count():
            data = load(bottle.request.get_cookie("session"))
            data["count"] = data.get("count", 0) + 1
            bottle.response.set_cookie(
                "session",
                signer.dumps(data),
                httponly=True,
                path="/",
                samesite="lax",
            )
            bottle.response.set_header("Vary", "Cookie")
            return session_view_text(data)

    else:
        from http.cookies import SimpleCookie

        def count(environ):
            jar = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            data = load(jar["session"].value if "session" in jar else None)
            data["count"] = data.get("count", 0) + 1
            cookie = f"session={signer.dumps(data)}; HttpOnly; Path=/; SameSite=Lax"
            status, headers, body = _bare_html(session_view_text(data))
            headers += [("Set-Cookie", cookie), ("Vary", "Cookie")]
            return status, headers, body

        fw.app.route("/session", count)


def session_view(mod, app) -> None:
    """The session row's view, Flask API: read the count, add 1, save."""
    session = mod.session

    @app.route("/session")
    def count():
        session["count"] = session.get("count", 0) + 1
        return session_view_text(session)


def store_session_row(store_url: Callable[[], str]) -> Callable[[Fw], Own]:
    """The session row on a kolba app of its own keeping sessions in
    ``SESSION_STORE=store_url()``; the request carries the id of a session
    created before timing with ``SESSION_IN``."""

    def setup(fw: Fw) -> Own:
        if fw.name != "kolba":
            raise Unsupported  # kolba's server-side stores only
        app = fw.mod.Flask(__name__, root_path=str(HERE))
        app.secret_key = SECRET_KEY
        app.config["SESSION_STORE"] = store_url()
        session_view(fw.mod, app)
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(SESSION_IN)
        cookie = client.get_cookie("session")
        assert cookie is not None, "the store session set no cookie"
        return Own(app, {"Cookie": f"session={cookie.value}"})

    return setup


def sqlite_url() -> str:
    """A fresh SQLite file, removed at exit."""
    folder = tempfile.mkdtemp(prefix="kolba-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return f"sqlite:///{folder}/sessions.db"


@cache
def redis_url() -> str:
    """A redis-server of the bench's own on a free 127.0.0.1 port, no
    persistence, stopped by its pid at exit."""
    if shutil.which("redis-server") is None:
        raise Unsupported("redis-server is not on PATH (apt-get install redis-server)")
    if find_spec("redis") is None:
        raise Unsupported("the redis package is missing (pip install kolba[redis])")
    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        process.wait(10)

    atexit.register(stop)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise Unsupported(
                    f"redis-server did not start on port {port}"
                ) from None
            time.sleep(0.05)
    client.close()
    return f"redis://127.0.0.1:{port}/0"


row(
    "session_sqlite",
    "session in SQLite: read, change, save",
    path="/session",
)(store_session_row(sqlite_url))
row(
    "session_redis",
    "session in Redis: read, change, save",
    path="/session",
)(store_session_row(redis_url))


@row(
    "form",
    "urlencoded POST, 5 fields",
    method="POST",
    path="/form",
    body=FORM_BODY,
    headers={"Content-Type": "application/x-www-form-urlencoded"},
)
def form_row(fw: Fw) -> None:
    if fw.api == "flask":
        request = fw.mod.request

        @fw.app.route("/form", methods=["POST"])
        def form():
            return "|".join(request.form[k] for k in FORM_FIELDS)

    elif fw.api == "falcon":

        class Form:
            def on_post(self, req, resp):
                form = req.get_media()
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = "|".join(form[k] for k in FORM_FIELDS)

        fw.app.add_route("/form", Form())
    elif fw.api == "bottle":
        request = fw.mod.request

        @fw.app.post("/form")
        def form():
            forms = request.forms
            return "|".join(forms.getunicode(k) for k in FORM_FIELDS)

    else:

        def form(environ):
            size = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(size).decode()
            data = dict(parse_qsl(raw, keep_blank_values=True))
            return _bare_html("|".join(data[k] for k in FORM_FIELDS))

        fw.app.route("/form", form)


@row("404", "default 404", path="/missing", status=404, compare=lambda a: a.status)
def not_found_row(fw: Fw) -> None:
    """Every framework's own default answer; only the status is compared."""
    if fw.api not in ("flask", "falcon", "bottle", "bare"):
        raise Unsupported


@row("static", "static file, 10 KB", path=f"/static/{STATIC_FILE}")
def static_row(fw: Fw) -> None:
    if fw.api == "flask":
        return  # the app's own static folder (bench/static)
    if fw.api == "falcon":
        fw.app.add_static_route("/static", str(STATIC))
    elif fw.api == "bottle":
        static_file = fw.mod.static_file
        fw.app.route("/static/<filename:path>")(
            lambda filename: static_file(filename, root=str(STATIC))
        )
    else:

        def static(environ):
            path = STATIC / environ["PATH_INFO"][8:]
            try:
                with open(path, "rb") as f:
                    body = f.read()
            except OSError:
                return None, [], b""
            return "200 OK", [("Content-Type", "text/css; charset=utf-8")], body

        fw.app.route("/static/", static, prefix=True)


@row("query", "5 query-string args", path="/search", query=QUERY)
def query_row(fw: Fw) -> None:
    if fw.api == "flask":
        request = fw.mod.request
        fw.app.route("/search", endpoint="search")(
            lambda: "|".join(request.args[k] for k in QUERY_ARGS)
        )
    elif fw.api == "falcon":

        class Search:
            def on_get(self, req, resp):
                resp.content_type = fw.mod.MEDIA_HTML
                resp.text = "|".join(req.get_param(k) for k in QUERY_ARGS)

        fw.app.add_route("/search", Search())
    elif fw.api == "bottle":
        request = fw.mod.request
        fw.app.route("/search")(lambda: "|".join(request.query[k] for k in QUERY_ARGS))
    else:

        def search(environ):
            args = dict(parse_qsl(environ["QUERY_STRING"], keep_blank_values=True))
            return _bare_html("|".join(args[k] for k in QUERY_ARGS))

        fw.app.route("/search", search)


def items_text(trail: list) -> str:
    return "items after " + ",".join(map(str, trail))


def _hooks_seen(n: int) -> Callable[[Answer], object]:
    def seen(a: Answer):
        after = [a.header(f"x-after-{i}") for i in range(n)]
        return a.status, a.mimetype, a.body, after

    return seen


def hooks_setup(prefix: str, n: int, work: bool = True) -> Callable[[Fw], None]:
    """``n`` before and ``n`` after hooks on a blueprint at ``prefix``: before
    hooks leave a trail the view shows, after hooks add headers (with
    ``work`` false, the hooks do nothing and the view shows no trail)."""

    def setup(fw: Fw) -> None:
        if fw.api == "flask":
            g = fw.mod.g
            bp = fw.mod.Blueprint(prefix.strip("/"), __name__, url_prefix=prefix)
            for i in range(n):
                if not work:
                    bp.before_request(lambda: None)
                    bp.after_request(lambda response: response)
                    continue
                bp.before_request(lambda i=i: g.setdefault("trail", []).append(i))

                def after(response, i=i):
                    response.headers[f"X-After-{i}"] = str(i)
                    return response

                bp.after_request(after)
            view = (lambda: items_text(g.trail)) if work else (lambda: items_text([]))
            bp.route("/items", endpoint="items")(view)
            fw.app.register_blueprint(bp)
        elif fw.api == "falcon":
            falcon = fw.mod

            def before(i):
                def hook(req, resp, resource, params):
                    req.context.setdefault("trail", []).append(i)

                return hook if work else lambda req, resp, resource, params: None

            def after(i):
                def hook(req, resp, resource):
                    resp.set_header(f"X-After-{i}", str(i))

                return hook if work else lambda req, resp, resource: None

            def on_get(self, req, resp):
                resp.content_type = falcon.MEDIA_HTML
                resp.text = items_text(req.context.trail)

            if not work:

                def on_get(self, req, resp):
                    resp.content_type = falcon.MEDIA_HTML
                    resp.text = items_text([])

            for i in reversed(range(n)):
                on_get = falcon.before(before(i))(on_get)
            for i in range(n):
                on_get = falcon.after(after(i))(on_get)
            resource = type("Items", (), {"on_get": on_get})()
            fw.app.add_route(f"{prefix}/items", resource)
        elif fw.api == "bottle":
            bottle = fw.mod
            request, response = bottle.request, bottle.response
            befores = [
                (lambda i=i: request.environ.setdefault("trail", []).append(i))
                if work
                else lambda: None
                for i in range(n)
            ]
            afters = [
                (lambda i=i: response.set_header(f"X-After-{i}", str(i)))
                if work
                else lambda: None
                for i in reversed(range(n))
            ]

            def hooks_plugin(callback):
                """Bottle's way to wrap the routes of one (mounted) app."""

                def wrapper(*args, **kwargs):
                    for hook in befores:
                        hook()
                    result = callback(*args, **kwargs)
                    for hook in afters:
                        hook()
                    return result

                return wrapper

            child = fw.extra.setdefault("mounts", {})[prefix + "/"] = bottle.Bottle()
            child.install(hooks_plugin)
            child.route("/items")(
                (lambda: items_text(request.environ["trail"]))
                if work
                else lambda: items_text([])
            )
        else:
            # the same trail as the others' (a per-request namespace's setdefault)
            befores = [
                (lambda ctx, i=i: ctx.setdefault("trail", []).append(i))
                if work
                else lambda ctx: None
                for i in range(n)
            ]
            afters = [
                (lambda headers, i=i: headers.append((f"X-After-{i}", str(i))))
                if work
                else lambda headers: None
                for i in reversed(range(n))
            ]

            def items(environ):
                ctx: dict = {}
                for hook in befores:
                    hook(ctx)
                status, headers, body = _bare_html(items_text(ctx["trail"]))
                for hook in afters:
                    hook(headers)
                return status, headers, body

            if not work:

                def items(environ):
                    ctx: dict = {}
                    for hook in befores:
                        hook(ctx)
                    status, headers, body = _bare_html(items_text([]))
                    for hook in afters:
                        hook(headers)
                    return status, headers, body

            fw.app.route(f"{prefix}/items", items)

    return setup


row(
    "hooks",
    f"{HOOKS} before + {HOOKS} after hooks, blueprint",
    path="/api/items",
    compare=_hooks_seen(HOOKS),
)(hooks_setup("/api", HOOKS))
row(
    "hooks1",
    "1 before + 1 after hook, blueprint",
    path="/one/items",
    compare=_hooks_seen(1),
)(hooks_setup("/one", 1))
row(
    "noop_hooks",
    f"{HOOKS} before + {HOOKS} after hooks doing nothing",
    path="/noop/items",
)(hooks_setup("/noop", HOOKS, work=False))
row(
    "noop_hooks1",
    "1 before + 1 after hook doing nothing",
    path="/noop1/items",
)(hooks_setup("/noop1", 1, work=False))


@row("async", "async def view, under WSGI", path="/async")
def async_row(fw: Fw) -> None:
    """Issue 8: an async view under WSGI costs at most 10 µs more than hello."""
    if fw.api != "flask" or (fw.name == "flask" and not find_spec("asgiref")):
        raise Unsupported  # Flask runs async views only with asgiref

    @fw.app.route("/async")
    async def hello_async():
        return "Hello, World!"


# -- building, checking, calling -------------------------------------------


def build(name: str, rows: dict[str, Row]) -> tuple[WSGIApp, dict[str, Own]]:
    """The framework's app with every row it supports, and what serves each."""
    fw = FRAMEWORKS[name][2]()
    served = {}
    for key, r in rows.items():
        try:
            own = r.setup(fw)
        except Unsupported as exc:
            if exc.args:
                print(f"skip {name} {key}: {exc}", file=sys.stderr)
            continue
        served[key] = own or Own(fw.app)
    if fw.api == "bottle":
        finish_bottle(fw)
    return fw.app, served


def call(app: WSGIApp, environ: dict) -> Answer:
    """One request through ``app``."""
    seen = []

    def start_response(status, headers, exc_info=None):
        seen.append((status, headers))
        return _write

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, headers = seen[-1]
    return Answer(int(status[:3]), tuple(headers), body)


def verify(served: dict, rows: dict[str, Row]) -> dict[str, list[str]]:
    """Exit loudly unless every framework answers every row as the reference."""
    checked: dict[str, list[str]] = {name: [] for name in served}
    for key, r in rows.items():
        answers = {
            name: call(own[key].app, r.environ_factory(own[key].headers)())
            for name, own in served.items()
            if key in own
        }
        ref = next((n for n in REFERENCE if n in answers), None) or next(
            iter(answers), None
        )
        if ref is None:
            continue
        if answers[ref].status != r.status:
            sys.exit(
                f"bench: {ref} {r.method} {r.path} answered {answers[ref].status}, "
                f"expected {r.status}: {answers[ref].body[:200]!r}"
            )
        want = r.compare(answers[ref])
        for name, answer in answers.items():
            try:
                got = r.compare(answer)
            except Exception as exc:  # noqa: BLE001 - say which app broke
                got = f"{type(exc).__name__}: {exc}"
            if got != want:
                sys.exit(
                    f"bench: {name} {r.method} {r.path} answered {got!r}, "
                    f"but {ref} answered {want!r}"
                )
            checked[name].append(key)
    return checked


def _start_response(status, headers, exc_info=None):
    return _write


def _write(data):
    pass


def batch(app: WSGIApp, environ: Callable[[], dict], n: int) -> float:
    """Seconds for ``n`` requests, each with a fresh environ."""
    start_response = _start_response
    t0 = time.perf_counter()
    for _ in range(n):
        result = app(environ(), start_response)
        for _chunk in result:
            pass
        if hasattr(result, "close"):
            result.close()
    return time.perf_counter() - t0


def measure(served: dict, rows: dict, rounds: int, seconds: float):
    """``{framework: {row: {"us", "n"}}}`` from one interleaved run."""

    def timer(app, environ):
        return lambda n: batch(app, environ, n)

    def timed(name: str, key: str) -> bool:
        only = FRAMEWORKS[name][3]
        return key in served[name] and (only is None or key in only)

    timers = {
        (name, key): timer(own[key].app, rows[key].environ_factory(own[key].headers))
        for key in rows
        for name, own in served.items()
        if timed(name, key)
    }
    flat = interleave(timers, rounds, seconds)
    results: dict = {name: {} for name in served}
    for (name, key), cell in flat.items():
        results[name][key] = cell
    return results


# -- import time and memory -------------------------------------------------

IMPORTS = ["kolba", "flask", "falcon", "bottle"]
LAZY = ["jinja2", "click", "werkzeug.test", "werkzeug.serving", "asyncio"]
_IMPORT_PROBE = """
import json, sys, time

def rss():  # resident now (ru_maxrss would carry the parent's peak over exec)
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024

before = set(sys.modules)
rss0 = rss()
t0 = time.perf_counter()
import {name}
took = time.perf_counter() - t0
print(json.dumps({{
    "ms": took * 1e3, "rss_mb": rss(), "delta_mb": rss() - rss0,
    "modules": len(set(sys.modules) - before),
    "loaded": [m for m in {lazy!r} if m in sys.modules and m not in before],
}}))
"""


def import_costs(names: list[str], repeats: int) -> dict:
    """Import time and RSS of each module, each in a fresh interpreter."""
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(SRC), os.environ.get("PYTHONPATH", "")])
        ),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    best: dict = {}
    for _ in range(repeats):
        for name in names:  # interleaved, like the request rounds
            code = _IMPORT_PROBE.format(name=name, lazy=LAZY)
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env
            )
            if proc.returncode:
                best.setdefault(name, {"error": proc.stderr.strip().splitlines()[-1]})
                continue
            got = json.loads(proc.stdout)
            old = best.get(name)
            if old is None or "error" in old:
                best[name] = got
            else:
                for k in ("ms", "rss_mb", "delta_mb"):
                    old[k] = min(old[k], got[k])
    return best


# -- reporting --------------------------------------------------------------

RATIOS = {  # key: (numerator, denominator, column head)
    "flask_over_kolba": ("flask", "kolba", "Flask/kolba"),
    "kolba_over_falcon": ("kolba", "falcon", "kolba/Falcon"),
    "kolba_over_bare": ("kolba", "bare", "kolba/bare"),
    "kolba_10k_over_kolba": ("kolba_10k", "kolba", "+10k/kolba"),
}
# Issue 11's bars: kolba <= 1.5x Falcon everywhere and <= 1x on hello and
# /user/42; >= 4x cheaper than Flask where the cost is the framework's own.
FALCON_BAR = {"hello": 1.0, "user": 1.0}
FALCON_BAR_DEFAULT = 1.5
FLASK_BAR = {"json": 4.0, "form": 4.0, "404": 4.0, "query": 4.0, "hooks": 4.0}


def ratios(results: dict) -> dict:
    """Per ratio, per row measured by both sides."""
    out = {}
    for key, (a, b, _) in RATIOS.items():
        if a in results and b in results:
            common = [r for r in results[a] if r in results[b]]
            out[key] = {r: results[a][r]["us"] / results[b][r]["us"] for r in common}
    return out


STORE_ROWS = ["session_sqlite", "session_redis"]


def store_over_cookie(results: dict) -> dict[str, float]:
    """What a session kept in each store costs kolba, over its cookie session."""
    kolba = results.get("kolba", {})
    if "session" not in kolba:
        return {}
    cookie = kolba["session"]["us"]
    return {r: kolba[r]["us"] / cookie for r in STORE_ROWS if r in kolba}


def hook_pair(results: dict, name: str, rows: str = "hooks") -> float | None:
    """What one more before+after hook pair costs ``name``: (hooks - hooks1) / 4
    (or of the ``noop_hooks`` rows)."""
    cells = results.get(name, {})
    if rows not in cells or f"{rows}1" not in cells:
        return None
    return (cells[rows]["us"] - cells[f"{rows}1"]["us"]) / (HOOKS - 1)


def hook_pairs(results: dict) -> dict:
    """Each framework's cost (µs) of one more hook pair of the hooks rows, and
    of the noop_hooks rows."""
    out = {}
    for rows in ("hooks", "noop_hooks"):
        pairs = {name: hook_pair(results, name, rows) for name in results}
        if any(pair is not None for pair in pairs.values()):
            out[rows] = {k: pair for k, pair in pairs.items() if pair is not None}
    return out


def bars(results: dict, rel: dict) -> dict:
    """The issues' bars that the run holds (True) or misses (False), per row."""
    out = {}
    for r, value in rel.get("kolba_over_falcon", {}).items():
        bar = FALCON_BAR.get(r, FALCON_BAR_DEFAULT)
        out[f"{r}: kolba/Falcon <= {bar}"] = value <= bar
    for r, value in rel.get("flask_over_kolba", {}).items():
        if r in FLASK_BAR:
            out[f"{r}: Flask/kolba >= {FLASK_BAR[r]}"] = value >= FLASK_BAR[r]
    kolba = {r: cell["us"] for r, cell in results.get("kolba", {}).items()}
    pair, bare_pair = hook_pair(results, "kolba"), hook_pair(results, "bare")
    if pair is not None and bare_pair is not None:
        # The hooks' own work (the trail, the header's name and value) costs
        # every framework the same: the bar is on what kolba adds to it.
        added = pair - bare_pair
        out[
            f"hooks: one more before+after pair costs kolba {added:.2f} µs over"
            f" the bare callable's same hooks ({pair:.2f} - {bare_pair:.2f}) <= 0.5"
        ] = added <= 0.5
    template = rel.get("kolba_over_bare", {}).get("template")
    if template is not None:
        out[
            "template: kolba/bare <= 1.1 (issue 11: Jinja2's own work plus at most 10%)"
        ] = template <= 1.1
    if "async" in kolba and "hello" in kolba:
        extra = kolba["async"] - kolba["hello"]
        out[f"async: {extra:.1f} µs over hello <= 10 (issue 8)"] = extra <= 10
    return out


def table(rows: dict, results: dict, rel: dict) -> str:
    """Rows x frameworks in µs, then the ratios per row."""
    names = list(results)
    shown = [k for k in RATIOS if k in rel]
    width = max(len(r.label) for r in rows.values()) + 2
    heads = [FRAMEWORKS[n][0].split(" (")[0] for n in names]
    heads += [RATIOS[k][2] for k in shown]
    cols = [max(9, len(h) + 2) for h in heads]
    lines = [
        f"{'µs per request':<{width}}"
        + "".join(f"{h:>{c}}" for h, c in zip(heads, cols, strict=True))
    ]
    for key, r in rows.items():
        cells = [
            f"{results[n][key]['us']:.2f}" if key in results[n] else "—" for n in names
        ]
        cells += [f"{rel[k][key]:.2f}x" if key in rel[k] else "" for k in shown]
        lines.append(
            f"{r.label:<{width}}"
            + "".join(f"{c:>{w}}" for c, w in zip(cells, cols, strict=True))
        )
    return "\n".join(lines)


def import_table(costs: dict) -> str:
    lines = [f"{'import':<10}{'ms':>8}{'RSS MB':>9}{'+RSS MB':>9}{'modules':>9}  eager"]
    for name, c in costs.items():
        if "error" in c:
            lines.append(f"{name:<10}  {c['error']}")
            continue
        lines.append(
            f"{name:<10}{c['ms']:8.1f}{c['rss_mb']:9.1f}{c['delta_mb']:9.1f}"
            f"{c['modules']:9d}  {', '.join(c['loaded']) or '-'}"
        )
    return "\n".join(lines)


def _label(name: str) -> str:
    return with_version(*FRAMEWORKS[name][:2])


def select_rows(spec: str | None) -> dict[str, Row]:
    if not spec:
        return dict(ROWS)
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in ROWS]
    if unknown:
        sys.exit(f"bench: unknown row(s) {unknown}; rows: {', '.join(ROWS)}")
    return {s: ROWS[s] for s in wanted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, help="interleaved rounds (25; 2 quick)")
    parser.add_argument("--quick", action="store_true", help="few requests (CI)")
    parser.add_argument("--json", action="store_true", help="print JSON results")
    parser.add_argument("--rows", help=f"comma-separated rows of: {', '.join(ROWS)}")
    parser.add_argument(
        "--no-import", action="store_true", help="skip import time and memory"
    )
    parser.add_argument("--no-asgi", action="store_true", help="skip the ASGI part")
    args = parser.parse_args(argv)
    rows = select_rows(args.rows)
    rounds = max(1, args.rounds or (2 if args.quick else 25))
    seconds = 0.002 if args.quick else 0.02  # per app x row x round

    served, skipped = {}, {}
    for name in FRAMEWORKS:
        try:
            _, served[name] = build(name, rows)
        except Skip as exc:
            skipped[name] = str(exc)
            print(f"skip {name}: {exc}", file=sys.stderr)
    verified = verify(served, rows)
    results = measure(served, rows, rounds, seconds)
    rel = ratios(results)
    held = bars(results, rel)
    stores = store_over_cookie(results)
    pairs = hook_pairs(results)
    labels = {name: _label(name) for name in served}
    imports = {} if args.no_import else import_costs(IMPORTS, 1 if args.quick else 7)
    asgi = {}
    if not args.no_asgi:
        import asgi_apps

        asgi = asgi_apps.in_process(rounds, seconds)

    if args.json:
        report = {
            "python": platform.python_version(),
            "rounds": rounds,
            "quick": args.quick,
            "labels": labels,
            "rows": {k: r.label for k, r in rows.items()},
            "verified": verified,
            "skipped": skipped,
            "results": results,
            "ratios": rel,
            "bars": held,
            "store_over_cookie": stores,
            "hook_pairs": pairs,
            "imports": imports,
            "asgi": asgi,
        }
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"Python {platform.python_version()} ({platform.machine()}), "
        f"best of {rounds} interleaved round(s), lower is better; "
        + ", ".join(labels.values())
        + "\n"
    )
    print(table(rows, results, rel))
    if stores:
        print(
            "\nkolba's session in a store, over its cookie session: "
            + ", ".join(f"{r.split('_')[1]} {x:.2f}x" for r, x in stores.items())
        )
    for rows, costs in pairs.items():
        print(
            f"\none more before+after hook pair ({rows} - {rows}1) / {HOOKS - 1}: "
            + ", ".join(f"{name} {us:.2f}" for name, us in costs.items())
            + " µs"
        )
    if held:
        print("\nbars (issue 11; async: issue 8):")
        for text, ok in held.items():
            print(f"  {'ok  ' if ok else 'MISS'} {text}")
    if imports:
        print(f"\n{import_table(imports)}")
    if asgi:
        print(f"\n{asgi_apps.report(asgi)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
