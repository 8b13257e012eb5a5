"""A subclass's override of a request-cycle method is called as Flask calls it.

kolba runs the cycle fused when a class overrides none of its steps; each test
here overrides one method and checks that it is called, with Flask's
arguments, and that what it returns takes effect.
"""

from __future__ import annotations

import json
import types
import typing as t

import pytest
from werkzeug.exceptions import NotFound

import kolba
from kolba import Flask, Request, Response, abort, g
from kolba.ctx import AppContext
from kolba.globals import app_ctx


def make(cls: type[Flask]) -> Flask:
    app = cls(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/fail")
    def fail() -> str:
        raise ValueError("boom")

    @app.route("/missing")
    def missing() -> str:
        abort(404)

    return app


def test_an_app_that_overrides_nothing_runs_fused() -> None:
    class Plain(Flask):
        pass

    assert Plain._fused and Plain._own_ctx and not Plain._overrides
    assert not Flask._overrides


def test_request_context() -> None:
    seen = []

    class App(Flask):
        def request_context(self, environ):
            seen.append(environ["PATH_INFO"])
            return super().request_context(environ)

    assert make(App).test_client().get("/").data == b"index"
    assert seen == ["/"]


def test_app_context_is_pushed_for_the_request() -> None:
    class MyAppContext(AppContext):
        pass

    class App(Flask):
        def app_context(self):
            return MyAppContext(self)

    app = App(__name__)

    @app.before_request
    def before() -> None:
        g.value = "from before_request"

    @app.route("/")
    def index() -> str:
        assert type(app_ctx._get_current_object()) is MyAppContext
        return g.value

    assert app.test_client().get("/").data == b"from before_request"
    assert not kolba.has_app_context()


def test_full_dispatch_request() -> None:
    class App(Flask):
        def full_dispatch_request(self):
            response = super().full_dispatch_request()
            response.headers["X-Full"] = "yes"
            return response

    response = make(App).test_client().get("/")
    assert response.headers["X-Full"] == "yes"
    assert response.data == b"index"


def test_preprocess_request() -> None:
    class App(Flask):
        def preprocess_request(self):
            return "stopped before the view"

    assert make(App).test_client().get("/").data == b"stopped before the view"


def test_dispatch_request() -> None:
    class App(Flask):
        def dispatch_request(self):
            return "wrapped " + super().dispatch_request()

    assert make(App).test_client().get("/").data == b"wrapped index"


def test_a_method_set_on_the_app_itself_is_called() -> None:
    # as Frozen-Flask's static app does: every path, no URL map
    app = Flask(__name__)
    app.dispatch_request = lambda: f"file for {kolba.request.path}"  # type: ignore[method-assign]
    client = app.test_client()
    assert client.get("/a/b.html").text == "file for /a/b.html"
    assert Flask._fused and not app._fused  # the class keeps its fast path

    def process_response(response: Response) -> Response:
        response.headers["X-Late"] = "1"
        return Flask.process_response(app, response)

    seen = []

    def do_teardown_request(exc: BaseException | None = None) -> None:
        seen.append(exc)

    app.process_response = process_response  # type: ignore[method-assign]
    app.do_teardown_request = do_teardown_request  # type: ignore[method-assign]
    assert client.get("/").headers["X-Late"] == "1"  # set after serving began
    assert seen == [None]


@pytest.mark.parametrize(
    "name", ["dispatch_request", "handle_user_exception", "handle_exception"]
)
def test_a_method_set_on_the_app_while_it_serves_async_views_is_called(
    driver: str, name: str
) -> None:
    """Under ASGI an async view runs on the loop only while the app's cycle
    allows it: a method set later is called from the next request on."""
    app = Flask(__name__)

    @app.route("/")
    async def boom() -> str:
        raise KeyError("boom")

    client = app.test_client()
    assert client.get("/").status_code == 500
    calls: list[str] = []

    def method(*args: t.Any) -> Response:
        calls.append(name)
        return Response("answered", 299)

    setattr(app, name, method)
    response = client.get("/")
    assert (response.status_code, response.text, calls) == (299, "answered", [name])


def test_make_response() -> None:
    seen = []

    class App(Flask):
        def make_response(self, rv):
            seen.append(rv)
            response = super().make_response(rv)
            response.headers["X-Made"] = "1"
            return response

    response = make(App).test_client().get("/")
    assert seen == ["index"]
    assert response.headers["X-Made"] == "1"


def test_finalize_request_also_from_the_error_handler() -> None:
    seen = []

    class App(Flask):
        def finalize_request(self, rv, from_error_handler=False):
            seen.append((type(rv).__name__, from_error_handler))
            return super().finalize_request(rv, from_error_handler)

    client = make(App).test_client()
    assert client.get("/").status_code == 200
    assert client.get("/fail").status_code == 500
    assert seen == [("str", False), ("InternalServerError", True)]


def test_process_response() -> None:
    class App(Flask):
        def process_response(self, response):
            response = super().process_response(response)
            response.headers["X-Processed"] = "1"
            return response

    assert make(App).test_client().get("/").headers["X-Processed"] == "1"


def test_handle_user_exception() -> None:
    seen = []

    class App(Flask):
        def handle_user_exception(self, e):
            seen.append(type(e))
            if isinstance(e, ValueError):
                return "recovered", 200
            return super().handle_user_exception(e)

    client = make(App).test_client()
    assert client.get("/fail").data == b"recovered"
    assert client.get("/missing").status_code == 404
    assert seen == [ValueError, NotFound]


def test_handle_http_exception() -> None:
    class App(Flask):
        def handle_http_exception(self, e):
            return f"custom {e.code}", e.code

    client = make(App).test_client()
    response = client.get("/missing")
    assert (response.status_code, response.data) == (404, b"custom 404")
    # a routing 404 goes through it as well
    assert client.get("/nowhere").data == b"custom 404"


def test_handle_exception() -> None:
    seen = []

    class App(Flask):
        def handle_exception(self, e):
            seen.append(e)
            return self.response_class("handled", 503)

    response = make(App).test_client().get("/fail")
    assert (response.status_code, response.data) == (503, b"handled")
    assert [type(e) for e in seen] == [ValueError]


def test_log_exception() -> None:
    seen = []

    class App(Flask):
        def log_exception(self, exc_info):
            seen.append(exc_info[0])

    assert make(App).test_client().get("/fail").status_code == 500
    assert seen == [ValueError]


def test_do_teardown_request_runs_without_teardown_functions() -> None:
    seen = []

    class App(Flask):
        def do_teardown_request(self, exc=None):
            seen.append(exc)
            super().do_teardown_request(exc)

    client = make(App).test_client()
    client.get("/")
    client.get("/fail")
    assert seen[0] is None
    assert type(seen[1]) is ValueError


def test_do_teardown_appcontext_runs_without_teardown_functions() -> None:
    seen = []

    class App(Flask):
        def do_teardown_appcontext(self, exc=None):
            seen.append(exc)
            super().do_teardown_appcontext(exc)

    app = make(App)
    app.test_client().get("/")
    with app.app_context():
        pass
    assert seen == [None, None]


def test_ensure_sync_wraps_views_hooks_and_handlers() -> None:
    seen = []

    class App(Flask):
        def ensure_sync(self, func):
            seen.append(func.__name__)
            return super().ensure_sync(func)

    app = make(App)

    @app.before_request
    def before() -> None:
        pass

    @app.after_request
    def after(response: Response) -> Response:
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        pass

    @app.errorhandler(ValueError)
    def on_value_error(e: ValueError) -> str:
        return "handled"

    client = app.test_client()
    client.get("/")
    assert seen == ["before", "index", "after", "teardown"]
    seen.clear()
    assert client.get("/fail").data == b"handled"
    assert seen == ["before", "fail", "on_value_error", "after", "teardown"]


def test_async_to_sync() -> None:
    seen = []

    class App(Flask):
        def async_to_sync(self, func):
            seen.append(func.__name__)
            return super().async_to_sync(func)

    app = App(__name__)

    @app.route("/")
    async def index() -> str:
        return "async"

    assert app.test_client().get("/").data == b"async"
    assert seen == ["index"]


def test_raise_routing_exception() -> None:
    seen = []

    class App(Flask):
        def raise_routing_exception(self, request):
            seen.append((request.path, type(request.routing_exception)))
            abort(410)

    assert make(App).test_client().get("/nowhere").status_code == 410
    assert seen == [("/nowhere", NotFound)]


def test_create_url_adapter_matches_the_request() -> None:
    seen = []

    class App(Flask):
        def create_url_adapter(self, request):
            seen.append(None if request is None else request.path)
            adapter = super().create_url_adapter(request)
            if request is not None:
                adapter.subdomain = "api"  # every request matched as api.*
            return adapter

    app = App(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.com"

    @app.route("/", subdomain="api")
    def api() -> str:
        return "api"

    @app.route("/")
    def index() -> str:
        return "index"

    client = app.test_client()
    assert client.get("/", base_url="http://example.com").data == b"api"
    assert client.get("/nowhere", base_url="http://example.com").status_code == 404
    # Flask also calls create_url_adapter(None) for the app context that each
    # request pushes; kolba's request context is its app context.
    assert [path for path in seen if path is not None] == ["/", "/nowhere"]


def _index_and_user(app: Flask, view_kind: str) -> t.Any:
    """``/`` and ``/user/<int:id>`` (a ``def`` or ``async def`` view) on
    ``app``; its test client."""

    def user(id: int) -> str:
        return f"user {id}"

    async def async_user(id: int) -> str:
        return f"user {id}"

    app.route("/")(lambda: "index")
    app.route("/user/<int:id>")(user if view_kind == "def" else async_user)
    return app.test_client()


@pytest.mark.parametrize("view_kind", ["def", "async def"])
def test_a_url_map_class_with_its_own_match_is_asked(
    driver: str, view_kind: str
) -> None:
    """The drivers look a static rule up in the map themselves, as Map.match()
    does first: a Map subclass that overrides match() is asked instead, for
    static and variable paths alike."""
    from kolba.routing import Map

    seen: list[tuple[str, str]] = []

    class Moved(Map):
        def match(self, path, method="GET", host="", subdomain=None):  # type: ignore[no-untyped-def]
            seen.append((path, method))
            return super().match("/user/7" if path == "/" else path, method)

    class App(Flask):
        url_map_class = Moved

    app = App(__name__)

    client = _index_and_user(app, view_kind)
    assert client.get("/").data == b"user 7"
    assert client.get("/user/42").data == b"user 42"
    assert seen == [("/", "GET"), ("/user/42", "GET")]


@pytest.mark.parametrize("view_kind", ["def", "async def"])
def test_a_match_set_on_the_url_map_is_asked(driver: str, view_kind: str) -> None:
    """A match() set on the app's map itself (as mock.patch.object does) is
    called for static and variable paths alike, and no more once removed."""
    from unittest import mock

    app = Flask(__name__)

    client = _index_and_user(app, view_kind)
    assert client.get("/").data == b"index"  # (served once before the patch)
    real = app.url_map.match
    with mock.patch.object(app.url_map, "match", side_effect=real) as spy:
        assert client.get("/").data == b"index"
        assert client.get("/user/42").data == b"user 42"
    assert [c.args[:1] for c in spy.call_args_list] == [("/",), ("/user/42",)]
    assert client.get("/user/5").data == b"user 5"
    assert spy.call_count == 2


def test_url_for_from_helpers_and_templates() -> None:
    class App(Flask):
        def url_for(self, endpoint, **values):
            return "/custom" + super().url_for(endpoint, **values)

    app = App(__name__)

    @app.route("/")
    def index() -> str:
        template = kolba.render_template_string("{{ url_for('index') }}")
        return kolba.url_for("index") + " " + template

    assert app.test_client().get("/").data == b"/custom/ /custom/"


def test_make_default_options_response() -> None:
    class App(Flask):
        def make_default_options_response(self):
            response = super().make_default_options_response()
            response.headers["X-Options"] = "1"
            return response

    response = make(App).test_client().options("/")
    assert response.headers["X-Options"] == "1"
    assert set(response.allow) == {"GET", "HEAD", "OPTIONS"}


def test_should_ignore_error() -> None:
    seen = []

    class App(Flask):
        def should_ignore_error(self, error):
            return isinstance(error, ValueError)

    app = make(App)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    assert app.test_client().get("/fail").status_code == 500
    assert seen == [None]


def test_request_subclass_on_json_loading_failed_and_json_module() -> None:
    class Loads:
        @staticmethod
        def loads(s, **kwargs):
            return {"parsed by": "custom", "raw": json.loads(s)}

        dumps = staticmethod(json.dumps)

    class MyRequest(Request):
        json_module = Loads

        def on_json_loading_failed(self, e):
            return {"fallback": True}

    app = Flask(__name__)
    app.request_class = MyRequest

    @app.route("/", methods=["POST"])
    def index() -> dict:
        return kolba.request.get_json()

    client = app.test_client()
    assert client.post("/", json=[1]).json == {"parsed by": "custom", "raw": [1]}
    bad = client.post("/", data="{", content_type="application/json")
    assert bad.json == {"fallback": True}


def test_response_subclass() -> None:
    class MyResponse(Response):
        default_mimetype = "text/plain"

    app = make(Flask)
    app.response_class = MyResponse
    response = app.test_client().get("/")
    assert response.mimetype == "text/plain"


# A subclass whose overrides only call super() answers exactly as Flask does.


def forward(name: str):
    """An override that only calls Flask's own method."""

    def method(self, *args, **kwargs):
        return getattr(Flask, name)(self, *args, **kwargs)

    return method


PASS_THROUGH = {
    name: forward(name)
    for name in (
        "request_context",
        "app_context",
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "make_response",
        "finalize_request",
        "process_response",
        "handle_user_exception",
        "handle_http_exception",
        "handle_exception",
        "log_exception",
        "do_teardown_request",
        "do_teardown_appcontext",
        "ensure_sync",
        "async_to_sync",
        "raise_routing_exception",
        "create_url_adapter",
        "url_for",
        "make_default_options_response",
        "should_ignore_error",
    )
}
Through = type("Through", (Flask,), PASS_THROUGH)


def battery(cls: type[Flask]) -> list[tuple[int, list, bytes]]:
    app = cls(__name__)
    app.secret_key = "a secret key of enough length"
    app.config["PROPAGATE_EXCEPTIONS"] = False
    events: list[str] = []
    bp = kolba.Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    def bp_before() -> None:
        events.append("bp before")

    @bp.after_request
    def bp_after(response: Response) -> Response:
        response.headers["X-Bp"] = "1"
        return response

    @bp.route("/<int:n>")
    def bp_view(n: int) -> dict:
        kolba.session["n"] = n
        return {"n": n, "url": kolba.url_for(".bp_view", n=n + 1)}

    @bp.errorhandler(KeyError)
    def bp_key_error(e: KeyError) -> tuple[str, int]:
        return "bp key error", 418

    @bp.route("/key")
    def bp_key() -> str:
        raise KeyError("k")

    app.register_blueprint(bp)

    @app.before_request
    def before() -> None:
        g.seen = "g"

    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = g.seen
        return response

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {type(exc).__name__}")

    @app.route("/")
    def index() -> str:
        kolba.after_this_request(lambda r: r)
        return "index"

    @app.route("/fail")
    def fail() -> str:
        raise ValueError

    @app.route("/async")
    async def async_view() -> tuple[str, int]:
        return "async", 201

    @app.errorhandler(404)
    def not_found(e: NotFound) -> tuple[str, int]:
        return "not here", 404

    client = app.test_client()
    out = []
    for method, path in [
        ("GET", "/"),
        ("GET", "/bp/3"),
        ("GET", "/bp/3"),
        ("GET", "/bp/key"),
        ("GET", "/fail"),
        ("GET", "/async"),
        ("GET", "/nowhere"),
        ("POST", "/"),
        ("OPTIONS", "/"),
        ("HEAD", "/bp/3"),
    ]:
        response = client.open(path, method=method)
        headers = sorted(
            # the signed session cookie holds a timestamp: compare its attributes
            (k, v.partition("=")[0] + v.partition(";")[2] if k == "Set-Cookie" else v)
            for k, v in response.headers
        )
        out.append((response.status_code, headers, response.data))
    out.append((0, [], " | ".join(events).encode()))
    return out


@pytest.fixture
def same_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """The session cookie's timestamp the same in the batteries compared
    (one crossing a second's end under load differed from the other's)."""
    monkeypatch.setattr(kolba.sessions, "time", types.SimpleNamespace(time=lambda: 1e9))


@pytest.mark.usefixtures("same_second")
def test_pass_through_overrides_change_nothing() -> None:
    assert Through._overrides == frozenset(PASS_THROUGH)
    assert not Through._fused
    assert battery(Through) == battery(Flask)


@pytest.mark.usefixtures("same_second")
@pytest.mark.parametrize("name", sorted(PASS_THROUGH))
def test_overriding_one_method_changes_nothing(name: str) -> None:
    cls = type(f"Only_{name}", (Flask,), {name: PASS_THROUGH[name]})
    assert cls._overrides == {name}
    assert battery(cls) == battery(Flask)


@pytest.mark.parametrize("asgi", [False, True])
def test_an_overridden_redirect_is_not_the_routing_redirect(asgi: bool) -> None:
    class App(Flask):
        def redirect(self, location: str, code: int = 302) -> Response:
            response = super().redirect(location, 303)
            response.headers["X-Custom"] = "yes"
            return response

    app = App(__name__)
    if asgi:
        from kolba.testing import ASGIClient

        app.test_client_class = ASGIClient
    app.add_url_rule("/slash/", "slash", lambda: "slash")
    app.add_url_rule("/go", "go", lambda: kolba.redirect("/slash/"))
    client = app.test_client()
    rv = client.get("/slash")  # routing's own redirect, as werkzeug makes it
    assert (rv.status_code, rv.location, "X-Custom" in rv.headers) == (
        308,
        "http://localhost/slash/",
        False,
    )
    rv = client.get("/go")  # kolba.redirect() is the app's, as in Flask
    assert (rv.status_code, rv.headers["X-Custom"]) == (303, "yes")
