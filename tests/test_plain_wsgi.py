"""A server's WSGI call of an app that serves holds each change made since.

The app decides once what such a call may skip (the cycle direct, no hook or
teardown, kolba's response class, no host to check): each change below, made
after the first request, holds from the next one, or, made by a view, from
its own request on.
"""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.test import EnvironBuilder

from kolba import Flask, Response


def call(app: Flask, host: str = "localhost") -> tuple[str, dict[str, str], bytes]:
    """The app called as a server calls it (two arguments)."""
    environ = EnvironBuilder(path="/", headers={"Host": host}).get_environ()
    started: list[t.Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: t.Any) -> None:
        started.append((status, headers))

    body = b"".join(app(environ, start_response))
    status, headers = started[0]
    return status, dict(headers), body


def served() -> Flask:
    app = Flask(__name__)
    app.get("/")(lambda: "hello")
    assert call(app) == (
        "200 OK",
        {"Content-Type": "text/html; charset=utf-8", "Content-Length": "5"},
        b"hello",
    )
    return app


class Tagged(Response):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers["X-Class"] = "tagged"


def test_wrapped_wsgi_app() -> None:
    app = served()
    inner = app.wsgi_app

    def outer(environ: t.Any, start_response: t.Any) -> t.Any:
        def start(status: str, headers: list[tuple[str, str]], *exc: t.Any) -> t.Any:
            return start_response(status, [*headers, ("X-Wrapped", "1")], *exc)

        return inner(environ, start)

    app.wsgi_app = outer  # type: ignore[method-assign]
    assert call(app)[1]["X-Wrapped"] == "1"


def test_response_class() -> None:
    app = served()
    app.response_class = Tagged
    assert call(app)[1]["X-Class"] == "tagged"


@pytest.mark.parametrize("kind", ["request", "appcontext"])
def test_teardown_added(kind: str) -> None:
    app = served()
    seen: list[object] = []
    if kind == "request":
        app.teardown_request_funcs.setdefault(None, []).append(seen.append)
    else:
        app.teardown_appcontext_funcs.append(seen.append)
    call(app)
    assert seen == [None]


def test_trusted_hosts() -> None:
    app = served()
    app.config["TRUSTED_HOSTS"] = ["good.test"]
    assert call(app, "bad.test")[0] == "400 BAD REQUEST"
    assert call(app, "good.test")[2] == b"hello"
    app.config["TRUSTED_HOSTS"] = None
    assert call(app, "bad.test")[2] == b"hello"


def test_dispatch_step_set_on_the_app() -> None:
    app = served()
    app.dispatch_request = lambda: "frozen"  # type: ignore[method-assign]
    assert call(app)[2] == b"frozen"


def test_teardown_added_by_the_view_runs_for_its_own_request() -> None:
    # as an extension that sets itself up on first use: Flask runs it at once
    app = served()
    seen: list[str] = []

    def register() -> str:
        app.teardown_request_funcs.setdefault(None, []).append(
            lambda e: seen.append("request")
        )
        app.teardown_appcontext_funcs.append(lambda e: seen.append("appcontext"))
        return "hello"

    app.view_functions["<lambda>"] = register
    call(app)
    assert seen == ["request", "appcontext"]


def test_a_reset_first_request_flag_lets_the_app_decide_again() -> None:
    # a Flask test idiom: register more once a request was served
    app = served()
    app._got_first_request = False
    seen: list[object] = []
    app.teardown_request(seen.append)
    assert call(app)[2] == b"hello"
    assert seen == [None]
