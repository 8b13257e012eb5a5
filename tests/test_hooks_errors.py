"""Request hooks, error handlers, ``abort`` and ``redirect``."""

from __future__ import annotations

import copy
import gc
import logging
import typing as t
import weakref
from collections import defaultdict

import pytest
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
    Unauthorized,
)

import kolba
from kolba import Flask, Response, abort, g, redirect, request, url_for
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")


@pytest.fixture
def live(app: Flask) -> Flask:
    """An app that answers errors as production does (no propagation)."""
    app.config["TESTING"] = False
    return app


# -- hooks -----------------------------------------------------------------------


def test_before_request_runs_before_the_view(app: Flask, client: KolbaClient) -> None:
    @app.before_request
    def load_user() -> None:
        g.user = request.args.get("user", "anonymous")

    @app.route("/")
    def index() -> str:
        return f"hello {g.user}"

    assert client.get("/?user=ann").data == b"hello ann"
    assert client.get("/").data == b"hello anonymous"


def test_before_request_return_value_ends_the_request(
    app: Flask, client: KolbaClient
) -> None:
    calls: list[str] = []

    @app.before_request
    def first() -> tuple[str, int] | None:
        calls.append("first")
        if "block" in request.args:
            return "blocked", 403
        return None

    @app.before_request
    def second() -> None:
        calls.append("second")

    @app.after_request
    def after(response: Response) -> Response:
        calls.append("after")
        return response

    @app.route("/")
    def index() -> str:
        calls.append("view")
        return "ok"

    response = client.get("/?block")
    assert (response.status_code, response.data) == (403, b"blocked")
    assert calls == ["first", "after"]
    calls.clear()
    client.get("/")
    assert calls == ["first", "second", "view", "after"]


def test_before_request_runs_for_unmatched_urls(
    app: Flask, client: KolbaClient
) -> None:
    @app.before_request
    def gate() -> str:
        return "gate"

    assert client.get("/nowhere").data == b"gate"


def test_after_request_in_reverse_registration_order(
    app: Flask, client: KolbaClient
) -> None:
    @app.after_request
    def registered_first(response: Response) -> Response:
        response.headers.add("X-Order", "first")
        return response

    @app.after_request
    def registered_second(response: Response) -> Response:
        response.headers.add("X-Order", "second")
        return response

    app.add_url_rule("/", "index", lambda: "ok")
    response = client.get("/")
    assert response.headers.getlist("X-Order") == ["second", "first"]


def test_after_request_may_replace_the_response(
    app: Flask, client: KolbaClient
) -> None:
    @app.after_request
    def replace(response: Response) -> Response:
        return Response("replaced", status=202)

    app.add_url_rule("/", "index", lambda: "ok")
    response = client.get("/")
    assert (response.status_code, response.data) == (202, b"replaced")


def test_teardown_request_gets_the_exception(live: Flask) -> None:
    seen: list[BaseException | None] = []

    @live.teardown_request
    def record(error: BaseException | None) -> None:
        seen.append(error)

    @live.route("/fail")
    def fail() -> str:
        raise KeyError("boom")

    live.add_url_rule("/", "index", lambda: "ok")
    client = live.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/fail").status_code == 500
    assert seen[0] is None
    assert isinstance(seen[1], KeyError)


def test_teardown_request_in_reverse_order_and_after_a_test_context(
    app: Flask,
) -> None:
    order: list[str] = []
    app.teardown_request(lambda error: order.append("first"))
    app.teardown_request(lambda error: order.append("second"))
    with app.test_request_context():
        assert order == []
    assert order == ["second", "first"]


def test_teardown_appcontext(app: Flask, client: KolbaClient) -> None:
    seen: list[BaseException | None] = []

    @app.teardown_appcontext
    def close_db(error: BaseException | None) -> None:
        seen.append(error)

    app.add_url_rule("/", "index", lambda: "ok")
    client.get("/")
    with app.app_context():
        pass
    with pytest.raises(ValueError):
        with app.app_context():
            raise ValueError("in block")
    assert seen[:2] == [None, None]
    assert isinstance(seen[2], ValueError)


def test_hooks_changed_in_place_while_the_app_serves(
    app: Flask, client: KolbaClient
) -> None:
    # Extensions change the registries directly, even from a view (as
    # Flask-Caching adds its after_request function): as in Flask, the request
    # that added it runs it too, and so does the next one.
    seen: list[str] = []

    def mark(response: Response) -> Response:
        response.headers["X-Marked"] = "yes"
        return response

    @app.route("/")
    def index() -> str:
        if mark not in app.after_request_funcs[None]:
            app.after_request_funcs[None].append(mark)
        return "ok"

    @app.route("/in/<name>")
    def scoped(name: str) -> str:
        return name

    assert client.get("/").headers["X-Marked"] == "yes"
    assert client.get("/").headers["X-Marked"] == "yes"

    app.before_request_funcs.setdefault(None, []).insert(0, lambda: "early")
    assert client.get("/in/x").text == "early"
    app.before_request_funcs[None].pop(0)
    assert client.get("/in/x").text == "x"

    app.teardown_request_funcs[None] += [lambda e: seen.append("teardown")]
    app.url_value_preprocessors[None] = [lambda e, args: seen.append(args["name"])]
    app.template_context_processors.update({None: [lambda: {"who": "kolba"}]})
    client.get("/in/y")
    assert seen == ["y", "teardown"]
    del app.url_value_preprocessors[None]
    app.teardown_request_funcs.clear()
    assert client.get("/in/z").headers["X-Marked"] == "yes"
    assert seen == ["y", "teardown"]
    with app.test_request_context():
        assert kolba.render_template_string("{{ who }}") == "kolba"


def test_after_request_functions_added_during_the_request_run_for_it(
    app: Flask, client: KolbaClient
) -> None:
    # Flask reads the after_request functions when the view has returned: one
    # added by a before_request function or by the view (sync or async, in a
    # blueprint too, to a list of the app's or one the caller stored and
    # holds) runs for that response, after after_this_request's.
    seen: list[str] = []
    held: list[t.Any] = []

    def after(name: str) -> t.Callable[[Response], Response]:
        def func(response: Response) -> Response:
            seen.append(name)
            return response

        return func

    @app.before_request
    def add_in_before() -> None:
        if request.path == "/before":
            app.after_request_funcs[None].append(after("from before"))

    @app.route("/before")
    def before() -> str:
        return "ok"

    bp = kolba.Blueprint("bp", __name__)

    @bp.route("/async")
    async def async_view() -> str:
        app.after_request_funcs["bp"].append(after("from async view"))
        return "ok"

    @bp.route("/view")
    def view() -> str:
        kolba.after_this_request(after("this request"))
        held.append(after("from view"))
        return "ok"

    @bp.route("/held")
    async def held_view() -> str:
        held.clear()
        held.append(after("held"))
        return "ok"

    app.register_blueprint(bp)
    client.get("/before")
    assert seen == ["from before"]
    seen.clear()
    client.get("/async")
    assert seen == ["from async view", "from before"]
    assert not app._reads_registries
    app.after_request_funcs["bp"] = held
    seen.clear()
    client.get("/view")
    assert seen == ["this request", "from view", "from before"]
    seen.clear()
    client.get("/held")
    assert seen == ["held", "from before"]


def test_hook_registries_assigned_while_the_app_serves(
    app: Flask, client: KolbaClient
) -> None:
    # A registry replaced by assignment counts from the next request, as in
    # Flask (which reads them on every request); so do changes to it in place.
    seen: list[str] = []

    @app.route("/in/<name>")
    def scoped(name: str) -> str:
        return kolba.render_template_string("{{ name }} {{ who }}", name=name)

    def tag(response: Response) -> Response:
        response.headers["X-Tag"] = "1"
        return response

    assert client.get("/in/x").text == "x "
    app.url_value_preprocessors = {None: [lambda e, args: seen.append(args["name"])]}
    app.before_request_funcs = {None: [lambda: seen.append("before")]}
    app.after_request_funcs = {None: [tag]}
    app.teardown_request_funcs = {None: [lambda e: seen.append("teardown")]}
    app.teardown_appcontext_funcs = [lambda e: seen.append("appcontext")]
    app.template_context_processors = {None: [lambda: {"who": "kolba"}]}
    response = client.get("/in/y")
    assert (response.text, response.headers["X-Tag"]) == ("y kolba", "1")
    assert seen == ["y", "before", "teardown", "appcontext"]
    app.before_request_funcs[None].append(lambda: "early")
    assert client.get("/in/z").text == "early"
    app.before_request_funcs = {}
    app.after_request_funcs = {}
    app.teardown_request_funcs = {}
    app.teardown_appcontext_funcs = []
    seen.clear()
    response = client.get("/in/w")
    assert (response.text, "X-Tag" in response.headers) == ("w kolba", False)
    assert seen == ["w"]


def test_assigned_registries_are_the_objects_given(
    app: Flask, client: KolbaClient
) -> None:
    # As in Flask, the app holds the dict or list assigned (or stored in its
    # registry) itself: changes made through the caller's own reference
    # count from the next request, also those made once the app serves.
    seen: list[str] = []

    @app.route("/in/<name>")
    def scoped(name: str) -> str:
        return kolba.render_template_string("{{ name }} {{ who }}", name=name)

    before: dict[str | None, list[t.Any]] = {None: []}
    app.before_request_funcs = before
    after: list[t.Any] = []
    app.after_request_funcs[None] = after
    appcontext: list[t.Any] = []
    app.teardown_appcontext_funcs = appcontext
    teardown: dict[str | None, list[t.Any]] = {}
    app.teardown_request_funcs = teardown
    processors: list[t.Any] = []
    assert app.template_context_processors.setdefault("x", processors) is processors
    preprocessors: dict[str | None, list[t.Any]] = {}
    app.url_value_preprocessors = preprocessors
    assert app.before_request_funcs is before
    assert app.after_request_funcs[None] is after
    assert app.teardown_appcontext_funcs is appcontext
    assert app.teardown_request_funcs is teardown
    assert app.url_value_preprocessors is preprocessors
    assert client.get("/in/x").text == "x "

    def tag(response: Response) -> Response:
        response.headers["X-Tag"] = "1"
        return response

    async def close(error: BaseException | None) -> None:
        seen.append("appcontext")

    before[None].append(lambda: seen.append("before"))
    after.append(tag)
    appcontext.append(close)
    teardown[None] = [lambda error: seen.append("teardown")]
    preprocessors[None] = [lambda endpoint, args: seen.append(args["name"])]
    app.template_context_processors = {None: processors}
    processors.append(lambda: {"who": "kolba"})
    response = client.get("/in/y")
    assert (response.text, response.headers["X-Tag"]) == ("y kolba", "1")
    assert seen == ["y", "before", "teardown", "appcontext"]
    before[None].append(lambda: "early")
    after.clear()
    response = client.get("/in/z")
    assert (response.text, "X-Tag" in response.headers) == ("early", False)


def test_a_registry_taken_from_another_app(driver: str) -> None:
    # Shared with another app, a registry's changes count in both apps.
    seen: list[str] = []
    first, second = Flask("first"), Flask("second")
    for app in (first, second):
        app.add_url_rule("/", "index", lambda: "ok")
        app.config["TESTING"] = True
    first.before_request(lambda: None)
    second.before_request_funcs = first.before_request_funcs
    second.teardown_appcontext_funcs = first.teardown_appcontext_funcs
    assert second.before_request_funcs is first.before_request_funcs
    clients = first.test_client(), second.test_client()
    for c in clients:
        assert c.get("/").text == "ok"
    first.before_request_funcs[None].append(lambda: "early")
    first.teardown_appcontext_funcs.append(lambda error: seen.append("teardown"))
    assert [c.get("/").text for c in clients] == ["early", "early"]
    assert seen == ["teardown", "teardown"]


def test_registries_copy_as_flasks() -> None:
    app = Flask(__name__)
    app.before_request(hook := lambda: None)
    for made in (
        app.before_request_funcs.copy(),
        copy.copy(app.before_request_funcs),
        copy.deepcopy(app.before_request_funcs),
    ):
        assert type(made) is defaultdict
        assert made == {None: [hook]}
    assert copy.copy(app.teardown_appcontext_funcs) == []


def test_kolbas_own_registration_keeps_the_hooks_built_once() -> None:
    # Every way kolba registers a hook (decorators, blueprints, an extension's
    # index of a registry) keeps registries that tell the app of changes: the
    # app builds the hooks once, not on every request.
    app = Flask(__name__)
    bp = kolba.Blueprint("bp", __name__)
    for scaffold in (app, bp):
        scaffold.before_request(lambda: None)
        scaffold.after_request(lambda response: response)
        scaffold.teardown_request(lambda error: None)
        scaffold.context_processor(dict)
        scaffold.url_value_preprocessor(lambda endpoint, args: None)
        scaffold.url_defaults(lambda endpoint, values: None)
    bp.before_app_request(lambda: None)
    bp.app_context_processor(dict)
    app.teardown_appcontext(lambda error: None)
    app.after_request_funcs["other"].append(lambda response: response)
    bp.add_url_rule("/", "index", lambda: "ok")
    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again")
    assert app.test_client().get("/again/").text == "ok"
    assert not app._reads_registries
    assert "again.index" in app._hook_cache


def test_hook_registries_hold_the_app_weakly() -> None:
    app = Flask(__name__)
    app.add_url_rule("/", "index", lambda: "ok")
    app.after_request_funcs[None].append(lambda response: response)
    assert app.test_client().get("/").text == "ok"
    ref = weakref.ref(app)
    gc.disable()
    try:
        del app
        assert ref() is None
    finally:
        gc.enable()


def test_handled_error_is_not_passed_to_teardown(
    app: Flask, client: KolbaClient
) -> None:
    seen: list[BaseException | None] = []
    app.teardown_request(seen.append)

    @app.route("/")
    def index() -> str:
        abort(404)

    assert client.get("/").status_code == 404
    assert seen == [None]


# -- error handlers ------------------------------------------------------------


class ShopError(Exception):
    pass


class OutOfStock(ShopError):
    pass


def test_errorhandler_for_an_exception_class_catches_subclasses(
    app: Flask, client: KolbaClient
) -> None:
    @app.errorhandler(ShopError)
    def shop_error(e: ShopError) -> tuple[str, int]:
        return f"{type(e).__name__}: {e}", 409

    @app.route("/buy")
    def buy() -> str:
        raise OutOfStock("no apples")

    response = client.get("/buy")
    assert (response.status_code, response.text) == (409, "OutOfStock: no apples")


def test_most_specific_handler_wins(app: Flask, client: KolbaClient) -> None:
    app.register_error_handler(ShopError, lambda e: ("shop", 400))
    app.register_error_handler(OutOfStock, lambda e: ("stock", 400))
    app.register_error_handler(HTTPException, lambda e: (f"http {e.code}", e.code))
    app.register_error_handler(NotFound, lambda e: ("not found", 404))

    @app.route("/<kind>")
    def fail(kind: str) -> str:
        if kind == "stock":
            raise OutOfStock()
        if kind == "shop":
            raise ShopError()
        abort(403)

    assert client.get("/stock").text == "stock"
    assert client.get("/shop").text == "shop"
    assert client.get("/forbidden").text == "http 403"
    assert client.get("/a/b").text == "not found"


def test_code_handler_catches_abort_and_unmatched_urls(
    app: Flask, client: KolbaClient
) -> None:
    @app.errorhandler(404)
    def page_not_found(error: NotFound) -> tuple[str, int]:
        return f"custom: {error.description}", 404

    @app.route("/item/<int:n>")
    def item(n: int) -> str:
        abort(404, "no such item")

    response = client.get("/item/3")
    assert (response.status_code, response.text) == (404, "custom: no such item")
    response = client.get("/missing")
    assert response.status_code == 404
    assert response.text.startswith("custom: The requested URL was not found")


def test_code_handler_catches_a_subclass_with_that_code(
    app: Flask, client: KolbaClient
) -> None:
    class GoneFishing(NotFound):
        description = "gone fishing"

    app.register_error_handler(404, lambda e: (e.description, 404))

    @app.route("/")
    def index() -> str:
        raise GoneFishing()

    assert client.get("/").text == "gone fishing"


def test_register_error_handler_refuses_bad_keys(app: Flask) -> None:
    with pytest.raises(ValueError, match="999"):
        app.register_error_handler(999, lambda e: "")
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(NotFound(), lambda e: "")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a subclass of Exception"):
        app.register_error_handler(int, lambda e: "")  # type: ignore[arg-type]
    # not a class at all: a TypeError, as Flask's issubclass() raises
    with pytest.raises(TypeError, match="not an exception class"):
        app.register_error_handler("404", lambda e: "")  # type: ignore[arg-type]


def test_error_handler_can_return_any_response(app: Flask, client: KolbaClient) -> None:
    @app.errorhandler(Unauthorized)
    def login_first(e: Unauthorized) -> Response:
        return redirect("/login")

    @app.route("/")
    def index() -> str:
        abort(401)

    response = client.get("/")
    assert (response.status_code, response.location) == (302, "/login")


# -- abort and redirect -----------------------------------------------------------


def test_abort_with_code_and_description(app: Flask, client: KolbaClient) -> None:
    @app.route("/<int:code>")
    def fail(code: int) -> str:
        if request.args.get("why"):
            abort(code, request.args["why"])
        abort(code)

    response = client.get("/403")
    assert response.status_code == 403
    assert b"Forbidden" in response.data
    response = client.get("/400?why=missing+field")
    assert response.status_code == 400
    assert b"missing field" in response.data


def test_abort_raises_werkzeug_exceptions(app: Flask) -> None:
    with app.test_request_context():
        with pytest.raises(Forbidden):
            abort(403)
        with pytest.raises(NotFound) as info:
            abort(404, description="nope")
        assert info.value.description == "nope"
        with pytest.raises(LookupError):
            abort(299)
    with pytest.raises(BadRequest):  # no app needed
        abort(400)


def test_abort_with_a_response(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        abort(Response("I'm a teapot", status=418))

    response = client.get("/")
    assert (response.status_code, response.data) == (418, b"I'm a teapot")


def test_redirect(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> Response:
        return redirect("/target")

    @app.route("/moved")
    def moved() -> Response:
        return redirect("/target", code=301)

    response = client.get("/")
    assert (response.status_code, response.location) == (302, "/target")
    assert client.get("/moved").status_code == 301
    with app.app_context():
        assert isinstance(redirect("/x"), app.response_class)


def test_seed_redirects_and_errors(app: Flask, client: KolbaClient) -> None:
    """The seed's "Перенаправления и ошибки" samples."""
    reached: list[str] = []

    @app.route("/")
    def index() -> Response:
        return redirect(url_for("login"))

    @app.route("/login")
    def login() -> str:
        abort(401)
        reached.append("this_is_never_executed")

    response = client.get("/")
    assert (response.status_code, response.location) == (302, "/login")
    assert client.get("/login").status_code == 401
    assert client.get("/", follow_redirects=True).status_code == 401
    assert reached == []


def test_seed_custom_404_page(app: Flask, tmp_path) -> None:
    (tmp_path / "page_not_found.html").write_text("<h1>Not here: {{ path }}</h1>")
    app.template_folder = str(tmp_path)
    from kolba import render_template

    @app.errorhandler(404)
    def page_not_found(error: NotFound) -> tuple[str, int]:
        return render_template("page_not_found.html", path=request.path), 404

    response = app.test_client().get("/missing")
    assert response.status_code == 404
    assert response.text == "<h1>Not here: /missing</h1>"


# -- unhandled exceptions ------------------------------------------------------------


def test_unhandled_exception_is_logged_and_answered_500(
    live: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @live.route("/crash")
    def crash() -> str:
        raise ZeroDivisionError("division by zero")

    with caplog.at_level(logging.ERROR):
        response = live.test_client().get("/crash")
    assert response.status_code == 500
    assert b"Internal Server Error" in response.data
    assert b"ZeroDivisionError" not in response.data  # nothing leaked
    [record] = [r for r in caplog.records if r.name == live.name]
    assert "Exception on /crash [GET]" in record.getMessage()
    assert record.exc_info[0] is ZeroDivisionError


def test_500_handler_sees_the_original_exception(live: Flask) -> None:
    @live.errorhandler(500)
    def server_error(e: InternalServerError) -> tuple[str, int]:
        original = e.original_exception
        return f"sorry: {type(original).__name__}", 500

    @live.route("/crash")
    def crash() -> str:
        raise KeyError("x")

    @live.route("/abort")
    def explicit() -> str:
        abort(500)

    client = live.test_client()
    response = client.get("/crash")
    assert (response.status_code, response.text) == (500, "sorry: KeyError")
    assert client.get("/abort").text == "sorry: NoneType"


def test_exception_handler_for_exception_catches_everything(live: Flask) -> None:
    @live.errorhandler(Exception)
    def everything(e: Exception) -> tuple[str, int]:
        code = e.code if isinstance(e, HTTPException) else 500
        return f"handled {type(e).__name__}", code

    @live.route("/crash")
    def crash() -> str:
        raise RuntimeError()

    client = live.test_client()
    assert client.get("/crash").text == "handled RuntimeError"
    assert client.get("/missing").text == "handled NotFound"


def test_error_in_error_handler_is_a_500(live: Flask) -> None:
    @live.errorhandler(ShopError)
    def broken(e: ShopError) -> str:
        raise RuntimeError("handler bug")

    @live.route("/")
    def index() -> str:
        raise ShopError()

    assert live.test_client().get("/").status_code == 500


def test_view_returning_none_is_a_500_with_a_clear_log(
    live: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    live.add_url_rule("/", "index", lambda: None)
    assert live.test_client().get("/").status_code == 500
    assert "returned None" in caplog.text


def test_testing_propagates_exceptions(app: Flask, client: KolbaClient) -> None:
    @app.route("/crash")
    def crash() -> str:
        raise ZeroDivisionError()

    with pytest.raises(ZeroDivisionError):
        client.get("/crash")


def test_propagate_exceptions_config(live: Flask) -> None:
    live.config["PROPAGATE_EXCEPTIONS"] = True
    live.add_url_rule("/", "index", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        live.test_client().get("/")
    live.config["PROPAGATE_EXCEPTIONS"] = False
    live.config["TESTING"] = True
    assert live.test_client().get("/").status_code == 500


def test_http_exceptions_never_propagate_unless_trapped(
    app: Flask, client: KolbaClient
) -> None:
    app.add_url_rule("/", "index", lambda: abort(403))
    assert client.get("/").status_code == 403
    app.config["TRAP_HTTP_EXCEPTIONS"] = True
    with pytest.raises(Forbidden):
        client.get("/")
    with pytest.raises(NotFound):
        client.get("/missing")


def test_trap_bad_request_errors(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return request.args["missing"]

    response = client.get("/")
    assert response.status_code == 400
    assert b"missing" not in response.data  # the key is not shown by default
    app.config["TRAP_BAD_REQUEST_ERRORS"] = True
    with pytest.raises(BadRequest) as info:
        client.get("/")
    assert "missing" in str(info.value)


def test_bad_request_key_error_is_shown_in_debug(
    app: Flask, client: KolbaClient
) -> None:
    app.config["TRAP_BAD_REQUEST_ERRORS"] = False
    app.debug = True

    @app.post("/")
    def index() -> str:
        return request.form["name"]

    response = client.post("/")
    assert response.status_code == 400
    assert b"name" in response.data


# -- async ---------------------------------------------------------------------------


def test_async_views_hooks_and_error_handlers(app: Flask, client: KolbaClient) -> None:
    calls: list[str] = []

    @app.before_request
    async def before() -> None:
        calls.append("before")

    @app.after_request
    async def after(response: Response) -> Response:
        calls.append("after")
        response.headers["X-Async"] = "yes"
        return response

    @app.teardown_request
    async def teardown(error: BaseException | None) -> None:
        calls.append("teardown")

    @app.errorhandler(ShopError)
    async def shop_error(e: ShopError) -> tuple[str, int]:
        return "async handler", 409

    @app.route("/")
    async def index() -> str:
        calls.append("view")
        return "async view"

    @app.route("/fail")
    async def fail() -> str:
        raise ShopError()

    response = client.get("/")
    assert (response.text, response.headers["X-Async"]) == ("async view", "yes")
    assert calls == ["before", "view", "after", "teardown"]
    response = client.get("/fail")
    assert (response.status_code, response.text) == (409, "async handler")


class _JsonError(HTTPException):
    """An API's error that answers JSON by its own get_response()."""

    code = 422
    description = "Unprocessable"

    def get_response(self, environ=None, scope=None):  # type: ignore[no-untyped-def]
        body = kolba.json.dumps({"error": self.description})
        return Response(body, self.code, mimetype="application/json")


class _TaggedNotFound(NotFound):
    def get_response(self, environ=None, scope=None):  # type: ignore[no-untyped-def]
        response = super().get_response(environ, scope)
        response.headers["X-Why"] = "gone fishing"
        return response


class _CalledBadRequest(BadRequest):
    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        start_response("400 BAD REQUEST", [("Content-Type", "text/plain")])
        return [b"bad, said __call__"]


@pytest.mark.parametrize("returned", [False, True])
def test_an_http_exception_that_makes_its_own_response_answers_with_it(
    app: Flask, client: KolbaClient, returned: bool
) -> None:
    def fail(exc: HTTPException) -> t.Any:
        if returned:
            return exc
        raise exc

    app.add_url_rule("/json", "json", lambda: fail(_JsonError()))
    app.add_url_rule("/tagged", "tagged", lambda: fail(_TaggedNotFound()))
    app.add_url_rule("/called", "called", lambda: fail(_CalledBadRequest()))
    # a handler's exception goes the same way
    app.register_error_handler(418, lambda e: _JsonError())
    app.add_url_rule("/teapot", "teapot", lambda: abort(418))

    rv = client.get("/json")
    assert (rv.status_code, rv.mimetype, rv.get_json()) == (
        422,
        "application/json",
        {"error": "Unprocessable"},
    )
    rv = client.get("/tagged")
    assert (rv.status_code, rv.headers["X-Why"]) == (404, "gone fishing")
    assert b"Not Found" in rv.data
    rv = client.get("/called")
    assert (rv.status_code, rv.mimetype, rv.data) == (
        400,
        "text/plain",
        b"bad, said __call__",
    )
    rv = client.get("/teapot")
    assert (rv.status_code, rv.get_json()) == (422, {"error": "Unprocessable"})


def test_werkzeugs_request_redirect_raised_by_a_hook_redirects_as_flask(
    app: Flask, client: KolbaClient
) -> None:
    from werkzeug.routing import RequestRedirect

    seen: list[Exception] = []

    @app.before_request
    def canonical() -> None:
        if request.path == "/old":
            raise RequestRedirect("http://localhost/new")

    @app.errorhandler(Exception)
    def everything(e: Exception) -> tuple[str, int]:  # routing exceptions skip it
        seen.append(e)
        return "handled", 500

    app.add_url_rule("/old", "old", lambda: "old")
    app.add_url_rule("/new", "new", lambda: "new")
    rv = client.get("/old")
    assert (rv.status_code, rv.headers["Location"]) == (308, "http://localhost/new")
    rv = client.get("/old", follow_redirects=True)
    assert (rv.status_code, rv.data) == (200, b"new")
    assert seen == []
