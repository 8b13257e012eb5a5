"""The WSGI entry calls the view of an endpoint without hooks itself (and
sends a str it returns): each case here answers as Flask does, on the request
that decided the endpoint has no hooks and on those after it, which take that
path (``app._hookless``).

Each case builds the same app from ``flask`` or ``kolba`` and sends the same
requests to both; status, body and headers must be equal (Date aside, and the
signed session cookie's value masked).
"""

from __future__ import annotations

import asyncio
import typing as t

import flask
import pytest

import kolba
from kolba import signals

Case = t.Callable[[t.Any], t.Any]
# name: (the app's factory, its requests, whether the client keeps cookies)
CASES: dict[str, tuple[Case, list[tuple[str, str]], bool]] = {}


def case(*requests: tuple[str, str], cookies: bool = True) -> t.Callable[[Case], Case]:
    def register(build: Case) -> Case:
        CASES[build.__name__] = (build, list(requests) or [("GET", "/")], cookies)
        return build

    return register


def new_app(fw: t.Any) -> t.Any:
    app = fw.Flask(__name__)
    app.secret_key = "a secret key that is long enough"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    return app


@case(("GET", "/"), ("HEAD", "/"), ("GET", "/user/42"), ("HEAD", "/user/7"))
def text_and_head(fw):
    app = new_app(fw)
    app.route("/", endpoint="hello")(lambda: "Hello, World!")
    app.route("/user/<int:id>", endpoint="user")(lambda id: f"User {id}")
    return app


@case(("GET", "/two/3/x"), ("GET", "/kw/5"), ("GET", "/default"))
def arguments_by_keyword(fw):
    app = new_app(fw)
    app.route("/two/<int:a>/<b>", endpoint="two")(lambda a, b: f"{a}{b}")
    app.route("/kw/<int:n>", endpoint="kw")(lambda **kw: str(kw))
    app.route("/default", defaults={"n": 1}, endpoint="d")(lambda n: f"n={n}")
    return app


@case()
def after_this_request_in_the_view(fw):
    app = new_app(fw)

    @app.route("/")
    def index():
        @fw.after_this_request
        def add(response):
            response.headers["X-After"] = "1"
            return response

        return "body"

    return app


@case(cookies=False)
def session_written_by_the_view(fw):
    app = new_app(fw)

    @app.route("/")
    def index():
        fw.session["n"] = fw.session.get("n", 0) + 1
        return "counted"

    return app


# ("/" has no hooks when the cookie first comes with it)
@case(("GET", "/"), ("GET", "/login"), ("GET", "/"))
def a_permanent_session_refreshed_by_a_view_that_ignores_it(fw):
    app = new_app(fw)

    @app.route("/login")
    def login():
        fw.session.permanent = True
        fw.session["user"] = "ann"
        return "in"

    app.route("/", endpoint="index")(lambda: "index")
    return app


@case(("GET", "/"), ("GET", "/json"), ("GET", "/tuple"), ("GET", "/response"))
def values_that_are_not_a_str(fw):
    app = new_app(fw)
    app.route("/", endpoint="bytes")(lambda: b"bytes")
    app.route("/json", endpoint="json")(lambda: {"a": 1})
    app.route("/tuple", endpoint="tuple")(lambda: ("made", 201, {"X-A": "b"}))
    app.route("/response", endpoint="r")(
        lambda: fw.Response("r", mimetype="text/plain")
    )
    return app


@case(("GET", "/"), ("GET", "/abort"))
def a_view_that_raises(fw):
    app = new_app(fw)

    @app.route("/")
    def index():
        raise KeyError("x")

    @app.route("/abort")
    def aborts():
        fw.abort(418)

    app.errorhandler(KeyError)(lambda e: ("handled", 500))
    app.errorhandler(418)(lambda e: "teapot")
    return app


@case()
def a_response_class_of_its_own(fw):
    class Plain(fw.Response):
        default_mimetype = "text/plain"

    app = new_app(fw)
    app.response_class = Plain
    app.route("/", endpoint="index")(lambda: "plain text")
    return app


@case()
def a_view_that_reads_the_request(fw):
    app = new_app(fw)
    app.route("/")(lambda: f"{fw.request.method} {fw.request.path}")
    return app


def answers(
    fw: t.Any, build: Case, requests: list[tuple[str, str]], cookies: bool
) -> list:
    app = build(fw)
    client = app.test_client(use_cookies=cookies)
    out = []
    for _ in range(3):  # the first decides, the next ones take the path
        for method, path in requests:
            r = client.open(path, method=method)
            headers = sorted(
                (k, v.split("=")[0] if k == "Set-Cookie" else v)
                for k, v in r.headers.items()
                if k != "Date"
            )
            out.append((method, path, r.status, headers, r.get_data()))
    return out


@pytest.mark.parametrize("name", CASES)
def test_answers_as_flask(name: str) -> None:
    build, requests, cookies = CASES[name]
    ours = answers(kolba, build, requests, cookies)
    assert ours == answers(flask, build, requests, cookies)


def test_the_path_is_taken_for_an_endpoint_without_hooks() -> None:
    app = text_and_head(kolba)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/").data == b"Hello, World!"
    assert app._hookless == {"hello"}


def test_a_hook_added_while_serving_runs_on_that_request_and_the_next() -> None:
    app = new_app(kolba)
    seen = []

    def after(response):
        seen.append(response.get_data())
        response.headers["X-After"] = "yes"
        return response

    add = []

    @app.route("/")
    def index():
        if add and not seen:
            # as an extension does while serving: the registry changed in place
            app.after_request_funcs.setdefault(None, []).append(after)
        return "body"

    client = app.test_client()
    assert client.get("/").headers.get("X-After") is None
    assert "index" in app._hookless
    add.append(True)
    assert client.get("/").headers["X-After"] == "yes"
    assert client.get("/").headers["X-After"] == "yes"
    assert seen == [b"body", b"body"]
    assert "index" not in app._hookless


def test_a_view_replaced_while_serving_is_called() -> None:
    app = new_app(kolba)
    app.route("/")(lambda: "first")
    client = app.test_client()
    assert client.get("/").data == b"first"
    app.view_functions["<lambda>"] = lambda: "second"
    assert client.get("/").data == b"second"


def test_a_receiver_connected_by_the_view_hears_its_request_finish() -> None:
    app = new_app(kolba)
    heard = []

    def receiver(sender, response, **extra):
        heard.append(response.get_data())

    connect = []

    @app.route("/")
    def index():
        if connect:
            signals.request_finished.connect(receiver, app)
        return "finished"

    client = app.test_client()
    assert client.get("/").data == b"finished"  # (decides: no hooks)
    assert "index" in app._hookless
    connect.append(True)
    try:
        assert client.get("/").data == b"finished"
        assert heard == [b"finished"]
    finally:
        signals.request_finished.disconnect(receiver, app)


def test_an_async_view_is_awaited() -> None:
    app = new_app(kolba)

    @app.route("/")
    async def index():
        await asyncio.sleep(0)
        return "async"

    client = app.test_client()
    assert [client.get("/").data for _ in range(2)] == [b"async"] * 2
    assert "index" in app._hookless


def test_a_subclass_dispatch_request_is_still_called() -> None:
    class App(kolba.Flask):
        def dispatch_request(self):
            return "overridden"

    app = App(__name__)
    app.route("/")(lambda: "view")
    client = app.test_client()
    assert [client.get("/").data for _ in range(2)] == [b"overridden"] * 2
