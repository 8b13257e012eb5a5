"""The WSGI entry makes the Request only when something reads it.

A view, hooks and session that never read ``request`` cost no Request object
(matching reads the environ); whatever reads it later gets the same request,
rule and arguments that it would have got from one made at once. A request
class whose ``__init__`` says otherwise is made at once, as before.
"""

from __future__ import annotations

import threading
import typing as t

import pytest
from werkzeug.test import create_environ

from kolba import (
    Flask,
    Request,
    after_this_request,
    copy_current_request_context,
    request,
    request_started,
    stream_with_context,
)
from kolba.globals import _cv_ctx


def call(
    app: Flask, path: str = "/", raw: dict | None = None, **kwargs: t.Any
) -> tuple[str, bytes, dict]:
    """Status, body and environ of a request (``raw``: environ keys to set)."""
    environ = create_environ(path, **kwargs)
    environ.update(raw or {})
    status: list[str] = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body, environ


def made_request() -> bool:
    """Whether the active context has made its Request."""
    return "request" in vars(_cv_ctx.get()[1])


def test_a_view_that_never_reads_the_request_makes_none() -> None:
    app = Flask(__name__)
    seen = []

    @app.route("/user/<int:id>")
    def user(id: int) -> str:
        seen.append(made_request())
        return f"User {id}"

    for _ in range(2):  # (the first request decides as it starts)
        assert call(app, "/user/42")[:2] == ("200 OK", b"User 42")
    assert seen == [False, False]


def test_the_request_made_late_has_the_rule_and_arguments() -> None:
    app = Flask(__name__)
    seen = []

    @app.route("/user/<int:id>", methods=["GET", "POST"])
    def user(id: int) -> str:
        @after_this_request
        def late(response: t.Any) -> t.Any:
            seen.append(
                (request.url_rule.rule, request.view_args, request.method)  # type: ignore[union-attr]
            )
            made = request._get_current_object()
            seen.append(request.environ["werkzeug.request"] is made)
            return response

        return f"User {id}"

    call(app, "/user/1")
    status, body, environ = call(app, "/user/42", method="POST")
    assert (status, body) == ("200 OK", b"User 42")
    assert seen[2:] == [("/user/<int:id>", {"id": 42}, "POST"), True]
    assert environ["werkzeug.request"] is None


def test_the_environ_forgets_a_request_never_made() -> None:
    # werkzeug.request ends as None as when the Request was made and dropped
    app = Flask(__name__)
    app.route("/")(lambda: "hi")
    call(app)
    assert call(app)[2]["werkzeug.request"] is None


def test_a_receiver_or_hook_that_reads_the_request_sees_it_matched() -> None:
    app = Flask(__name__)
    seen = []

    @app.route("/a/<name>")
    def view(name: str) -> str:
        return name

    @app.before_request
    def rename() -> None:
        request.view_args["name"] = "renamed"  # type: ignore[index]

    def started(sender: Flask, **extra: t.Any) -> None:
        seen.append(request.endpoint)

    with request_started.connected_to(started, app):
        call(app, "/a/x")
        assert call(app, "/a/x")[1] == b"renamed"
    assert seen == ["view", "view"]


def test_a_hook_that_replaces_view_args_is_heard() -> None:
    app = Flask(__name__)
    app.route("/a/<name>")(lambda name: name)

    @app.before_request
    def replace() -> None:
        request.view_args = {"name": "other"}

    call(app, "/a/x")
    assert call(app, "/a/x")[1] == b"other"


@pytest.mark.parametrize(
    ("path", "method", "want"),
    [
        ("//a//b", "GET", b"a//b /a//b GET"),  # the Request's path
        ("/a//b", "GET", b"a//b /a//b GET"),  # (the Request made for "//")
        ("a/b", "GET", b"a/b /a/b GET"),
        ("/caf\xc3\xa9", "GET", "café /café GET".encode()),  # raw UTF-8 in WSGI
        ("/a", "get", b"a /a GET"),
    ],
)
def test_paths_and_methods_the_request_changes_match_as_it_says(
    path: str, method: str, want: bytes
) -> None:
    app = Flask(__name__)
    app.url_map.merge_slashes = False  # (or "//a//b" would redirect)
    app.route("/<path:p>", methods=["GET"])(
        lambda p: f"{p} {request.path} {request.method}"
    )
    for _ in range(2):
        raw = {"PATH_INFO": path, "REQUEST_METHOD": method}
        assert call(app, raw=raw)[:2] == ("200 OK", want)


def test_other_methods_match_as_the_request_says() -> None:
    app = Flask(__name__)
    app.route("/", methods=["PROPFIND", "DELETE"])(lambda: request.method)
    for _ in range(2):
        for method in ("PROPFIND", "propfind", "DELETE", "delete"):
            assert call(app, method=method)[:2] == ("200 OK", method.upper().encode())


def test_options_is_answered_from_the_request() -> None:
    app = Flask(__name__)
    app.route("/", methods=["GET", "POST"])(lambda: "hi")
    call(app)
    environ = create_environ("/", method="OPTIONS")
    headers: list[t.Any] = []
    body = b"".join(app(environ, lambda s, h, e=None: headers.extend(h)))
    assert body == b""
    assert set(dict(headers)["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_not_found_and_redirects_keep_their_answers() -> None:
    app = Flask(__name__)
    app.route("/dir/")(lambda: "dir")
    call(app, "/dir/")
    assert call(app, "/nowhere")[0] == "404 NOT FOUND"
    status, _, environ = call(app, "/dir", query_string="a=1")
    assert status == "308 PERMANENT REDIRECT"
    assert environ["werkzeug.request"] is None


class MethodOverride(Request):
    """A request class that reads the method its own way."""

    def __init__(self, environ: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(environ, *args, **kwargs)
        self.method = environ.get("HTTP_X_METHOD", self.method)


def override_app(app: Flask) -> Flask:
    app.route("/", methods=["PUT"])(lambda: "put")
    return app


def test_a_request_class_with_its_own_init_is_made_at_once() -> None:
    class App(Flask):
        request_class = MethodOverride

    app = override_app(App(__name__))
    for _ in range(2):
        assert call(app, headers={"X-Method": "PUT"})[:2] == ("200 OK", b"put")


def test_a_request_class_set_on_a_serving_app_is_heard() -> None:
    app = override_app(Flask(__name__))
    assert call(app, headers={"X-Method": "PUT"})[0] == "405 METHOD NOT ALLOWED"
    app.request_class = MethodOverride
    assert call(app, headers={"X-Method": "PUT"})[:2] == ("200 OK", b"put")


def test_a_context_kept_after_the_request_makes_its_request() -> None:
    app = Flask(__name__)
    app.route("/user/<int:id>")(lambda id: f"User {id}")
    client = app.test_client()
    client.get("/user/1")
    with client:
        assert client.get("/user/42").text == "User 42"
        assert request.view_args == {"id": 42}
        assert request.url_rule.rule == "/user/<int:id>"  # type: ignore[union-attr]


def test_a_copied_context_has_the_request() -> None:
    app = Flask(__name__)
    seen = []

    @app.route("/user/<int:id>")
    def user(id: int) -> str:
        @copy_current_request_context
        def work() -> None:
            seen.append((request.path, request.view_args))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "ok"

    call(app, "/user/1")
    call(app, "/user/42")
    assert seen[1] == ("/user/42", {"id": 42})


def test_a_subclass_wsgi_app_is_called_by_the_server() -> None:
    class App(Flask):
        def wsgi_app(self, environ: t.Any, start_response: t.Any) -> t.Any:
            environ["PATH_INFO"] = "/moved"
            return super().wsgi_app(environ, start_response)

    app = App(__name__)
    app.route("/moved")(lambda: "moved")
    for _ in range(2):
        assert call(app, "/")[:2] == ("200 OK", b"moved")


def test_middleware_set_on_a_serving_app_is_called() -> None:
    app = Flask(__name__)
    app.route("/")(lambda: "hi")
    app.route("/moved", endpoint="moved")(lambda: "moved")
    assert call(app)[1] == b"hi"
    inner = app.wsgi_app

    def moving(environ: t.Any, start_response: t.Any) -> t.Any:
        environ["PATH_INFO"] = "/moved"
        return inner(environ, start_response)

    app.wsgi_app = moving  # type: ignore[method-assign]
    assert call(app)[1] == b"moved"
    assert b"".join(inner(create_environ("/"), lambda s, h, e=None: None)) == b"hi"


def test_a_response_class_set_on_a_serving_app_is_used() -> None:
    from kolba import Response

    class Tagged(Response):
        default_mimetype = "text/x-tagged"

    app = Flask(__name__)
    app.route("/")(lambda: "hi")
    assert call(app)[:2] == ("200 OK", b"hi")
    app.response_class = Tagged
    environ = create_environ("/")
    headers: list[t.Any] = []
    assert b"".join(app(environ, lambda s, h, e=None: headers.extend(h))) == b"hi"
    assert dict(headers)["Content-Type"].startswith("text/x-tagged")


@pytest.mark.parametrize("teardown", [False, True])
def test_a_view_that_pushes_its_context_again_ends_as_usual(teardown: bool) -> None:
    app = Flask(__name__)
    torn: list[t.Any] = []
    if teardown:
        app.teardown_request(lambda exc: torn.append(request.path))

    @app.route("/")
    def index() -> str:
        ctx = _cv_ctx.get()[1]
        with ctx:  # pushed again, as stream_with_context does
            assert _cv_ctx.get()[1] is ctx
        return "hi"

    for _ in range(2):
        status, body, environ = call(app)
        assert (status, body) == ("200 OK", b"hi")
        assert environ["werkzeug.request"] is None
        assert _cv_ctx.get(None) is None
    assert torn == (["/", "/"] if teardown else [])


@pytest.mark.parametrize("teardown", [False, True])
def test_a_streamed_body_keeps_the_context_until_it_is_closed(teardown: bool) -> None:
    app = Flask(__name__)
    torn: list[str] = []
    if teardown:
        app.teardown_request(lambda exc: torn.append("torn"))

    @app.route("/user/<int:id>")
    def user(id: int) -> t.Any:
        def parts() -> t.Iterator[str]:
            yield "user "
            yield f"{request.view_args['id']}"  # type: ignore[index]
            torn.append("sent")

        return app.response_class(stream_with_context(parts()))

    call(app, "/user/1")
    torn.clear()
    assert call(app, "/user/42")[:2] == ("200 OK", b"user 42")
    assert torn == (["sent", "torn"] if teardown else ["sent"])
    assert _cv_ctx.get(None) is None


def test_a_context_popped_by_the_server_path_can_be_pushed_again() -> None:
    app = Flask(__name__)
    kept: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        kept.append(_cv_ctx.get()[1])
        return "hi"

    call(app)
    call(app)
    with kept[1]:
        assert request.path == "/"
    assert _cv_ctx.get(None) is None


def test_a_rule_whose_requests_read_the_request_makes_it_when_matched() -> None:
    class Sub(Request):
        tag = "sub"

    app = Flask(__name__)
    app.request_class = Sub
    seen = []

    @app.route("/user/<int:id>", methods=["GET", "POST"])
    def user(id: int) -> str:
        made = made_request()
        req = request._get_current_object()
        seen.append(
            (
                made,
                type(req),
                req.method,
                req.path,
                req.url_rule.rule,  # type: ignore[union-attr]
                req.view_args,
                req.environ["werkzeug.request"] is req,
            )
        )
        return f"User {id}"

    for method in ("GET", "POST", "GET", "POST"):  # (the first decides)
        status, body, environ = call(app, "/user/42", method=method)
        assert (status, body) == ("200 OK", b"User 42")
        assert environ["werkzeug.request"] is None
    for i, (_, *rest) in enumerate(seen):
        method = ("GET", "POST")[i % 2]
        assert rest == [Sub, method, "/user/42", "/user/<int:id>", {"id": 42}, True]
    # first request: made when read; then: when matched
    assert [made for made, *_ in seen] == [False, True, True, True]


def test_a_request_class_with_its_own_new_is_made_by_it() -> None:
    made: list[type] = []

    class Counted(Request):
        def __new__(cls, *args: t.Any, **kwargs: t.Any) -> Counted:
            made.append(cls)
            return super().__new__(cls)

    app = Flask(__name__)
    app.request_class = Counted
    app.route("/")(lambda: request.path)
    for _ in range(3):
        assert call(app)[:2] == ("200 OK", b"/")
    assert made == [Counted] * 3


def test_teardown_and_after_functions_of_the_scope_run_without_a_request() -> None:
    from kolba import Blueprint

    app = Flask(__name__)
    bp = Blueprint("bp", __name__)
    ran: list[tuple[str, bool]] = []

    def note(name: str) -> t.Callable[..., t.Any]:
        def hook(arg: t.Any) -> t.Any:
            ran.append((name, made_request()))
            return arg

        return hook

    app.teardown_request(note("app teardown"))
    bp.teardown_request(note("bp teardown"))
    app.after_request(note("app after"))
    bp.after_request(note("bp after"))
    bp.route("/in")(lambda: "in")
    app.route("/out")(lambda: "out")
    app.register_blueprint(bp)
    call(app, "/in")
    for _ in range(2):
        ran.clear()
        assert call(app, "/in")[:2] == ("200 OK", b"in")
        assert ran == [
            ("bp after", False),
            ("app after", False),
            ("bp teardown", False),
            ("app teardown", False),
        ]
        ran.clear()
        assert call(app, "/out")[:2] == ("200 OK", b"out")
        assert ran == [("app after", False), ("app teardown", False)]


class MethodProperty(Request):
    """A request class that reads the method its own way, without __init__."""

    @property  # type: ignore[override]
    def method(self) -> str:
        return str(self.environ.get("HTTP_X_METHOD", self.environ["REQUEST_METHOD"]))

    @method.setter
    def method(self, value: str) -> None:
        pass


def test_a_request_class_with_its_own_method_routes_by_it_every_time() -> None:
    class App(Flask):
        request_class = MethodProperty

    app = override_app(App(__name__))
    for _ in range(3):
        assert call(app, headers={"X-Method": "PUT"})[:2] == ("200 OK", b"put")


def test_a_wsgi_app_patched_on_the_class_sees_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tracers wrap ``Flask.wsgi_app`` on the class, before or after the app
    is made (before it serves)."""
    seen = []

    class App(Flask):
        pass

    def traced(self: Flask, environ: t.Any, start_response: t.Any) -> t.Any:
        seen.append(environ["PATH_INFO"])
        return Flask.wsgi_app(self, environ, start_response)

    made_before = App(__name__)
    monkeypatch.setattr(App, "wsgi_app", traced, raising=False)
    made_after = App(__name__)
    for app in (made_before, made_after):
        app.route("/")(lambda: "hi")
        call(app)  # the first request of made_before: not yet seen
        assert call(app)[:2] == ("200 OK", b"hi")
    assert seen == ["/", "/", "/"]


def test_a_patched_flask_call_and_wrapped_wsgi_app_serve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An error tracker replaces ``Flask.__call__`` with a two-argument one;
    ``app.wsgi_app`` wrapped by middleware still runs kolba's own cycle."""
    original = Flask.__call__

    def tracked(self: Flask, environ: t.Any, start_response: t.Any) -> t.Any:
        return original(self, environ, start_response)

    monkeypatch.setattr(Flask, "__call__", tracked)
    app = Flask(__name__)
    app.route("/")(lambda: "hi")
    inner = app.wsgi_app
    app.wsgi_app = lambda e, s: inner(e, s)  # type: ignore[method-assign]
    for _ in range(2):
        assert call(app)[:2] == ("200 OK", b"hi")


def test_threads_that_make_the_request_together_share_the_first() -> None:
    """Two threads of one context may both find no Request: the one kept
    first, with the match on it, is what both get."""
    from kolba.ctx import _BuildRequest

    app = Flask(__name__)
    app.route("/user/<int:id>")(lambda id: "")
    call(app, "/user/1")
    rule = app.url_map._rules[-1]
    other = Request(create_environ("/user/42"))

    class Context:
        _match = (rule, {"id": 42})

        def _make_request(self) -> Request:
            # the other thread stores its Request while this one makes its own
            first = Request(create_environ("/user/42"))
            first.url_rule, first.view_args = self._match
            self.__dict__["request"] = other_kept = first
            self.kept = other_kept
            return other

    ctx = Context()
    got = _BuildRequest().__get__(ctx)
    assert got is ctx.kept and got is not other
    assert got.view_args == {"id": 42} and got.url_rule is rule


def test_a_converter_that_fails_answers_through_handle_exception() -> None:
    """A converter's own error (not an HTTP one) is the request's error, as
    any in the cycle: the 500 handler answers and teardown sees it."""
    from werkzeug.routing import BaseConverter

    class Broken(BaseConverter):
        def to_python(self, value: str) -> t.Any:
            raise LookupError("db down")

    app = Flask(__name__)
    app.url_map.converters["user"] = Broken
    app.route("/u/<user:u>")(lambda u: "u")
    app.errorhandler(500)(lambda e: ("custom 500", 500))
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)
    for _ in range(2):
        assert call(app, "/u/1")[:2] == ("500 INTERNAL SERVER ERROR", b"custom 500")
    assert [type(e) for e in torn] == [LookupError, LookupError]


@pytest.mark.parametrize("hook", [False, True])
def test_head_gets_the_headers_without_the_body(hook: bool) -> None:
    # a str view's answer, made without a Response object, as Response(text)'s
    # would be: its length, no body; the method as the environ says it (a
    # lowercase "head" gets the body, as from werkzeug's Response)
    app = Flask(__name__)
    app.route("/")(lambda: "hi")
    if hook:  # (the Request made first)
        app.before_request(lambda: None)
    for method, body in [("HEAD", b""), ("GET", b"hi"), ("head", b"hi")]:
        environ = create_environ("/", method="GET")
        environ["REQUEST_METHOD"] = method
        seen: list[t.Any] = []
        answer = b"".join(
            app(environ, lambda s, h, e=None, seen=seen: seen.extend((s, h)))
        )
        length = dict(seen[1])["Content-Length"]
        assert (seen[0], length, answer) == ("200 OK", "2", body)


@pytest.mark.parametrize("view_kind", ["def", "async def"])
def test_a_copy_of_the_drivers_context_is_a_request_context_with_its_request(
    app: Flask, client: t.Any, view_kind: str
) -> None:
    """The context that a driver makes for the usual request (its Request made
    on first use) copies as any context: a RequestContext with the same
    Request and session, usable in another thread."""
    from kolba import session
    from kolba.ctx import RequestContext

    seen: list[t.Any] = []

    def view(id: int) -> str:
        ctx = _cv_ctx.get()[1]
        copy = ctx.copy()
        session["n"] = id
        seen.append(
            (
                type(copy) is RequestContext,
                copy.request is ctx.request,
                copy.session is ctx.session,
            )
        )

        @copy_current_request_context
        def work() -> None:
            seen.append((request.path, request.view_args, session["n"]))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "ok"

    if view_kind == "async def":

        async def async_view(id: int) -> str:
            return view(id)

        app.route("/user/<int:id>")(async_view)
    else:
        app.route("/user/<int:id>")(view)
    for id in (1, 42):
        assert client.get(f"/user/{id}").data == b"ok"
    assert seen[2:] == [(True, True, True), ("/user/42", {"id": 42}, 42)]
