"""Teardown functions run as Flask 3.1 runs them, on the WSGI entry's lean
path as on a context's ``pop()``: the ``teardown_request`` ones innermost
blueprint first with the request still active, then the ``teardown_appcontext``
ones, last registered first, with only the app context active; each once,
with the request's unhandled error or None. Every expected list below is what
Flask recorded for the same app and request."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.test import EnvironBuilder

from kolba import (
    Blueprint,
    Flask,
    abort,
    appcontext_popped,
    appcontext_tearing_down,
    g,
    has_app_context,
    has_request_context,
    request,
    request_tearing_down,
)
from kolba.ctx import RequestContext

Event = tuple[str, str, str]


def state() -> str:
    """Which contexts are active, ``g.v`` and the request's path."""
    parts = ["req" if has_request_context() else "-"]
    parts.append("app" if has_app_context() else "-")
    if has_app_context():
        parts.append(f"g={g.get('v')}")
    if has_request_context():
        parts.append(request.path)
    return " ".join(parts)


def make_app(events: list[Event], raise_in: str | None = None) -> Flask:
    """Two teardown_request functions on the app and on a blueprint, two
    teardown_appcontext functions; ``raise_in`` names one that raises."""
    app = Flask(__name__)
    bp = Blueprint("bp", __name__)

    def view() -> str:
        g.v = 1
        return "ok"

    def boom() -> str:
        g.v = 2
        raise ValueError("view")

    app.add_url_rule("/", "index", view)
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/abort", "abort", lambda: abort(404))
    bp.add_url_rule("/b", "b", view)

    def recorder(name: str) -> t.Callable[[BaseException | None], None]:
        def record(exc: BaseException | None) -> None:
            events.append((name, repr(exc), state()))
            if raise_in == name:
                raise KeyError(name)

        return record

    for scope, name in ((app, "app"), (bp, "bp")):
        for i in (1, 2):
            scope.teardown_request(recorder(f"{name}.req{i}"))
    for i in (1, 2):
        app.teardown_appcontext(recorder(f"appctx{i}"))
    app.register_blueprint(bp)
    app.logger.disabled = True  # (the 500's traceback)
    return app


def serve(app: Flask, path: str, events: list[Event]) -> list[Event]:
    """Two requests (the first starts the app serving); the second's events,
    ending with its outcome and the contexts active after it."""
    seen: list[str] = []
    for _ in range(2):
        events.clear()
        environ = EnvironBuilder(path=path).get_environ()
        try:
            body = app(environ, lambda status, headers: seen.append(status))
            b"".join(body)
            outcome = seen[-1]
        except KeyError as e:
            outcome = f"raised {e!r}"
        events.append(("result", outcome, state()))
    return list(events)


@pytest.fixture(params=["lean", "pop"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs on the WSGI entry's lean path (ctx.pop() fails if
    called), then through ctx.pop() (a subclass's do_teardown_request)."""
    if request.param == "lean":

        def pop(self: RequestContext, exc: t.Any = None) -> None:
            raise AssertionError("the lean path called ctx.pop()")

        monkeypatch.setattr(RequestContext, "pop", pop)
    return str(request.param)


def app_for(way: str, events: list[Event], raise_in: str | None = None) -> Flask:
    app = make_app(events, raise_in)
    if way == "pop":
        app.do_teardown_request = app.do_teardown_request  # type: ignore[method-assign]
    return app


REQUEST_OK = [
    ("app.req2", "None", "req app g=1 /"),
    ("app.req1", "None", "req app g=1 /"),
    ("appctx2", "None", "- app g=1"),
    ("appctx1", "None", "- app g=1"),
    ("result", "200 OK", "- -"),
]


def test_order_and_contexts(way: str) -> None:
    events: list[Event] = []
    assert serve(app_for(way, events), "/", events) == REQUEST_OK


def test_a_blueprint_functions_run_before_the_app_ones(way: str) -> None:
    events: list[Event] = []
    assert serve(app_for(way, events), "/b", events) == [
        ("bp.req2", "None", "req app g=1 /b"),
        ("bp.req1", "None", "req app g=1 /b"),
        ("app.req2", "None", "req app g=1 /b"),
        ("app.req1", "None", "req app g=1 /b"),
        ("appctx2", "None", "- app g=1"),
        ("appctx1", "None", "- app g=1"),
        ("result", "200 OK", "- -"),
    ]


def test_an_unhandled_error_is_passed(way: str) -> None:
    events: list[Event] = []
    error = "ValueError('view')"
    assert serve(app_for(way, events), "/boom", events) == [
        ("app.req2", error, "req app g=2 /boom"),
        ("app.req1", error, "req app g=2 /boom"),
        ("appctx2", error, "- app g=2"),
        ("appctx1", error, "- app g=2"),
        ("result", "500 INTERNAL SERVER ERROR", "- -"),
    ]


@pytest.mark.parametrize("path", ["/abort", "/nope"])
def test_an_http_error_is_not_passed(way: str, path: str) -> None:
    events: list[Event] = []
    assert serve(app_for(way, events), path, events) == [
        ("app.req2", "None", f"req app g=None {path}"),
        ("app.req1", "None", f"req app g=None {path}"),
        ("appctx2", "None", "- app g=None"),
        ("appctx1", "None", "- app g=None"),
        ("result", "404 NOT FOUND", "- -"),
    ]


def test_a_teardown_request_function_that_raises(way: str) -> None:
    """It ends the teardown_request functions; the teardown_appcontext ones
    still run, and the server gets its exception."""
    events: list[Event] = []
    app = app_for(way, events, raise_in="app.req2")
    assert serve(app, "/", events) == [
        ("app.req2", "None", "req app g=1 /"),
        ("appctx2", "None", "- app g=1"),
        ("appctx1", "None", "- app g=1"),
        ("result", "raised KeyError('app.req2')", "- -"),
    ]


def test_a_teardown_appcontext_function_that_raises(way: str) -> None:
    events: list[Event] = []
    app = app_for(way, events, raise_in="appctx2")
    assert serve(app, "/", events) == [
        ("app.req2", "None", "req app g=1 /"),
        ("app.req1", "None", "req app g=1 /"),
        ("appctx2", "None", "- app g=1"),
        ("result", "raised KeyError('appctx2')", "- -"),
    ]


def test_a_raise_after_an_unhandled_error(way: str) -> None:
    events: list[Event] = []
    app = app_for(way, events, raise_in="app.req1")
    error = "ValueError('view')"
    assert serve(app, "/boom", events) == [
        ("app.req2", error, "req app g=2 /boom"),
        ("app.req1", error, "req app g=2 /boom"),
        ("appctx2", error, "- app g=2"),
        ("appctx1", error, "- app g=2"),
        ("result", "raised KeyError('app.req1')", "- -"),
    ]


def test_an_async_teardown_function_is_awaited(way: str) -> None:
    events: list[Event] = []
    app = app_for(way, events)

    @app.teardown_appcontext
    async def last(exc: BaseException | None) -> None:
        events.append(("async", repr(exc), state()))

    assert serve(app, "/", events) == [
        *REQUEST_OK[:2],
        ("async", "None", "- app g=1"),
        *REQUEST_OK[2:],
    ]


@pytest.mark.parametrize("path", ["/", "/boom"])
def test_the_tearing_down_signals_are_sent(path: str) -> None:
    events: list[Event] = []
    app = make_app(events)

    def on_request(sender: Flask, exc: BaseException | None, **kw: t.Any) -> None:
        events.append(("request_tearing_down", repr(exc), state()))

    def on_app(sender: Flask, exc: BaseException | None, **kw: t.Any) -> None:
        events.append(("appcontext_tearing_down", repr(exc), state()))

    def on_popped(sender: Flask, **kw: t.Any) -> None:
        events.append(("appcontext_popped", "", state()))

    with (
        request_tearing_down.connected_to(on_request, app),
        appcontext_tearing_down.connected_to(on_app, app),
        appcontext_popped.connected_to(on_popped, app),
    ):
        got = serve(app, path, events)
    error, g_v, status = (
        ("None", 1, "200 OK")
        if path == "/"
        else ("ValueError('view')", 2, "500 INTERNAL SERVER ERROR")
    )
    assert got == [
        ("app.req2", error, f"req app g={g_v} {path}"),
        ("app.req1", error, f"req app g={g_v} {path}"),
        ("request_tearing_down", error, f"req app g={g_v} {path}"),
        ("appctx2", error, f"- app g={g_v}"),
        ("appctx1", error, f"- app g={g_v}"),
        ("appcontext_tearing_down", error, f"- app g={g_v}"),
        ("appcontext_popped", "", "- -"),
        ("result", status, "- -"),
    ]


def test_a_function_added_while_serving_runs(way: str) -> None:
    events: list[Event] = []
    app = app_for(way, events)
    serve(app, "/", events)
    app.teardown_appcontext_funcs.append(
        lambda exc: events.append(("added", repr(exc), state()))
    )
    assert serve(app, "/", events) == [
        *REQUEST_OK[:2],
        ("added", "None", "- app g=1"),
        *REQUEST_OK[2:],
    ]


def test_a_list_assigned_while_serving_is_the_one_called(way: str) -> None:
    events: list[Event] = []
    app = app_for(way, events)
    serve(app, "/", events)
    app.teardown_appcontext_funcs = [
        lambda exc: events.append(("new", repr(exc), state()))
    ]
    assert serve(app, "/", events) == [
        *REQUEST_OK[:2],
        ("new", "None", "- app g=1"),
        REQUEST_OK[-1],
    ]


def test_a_request_the_view_never_read_is_made_for_a_function_that_reads_it() -> None:
    app = Flask(__name__)
    app.add_url_rule("/<int:n>", "n", lambda n: "ok")
    seen: list[t.Any] = []
    app.teardown_request(lambda exc: seen.append((request.path, request.view_args)))
    for _ in range(2):
        body = app(EnvironBuilder(path="/7").get_environ(), lambda s, h: None)
        assert b"".join(body) == b"ok"
    assert seen == [("/7", {"n": 7})] * 2
