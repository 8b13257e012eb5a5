"""``async def`` views, hooks and error handlers, as in Flask 3, through both
drivers (the ``client`` fixture).

Under WSGI a coroutine runs to completion on its worker thread's event loop,
made on the thread's first coroutine and kept for the next ones (not a new
loop per call); under ASGI on the server's loop. The request context
(``request``, ``g``, ``session``) is visible inside it.
"""

from __future__ import annotations

import asyncio
import threading
import typing as t

import pytest
from werkzeug.exceptions import NotFound

from kolba import Blueprint, Flask, abort, after_this_request, g, request, session
from kolba.globals import _cv_ctx
from kolba.testing import KolbaClient
from kolba.views import MethodView, View


def test_async_view(app: Flask, client: KolbaClient) -> None:
    @app.route("/<name>")
    async def hello(name: str) -> str:
        await asyncio.sleep(0)
        return f"hello {name}"

    assert client.get("/ann").text == "hello ann"


def test_async_view_sees_the_request_context(app: Flask, client: KolbaClient) -> None:
    @app.post("/echo")
    async def echo() -> dict[str, object]:
        await asyncio.sleep(0)
        session["seen"] = True
        g.user = "ann"
        return {"path": request.path, "form": request.form["x"], "user": g.user}

    response = client.post("/echo", data={"x": "1"})
    assert response.json == {"path": "/echo", "form": "1", "user": "ann"}
    with client.session_transaction() as sess:
        assert sess["seen"] is True


def test_async_view_returns_any_response_form(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    async def created() -> tuple[dict[str, int], int, dict[str, str]]:
        return {"id": 1}, 201, {"X-Kind": "async"}

    response = client.get("/")
    assert (response.status_code, response.json) == (201, {"id": 1})
    assert response.headers["X-Kind"] == "async"


def test_async_view_can_await_tasks(app: Flask, client: KolbaClient) -> None:
    async def fetch(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    @app.route("/")
    async def gather() -> dict[str, list[int]]:
        return {"results": list(await asyncio.gather(fetch(1), fetch(2)))}

    assert client.get("/").json == {"results": [2, 4]}


def test_async_hooks(app: Flask, client: KolbaClient) -> None:
    events: list[str] = []

    @app.before_request
    async def before() -> None:
        events.append(f"before {request.path}")
        g.value = "from before"

    @app.after_request
    async def after(response):  # type: ignore[no-untyped-def]
        response.headers["X-After"] = "yes"
        events.append("after")
        return response

    @app.teardown_request
    async def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {exc!r}")

    @app.route("/")
    def index() -> str:
        return g.value

    response = client.get("/")
    assert response.text == "from before"
    assert response.headers["X-After"] == "yes"
    assert events == ["before /", "after", "teardown None"]


def test_async_teardown_appcontext(app: Flask, client: KolbaClient) -> None:
    closed: list[str] = []

    @app.teardown_appcontext
    async def close(exc: BaseException | None) -> None:
        await asyncio.sleep(0)
        closed.append(g.get("resource", "none"))

    @app.route("/")
    def index() -> str:
        g.resource = "db"
        return "ok"

    client.get("/")
    assert closed == ["db"]


def test_async_before_request_can_answer(app: Flask, client: KolbaClient) -> None:
    @app.before_request
    async def deny() -> tuple[str, int]:
        return "denied", 403

    @app.route("/")
    def index() -> str:
        raise AssertionError("the view must not run")

    assert client.get("/").status_code == 403


def test_async_after_this_request(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    async def index() -> str:
        @after_this_request
        async def add_header(response):  # type: ignore[no-untyped-def]
            response.headers["X-Later"] = "1"
            return response

        return "ok"

    assert client.get("/").headers["X-Later"] == "1"


def test_async_error_handlers(app: Flask, client: KolbaClient) -> None:
    class Conflict(Exception):
        pass

    @app.errorhandler(404)
    async def not_found(e: NotFound) -> tuple[str, int]:
        return f"no {request.path}", 404

    @app.errorhandler(Conflict)
    async def conflict(e: Conflict) -> tuple[str, int]:
        return f"conflict: {e}", 409

    @app.route("/missing")
    async def missing() -> str:
        abort(404)

    @app.route("/conflict")
    async def raises() -> str:
        await asyncio.sleep(0)
        raise Conflict("taken")

    assert client.get("/missing").text == "no /missing"
    assert client.get("/nowhere").text == "no /nowhere"
    response = client.get("/conflict")
    assert (response.status_code, response.text) == (409, "conflict: taken")


def test_async_500_handler(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    async def server_error(e: Exception) -> tuple[str, int]:
        return "sorry", 500

    @app.route("/")
    async def broken() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/")
    assert (response.status_code, response.text) == (500, "sorry")


def test_exception_in_async_view_propagates_in_testing(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/")
    async def broken() -> str:
        raise ValueError("from the coroutine")

    with pytest.raises(ValueError, match="from the coroutine"):
        client.get("/")


def test_async_blueprint_hooks_and_handlers(app: Flask, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_request
    async def bp_before() -> None:
        g.bp = request.blueprint

    @bp.errorhandler(LookupError)
    async def bp_lookup(e: LookupError) -> tuple[str, int]:
        return f"{g.bp} lookup", 404

    @bp.route("/")
    async def index() -> str:
        raise KeyError("k")

    app.register_blueprint(bp)
    assert client.get("/bp/").text == "bp lookup"


def test_async_method_view(app: Flask, client: KolbaClient) -> None:
    class Resource(MethodView):
        async def get(self, key: str) -> str:
            await asyncio.sleep(0)
            return f"get {key}"

        async def post(self, key: str) -> tuple[str, int]:
            return f"post {key} {request.form['v']}", 201

    assert Resource.methods == {"GET", "POST"}
    app.add_url_rule("/r/<key>", view_func=Resource.as_view("resource"))
    assert client.get("/r/a").text == "get a"
    assert client.post("/r/a", data={"v": "1"}).text == "post a 1"
    assert client.head("/r/a").content_length == len("get a")


def test_async_view_class_with_decorators_sees_the_result(
    app: Flask, client: KolbaClient
) -> None:
    def upper(f):  # type: ignore[no-untyped-def]
        def wrapper(**kwargs):  # type: ignore[no-untyped-def]
            return f(**kwargs).upper()

        return wrapper

    class Shout(View):
        decorators = [upper]

        async def dispatch_request(self) -> str:
            return "quiet"

    app.add_url_rule("/", view_func=Shout.as_view("shout"))
    assert client.get("/").text == "QUIET"


def test_ensure_sync_wraps_only_coroutine_functions(app: Flask) -> None:
    def plain() -> str:
        return "plain"

    async def coro(x: int) -> int:
        return x + 1

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coro)(1) == 2


def test_async_view_called_from_a_running_event_loop(
    app: Flask, client: KolbaClient
) -> None:
    """A WSGI app called from code that runs an event loop (a test in an
    async framework, a server that bridges to WSGI) still runs its
    coroutines, in a helper thread, with the request context visible."""

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return f"{request.path} in {threading.current_thread().name}"

    async def caller() -> str:
        return client.get("/").text

    text = asyncio.run(caller())
    assert text.startswith("/ in ")
    assert threading.current_thread().name not in text


def test_async_error_from_a_running_event_loop(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    async def index() -> str:
        raise LookupError("inside")

    async def caller() -> None:
        client.get("/")

    with pytest.raises(LookupError, match="inside"):
        asyncio.run(caller())


def test_async_views_in_concurrent_threads(app: Flask) -> None:
    """Each thread's request is its own, even with coroutines on loops."""

    @app.route("/<int:n>")
    async def square(n: int) -> str:
        await asyncio.sleep(0)
        return str(int(request.view_args["n"]) ** 2)

    results: dict[int, str] = {}

    def worker(n: int) -> None:
        results[n] = app.test_client().get(f"/{n}").text

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: str(n * n) for n in range(8)}


def test_async_views_under_wsgi_share_their_threads_loop(app: Flask) -> None:
    """One event loop per worker thread, kept: two requests in one thread run
    on the same loop, another thread on its own, closed when the thread ends
    (a thread per request, as the development server has, leaks no loop)."""
    loops: list[tuple[str, asyncio.AbstractEventLoop]] = []

    @app.route("/<name>")
    async def view(name: str) -> str:
        await asyncio.sleep(0)  # a real wait: the loop runs
        loops.append((name, asyncio.get_running_loop()))
        return name

    client = KolbaClient(app, app.response_class)  # WSGI
    assert client.get("/a").text == "a"
    assert client.get("/b").text == "b"
    other = threading.Thread(target=lambda: client.get("/other"))
    other.start()
    other.join()
    (_, a), (_, b), (_, elsewhere) = loops
    assert a is b and not a.is_closed()
    assert elsewhere is not a and elsewhere.is_closed()


@pytest.mark.parametrize("wait", ["view", "no wait"])
def test_tasks_left_on_a_wsgi_threads_loop_are_cancelled_by_the_next_request(
    app: Flask, wait: str
) -> None:
    # As Flask's asgiref cancels them as the view returns: nothing would run
    # them on the thread's loop but a later request, in its time (20,000
    # requests left 20,000 tasks pending, +50 MB). At most the last
    # request's are left waiting.
    tasks: list[asyncio.Task[None]] = []

    @app.route("/")
    async def view() -> str:
        assert [task.done() for task in tasks] == [True] * len(tasks)
        tasks.append(asyncio.get_running_loop().create_task(asyncio.sleep(600)))
        if wait == "view":
            await asyncio.sleep(0)  # (the task started)
        return "ok"

    client = KolbaClient(app, app.response_class)  # WSGI
    for _ in range(3):
        assert client.get("/").text == "ok"
    assert [task.cancelled() for task in tasks] == [True, True, False]
    assert asyncio.all_tasks(tasks[0].get_loop()) == {tasks[2]}
    app.ensure_sync(asyncio.sleep)(0)  # (outside a request: so cancelled too)
    assert tasks[2].cancelled()


@pytest.mark.parametrize("teardown", ["teardown_request", "teardown_appcontext"])
def test_a_stream_under_wsgi_keeps_the_task_feeding_it(
    app: Flask, teardown: str
) -> None:
    # A producer task the view left feeds its streamed body, read after the
    # view returned and after the async teardown ran on the same loop: kept
    # until the request ends (it hung when the teardown cancelled it).
    @getattr(app, teardown)
    async def tear_down(error: BaseException | None) -> None:
        await asyncio.sleep(0)

    @app.route("/")
    async def view() -> t.Any:
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        async def produce() -> None:
            for word in ("a", "b", "c"):
                await asyncio.sleep(0.01)
                await queue.put(word)
            await queue.put(None)

        asyncio.ensure_future(produce())

        async def words() -> t.AsyncIterator[str]:
            while (word := await queue.get()) is not None:
                yield word

        return words()

    client = KolbaClient(app, app.response_class)  # WSGI
    assert client.get("/").text == client.get("/").text == "abc"


def test_an_async_view_under_wsgi_that_reads_no_request_makes_none(
    app: Flask,
) -> None:
    """Running the view's coroutine asks for no server loop through the
    request: wsgi_app's Request, made on first use, is still not made."""
    made: list[bool] = []

    @app.route("/")
    async def index() -> str:
        await asyncio.sleep(0)
        made.append("request" in vars(_cv_ctx.get()[1]))
        return "hi"

    client = KolbaClient(app, app.response_class)  # WSGI
    for _ in range(3):
        assert client.get("/").text == "hi"
    assert made[1:] == [False, False]  # (the first request makes it at once)


def test_a_sync_view_does_not_touch_asyncio(
    app: Flask, client: KolbaClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain views cost nothing extra: no event loop is created for them."""

    def no_loop(*args: object, **kwargs: object) -> None:
        raise AssertionError("asyncio.run called for a sync view")

    monkeypatch.setattr(asyncio, "run", no_loop)

    @app.before_request
    def before() -> None:
        pass

    @app.route("/")
    def index() -> str:
        return "sync"

    assert client.get("/").text == "sync"
