"""Teardown functions run as Flask 3.1 runs them, on the lean paths of the
WSGI entry and of the ASGI one (an async view) as on a context's ``pop()``:
the ``teardown_request`` ones innermost blueprint first with the request still
active, then the ``teardown_appcontext`` ones, last registered first, with
only the app context active; each once, with the request's unhandled error or
None. Every expected list below is what Flask recorded for the same app and
request."""

from __future__ import annotations

import io
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
from kolba.testing import asgi_as_wsgi

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


def make_app(
    events: list[Event], raise_in: str | None = None, driver: str = "wsgi"
) -> Flask:
    """Two teardown_request functions on the app and on a blueprint, two
    teardown_appcontext functions; ``raise_in`` names one that raises. For
    the ASGI ``driver`` the views are ``async def`` (run on the loop)."""
    app = Flask(__name__)
    app.extensions["test_driver"] = driver
    bp = Blueprint("bp", __name__)

    def view() -> str:
        g.v = 1
        return "ok"

    def boom() -> str:
        g.v = 2
        raise ValueError("view")

    def abort_404() -> str:
        abort(404)

    views = [view, boom, abort_404]
    if driver == "asgi":
        views = [as_async(func) for func in views]
    app.add_url_rule("/", "index", views[0])
    app.add_url_rule("/boom", "boom", views[1])
    app.add_url_rule("/abort", "abort", views[2])
    bp.add_url_rule("/b", "b", views[0])

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


def as_async(func: t.Callable[[], str]) -> t.Callable[[], t.Awaitable[str]]:
    async def view() -> str:
        return func()

    return view


def serve(app: Flask, path: str, events: list[Event]) -> list[Event]:
    """Two requests (the first starts the app serving) over the app's
    driver; the second's events, ending with its outcome and the contexts
    active after it."""
    seen: list[str] = []
    entry = app if app.extensions["test_driver"] == "wsgi" else asgi_as_wsgi(app)
    for _ in range(2):
        events.clear()
        environ = EnvironBuilder(path=path).get_environ()
        try:
            body = entry(environ, lambda status, headers: seen.append(status))
            b"".join(body)
            outcome = seen[-1]
        except KeyError as e:
            outcome = f"raised {e!r}"
        events.append(("result", outcome, state()))
    return list(events)


@pytest.fixture(params=["wsgi", "asgi"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["lean", "pop"])
def way(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, driver: str
) -> str:
    """Each test runs, over each driver, on the entry's lean path (ctx.pop()
    fails if called), then through ctx.pop() (a subclass's
    do_teardown_request)."""
    if request.param == "lean":

        def pop(self: RequestContext, exc: t.Any = None) -> None:
            raise AssertionError("the lean path called ctx.pop()")

        monkeypatch.setattr(RequestContext, "pop", pop)
    return f"{driver} {request.param}"


def app_for(way: str, events: list[Event], raise_in: str | None = None) -> Flask:
    driver, _, how = way.partition(" ")
    app = make_app(events, raise_in, driver)
    if how == "pop":
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
def test_the_tearing_down_signals_are_sent(path: str, driver: str) -> None:
    events: list[Event] = []
    app = make_app(events, driver=driver)

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


def test_a_list_assigned_while_serving_is_the_one_called(driver: str) -> None:
    # (a list that does not tell the app of its changes: the app reads its
    # hooks per request, off the lean path, whichever way it tears down)
    events: list[Event] = []
    app = app_for(f"{driver} lean", events)
    serve(app, "/", events)
    funcs: list[t.Callable[[BaseException | None], None]] = []
    app.teardown_appcontext_funcs = funcs
    funcs.append(lambda exc: events.append(("new", repr(exc), state())))
    assert app.teardown_appcontext_funcs is funcs
    assert serve(app, "/", events) == [
        *REQUEST_OK[:2],
        ("new", "None", "- app g=1"),
        REQUEST_OK[-1],
    ]


def test_a_request_the_view_never_read_is_made_for_a_function_that_reads_it(
    driver: str,
) -> None:
    app = Flask(__name__)
    app.extensions["test_driver"] = driver

    async def view(n: int) -> str:
        return "ok"

    app.add_url_rule("/<int:n>", "n", view if driver == "asgi" else lambda n: "ok")
    seen: list[t.Any] = []
    app.teardown_request(lambda exc: seen.append((request.path, request.view_args)))
    assert serve(app, "/7", []) == [("result", "200 OK", "- -")]
    assert seen == [("/7", {"n": 7})] * 2


def test_uploads_that_a_teardown_function_parsed_are_closed(way: str) -> None:
    """The view never read the body; a teardown_request function has the
    Request parse it: its files are closed as the request ends, and the
    environ no longer holds the Request."""
    driver, _, how = way.partition(" ")
    app = Flask(__name__)
    if how == "pop":
        app.do_teardown_request = app.do_teardown_request  # type: ignore[method-assign]

    async def view() -> str:
        return "ok"

    app.add_url_rule(
        "/", "index", view if driver == "asgi" else lambda: "ok", methods=["POST"]
    )
    seen: list[t.Any] = []

    @app.teardown_request
    def read_files(exc: BaseException | None) -> None:
        seen.append((request.files["f"], request.environ))

    entry = app if driver == "wsgi" else asgi_as_wsgi(app)
    for _ in range(2):
        builder = EnvironBuilder(
            path="/", method="POST", data={"f": (io.BytesIO(b"data"), "a.txt")}
        )
        body = entry(builder.get_environ(), lambda status, headers: None)
        assert b"".join(body) == b"ok"
        builder.close()
        upload, environ = seen.pop()
        assert upload.filename == "a.txt"
        assert upload.stream.closed
        assert environ["werkzeug.request"] is None


def test_stream_with_context_tears_down_once_after_the_stream(
    app: Flask, client: t.Any
) -> None:
    # kolba's difference from Flask (README): Flask tears down when the view
    # returns and again at the end, g emptied before the generator runs.
    from kolba import stream_with_context

    log: list[tuple[t.Any, ...]] = []

    @app.route("/stream/<int:fail>")
    def stream(fail: int) -> t.Any:
        g.conn = "open"

        def body() -> t.Iterator[str]:
            log.append(("start", g.get("conn"), request.path))
            yield "a"
            if fail:
                raise ValueError("in the stream")
            log.append(("end", g.get("conn")))

        return stream_with_context(body())

    @app.teardown_request
    def teardown_request(error: BaseException | None) -> None:
        log.append(("teardown_request", repr(error)))

    @app.teardown_appcontext
    def teardown_appcontext(error: BaseException | None) -> None:
        log.append(("teardown_appcontext", g.pop("conn", None), repr(error)))

    assert client.get("/stream/0").data == b"a"
    assert log == [
        ("start", "open", "/stream/0"),
        ("end", "open"),
        ("teardown_request", "None"),
        ("teardown_appcontext", "open", "None"),
    ]
    log.clear()
    try:  # (the error reaches the server: the client may raise it)
        client.get("/stream/1").data  # noqa: B018
    except ValueError:
        pass
    error = repr(ValueError("in the stream"))
    assert log == [
        ("start", "open", "/stream/1"),
        ("teardown_request", error),
        ("teardown_appcontext", "open", error),
    ]


@pytest.mark.parametrize("fails", ["after_request", "after_this_request", "session"])
def test_a_stream_an_error_after_the_view_replaces_ends_with_its_request(
    app: Flask, client: t.Any, fails: str
) -> None:
    # As Flask: the 500's request tears down once, with the error, before the
    # response goes out; the stream's context (pushed by stream_with_context)
    # does not outlive it, to end later in another request's time (the
    # garbage collector freed it there: that request lost its context).
    import gc

    from kolba import after_this_request, session, stream_with_context

    app.testing = False  # (the 500 answered, not raised to the client)
    app.secret_key = "a long enough secret key for the session " * 2
    log: list[tuple[str, str]] = []

    def fail(response: t.Any) -> t.Any:
        raise ValueError("after failed")

    @app.route("/stream")
    def stream() -> t.Any:
        if fails == "after_this_request":
            after_this_request(fail)
        elif fails == "session":
            session["bad"] = object()  # (not JSON: the save raises)

        def body() -> t.Iterator[str]:
            yield "never sent"

        return stream_with_context(body())

    if fails == "after_request":
        app.after_request(
            lambda response: fail(response) if request.path == "/stream" else response
        )

    @app.route("/other")
    def other() -> str:
        gc.collect()  # (as the collector may run in any request's time)
        return request.path

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        log.append((request.path, type(error).__name__))

    assert client.get("/stream").status_code == 500
    assert log[0][0] == "/stream" and log[0][1] in ("ValueError", "TypeError")
    gc.collect()
    assert client.get("/other").text == "/other"
    assert log[1:] == [("/other", "NoneType")]



def test_a_stream_closed_in_another_requests_time_leaves_its_context(
    app: Flask, client: t.Any
) -> None:
    # A stream the view kept (never sent) and closed by another request (as
    # the garbage collector may): that request's context stays active.
    import contextvars

    from kolba import stream_with_context

    kept: list[t.Any] = []

    @app.route("/keep")
    def keep() -> str:
        kept.append(stream_with_context(iter(["a"])))
        return "kept"

    @app.route("/other")
    def other() -> str:
        kept.pop().close()
        return request.path

    def requests() -> tuple[str, str]:
        # (in a context of its own: the kept stream's push outlives /keep,
        # as in Flask before 3.1)
        return client.get("/keep").text, client.get("/other").text

    assert contextvars.Context().run(requests) == ("kept", "/other")
