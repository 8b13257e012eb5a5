"""Redirects, 405s and OPTIONS answers take kolba's short paths and answer
as Flask 3.1.3 does (status, headers in order, body), byte for byte."""

from __future__ import annotations

import typing as t

import flask
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.sansio.utils import get_current_url
from werkzeug.test import EnvironBuilder
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response as WerkzeugResponse

import kolba
import kolba.routing
from kolba.wrappers import _PLAIN_URL, _plain_host

Answer = tuple[str, list[tuple[str, str]], bytes]


def serve(app: t.Any, path: str = "/", **kwargs: t.Any) -> Answer:
    """Status, headers (Date left out) and body of one WSGI call of ``app``."""
    environ = EnvironBuilder(path, **kwargs).get_environ()
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        started.append((status, [(k, v) for k, v in headers if k != "Date"]))

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return started[0][0], started[0][1], data


def _fail(name: str) -> t.Callable[..., t.NoReturn]:
    def fail(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise AssertionError(f"{name} ran")

    return fail


def no_werkzeug_send(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("get_wsgi_response", "get_wsgi_headers", "get_app_iter"):
        monkeypatch.setattr(WerkzeugResponse, name, _fail(name))


# -- URLs that werkzeug sends as they are ---------------------------------------

URL_ALPHABET = list("aZ09-._~%!$&'()*+,;=:@/?# []<>\"{}|\\^`\t\né") + [
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "xn--",
    "//",
    ":0",
    ":80",
    ":080",
    ":65536",
    "localhost",
    "Example.COM",
    "a" * 64,
    "..",
]


@given(st.lists(st.sampled_from(URL_ALPHABET), max_size=10).map("".join))
@example("http://localhost/dir/?a=1&b=%20")
@example("https://a.b.example:8080/x;y=1/@z?q=?&r=/")
@example("/a//b?")
@example("?x")
@example("")
def test_a_location_taken_as_plain_is_what_iri_to_uri_gives(url: str) -> None:
    if _PLAIN_URL(url) is not None:
        assert iri_to_uri(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/a/b?x=1&y=%2F",
        "http://localhost/dir/",
        "https://example.com:8443/p/?q=1",
        "http://127.0.0.1:5000/",
        "?page=2",
        "",
    ],
)
def test_usual_locations_are_plain(url: str) -> None:
    assert _PLAIN_URL(url) is not None and iri_to_uri(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "/a#b",  # a fragment
        "/a?",  # an empty query, which urlunsplit drops
        "//evil.test/x",  # a host without a scheme, lowered by urlsplit
        "http://Example.com/",  # an uppercase host
        "http://h:0/",
        "http://h:080/",
        "http://h:/",
        "HTTP://h/",
        "http://u@h/",
        "http://[::1]/",
        "/é",
        "/a b",
        "mailto:a@b",
    ],
)
def test_other_locations_are_not_plain(url: str) -> None:
    assert _PLAIN_URL(url) is None


@given(st.lists(st.sampled_from(URL_ALPHABET), min_size=1, max_size=6).map("".join))
@example("localhost:5000")
@example("xn--n3h.example")
@example("a.b.c")
def test_a_plain_host_is_written_as_werkzeug_writes_it(host: str) -> None:
    if _plain_host(host) is not None:
        for scheme in ("http", "https"):
            assert get_current_url(scheme, host) == f"{scheme}://{host}/"
    assert _plain_host("localhost") and _plain_host("example.com:8080")


HEADER_SETS: list[list[tuple[str, str]]] = [
    [("Location", "/next")],
    [("Location", "http://localhost/dir/?a=1")],
    [("Content-Location", "/here"), ("Location", "/there")],
    [("location", "/lowercase")],  # werkzeug writes it "Location"
    [("Location", "/one"), ("Location", "/two")],  # werkzeug keeps one
    [("Location", "/a#frag")],
    [("Location", "/ü?q=é")],
    [("Location", "//evil.test/")],
    [("Location", "http://Example.com/")],
    [("X-A", "1"), ("Location", "/?"), ("X-B", "2")],
]


@pytest.mark.parametrize("headers", HEADER_SETS, ids=repr)
@pytest.mark.parametrize("status", [200, 302, 308])
def test_a_response_with_a_location_is_sent_as_werkzeug_sends_it(
    headers: list[tuple[str, str]], status: int
) -> None:
    expected = serve(WerkzeugResponse("body", status, headers, mimetype="text/html"))
    assert serve(kolba.Response("body", status, headers)) == expected


@pytest.mark.parametrize("headers", HEADER_SETS[:3], ids=repr)
def test_a_plain_location_skips_werkzeugs_send(
    headers: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = serve(WerkzeugResponse("body", 302, headers, mimetype="text/html"))
    no_werkzeug_send(monkeypatch)
    assert serve(kolba.Response("body", 302, headers)) == expected


def test_a_class_that_corrects_locations_or_sends_its_way_keeps_werkzeugs() -> None:
    class Absolute(kolba.Response):
        autocorrect_location_header = True

    class Sends(kolba.Response):
        def get_wsgi_headers(self, environ: t.Any) -> t.Any:
            headers = super().get_wsgi_headers(environ)
            headers["X-Sent"] = "werkzeug"
            return headers

    class WzAbsolute(WerkzeugResponse):
        autocorrect_location_header = True

    headers = [("Location", "/next")]
    assert serve(Absolute("b", 302, headers)) == serve(
        WzAbsolute("b", 302, headers, mimetype="text/html")
    )
    assert ("Location", "http://localhost/next") in serve(Absolute("b", 302, headers))[
        1
    ]
    assert ("X-Sent", "werkzeug") in serve(Sends("b", 302, headers))[1]


# -- the trailing slash's 308 ---------------------------------------------------


def slash_app(fw: t.Any, **config: t.Any) -> t.Any:
    app = fw.Flask(__name__)
    app.config.update(config)

    @app.route("/dir/")
    def directory() -> str:
        return "dir"

    @app.route("/user/<int:id>/")
    def user(id: int) -> str:
        return str(id)

    return app


SLASH_REQUESTS: list[tuple[str, dict[str, t.Any]]] = [
    ("/dir", {}),
    ("/dir", {"query_string": "a=1&b=%20x"}),
    ("/user/7", {}),
    ("/dir", {"base_url": "http://example.com:8080"}),
    ("/dir", {"base_url": "https://example.com"}),
    ("/dir", {"base_url": "http://Example.COM"}),  # werkzeug lowers it
    ("/dir", {"base_url": "http://localhost/mount"}),
    ("/dir", {"method": "HEAD"}),
]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(("path", "kwargs"), SLASH_REQUESTS, ids=repr)
def test_the_slash_redirect_is_flasks(path: str, kwargs: dict[str, t.Any]) -> None:
    expected = serve(slash_app(flask), path, **kwargs)
    assert expected[0] == "308 PERMANENT REDIRECT"
    assert serve(slash_app(kolba), path, **kwargs) == expected


@pytest.mark.filterwarnings("ignore")
def test_the_slash_redirect_matches_once_and_skips_werkzeugs_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = serve(slash_app(flask), "/dir", query_string="x=1")
    app = slash_app(kolba)
    serve(app, "/dir")  # (the first request decides what the app skips)
    matched: list[str] = []
    match = kolba.routing.Map._match_segments

    def counting(self: t.Any, path: str, *args: t.Any) -> t.Any:
        matched.append(path)
        return match(self, path, *args)

    monkeypatch.setattr(kolba.routing.Map, "_match_segments", counting)
    monkeypatch.setattr(type(app.url_map), "_match_segments", counting)
    no_werkzeug_send(monkeypatch)
    monkeypatch.setattr("werkzeug.sansio.utils.uri_to_iri", _fail("uri_to_iri"))
    assert serve(app, "/dir", query_string="x=1") == expected
    assert matched == ["/dir"]


@pytest.mark.filterwarnings("ignore")
def test_a_request_class_with_its_own_host_url_keeps_it() -> None:
    class Proxied(kolba.Request):
        @property
        def host_url(self) -> str:  # type: ignore[override]
            return "https://public.example/"

    app = slash_app(kolba)
    app.request_class = Proxied
    status, headers, _ = serve(app, "/dir")
    assert status.startswith("308")
    assert ("Location", "https://public.example/dir/") in headers


# -- redirect() -----------------------------------------------------------------


def redirect_app(fw: t.Any, location: t.Any, code: int) -> t.Any:
    app = fw.Flask(__name__)

    @app.route("/r")
    def r() -> t.Any:
        return fw.redirect(location, code)

    @app.route("/u")
    def u() -> t.Any:
        return fw.redirect(fw.url_for("r", q="a b", n=1), code)

    return app


LOCATIONS = [
    "/",
    "/next?a=1&b=2",
    "http://localhost/x/",
    "https://example.com:8443/p?q=1",
    "",
    "/a#frag",
    "/ünïcode?q=é",
    '/"><script>alert(1)</script>',
    "//evil.test/",
    "http://Example.COM/",
    "mailto:a@b.example",
    Markup("/markup?a=1&amp;b"),
]


@pytest.mark.parametrize("location", LOCATIONS, ids=repr)
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect_answers_as_flask(location: t.Any, code: int) -> None:
    for path in ("/r", "/u"):
        expected = serve(redirect_app(flask, location, code), path)
        assert expected[0].startswith(str(code))
        assert serve(redirect_app(kolba, location, code), path) == expected


def test_redirect_outside_a_request_and_with_another_class_is_werkzeugs() -> None:
    from werkzeug.utils import redirect as wz_redirect

    for location in ("/", "/ü"):
        expected = serve(wz_redirect(location, 303))
        assert serve(kolba.redirect(location, 303)) == expected

    class Mine(kolba.Response):
        pass

    app = redirect_app(kolba, "/x", 302)
    app.response_class = Mine
    with app.test_request_context():
        assert type(kolba.redirect("/x")) is Mine


def test_redirect_makes_werkzeugs_response_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = serve(redirect_app(flask, "/next?a=1", 302), "/r")
    app = redirect_app(kolba, "/next?a=1", 302)
    monkeypatch.setattr("kolba.app._wz_redirect", _fail("werkzeug's redirect"))
    no_werkzeug_send(monkeypatch)
    assert serve(app, "/r") == expected


# -- 405 Method Not Allowed -----------------------------------------------------


def methods_app(fw: t.Any) -> t.Any:
    from werkzeug.exceptions import MethodNotAllowed

    app = fw.Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/items", methods=["GET", "PUT", "PATCH"])
    def items() -> str:
        return "items"

    @app.route("/aborts", methods=["POST"])
    def aborts() -> str:
        fw.abort(405, valid_methods=["GET", "POST"])

    @app.route("/bare", methods=["POST"])
    def bare() -> str:
        fw.abort(405)

    @app.route("/described", methods=["POST"])
    def described() -> str:
        raise MethodNotAllowed(["GET"], description="Only <b>GET</b> here.")

    return app


METHOD_REQUESTS = [
    ("/", "DELETE"),
    ("/", "POST"),
    ("/items", "POST"),
    ("/items", "DELETE"),
    ("/aborts", "POST"),
    ("/bare", "POST"),
    ("/described", "POST"),
    ("/described", "GET"),
]


def serve_405(app: t.Any, path: str, method: str) -> Answer:
    """serve(), the methods of Allow sorted: Flask lists its router's set of
    them in the set's order, which changes with PYTHONHASHSEED (kolba sorts)."""
    status, headers, body = serve(app, path, method=method)
    return status, [_sorted_allow(k, v) for k, v in headers], body


def _sorted_allow(key: str, value: str) -> tuple[str, str]:
    return (key, ", ".join(sorted(value.split(", "))) if key == "Allow" else value)


@pytest.mark.parametrize(("path", "method"), METHOD_REQUESTS, ids=repr)
def test_a_405_is_flasks(path: str, method: str) -> None:
    expected = serve_405(methods_app(flask), path, method)
    assert expected[0] == "405 METHOD NOT ALLOWED"
    app = methods_app(kolba)
    for _ in range(2):  # (its page is remembered)
        assert serve(app, path, method=method) == expected

    class Mine(kolba.Response):
        pass

    app.response_class = Mine
    assert serve(app, path, method=method) == expected


def test_a_405_page_is_rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.exceptions import HTTPException

    from kolba import app as app_module

    expected = [serve_405(methods_app(flask), p, m) for p, m in METHOD_REQUESTS]
    rendered: list[str] = []
    get_body = HTTPException.get_body

    def counting(self: HTTPException, *args: t.Any, **kwargs: t.Any) -> str:
        rendered.append(type(self).__name__)
        return get_body(self, *args, **kwargs)

    monkeypatch.setattr(HTTPException, "get_body", counting)
    # (werkzeug's own as kolba kept it: another one patched on HTTPException
    # answers every time, as in Flask)
    monkeypatch.setattr(app_module, "_GET_BODY", counting)
    monkeypatch.setattr(app_module, "_ERROR_PAGES", {})
    app = methods_app(kolba)
    for _ in range(3):
        assert [serve(app, p, method=m) for p, m in METHOD_REQUESTS] == expected
    # once for the class's page, and each time for the one described its way
    assert rendered == ["MethodNotAllowed"] * 4


# -- the automatic OPTIONS answer, empty bodies --------------------------------


def options_app(fw: t.Any) -> t.Any:
    app = fw.Flask(__name__)

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        return "index"

    @app.route("/split")
    def split_get() -> str:
        return "get"

    @app.route("/split", methods=["DELETE"], endpoint="split_delete")
    def split_delete() -> str:
        return "delete"

    @app.route("/custom", methods=["GET", "M-SEARCH"])
    def custom() -> str:
        return "custom"

    @app.route("/user/<int:id>", methods=["PUT"])
    def user(id: int) -> str:
        return str(id)

    return app


OPTIONS_PATHS = ["/", "/split", "/custom", "/user/3"]


@pytest.mark.parametrize("path", OPTIONS_PATHS)
def test_the_automatic_options_answer_is_flasks(path: str) -> None:
    expected = serve_405(options_app(flask), path, "OPTIONS")
    assert expected[0] == "200 OK" and expected[2] == b""
    app = options_app(kolba)
    assert serve_405(app, path, "OPTIONS") == expected

    class Mine(kolba.Response):
        pass

    app.response_class = Mine
    assert serve_405(app, path, "OPTIONS") == expected


def test_the_automatic_options_answer_skips_werkzeugs_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = serve_405(options_app(flask), "/", "OPTIONS")
    app = options_app(kolba)
    no_werkzeug_send(monkeypatch)
    assert serve_405(app, "/", "OPTIONS") == expected


EMPTY_BODIES: list[tuple[int, list[tuple[str, str]]]] = [
    (200, [("X-A", "1")]),
    (201, [("X-A", "1"), ("Allow", "GET")]),
    (200, [("Content-Length", "0")]),
    (204, [("X-A", "1")]),
    (304, [("X-A", "1"), ("Content-Type", "text/plain")]),
    (302, [("Location", "/ü")]),
    (200, [("Content-Location", "/x")]),
]


@pytest.mark.parametrize(("status", "headers"), EMPTY_BODIES, ids=repr)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_empty_body_is_sent_as_werkzeug_sends_it(
    status: int, headers: list[tuple[str, str]], method: str
) -> None:
    expected = serve(
        WerkzeugResponse(None, status, headers, mimetype="text/html"), method=method
    )
    assert serve(kolba.Response(None, status, headers), method=method) == expected
    for body in ([], ()):
        response = kolba.Response(None, status, headers)
        response.response = body
        assert serve(response, method=method) == expected
