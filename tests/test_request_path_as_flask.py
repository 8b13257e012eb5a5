"""Corners of the request path where kolba answers as Flask 3.1 does (each
expected value below is what Flask answered for the same request): an empty
``PATH_INFO``, ``alias=True`` rules, a subclass's ``inject_url_defaults``,
how a view is given its arguments."""

from __future__ import annotations

import functools
import typing as t

import pytest
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from kolba import Flask, Request, url_for
from kolba.routing import Map, RequestRedirect, Rule
from kolba.testing import KolbaClient, asgi_as_wsgi


def wsgi(app: Flask, path: str, **environ: t.Any) -> tuple[str, str | None, bytes]:
    """Status, Location and body for a raw environ (``PATH_INFO`` as given)."""
    return serve(app, app, path, **environ)


def serve(
    app: Flask, entry: t.Callable[..., t.Any], path: str, **environ: t.Any
) -> tuple[str, str | None, bytes]:
    env = EnvironBuilder().get_environ()
    env.update(PATH_INFO=path, **environ)
    seen: list[tuple[str, list[tuple[str, str]]]] = []
    body = b"".join(entry(env, lambda status, headers: seen.append((status, headers))))
    status, headers = seen[0]
    return status, Headers(headers).get("Location"), body


@pytest.fixture(params=["wsgi", "asgi", "asgi async"])
def over(request: pytest.FixtureRequest) -> t.Callable[..., t.Any]:
    """Status, Location and body for a raw environ (``PATH_INFO`` as given),
    over WSGI, then ASGI with the scope a server makes for it (the path
    SCRIPT_NAME + PATH_INFO, the root path SCRIPT_NAME), with the app's
    views as they are, then made ``async def`` (run on the loop)."""

    def run(app: Flask, path: str, **environ: t.Any) -> tuple[str, str | None, bytes]:
        if request.param == "wsgi":
            return serve(app, app, path, **environ)
        if request.param == "asgi async":
            for endpoint, view in list(app.view_functions.items()):
                app.view_functions[endpoint] = as_async(view)
        return serve(app, asgi_as_wsgi(app), path, **environ)

    return run


def as_async(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    async def run(**kwargs: t.Any) -> t.Any:
        return view(**kwargs)

    return run


def index_app(**options: t.Any) -> Flask:
    app = Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index", **options)
    app.add_url_rule("/<path:p>", "page", lambda p: f"page {p}")
    return app


# -- an empty PATH_INFO ---------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
def test_an_empty_path_under_a_mount_point_redirects_to_its_root(
    over: t.Callable[..., t.Any], method: str
) -> None:
    status, location, _ = over(
        index_app(), "", SCRIPT_NAME="/app", REQUEST_METHOD=method
    )
    assert (status, location) == ("308 PERMANENT REDIRECT", "http://localhost/app/")


def test_the_redirect_keeps_the_query_and_quotes_the_mount_point(
    over: t.Callable[..., t.Any],
) -> None:
    status, location, _ = over(index_app(), "", SCRIPT_NAME="/a b", QUERY_STRING="x=1")
    assert (status, location) == (
        "308 PERMANENT REDIRECT",
        "http://localhost/a%20b/?x=1",
    )


def test_an_empty_path_redirects_where_the_host_is_checked_too(
    over: t.Callable[..., t.Any],
) -> None:
    app = index_app()
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    assert over(app, "", SCRIPT_NAME="/app")[:2] == (
        "308 PERMANENT REDIRECT",
        "http://localhost/app/",
    )


class EnvironRequest(Request):
    """A request class with its own __init__: under ASGI it is made from an
    environ at once (PATH_INFO empty), not from the scope."""

    def __init__(self, environ: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(environ, *args, **kwargs)


def test_an_empty_path_redirects_for_a_request_made_from_an_environ(
    over: t.Callable[..., t.Any],
) -> None:
    app = index_app()
    app.request_class = EnvironRequest
    assert over(app, "", SCRIPT_NAME="/app", QUERY_STRING="x=1")[:2] == (
        "308 PERMANENT REDIRECT",
        "http://localhost/app/?x=1",
    )


def test_an_empty_path_at_the_server_root_redirects_too(
    over: t.Callable[..., t.Any],
) -> None:
    assert over(index_app(), "")[:2] == ("308 PERMANENT REDIRECT", "http://localhost/")


def test_an_empty_path_is_served_by_a_root_without_strict_slashes(
    over: t.Callable[..., t.Any],
) -> None:
    app = index_app(strict_slashes=False)
    assert over(app, "", SCRIPT_NAME="/app") == ("200 OK", None, b"index")


def test_an_empty_path_is_not_found_where_the_root_refuses_the_method(
    over: t.Callable[..., t.Any],
) -> None:
    assert over(index_app(methods=["POST"]), "")[0] == "404 NOT FOUND"
    assert over(index_app(), "", REQUEST_METHOD="POST")[0] == "404 NOT FOUND"


def test_no_path_info_at_all_is_the_root() -> None:
    env = EnvironBuilder().get_environ()
    del env["PATH_INFO"]
    seen: list[str] = []
    body = index_app()(env, lambda status, headers: seen.append(status))
    assert (seen, b"".join(body)) == (["200 OK"], b"index")


def test_a_path_without_its_leading_slash_is_matched_with_it(
    over: t.Callable[..., t.Any],
) -> None:
    assert over(index_app(), "x", SCRIPT_NAME="/app") == ("200 OK", None, b"page x")


def test_the_url_adapter_redirects_an_empty_path() -> None:
    adapter = index_app().url_map.bind("example.com", "/app")
    with pytest.raises(RequestRedirect) as info:
        adapter.match("")
    assert info.value.new_url == "http://example.com/app/"


# -- alias rules ----------------------------------------------------------------


@pytest.fixture
def aliased() -> Flask:
    app = Flask(__name__)

    def view(**values: t.Any) -> str:
        return repr(sorted(values.items()))

    app.add_url_rule("/p/<int:n>", "p", view, methods=["GET", "POST"])
    app.add_url_rule("/page/<int:n>", "p", view, methods=["GET", "POST"], alias=True)
    app.add_url_rule("/q/<int:n>", "q", view, defaults={"k": 1})
    app.add_url_rule("/old-q/<int:n>", "q", view, defaults={"k": 1}, alias=True)
    app.add_url_rule("/dir/", "d", view)
    app.add_url_rule("/folder/", "d", view, alias=True)
    app.add_url_rule("/only", "only", view, alias=True)
    return app


@pytest.mark.parametrize(
    ("path", "method", "location"),
    [
        ("/page/3", "GET", "http://localhost/p/3?a=1&b=%20"),
        ("/page/3", "POST", "http://localhost/p/3?a=1&b=%20"),
        ("/page/3", "HEAD", "http://localhost/p/3?a=1&b=%20"),
        ("/old-q/3", "GET", "http://localhost/q/3?a=1&b=%20"),
        ("/folder/", "GET", "http://localhost/dir/?a=1&b=%20"),
    ],
)
def test_an_alias_redirects_to_the_endpoint_url(
    aliased: Flask, driver: str, path: str, method: str, location: str
) -> None:
    response = aliased.test_client().open(path, method=method, query_string="a=1&b=%20")
    assert (response.status, response.location) == ("308 PERMANENT REDIRECT", location)


def test_an_alias_under_a_mount_point_redirects_under_it(aliased: Flask) -> None:
    assert wsgi(aliased, "/page/3", SCRIPT_NAME="/app")[:2] == (
        "308 PERMANENT REDIRECT",
        "http://localhost/app/p/3",
    )


def test_an_alias_refuses_the_methods_its_rule_does(aliased: Flask) -> None:
    assert wsgi(aliased, "/old-q/3", REQUEST_METHOD="POST")[0] == (
        "405 METHOD NOT ALLOWED"
    )


def test_the_canonical_url_is_served(aliased: Flask) -> None:
    assert wsgi(aliased, "/p/3") == ("200 OK", None, b"[('n', 3)]")
    assert wsgi(aliased, "/q/3") == ("200 OK", None, b"[('k', 1), ('n', 3)]")


def test_an_alias_that_is_its_endpoint_only_url_is_served(aliased: Flask) -> None:
    # Flask redirects it to itself, endlessly: kolba serves it.
    assert wsgi(aliased, "/only") == ("200 OK", None, b"[]")


def test_the_url_adapter_redirects_an_alias(aliased: Flask) -> None:
    with pytest.raises(RequestRedirect) as info:
        aliased.url_map.bind("example.com").match("/page/3")
    assert info.value.new_url == "http://example.com/p/3"


def test_an_alias_is_served_when_the_map_does_not_redirect_to_defaults() -> None:
    m = Map(
        [Rule("/a", endpoint="x", alias=True), Rule("/b", endpoint="x")],
        redirect_defaults=False,
    )
    assert m.match("/a")[0].rule == "/a"


# -- inject_url_defaults --------------------------------------------------------


class Localised(Flask):
    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        super().inject_url_defaults(endpoint, values)
        values.setdefault("lang", "ru")


def test_url_for_calls_a_subclass_inject_url_defaults() -> None:
    app = Localised(__name__)
    app.config["SERVER_NAME"] = "example.com"
    app.add_url_rule("/<lang>/about", "about", lambda lang: lang)
    app.add_url_rule("/contact", "contact", lambda: "")
    with app.test_request_context():
        assert url_for("about") == "/ru/about"
        assert url_for("contact") == "/contact?lang=ru"
    with app.app_context():
        assert url_for("about") == "http://example.com/ru/about"


def test_url_for_calls_an_inject_url_defaults_set_on_the_app() -> None:
    app = Flask(__name__)
    app.add_url_rule("/<lang>/about", "about", lambda lang: lang)
    app.inject_url_defaults = lambda endpoint, values: values.setdefault("lang", "en")  # type: ignore[method-assign]
    with app.test_request_context():
        assert url_for("about") == "/en/about"


def test_an_alias_of_a_rule_on_another_subdomain_redirects_there() -> None:
    """As Flask: to the subdomain's URL, not to a URL of this host (a 404)."""
    app = Flask(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "ex.test"
    view = lambda n: f"item {n}"  # noqa: E731
    app.add_url_rule("/new/<int:n>", "item", view, subdomain="api")
    app.add_url_rule("/old/<int:n>", "item", view, alias=True)
    status, location, _ = wsgi(app, "/old/7", HTTP_HOST="ex.test")
    assert (status, location) == ("308 PERMANENT REDIRECT", "http://api.ex.test/new/7")


@pytest.mark.parametrize("host", ["ex.test", "api.ex.test"])
def test_a_subdomain_rule_is_not_served_without_subdomain_matching(
    driver: str, host: str
) -> None:
    """Without subdomain matching every request is the default subdomain's,
    as in Flask: a rule of another subdomain is a 404 on any host."""
    app = Flask(__name__)
    app.config["SERVER_NAME"] = "ex.test"
    app.add_url_rule("/new/<int:n>", "item", lambda n: f"item {n}", subdomain="api")
    app.add_url_rule("/", "index", lambda: "index")
    client = app.test_client()
    assert client.get("/new/7", base_url=f"http://{host}/").status_code == 404
    assert client.get("/", base_url=f"http://{host}/").data == b"index"


def test_url_for_calls_an_inject_url_defaults_patched_on_flask_before_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (as tracers and extensions patch Flask's methods after apps are made)
    app = Flask(__name__)
    app.add_url_rule("/<lang>/about", "about", lambda lang: lang)
    own = Flask.inject_url_defaults

    def localised(self: Flask, endpoint: str, values: dict[str, t.Any]) -> None:
        own(self, endpoint, values)
        values.setdefault("lang", "de")

    monkeypatch.setattr(Flask, "inject_url_defaults", localised)
    with app.test_request_context():
        assert url_for("about") == "/de/about"
    assert app.test_client().get("/x/about").text == "x"  # (it serves)
    with app.test_request_context():
        assert url_for("about") == "/de/about"


# -- view arguments -------------------------------------------------------------


def _answers(client: KolbaClient, *paths: str) -> list[tuple[int, str]]:
    answers = []
    for path in paths:
        response = client.get(path)
        status = response.status_code
        answers.append((status, response.text if status == 200 else ""))
    return answers


def _error() -> tuple[int, str]:
    return 500, ""  # (a TypeError in the call)


_BY_NAME_PATHS = ("/a/1", "/b/1", "/c/1", "/d/1", "/f/1", "/g/1", "/a/1")
_BY_NAME = [
    (200, "a 1"),
    _error(),
    _error(),
    (200, "() ['id'] d 1"),
    (200, "f 1 1"),
    (200, "g 1 3"),
    (200, "a 1"),
]


def test_views_get_their_arguments_by_name(app: Flask, client: KolbaClient) -> None:
    # (kolba passes a lone argument by position where that binds the same)
    app.config["TESTING"] = False

    def logged(f: t.Callable[..., str]) -> t.Callable[..., str]:
        @functools.wraps(f)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> str:
            return f"{args} {sorted(kwargs)} " + f(*args, **kwargs)

        return wrapper

    app.add_url_rule("/a/<int:id>", "a", lambda id: f"a {id!r}")
    app.add_url_rule("/b/<int:id>", "b", lambda x: f"b {x}")  # (not its name)
    app.add_url_rule("/c/<int:id>", "c", lambda id, /: f"c {id}")
    app.add_url_rule("/d/<int:id>", "d", logged(lambda id: f"d {id}"))
    app.add_url_rule(
        "/f/<int:id>", "f", lambda id, k=0: f"f {id} {k}", defaults={"k": 1}
    )
    app.add_url_rule("/g/<int:id>", "g", lambda id, k=3: f"g {id} {k}")
    assert _answers(client, *_BY_NAME_PATHS) == _BY_NAME
    app.view_functions["a"] = lambda x: f"new {x}"
    app.view_functions["b"] = lambda id: f"new {id}"
    assert _answers(client, "/a/2", "/b/2") == [_error(), (200, "new 2")]


def _change_values(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
    """A url_value_preprocessor that changes, adds or renames the argument."""
    assert values is not None
    values.pop("lang", None)
    if values.get("id") == 5:
        values["id"] = "five"
    elif values.get("id") == 6:
        values["extra"] = 1
    elif values.get("id") == 7:
        values["other"] = values.pop("id")


_CHANGED_PATHS = ("/a/1", "/a/5", "/a/6", "/a/7", "/e/ru/2")
_CHANGED = [(200, "a 1"), (200, "a 'five'"), _error(), _error(), (200, "e 2")]


def test_views_get_the_arguments_a_preprocessor_left(
    app: Flask, client: KolbaClient
) -> None:
    app.config["TESTING"] = False
    app.url_value_preprocessor(_change_values)
    app.add_url_rule("/a/<int:id>", "a", lambda id: f"a {id!r}")
    app.add_url_rule("/e/<lang>/<int:id>", "e", lambda id: f"e {id}")
    assert _answers(client, *_CHANGED_PATHS) == _CHANGED


def test_async_views_get_their_arguments_by_name(
    app: Flask, client: KolbaClient
) -> None:
    # (under ASGI they run on the loop: the driver calls them itself)
    app.config["TESTING"] = False

    def logged(f: t.Callable[..., t.Awaitable[str]]) -> t.Callable[..., t.Any]:
        @functools.wraps(f)
        async def wrapper(*args: t.Any, **kwargs: t.Any) -> str:
            return f"{args} {sorted(kwargs)} " + await f(*args, **kwargs)

        return wrapper

    async def a(id: int) -> str:
        return f"a {id!r}"

    async def b(x: int) -> str:  # (not its name)
        return f"b {x}"

    async def c(id: int, /) -> str:
        return f"c {id}"

    async def d(id: int) -> str:
        return f"d {id}"

    async def f(id: int, k: int = 0) -> str:
        return f"f {id} {k}"

    async def g(id: int, k: int = 3) -> str:
        return f"g {id} {k}"

    for name, view in [("a", a), ("b", b), ("c", c), ("d", logged(d)), ("g", g)]:
        app.add_url_rule(f"/{name}/<int:id>", name, view)
    app.add_url_rule("/f/<int:id>", "f", f, defaults={"k": 1})
    assert _answers(client, *_BY_NAME_PATHS) == _BY_NAME
    app.view_functions["a"], app.view_functions["b"] = b, a
    assert _answers(client, "/a/2", "/b/2") == [_error(), (200, "a 2")]


def test_async_views_get_the_arguments_a_preprocessor_left(
    app: Flask, client: KolbaClient
) -> None:
    app.config["TESTING"] = False
    app.url_value_preprocessor(_change_values)

    async def a(id: t.Any) -> str:
        return f"a {id!r}"

    async def e(id: int) -> str:
        return f"e {id}"

    app.add_url_rule("/a/<int:id>", "a", a)
    app.add_url_rule("/e/<lang>/<int:id>", "e", e)
    assert _answers(client, *_CHANGED_PATHS) == _CHANGED


STATIC_PATHS = [
    "/café".encode().decode("latin-1"),  # (its UTF-8 bytes, as a server gives them)
    "/café",  # (the byte E9: no UTF-8, a 404)
    "//x",
    "/x",
    "/a//b",
    "/a/b",
    "//a//b",
    "",
    "x",
]


@pytest.mark.parametrize("path", STATIC_PATHS)
def test_static_rules_of_any_path_answer_as_flasks(path: str, over: t.Any) -> None:
    """A static rule's path that is not ASCII or starts with "//" is matched
    as the Request's path gives it, not looked up as the server sent it: the
    entry looks a static rule up before checking the path (the map keeps only
    paths a Request leaves as they are). Expected: what Flask answered."""
    import flask

    def app_of(cls: t.Any) -> t.Any:
        app = cls(__name__)
        app.config["SERVER_NAME"] = "localhost"  # (redirects name it)
        app.add_url_rule("//x", "x", lambda: "x")
        app.add_url_rule("/café", "cafe", lambda: "café")
        app.add_url_rule("/a//b", "ab", lambda: "ab")
        return app

    expected = serve(app_of(flask.Flask), app_of(flask.Flask), path)
    app = app_of(Flask)
    serve(app, app, "/x")  # (serving: the requests after the first)
    status, location, body = over(app, path)
    assert (status, location) == expected[:2]
    if status == "200 OK":
        assert body == expected[2]
