"""Application and request contexts and the proxies that read them."""

from __future__ import annotations

import asyncio
import threading
import typing as t

import flask
import pytest
from werkzeug.local import LocalProxy
from werkzeug.test import EnvironBuilder

import kolba.globals
from kolba import (
    Flask,
    Request,
    Response,
    after_this_request,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
)
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")


def test_seed_test_request_context(app: Flask) -> None:
    """The seed's "Контекстные локальные данные" sample."""
    with app.test_request_context("/hello", method="POST"):
        assert request.path == "/hello"
        assert request.method == "POST"


def test_seed_request_context_from_environ(app: Flask) -> None:
    environ = EnvironBuilder("/submit", method="POST", data={"a": "1"}).get_environ()
    with app.request_context(environ):
        assert request.method == "POST"
        assert request.form["a"] == "1"


def test_test_request_context_arguments(app: Flask) -> None:
    with app.test_request_context(
        "/search",
        base_url="https://shop.test/root/",
        query_string={"q": "flask"},
        headers={"X-Token": "abc"},
        method="PUT",
        json={"n": 1},
    ):
        assert request.url == "https://shop.test/root/search?q=flask"
        assert request.script_root == "/root"
        assert request.headers["X-Token"] == "abc"
        assert request.method == "PUT"
        assert request.get_json() == {"n": 1}
    with app.test_request_context("/search?x=1"):
        assert request.args["x"] == "1"
    with app.test_request_context("/form", method="POST", data={"name": "Ann"}):
        assert request.form["name"] == "Ann"


def test_request_context_matches_the_url(app: Flask) -> None:
    app.add_url_rule("/post/<int:post_id>", "post", lambda post_id: "")
    with app.test_request_context("/post/3"):
        assert request.endpoint == "post"
        assert request.view_args == {"post_id": 3}
    with app.test_request_context("/nothing"):
        assert request.url_rule is None
        assert request.routing_exception.code == 404


def test_app_context(app: Flask) -> None:
    assert not has_app_context()
    with app.app_context() as ctx:
        assert has_app_context()
        assert not has_request_context()
        assert current_app._get_current_object() is app
        assert current_app.name == "kolba_test_app"
        assert ctx.g is g._get_current_object()
    assert not has_app_context()


def test_request_context_brings_an_app_context(app: Flask) -> None:
    with app.test_request_context():
        assert has_app_context() and has_request_context()
        assert current_app._get_current_object() is app
    assert not has_app_context() and not has_request_context()


def test_request_context_shares_g_of_an_outer_app_context(app: Flask) -> None:
    with app.app_context():
        g.user = "ann"
        with app.test_request_context():
            assert g.user == "ann"
            g.visits = 1
        assert g.visits == 1


def test_each_app_context_has_its_own_g(app: Flask) -> None:
    with app.app_context():
        g.value = 1
    with app.app_context():
        assert "value" not in g


def test_nested_contexts_restore_the_outer_one(app: Flask) -> None:
    other = Flask("other_app")
    with app.test_request_context("/outer"):
        with other.test_request_context("/inner"):
            assert current_app.name == "other_app"
            assert request.path == "/inner"
        assert current_app.name == "kolba_test_app"
        assert request.path == "/outer"


@pytest.mark.parametrize(
    ("proxy", "message"),
    [
        (lambda: request.path, "request context"),
        (lambda: session.get("x"), "request context"),
        (lambda: g.user, "application context"),
        (lambda: current_app.name, "application context"),
    ],
)
def test_proxies_outside_a_context_say_what_to_do(proxy, message: str) -> None:
    with pytest.raises(RuntimeError, match=message) as info:
        proxy()
    assert "context()" in str(info.value)  # names app.app_context() or the like


@pytest.mark.parametrize(
    "proxy", [request, session, g, current_app], ids=["request", "session", "g", "app"]
)
def test_proxies_outside_a_context_compare_and_hash_as_flasks(proxy: t.Any) -> None:
    # werkzeug's proxy, unbound: compared by identity (Python drops its
    # lookup's error), unhashable, not iterable
    assert (proxy == None) is False  # noqa: E711
    assert (proxy != None) is True  # noqa: E711
    assert proxy == proxy and proxy in [1, proxy] and proxy not in [1, 2]
    assert [proxy].index(proxy) == 0
    for order in (lambda: proxy < 1, lambda: proxy >= 1, lambda: 1 > proxy):
        with pytest.raises(TypeError, match="not supported"):
            order()
    with pytest.raises(TypeError, match="unhashable"):
        hash(proxy)
    with pytest.raises(TypeError, match="unhashable"):
        _ = proxy in {1: 2}
    with pytest.raises(TypeError, match="not iterable"):
        iter(proxy)
    with pytest.raises(RuntimeError):  # its length is the object's, still
        len(proxy)


def test_proxies_tell_a_missing_context_from_the_objects_own_errors(
    app: Flask,
) -> None:
    # the proxies read the context without testing for None first: a missing
    # one is told from an error of the object itself after the fact
    with app.app_context():
        assert current_app.name == app.name
        for read in (lambda: request.path, lambda: session.get("x")):
            with pytest.raises(RuntimeError, match="request context"):
                read()

    class OddRequest(Request):
        @property
        def lookup(self) -> str:
            raise KeyError("from the request")

        @property
        def attribute(self) -> str:
            raise AttributeError("from the request")

    app.request_class = OddRequest
    with app.test_request_context():
        with pytest.raises(AttributeError, match="no_such"):
            request.no_such  # noqa: B018
        with pytest.raises(KeyError, match="from the request"):
            request.lookup  # noqa: B018
        with pytest.raises(AttributeError, match="from the request"):
            request.attribute  # noqa: B018
        with pytest.raises(AttributeError):
            current_app.no_such  # noqa: B018
        with pytest.raises(AttributeError):
            session.no_such  # noqa: B018
        g.user = "ann"
        assert g.user == "ann"
    for act in (lambda: g.user, lambda: setattr(g, "user", "bob")):
        with pytest.raises(RuntimeError, match="application context"):
            act()


def test_proxies_answer_their_own_dunders_and_pass_on_every_other_name(
    app: Flask,
) -> None:
    # the proxies tell their own names by a set of the dunders they have: a
    # dunder they lack, like any other name, is the current object's
    class OwnRequest(Request):
        __custom__ = "request's dunder"
        _private = "request's private name"

    app.request_class = OwnRequest
    with app.test_request_context():
        real = request._get_current_object()
        assert request.__custom__ == "request's dunder"
        assert request._private == "request's private name"
        assert request.__dict__ is real.__dict__
        assert request.__class__ is OwnRequest
        assert request.__doc__ == type(request).__doc__  # the proxy's own
        g.__extra__ = 1
        assert g.__extra__ == 1 and "__extra__" in g
        assert current_app.__dict__ is app.__dict__
        assert session.__class__ is type(session._get_current_object())
        with pytest.raises(AttributeError):
            request.__no_such__  # noqa: B018


def test_request_is_an_instance_of_request(app: Flask) -> None:
    with app.test_request_context():
        assert isinstance(request, Request)
        assert request._get_current_object().__class__ is Request
    assert not isinstance(request, Request)
    assert not request  # an unbound proxy is falsy


def test_the_proxy_type_getattribute_called_explicitly_looks_on_the_proxy(
    app: Flask,
) -> None:
    # as for any object (and Flask's proxies): type(p).__getattribute__(p,
    # name) is the proxy's own lookup, with no forwarding to the object
    app.secret_key = "a secret key long enough to sign"
    with app.test_request_context("/page"):
        g.user = "ann"
        for proxy in (request, session, current_app, g):
            lookup = type(proxy).__getattribute__
            own = lookup(proxy, "_get_current_object")
            assert own() is proxy._get_current_object()
            assert lookup(proxy, "__class__") is proxy.__class__
        for proxy, name in (
            (request, "path"),
            (session, "modified"),
            (current_app, "name"),
            (g, "user"),
        ):
            with pytest.raises(AttributeError, match=name):
                type(proxy).__getattribute__(proxy, name)
        # the proxies still forward their reads
        assert (request.path, current_app.name, g.user) == ("/page", app.name, "ann")
        assert session.modified is False


def test_plain_context_proxies_answer_their_own_names_and_pass_on_the_rest(
    app: Flask,
) -> None:
    # app_ctx, request_ctx and websocket forward in __getattribute__ (not
    # after a failed lookup of their own): the names their class has are
    # still theirs, any other is the current object's
    app_ctx, request_ctx = kolba.globals.app_ctx, kolba.globals.request_ctx
    for proxy, message in (
        (app_ctx, "application context"),
        (request_ctx, "request context"),
    ):
        with pytest.raises(RuntimeError, match=message):
            proxy.app  # noqa: B018
        assert proxy.__class__ is type(proxy) and not proxy
        assert repr(proxy) == "<LocalProxy unbound>" and dir(proxy) == []
        # a name of the proxy's class, on every Python (not typing.Generic's
        # _is_protocol, which only 3.11's pure-Python Generic has)
        assert proxy.__module__ == "kolba.globals" and proxy.__slots__ == ()
    with app.test_request_context("/page") as ctx:
        assert app_ctx.app is app and request_ctx.request.path == "/page"
        assert request_ctx._get_current_object() is ctx
        assert (
            request_ctx.__class__ is type(ctx) and request_ctx.__dict__ is ctx.__dict__
        )
        ctx.__custom__ = "the context's"
        assert request_ctx.__custom__ == "the context's"
        with pytest.raises(AttributeError, match="no_such"):
            request_ctx.no_such  # noqa: B018
        assert not hasattr(app_ctx, "no_such") and hasattr(app_ctx, "app")
        for proxy, name in ((app_ctx, "app"), (request_ctx, "request")):
            lookup = type(proxy).__getattribute__
            assert lookup(proxy, "_get_current_object")() is proxy._get_current_object()
            with pytest.raises(AttributeError, match=name):
                lookup(proxy, name)
        with pytest.raises(RuntimeError, match="not a WebSocket"):
            kolba.globals.websocket.send  # noqa: B018


def test_proxies_are_werkzeug_local_proxies(app: Flask) -> None:
    # as Flask's are: extensions (Flask-Injector) skip them by this test
    # when they walk app.jinja_env.globals outside any context
    proxies = (current_app, g, request, session)
    proxies += (kolba.globals.app_ctx, kolba.globals.request_ctx)
    assert all(isinstance(p, LocalProxy) for p in proxies)
    assert isinstance(app.jinja_env.globals["request"], LocalProxy)
    with app.test_request_context():
        assert all(isinstance(p, LocalProxy) for p in proxies)
        assert isinstance(request, Request) and isinstance(current_app, Flask)


def test_session_proxy(app: Flask) -> None:
    with app.test_request_context():
        session["cart"] = [1]
        assert session["cart"] == [1]
        assert "cart" in session


def test_g_namespace(app: Flask) -> None:
    with app.app_context():
        g.a = 1
        assert g.get("a") == 1
        assert g.get("missing") is None
        assert g.get("missing", 5) == 5
        assert g.setdefault("b", 2) == 2
        assert g.setdefault("b", 3) == 2
        assert "a" in g and "zzz" not in g
        assert sorted(g) == ["a", "b"]
        assert g.pop("a") == 1
        assert g.pop("a", "gone") == "gone"
        with pytest.raises(KeyError):
            g.pop("a")
        with pytest.raises(AttributeError):
            _ = g.nothing


def test_g_methods_take_their_defaults_by_keyword(app: Flask) -> None:
    with app.app_context():
        assert g.setdefault("trail", default=[1]) == [1]
        assert g.get("missing", default="d") == "d"
        assert g.pop("missing", default="p") == "p"


def test_g_methods_outside_a_context_raise_the_proxy_error() -> None:
    for use in (
        lambda: g.setdefault("trail", []),
        lambda: g.get("x"),
        lambda: g.pop("x", None),
        lambda: "x" in g,
    ):
        with pytest.raises(RuntimeError, match="application context"):
            use()


def test_a_custom_g_class_methods_are_the_ones_called(app: Flask) -> None:
    calls: list[str] = []

    class Globals(app.app_ctx_globals_class):  # type: ignore[name-defined,misc]
        def setdefault(self, name: str, default: object = None) -> object:
            calls.append(f"setdefault {name}")
            return super().setdefault(name, default)

        def get(self, name: str, default: object = None) -> object:
            calls.append(f"get {name}")
            return super().get(name, default)

        def __contains__(self, item: str) -> bool:
            calls.append(f"contains {item}")
            return super().__contains__(item)

    app.app_ctx_globals_class = Globals
    app.before_request(lambda: g.setdefault("trail", []).append("before"))
    app.add_url_rule("/", "i", lambda: f"{g.get('trail')} {'trail' in g}")
    assert app.test_client().get("/").text == "['before'] True"
    assert calls == ["setdefault trail", "get trail", "contains trail"]


def test_threads_see_their_own_request(app: Flask) -> None:
    both_inside = threading.Barrier(2)
    seen: dict[str, str] = {}

    def worker(path: str) -> None:
        with app.test_request_context(path):
            both_inside.wait(timeout=5)
            seen[path] = request.path

    threads = [threading.Thread(target=worker, args=(p,)) for p in ("/a", "/b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"/a": "/a", "/b": "/b"}


def test_asyncio_tasks_see_their_own_request(app: Flask) -> None:
    async def handle(path: str, started: asyncio.Event, other: asyncio.Event) -> str:
        with app.test_request_context(path):
            started.set()
            await other.wait()  # the other task is inside its context now
            return request.path

    async def main() -> list[str]:
        a, b = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(handle("/a", a, b), handle("/b", b, a))

    assert asyncio.run(main()) == ["/a", "/b"]


def test_copy_current_request_context_in_a_thread(
    app: Flask, client: KolbaClient
) -> None:
    seen: list[str] = []

    @app.route("/work")
    def work() -> str:
        @copy_current_request_context
        def in_background() -> None:
            seen.append(f"{request.path} {session.get('user')}")

        session["user"] = "ann"
        thread = threading.Thread(target=in_background)
        thread.start()
        thread.join()
        return "started"

    assert client.get("/work").data == b"started"
    assert seen == ["/work ann"]


def test_copy_current_request_context_of_a_coroutine_in_an_async_view(
    app: Flask, client: KolbaClient
) -> None:
    """Called in an async view, the copied coroutine function gives the
    coroutine to await on the view's own loop (a task of it too): the loop
    is not blocked while it runs elsewhere."""

    async def work(tag: str) -> str:
        await asyncio.sleep(0)
        on_own_loop = asyncio.get_running_loop() is view_loop[-1]
        return f"{tag} {request.path} {session.get('user')} {on_own_loop}"

    view_loop: list[asyncio.AbstractEventLoop] = []

    @app.route("/work")
    async def view() -> str:
        view_loop.append(asyncio.get_running_loop())
        session["user"] = "ann"
        awaited = await copy_current_request_context(work)("awaited")
        task = asyncio.ensure_future(copy_current_request_context(work)("task"))
        return f"{awaited}; {await task}"

    assert client.get("/work").text == (
        "awaited /work ann True; task /work ann True"
    )


def test_copy_current_request_context_of_a_coroutine_in_a_thread(
    app: Flask, client: KolbaClient
) -> None:
    """Called in a thread with no loop, it runs the coroutine to its result,
    as Flask does."""
    seen: list[str] = []

    async def work() -> str:
        await asyncio.sleep(0)
        return request.path

    @app.route("/work")
    def view() -> str:
        copied = copy_current_request_context(work)
        thread = threading.Thread(target=lambda: seen.append(copied()))
        thread.start()
        thread.join()
        return "done"

    assert client.get("/work").text == "done"
    assert seen == ["/work"]


def test_copy_current_request_context_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        copy_current_request_context(lambda: None)


def test_after_this_request(app: Flask, client: KolbaClient) -> None:
    order: list[str] = []

    @app.after_request
    def app_hook(response: Response) -> Response:
        order.append("after_request")
        return response

    @app.route("/")
    def index() -> str:
        if "mark" in request.args:

            @after_this_request
            def add_header(response: Response) -> Response:
                order.append("after_this_request")
                response.headers["X-Foo"] = "Parachute"
                return response

        return "ok"

    assert client.get("/?mark").headers["X-Foo"] == "Parachute"
    assert order == ["after_this_request", "after_request"]
    assert "X-Foo" not in client.get("/").headers  # it ran for one request only
    assert order == ["after_this_request", "after_request", "after_request"]


def test_after_this_request_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda response: response)


def popping_the_reused_app_context(fw: t.Any) -> list[t.Any]:
    """Pop the app context a request context reuses while the request is
    active, then the request: what is active at each step, and when the
    teardown functions run."""
    log: list[t.Any] = []
    app = fw.Flask(__name__)
    app.teardown_appcontext(lambda e: log.append("teardown app"))
    app.teardown_request(lambda e: log.append("teardown request"))
    app_ctx = app.app_context()
    app_ctx.push()
    request_ctx = app.test_request_context("/p")
    request_ctx.push()
    app_ctx.pop()
    log += [fw.has_app_context(), fw.has_request_context(), fw.request.path]
    request_ctx.pop()
    log += [fw.has_app_context(), fw.has_request_context()]
    return log


def test_popping_the_app_context_a_request_reuses_leaves_the_request_as_flask() -> (
    None
):
    expected = ["teardown app", False, True, "/p", "teardown request", False, False]
    assert popping_the_reused_app_context(flask) == expected
    assert popping_the_reused_app_context(kolba) == expected


def popped_in_with_blocks(fw: t.Any) -> list[t.Any]:
    """The same in ``with`` blocks: the outer block's end pops it again."""
    log: list[t.Any] = []
    app = fw.Flask(__name__)
    with pytest.raises(LookupError):
        with app.app_context() as app_ctx:
            with app.test_request_context():
                app_ctx.pop()
                log.append(fw.has_request_context())
            log += [fw.has_app_context(), fw.has_request_context()]
    log += [fw.has_app_context(), fw.has_request_context()]
    return log


def test_an_app_context_popped_in_with_blocks_as_flask() -> None:
    assert popped_in_with_blocks(flask) == [True, False, False, False, False]
    assert popped_in_with_blocks(kolba) == [True, False, False, False, False]


def popping_a_new_app_context(fw: t.Any) -> list[t.Any]:
    """``app.app_context().pop()`` (a new one, never pushed) in a request."""
    app = fw.Flask(__name__)
    request_ctx = app.test_request_context("/p")
    request_ctx.push()
    with pytest.raises(IndexError):
        app.app_context().pop()
    log = [fw.has_app_context(), fw.request.path]
    request_ctx.pop()
    return [*log, fw.has_app_context(), fw.has_request_context()]


def test_popping_a_new_app_context_in_a_request_as_flask() -> None:
    assert popping_a_new_app_context(flask) == [True, "/p", False, False]
    assert popping_a_new_app_context(kolba) == [True, "/p", False, False]


def test_no_context_is_left_set_after_the_reused_app_context_was_popped() -> None:
    for scenario in (popping_the_reused_app_context, popped_in_with_blocks):
        scenario(kolba)
        assert kolba.globals._cv_ctx.get(None) is None
