"""Under ASGI the request is read from the scope itself: it reads the same
values as the request a WSGI server's environ gives, and its environ (which
extensions read) is made only when first asked for, with the same entries."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest
from werkzeug.utils import cached_property

from kolba import Flask, Request, request
from kolba.ctx import RequestContext
from kolba.testing import ASGIClient


def run_asgi(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list:
    """Serve one request; ``messages`` are what ``receive`` gives, in turn."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


# Every attribute below is computed from the scope without an environ.
ATTRIBUTES = (
    "method",
    "path",
    "full_path",
    "script_root",
    "root_path",
    "url",
    "base_url",
    "url_root",
    "host_url",
    "host",
    "scheme",
    "server",
    "query_string",
    "remote_addr",
    "access_route",
    "is_secure",
    "user_agent",
    "content_type",
    "content_length",
    "mimetype",
)


def scope(**overrides: Any) -> dict[str, Any]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/mnt/caf\u00e9/x",
        "raw_path": b"/mnt/caf%C3%A9/x",
        "root_path": "/mnt",
        "query_string": b"a=1&a=2&b=%C3%A9&raw=\xff",
        "headers": [
            (b"host", b"example.test:8443"),
            (b"user-agent", b"probe/1"),
            (b"accept", b"text/html"),
            (b"accept", b"application/json"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"x-forwarded-for", b"10.0.0.1"),
            (b"x_dropped", b"as WSGI servers drop it"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"0"),
        ],
        "client": ("192.0.2.7", 51515),
        "server": ("example.test", 8443),
    }
    scope.update(overrides)
    return scope


def old_environ(scope: dict[str, Any]) -> dict[str, Any]:
    """The environ the driver made for every request before it read the scope
    (the body stream aside), written out here as the specification."""
    root = scope.get("root_path", "")
    path = scope["path"][len(root) :]
    latin1 = lambda s: s.encode("utf-8", "surrogateescape").decode("latin-1")  # noqa: E731
    return {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": latin1(root),
        "PATH_INFO": latin1(path),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": scope["server"][0],
        "SERVER_PORT": str(scope["server"][1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": scope["client"][0],
        "REMOTE_PORT": str(scope["client"][1]),
        "HTTP_HOST": "example.test:8443",
        "HTTP_USER_AGENT": "probe/1",
        "HTTP_ACCEPT": "text/html,application/json",
        "HTTP_COOKIE": "a=1; b=2",
        "HTTP_X_FORWARDED_FOR": "10.0.0.1",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "0",
        "wsgi.url_scheme": scope["scheme"],
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "asgi.scope": scope,
    }


def serve(app: Flask, view: Any, asgi_scope: dict[str, Any]) -> Any:
    """Run ``view`` as the async view of the scope's path; its return value."""
    seen: list[Any] = []

    async def probe(**kwargs: Any) -> str:
        seen.append(view())
        return ""

    app.add_url_rule("/<path:rest>", "probe", probe)
    sent = run_asgi(app, asgi_scope, [{"type": "http.request"}])
    assert sent[0]["status"] == 200, sent
    return seen[0]


def test_the_request_reads_the_scope_as_the_environ_would_give_it(
    app: Flask,
) -> None:
    def read() -> dict[str, Any]:
        values = {name: getattr(request, name) for name in ATTRIBUTES}
        values["user_agent"] = str(values["user_agent"])
        values["args"] = request.args.to_dict(flat=False)
        values["headers"] = list(request.headers.items())
        values["cookies"] = request.cookies.to_dict()
        values["environ made"] = "environ" in request.__dict__
        return values

    from_scope = serve(app, read, scope())
    assert from_scope.pop("environ made") is False
    environ = old_environ(scope())
    environ["wsgi.input"] = None
    with app.request_context(environ):
        from_environ = read()
    assert from_environ.pop("environ made") is True
    assert from_scope == from_environ
    assert from_scope["path"] == "/caf\u00e9/x"
    assert from_scope["root_path"] == "/mnt"
    assert from_scope["args"] == {"a": ["1", "2"], "b": ["\u00e9"], "raw": ["%FF"]}
    assert ("Accept", "text/html,application/json") in from_scope["headers"]
    assert from_scope["cookies"] == {"a": "1", "b": "2"}


def test_the_environ_is_made_on_first_use_with_the_entries_it_had(
    app: Flask,
) -> None:
    def read() -> tuple[bool, dict[str, Any], Any]:
        made_before = "environ" in request.__dict__
        environ = request.environ
        return made_before, dict(environ), environ is request.environ

    asgi_scope = scope()
    made_before, environ, same = serve(app, read, asgi_scope)
    assert made_before is False
    assert same
    body = environ.pop("wsgi.input")
    assert environ.pop("kolba.asgi.body") is body
    assert environ.pop("werkzeug.request") is not None
    assert environ == old_environ(asgi_scope)


def test_the_request_is_let_go_of_by_its_environ_as_the_context_pops(
    app: Flask,
) -> None:
    environ = serve(app, lambda: request.environ, scope(path="/x", root_path=""))
    assert environ["werkzeug.request"] is None


@pytest.mark.parametrize(
    ("path", "root", "expected"),
    [
        ("x", "", "/x"),
        ("//x", "", "/x"),
        ("/app/", "/app", "/"),
        ("/app/x", "/app", "/x"),
        ("/other", "/app", "/other"),
        ("/\udcff", "", "/\ufffd"),
    ],
)
def test_paths_read_from_the_scope(
    app: Flask, path: str, root: str, expected: str
) -> None:
    @app.route("/", defaults={"rest": ""})
    @app.route("/<path:rest>")
    async def view(rest: str) -> str:
        return request.path

    sent = run_asgi(app, scope(path=path, root_path=root), [])
    assert sent[1]["body"].decode() == expected


@pytest.mark.parametrize(("path", "root"), [("", ""), ("/app", "/app")])
def test_an_empty_path_under_the_root_path_redirects_to_its_slash(
    app: Flask, path: str, root: str
) -> None:
    """As an empty ``PATH_INFO`` under WSGI (and in Flask)."""
    app.add_url_rule("/", "index", lambda: "index")
    asgi_scope = scope(path=path, root_path=root)
    asgi_scope["query_string"] = b"a=1"
    start = run_asgi(app, asgi_scope, [])[0]
    assert start["status"] == 308
    location = f"https://example.test:8443{root}/?a=1".encode()
    assert (b"location", location) in start["headers"]


def test_a_scope_without_server_or_client(app: Flask) -> None:
    def read() -> Any:
        return request.server, request.remote_addr, request.environ["SERVER_PORT"]

    bare = scope(path="/x", root_path="")
    del bare["client"]
    bare["server"] = ("/run/app.sock", None)
    assert serve(app, read, bare) == (("/run/app.sock", 80), None, "80")
    bare.pop("server")
    assert serve(Flask(__name__), read, bare) == (("localhost", 80), None, "80")


@pytest.mark.parametrize("missing", ["headers", "method", "root_path"])
def test_a_scope_without_an_optional_key_gets_its_default(
    app: Flask, missing: str
) -> None:
    """ASGI lets a server leave out ``headers``, ``method`` and
    ``root_path`` (no headers, GET, no mount point)."""

    @app.route("/x", methods=["GET", "POST"])
    @app.route("/mnt/x", methods=["GET", "POST"])
    async def view() -> str:
        return f"{request.method} {request.path} {request.root_path!r}"

    for _ in range(2):  # (the first request starts the app serving)
        asgi_scope = scope(path="/mnt/x", method="POST")
        del asgi_scope[missing]
        sent = run_asgi(app, asgi_scope, [])
        assert sent[0]["status"] == 200
    expected = {
        "headers": "POST /x '/mnt'",
        "method": "GET /x '/mnt'",
        "root_path": "POST /mnt/x ''",
    }
    assert sent[1]["body"].decode() == expected[missing]


class ProxiedRequest(Request):
    """A subclass that reads the environ, as Flask apps' do: its attribute is
    used, and the environ is made for it."""

    @cached_property
    def remote_addr(self) -> str | None:  # type: ignore[override]
        return self.environ.get("HTTP_X_FORWARDED_FOR")


class InitRequest(Request):
    def __init__(self, environ: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(environ, *args, **kwargs)
        self.seen_environ = environ


def test_a_request_subclass_that_reads_the_environ_gets_one(app: Flask) -> None:
    assert Request._scope_plain and ProxiedRequest._scope_plain
    app.request_class = ProxiedRequest
    assert serve(app, lambda: request.remote_addr, scope()) == "10.0.0.1"


def test_a_request_subclass_with_its_own_init_is_built_from_an_environ(
    app: Flask,
) -> None:
    assert not InitRequest._scope_plain
    app.request_class = InitRequest
    seen = serve(app, lambda: request.seen_environ is request.environ, scope())
    assert seen is True


def test_a_request_class_set_on_a_serving_app_is_used(app: Flask) -> None:
    """How the driver builds the request is decided as the app starts
    serving, and again when request_class is set on the app."""
    seen: list[Any] = []

    @app.route("/<path:rest>")
    async def probe(rest: str) -> str:
        seen.append(getattr(request, "seen_environ", None) is request.environ)
        return ""

    run_asgi(app, scope(), [{"type": "http.request"}])
    app.request_class = InitRequest
    run_asgi(app, scope(), [{"type": "http.request"}])
    assert seen == [False, True]


def test_a_plain_subclass_is_read_from_the_scope(app: Flask) -> None:
    class Plain(Request):
        def shout(self) -> str:
            return self.path.upper()

    assert Plain._scope_plain
    app.request_class = Plain
    read = serve(app, lambda: (request.shout(), "environ" in request.__dict__), scope())
    assert read == ("/CAF\u00c9/X", False)


def test_request_context_override_gets_the_environ(app: Flask) -> None:
    class App(Flask):
        def request_context(self, environ: Any) -> RequestContext:
            seen.append(environ["PATH_INFO"])
            return super().request_context(environ)

    seen: list[str] = []
    other = App(__name__)
    assert serve(other, lambda: request.path, scope()) == "/caf\u00e9/x"
    assert seen == ["/caf\u00c3\u00a9/x"]


def test_create_url_adapter_override_matches_under_asgi(app: Flask) -> None:
    """Flask matches through create_url_adapter(); one returning None is a 404."""

    class App(Flask):
        def create_url_adapter(self, request: Any) -> Any:
            return None if request is not None else super().create_url_adapter(None)

    other = App(__name__)
    other.add_url_rule("/", "index", lambda: "index")
    assert ASGIClient(other, other.response_class).get("/").status_code == 404
    assert other.test_client().get("/").status_code == 404


def test_the_test_client_environ_entries_reach_the_request(app: Flask) -> None:
    @app.route("/")
    async def view() -> Any:
        return {
            "made": "environ" in request.__dict__,
            "extra": request.environ.get("probe.extra"),
            "addr": request.remote_addr,
        }

    client = ASGIClient(app, app.response_class)
    rv = client.get(
        "/",
        environ_overrides={"probe.extra": "yes"},
        environ_base={"REMOTE_ADDR": "198.51.100.1"},
    )
    assert rv.json == {"made": False, "extra": "yes", "addr": "198.51.100.1"}


def test_a_port_given_as_a_str_reads_as_an_int(app: Flask) -> None:
    """granian gives the server's and the client's ports as str."""

    def read() -> Any:
        return request.server, request.host_url, request.environ["SERVER_PORT"]

    asgi_scope = scope(path="/x", root_path="", server=("h.test", "8080"))
    asgi_scope["headers"] = []
    assert serve(app, read, asgi_scope) == (
        ("h.test", 8080),
        "https://h.test:8080/",
        "8080",
    )


def test_a_subclass_asgi_app_is_called(app: Flask) -> None:
    class App(Flask):
        async def asgi_app(self, scope: Any, receive: Any, send: Any) -> None:
            seen.append(scope["path"])
            await super().asgi_app(scope, receive, send)

    seen: list[str] = []
    other = App(__name__)
    other.add_url_rule("/x", "x", lambda: "x")
    sent = run_asgi(other, scope(path="/x", root_path=""), [])
    assert (sent[1]["body"], seen) == (b"x", ["/x"])


def test_headers_given_as_an_iterator(app: Flask) -> None:
    asgi_scope = scope(path="/x", root_path="")
    asgi_scope["headers"] = iter(asgi_scope["headers"])
    read = serve(
        app, lambda: (request.cookies["b"], request.headers["Accept"]), asgi_scope
    )
    assert read == ("2", "text/html,application/json")


@pytest.mark.parametrize(
    ("method", "headers"),
    [("POST", [(b"content-length", b"0")]), ("GET", []), ("DELETE", [])],
)
def test_an_http1_request_without_a_body_reads_as_empty_without_await(
    app: Flask, method: str, headers: list[tuple[bytes, bytes]]
) -> None:
    """No Content-Length (or 0) and no Transfer-Encoding: HTTP/1 sends no
    body, so an async view reads it as Flask code does, nothing awaited."""

    @app.route("/", methods=[method])
    async def view() -> Any:
        return {
            "json": request.get_json(silent=True),
            "data": request.get_data().decode(),
            "form": request.form.to_dict(),
        }

    asgi_scope = scope(path="/", root_path="", method=method, headers=headers)
    sent = run_asgi(app, asgi_scope, [])  # receive() would say: disconnected
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"json": None, "data": "", "form": {}}


def test_an_http2_body_without_content_length_is_received(app: Flask) -> None:
    @app.post("/")
    async def view() -> bytes:
        return await request.get_data()

    asgi_scope = scope(path="/", root_path="", method="POST", headers=[])
    asgi_scope["http_version"] = "2"
    parts = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    ]
    assert run_asgi(app, asgi_scope, parts)[1]["body"] == b"abcd"


@pytest.mark.parametrize(
    ("rv", "status", "expected"),
    [
        (
            ("hi", 201, {"X-A": "1"}),
            201,
            [(b"x-a", b"1"), (b"content-type", b"text/html; charset=utf-8")],
        ),
        (("", 204, {"X-A": "1"}), 204, [(b"x-a", b"1")]),
        (
            ("", 302, {"Location": "/caf\u00e9"}),
            302,
            [(b"location", b"/caf%C3%A9")],
        ),
    ],
)
def test_built_headers_are_sent_as_werkzeug_sends_them(
    app: Flask, rv: Any, status: int, expected: list[tuple[bytes, bytes]]
) -> None:
    @app.route("/")
    async def view() -> Any:
        return rv

    sent = run_asgi(app, scope(path="/", root_path=""), [])
    assert sent[0]["status"] == status
    headers = sent[0]["headers"]
    for pair in expected:
        assert pair in headers
    lengths = [v for k, v in headers if k == b"content-length"]
    assert lengths == ([] if status == 204 else [b"%d" % len(rv[0].encode())])
    rv_wsgi = app.test_client().get("/")
    assert sorted(k.lower() for k, _ in rv_wsgi.headers) == sorted(
        k.decode() for k, _ in headers
    )


def test_header_names_in_any_case_are_read_for_the_body_and_the_cookie(
    app: Flask,
) -> None:
    """The ASGI spec does not require servers to lowercase header names: a
    mixed-case Content-Length still has its body read before an async view,
    and a mixed-case Cookie still refreshes a permanent session."""
    app.secret_key = "mixed case"

    @app.route("/login")
    def login() -> str:
        from kolba import session

        session.permanent = True
        session["user"] = "ada"
        return "in"

    @app.route("/echo", methods=["POST"])
    async def echo() -> Any:
        return {"json": request.get_json()}

    @app.route("/plain")
    async def plain() -> str:
        return "no session read"

    cookie = app.test_client().get("/login").headers["Set-Cookie"].split(";")[0]
    body = b'{"a": 1}'
    sent = run_asgi(
        app,
        scope(
            path="/echo",
            root_path="",
            method="POST",
            headers=[
                (b"Content-Type", b"application/json"),
                (b"Content-Length", str(len(body)).encode()),
            ],
        ),
        [{"type": "http.request", "body": body, "more_body": False}],
    )
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"json": {"a": 1}}
    sent = run_asgi(
        app,
        scope(path="/plain", root_path="", headers=[(b"Cookie", cookie.encode())]),
        [],
    )
    names = [name.lower() for name, _ in sent[0]["headers"]]
    assert b"set-cookie" in names  # the permanent session is refreshed


def test_popping_a_context_never_pushed_says_so(app: Flask) -> None:
    ctx = app.test_request_context("/")
    with pytest.raises(LookupError, match="not pushed"):
        ctx.pop()


@pytest.mark.parametrize("kind", ["usual", "own request"])
def test_a_method_in_any_case_is_matched_as_its_upper_case(
    app: Flask, driver: str, kind: str
) -> None:
    """As a WSGI server's request (and Flask's): the method is read in upper
    case ("get" is GET), while the environ keeps what the client sent. Only
    "HEAD" itself goes without a body: the client of a "head" (another
    method in HTTP, whose methods are case-sensitive) waits for one."""

    class OwnInit(Request):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    if kind == "own request":
        app.request_class = OwnInit

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return f"{request.method} {request.environ['REQUEST_METHOD']}"

    @app.route("/async")
    async def in_async() -> str:
        return "async"

    @app.route("/user/<int:id>")
    async def user(id: int) -> str:
        return f"user {id} {request.method}"

    client = app.test_client()
    for sent in ("get", "post", "Get", "head", "HEAD"):
        response = client.open("/", method=sent)
        text = f"{sent.upper()} {sent}"
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(len(text))
        assert response.text == ("" if sent == "HEAD" else text)
    options = client.open("/", method="options")
    assert options.status_code == 200
    allow = set(options.headers["Allow"].split(", "))
    assert allow == {"GET", "HEAD", "OPTIONS", "POST"}
    assert client.open("/", method="put").status_code == 405
    for path in ("/async", "/user/7"):
        for _ in range(2):  # (the second request of a rule may be made otherwise)
            text = client.open(path, method="get").text
            assert text == ("async" if path == "/async" else "user 7 GET")
            assert client.open(path, method="head").text == text.replace("GET", "HEAD")
            assert client.open(path, method="HEAD").data == b""


def test_matching_by_the_path_alone_is_decided_again_while_serving() -> None:
    """TRUSTED_HOSTS and subdomain matching set on a serving app hold under
    ASGI too."""
    app = Flask(__name__)
    app.get("/")(lambda: "any host")
    app.get("/", subdomain="api", endpoint="api")(lambda: "api")

    async def index() -> str:
        return "async"

    app.get("/async")(index)

    def status(path: str, host: bytes) -> tuple[int, bytes]:
        sent = run_asgi(
            app,
            scope(path=path, root_path="", headers=[(b"host", host)]),
            [{"type": "http.request"}],
        )
        return sent[0]["status"], sent[1].get("body", b"")

    for path in ("/", "/async"):
        assert status(path, b"bad.test")[0] == 200
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    for path in ("/", "/async"):
        assert status(path, b"bad.test")[0] == 400
        assert status(path, b"good.test")[0] == 200
    app.config["TRUSTED_HOSTS"] = None
    assert status("/async", b"bad.test")[0] == 200
    app.config["SERVER_NAME"] = "example.test"
    assert status("/", b"api.example.test") == (200, b"any host")
    app.subdomain_matching = True
    assert status("/", b"api.example.test") == (200, b"api")


def test_a_static_rule_of_other_characters_than_ascii_reads_its_path(
    app: Flask,
) -> None:
    """A static rule's path is matched at once, ASCII or not (its characters
    are the ones the request reads); a path with two leading slashes is not
    the one of a rule that has them (the driver keeps one, as WSGI servers)."""
    from kolba.routing import Rule

    @app.route("/caf\u00e9")
    async def cafe() -> str:
        return f"{request.path} {request.environ['PATH_INFO']}"

    app.url_map.add(Rule("//kept//", endpoint="kept", merge_slashes=False))
    app.view_functions["kept"] = lambda: "kept"
    plain = {"root_path": "", "headers": [], "query_string": b""}
    sent = run_asgi(app, scope(path="/caf\u00e9", raw_path=b"/caf%C3%A9", **plain), [])
    assert sent[0]["status"] == 200
    assert sent[1]["body"].decode() == "/caf\u00e9 /caf\u00c3\u00a9"
    sent = run_asgi(app, scope(path="//kept//", raw_path=b"//kept//", **plain), [])
    assert sent[0]["status"] == 404
