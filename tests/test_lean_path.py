"""kolba's own fast paths answer exactly as werkzeug's general machinery.

Forms, query strings, responses with headers and the default error pages
take shortcuts on the common case; each test compares the shortcut with
what werkzeug itself gives for the same input.
"""

from __future__ import annotations

import io
import typing as t
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequestKeyError, NotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from kolba import Flask, Request, Response, abort, jsonify, request
from kolba.wrappers import Params

BODIES = [
    "a=1&b=2&c=3",
    "a=1&a=2&b=&c&=4&&d=",
    "name=J%C3%BCrgen&x=a+b&y=%2B",
    "bad=%ff%fe&ok=1",
    "plain=Jürgen",
    "",
    "a=1;b=2",
    "==&=x=y",
    "%%%=%2&x=%C3&%e2%82%ac=%E2%82&t=%C3%BC%ff&u=J%c3%bcrgen%zz",
    "name=Alice+Smith&email=alice%40example.com&age=42",
    # escapes that make an "&" or "=" (split before decoding) and those that
    # do not (decoded at once): the same pairs either way
    "a%3Db=c%26d&e=%3d%3D&f=1",
    "c=x%26y&d=1",
    "e=%3d&f%3d=2",
    "g=%3D&h=3",
    "k=%C3&%A9=v&m=%E2%82&%AC=n&o=%C3=%BC",
    "p=%25%32%30&q=%2525&%25=%2B+",
    "r=Jürgen+%C3%BC&s=%zz%4&u=%",
]


def form_environ(body: bytes, **extra: str) -> dict:
    environ = EnvironBuilder(
        method="POST",
        data=body,
        content_type="application/x-www-form-urlencoded",
    ).get_environ()
    environ.update(extra)
    return environ


@pytest.mark.parametrize("body", BODIES)
def test_urlencoded_form_is_werkzeugs(body: str) -> None:
    data = body.encode()
    ours = Request(form_environ(data))
    theirs = WerkzeugRequest(form_environ(data))
    assert Request._plain_form
    assert list(ours.form.items(multi=True)) == list(theirs.form.items(multi=True))
    assert type(ours.form) is Params  # an ImmutableMultiDict, cheaper to read
    assert isinstance(ours.form, ImmutableMultiDict)
    assert not ours.files
    assert ours.get_data() == b""  # the body was consumed, as werkzeug's parser does
    assert ours.stream.read() == theirs.stream.read() == b""


def test_a_body_that_is_not_utf8_is_an_empty_form_as_in_werkzeug() -> None:
    ours = Request(form_environ(b"a=\xff&b=2"))
    assert ours.form == WerkzeugRequest(form_environ(b"a=\xff&b=2")).form == {}


def test_form_after_get_data_reads_the_cached_body() -> None:
    req = Request(form_environ(b"a=1&b=2"))
    assert req.get_data() == b"a=1&b=2"
    assert req.form.to_dict() == {"a": "1", "b": "2"}


def test_a_content_type_with_parameters_is_still_urlencoded() -> None:
    environ = form_environ(b"a=1")
    environ["CONTENT_TYPE"] = "Application/X-WWW-Form-Urlencoded; charset=UTF-8"
    assert Request(environ).form.to_dict() == {"a": "1"}


def test_a_request_subclass_with_its_own_parser_gets_it() -> None:
    class Parser(Request.form_data_parser_class):
        def parse(self, stream, mimetype, content_length, options=None):
            return stream, MultiDict({"parsed": "by subclass"}), MultiDict()

    class MyRequest(Request):
        form_data_parser_class = Parser

    assert not MyRequest._plain_form
    assert MyRequest(form_environ(b"a=1")).form.to_dict() == {"parsed": "by subclass"}


def test_a_request_class_that_is_shallow_refuses_the_body() -> None:
    class Shallow(Request):
        shallow = True

    assert not Shallow._plain_form  # so the fast path's per-request test holds
    with pytest.raises(RuntimeError, match="shallow"):
        Shallow(form_environ(b"a=1")).form  # noqa: B018
    with pytest.raises(RuntimeError, match="shallow"):
        Request(form_environ(b"a=1"), shallow=True).form  # noqa: B018


class _Storage(ImmutableMultiDict):  # type: ignore[type-arg]
    """A storage class of the user's own, built through its __init__."""


@pytest.mark.parametrize("storage", [MultiDict, ImmutableMultiDict, _Storage])
def test_the_request_class_parameter_storage_holds_form_and_args(storage) -> None:
    class MyRequest(Request):
        parameter_storage_class = storage

    assert MyRequest._plain_form  # the fast path, with the class's storage
    req = MyRequest(form_environ(b"a=1&a=2&b=%41", QUERY_STRING="q=1&q=2"))
    assert type(req.form) is type(req.files) is type(req.args) is storage
    assert list(req.form.items(multi=True)) == [("a", "1"), ("a", "2"), ("b", "A")]
    assert list(req.args.items(multi=True)) == [("q", "1"), ("q", "2")]
    assert not req.files


@pytest.fixture
def form_app() -> Flask:
    app = Flask(__name__)

    @app.post("/")
    def index() -> str:
        return ",".join(f"{k}={v}" for k, v in request.form.items(multi=True))

    return app


def test_form_limits_answer_413(form_app: Flask) -> None:
    client = form_app.test_client()
    form_app.config["MAX_FORM_MEMORY_SIZE"] = 10
    assert client.post("/", data={"a": "x" * 5}).status_code == 200
    assert client.post("/", data={"a": "x" * 20}).status_code == 413
    form_app.config["MAX_FORM_MEMORY_SIZE"] = None
    form_app.config["MAX_CONTENT_LENGTH"] = 10
    assert client.post("/", data={"a": "x" * 20}).status_code == 413


def test_a_body_shorter_than_its_content_length_is_400(form_app: Flask) -> None:
    environ = form_environ(b"a=1&b=2", CONTENT_LENGTH="100")
    statuses = []
    form_app.wsgi_app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["400 BAD REQUEST"]


@pytest.mark.parametrize("pieces", [0, 1])
def test_a_body_the_server_fails_to_read_is_400(form_app: Flask, pieces: int) -> None:
    class Broken(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            nonlocal pieces
            if pieces:  # the first piece arrives, then the connection breaks
                pieces -= 1
                return super().read(1)
            raise OSError("connection reset")

    environ = form_environ(b"a=1&b=2")
    environ["wsgi.input"] = Broken(b"a=1&b=2")
    statuses = []
    form_app.wsgi_app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["400 BAD REQUEST"]


def test_a_server_that_reads_in_pieces_gives_the_whole_body(form_app: Flask) -> None:
    class Trickle(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            return super().read(min(size, 3))

    environ = form_environ(b"a=1&b=2&c=3")
    environ["wsgi.input"] = Trickle(b"a=1&b=2&c=3")
    body = b"".join(form_app.wsgi_app(environ, lambda status, headers: None))
    assert body == b"a=1,b=2,c=3"


def test_limits_outside_an_app_context_are_werkzeugs_defaults() -> None:
    req = Request(form_environ(b"a=1"))
    assert req.max_form_memory_size == 500_000
    assert req.max_form_parts == 1_000
    assert req.max_content_length is None
    big = Request(form_environ(b"a=" + b"x" * 600_000))
    with pytest.raises(Exception) as info:
        big.form  # noqa: B018
    assert getattr(info.value, "code", None) == 413


QUERIES = [
    "a=1&b=2&c=3&d=4&e=5",
    "a=1&a=2&b&=3&&c=",
    "q=a+b&r=%20%2B&s=%ff",
    "x=\xc3\xbc&y=\xff",  # raw bytes, as a WSGI server passes them (latin-1)
    "z=\xc3\xbc%C3%BC%ff+%2B&%%%=%2",
    "a%3Db=c%26d&k=%C3&%A9=v",
    "k=%C3&%A9=v&p=%25%32%30&x=\xc3\xbc%C3%BC",
    "",
]


@pytest.mark.parametrize("query", QUERIES)
def test_query_args_are_parse_qsl(query: str) -> None:
    req = Request({"QUERY_STRING": query, "REQUEST_METHOD": "GET"})
    text = query.encode("latin-1").decode("utf-8", "werkzeug.url_quote")
    expected = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
    assert list(req.args.items(multi=True)) == expected
    assert type(req.args) is Params
    assert isinstance(req.args, ImmutableMultiDict)


def call(response: WerkzeugResponse, general: bool, method: str = "GET") -> tuple:
    """Status, headers and body of a response sent through kolba's __call__
    or (general=True) through werkzeug's."""
    seen = []
    environ = EnvironBuilder(method=method).get_environ()
    send = WerkzeugResponse.__call__ if general else type(response).__call__
    body = b"".join(send(response, environ, lambda s, h: seen.append((s, h))))
    return seen[0][0], seen[0][1], body


def responses() -> list[Response]:
    cookie = Response("with a cookie")
    cookie.set_cookie("name", "value", httponly=True)
    vary = Response(b"bytes", 201, {"Vary": "Cookie", "X-Hook": "1"})
    located = Response("moved", 302, {"Location": "/ünïcode path"})
    no_length = Response(["a", "b"], headers={"X-A": "1"})
    with Flask(__name__).app_context():
        return [
            cookie,
            vary,
            located,
            no_length,
            jsonify(a=1),
            Response("plain", mimetype="text/plain"),
        ]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_responses_with_headers_go_out_as_werkzeug_sends_them(method: str) -> None:
    for ours, theirs in zip(responses(), responses(), strict=True):
        assert call(ours, False, method) == call(theirs, True, method)


# Changes to a lazy response's headers, made once they are read: kolba tells
# from the names it keeps (and the length's place) that they go out as they are.
_HEADER_CHANGES: list[t.Callable[[t.Any], object]] = [
    lambda h: h.__setitem__("X-A", "1"),
    lambda h: h.__setitem__("Location", "/ünïcode path"),
    lambda h: (h.__setitem__("X-A", "1"), h.__setitem__("LOCATION", "/a b")),
    lambda h: h.__setitem__("content-location", "/é"),
    lambda h: (h.__delitem__("Content-Length"), h.__setitem__("X-A", "1")),
    lambda h: (h.remove("content-length"), h.add("Content-Length", "5")),
    lambda h: (h.pop(1), h.__setitem__("X-A", "1")),
    lambda h: (h.__setitem__("X-A", "1"), h.set("content-length", "3")),
    lambda h: (h.add("Location", "/x"), h.__setitem__("X-A", "1")),
]


@pytest.mark.parametrize("change", range(len(_HEADER_CHANGES)))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_lazy_headers_changed_go_out_as_werkzeug_sends_them(
    change: int, method: str
) -> None:
    ours, theirs = Response("moved"), Response("moved")
    for response in (ours, theirs):
        _HEADER_CHANGES[change](response.headers)
    assert call(ours, False, method) == call(theirs, True, method)


def test_a_json_response_keeps_its_headers_lazy() -> None:
    with Flask(__name__).app_context():
        response = jsonify(a=1)
    assert response._headers is None
    assert list(response.headers) == [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(response.data))),
    ]


def test_default_error_pages_are_werkzeugs() -> None:
    app = Flask(__name__)

    class Gone(NotFound):
        description = "It went away."

    @app.route("/custom")
    def custom() -> str:
        abort(404, "Not this one.")

    @app.route("/sub")
    def sub() -> str:
        raise Gone()

    client = app.test_client()
    for path, exc in [
        ("/nowhere", NotFound()),
        ("/nowhere", NotFound()),  # the second time from the prebuilt page
        ("/custom", NotFound("Not this one.")),
        ("/sub", Gone()),
        ("/sub", Gone()),
    ]:
        response = client.get(path)
        expected = exc.get_response()
        assert response.status == expected.status
        assert response.data == expected.data
        assert sorted(response.headers) == sorted(expected.headers)


@pytest.fixture
def static_app(tmp_path) -> Flask:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "f.txt").write_bytes(b"x" * 10_000)
    return Flask(__name__, root_path=str(tmp_path))


def answer(response) -> tuple:
    headers = sorted(
        (k, v) for k, v in response.headers if k not in ("Date", "Expires")
    )
    return response.status, headers, response.data


def test_a_static_file_sent_again_is_sent_as_werkzeug_sends_it(static_app, tmp_path):
    client = static_app.test_client()
    first = client.get("/static/f.txt")  # werkzeug's own answer, remembered
    again = client.get("/static/f.txt")  # the one-stat answer
    assert answer(again) == answer(first)
    assert [k for k, _ in again.headers] == [k for k, _ in first.headers]
    assert again.data == b"x" * 10_000

    static_app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    cached = client.get("/static/f.txt")
    assert cached.headers["Cache-Control"] == "public, max-age=60"
    assert "Expires" in cached.headers
    assert answer(client.get("/static/f.txt")) == answer(cached)

    (tmp_path / "static" / "f.txt").write_bytes(b"changed")
    changed = client.get("/static/f.txt")
    assert changed.data == b"changed"
    assert changed.headers["ETag"] != first.headers["ETag"]

    (tmp_path / "static" / "f.txt").unlink()
    assert client.get("/static/f.txt").status_code == 404


def test_conditional_and_range_requests_of_a_remembered_file(static_app):
    client = static_app.test_client()
    etag = client.get("/static/f.txt").headers["ETag"]
    client.get("/static/f.txt")
    assert (
        client.get("/static/f.txt", headers={"If-None-Match": etag}).status_code == 304
    )
    ranged = client.get("/static/f.txt", headers={"Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.data) == (206, b"x" * 10)
    past = client.get("/static/f.txt", headers={"Range": "bytes=20000-"})
    assert past.status_code == 416
    head = client.head("/static/f.txt")
    assert (head.status_code, head.data) == (200, b"")
    assert head.headers["Content-Length"] == "10000"


def test_x_sendfile_is_werkzeugs_even_for_a_remembered_file(static_app):
    client = static_app.test_client()
    client.get("/static/f.txt")
    static_app.config["USE_X_SENDFILE"] = True
    response = client.get("/static/f.txt")
    assert response.headers["X-Sendfile"].endswith("f.txt")
    assert response.data == b""


def test_setting_headers_by_name_is_werkzeugs_set() -> None:
    ours = Response("body")
    theirs = WerkzeugResponse("body", content_type="text/html; charset=utf-8")
    for headers in (ours.headers, theirs.headers):
        headers["X-New"] = "1"
        headers["x-new"] = "2"  # replaces, keeping the first one's place
        headers["X-Other"] = "3"
        headers.add("X-Twice", "a")
        headers.add("X-Twice", "b")
        headers["X-Twice"] = "c"  # replaces both
        headers["X-Number"] = 4  # not a str: werkzeug converts it
    assert ours.headers.to_wsgi_list() == theirs.headers.to_wsgi_list()
    with pytest.raises(ValueError):
        ours.headers["X-Bad"] = "a\r\nSet-Cookie: x=1"
    with pytest.raises(ValueError):
        ours.headers["X-Bad\r\nSet-Cookie"] = "1"


@pytest.mark.parametrize("query", ["a=1&a=2&b=", "b=3", ""])
def test_params_read_as_werkzeugs_multidict(query: str) -> None:
    ours = Request({"QUERY_STRING": query, "REQUEST_METHOD": "GET"}).args
    theirs = ImmutableMultiDict(parse_qsl(query, keep_blank_values=True))
    for key in ("a", "b", "missing"):
        assert ours.get(key) == theirs.get(key)
        assert ours.getlist(key) == theirs.getlist(key)
        if key in theirs:
            assert ours[key] == theirs[key]
        else:
            with pytest.raises(BadRequestKeyError) as caught:
                ours[key]
            assert caught.value.args == (key,)
    with pytest.raises(TypeError):
        ours["a"] = "x"  # type: ignore[index]


def test_a_missing_query_arg_is_a_400() -> None:
    app = Flask(__name__)
    app.route("/")(lambda: request.args["q"])
    assert app.test_client().get("/?p=1").status_code == 400
    assert app.test_client().get("/?q=x").get_data() == b"x"


# The shortcuts above must really be taken: each test below fails when its
# shortcut is gone, although every answer would stay right without it.


def test_a_default_error_page_is_rendered_once(monkeypatch) -> None:
    from werkzeug.exceptions import HTTPException

    from kolba import app as app_module

    rendered = []
    get_body = HTTPException.get_body

    def counting(self, *args, **kwargs):
        rendered.append(type(self))
        return get_body(self, *args, **kwargs)

    monkeypatch.setattr(HTTPException, "get_body", counting)
    # (werkzeug's own as kolba kept it: another one patched on HTTPException
    # answers every time, as in Flask)
    monkeypatch.setattr(app_module, "_GET_BODY", counting)
    monkeypatch.setattr(app_module, "_ERROR_PAGES", {})
    client = Flask(__name__).test_client()
    for _ in range(3):
        assert client.get("/nowhere").status_code == 404
    assert rendered == [NotFound]


def test_a_static_file_sent_again_costs_one_stat(static_app, monkeypatch) -> None:
    import os

    client = static_app.test_client()
    client.get("/static/f.txt").close()  # werkzeug's answer, remembered
    stats = []
    stat = os.stat

    def counting(path, *args, **kwargs):
        stats.append(path)
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", counting)
    again = client.get("/static/f.txt")
    assert again.data == b"x" * 10_000
    again.close()
    assert len(stats) == 1, stats


def test_responses_with_headers_skip_werkzeugs_general_path(monkeypatch) -> None:
    cookie, vary, _located, _no_length, json, plain = responses()

    def general(*args, **kwargs):
        raise AssertionError("went through werkzeug's get_wsgi_response")

    monkeypatch.setattr(WerkzeugResponse, "get_wsgi_response", general)
    for response in (cookie, vary, json, plain):
        assert call(response, False, "GET")[2] == response.get_data()


def test_an_app_without_hooks_runs_none() -> None:
    # the default template context processor makes no hooks of its own
    app = Flask(__name__)
    app.get("/")(lambda: "ok")
    assert app.test_client().get("/").text == "ok"
    assert app._hooks("<lambda>") is None and app._hooks(None) is None


def test_the_hooks_of_an_endpoint_are_gathered_once(monkeypatch) -> None:
    from kolba import app as app_module

    app = Flask(__name__)
    app.before_request(lambda: None)
    app.after_request(lambda response: response)

    @app.route("/")
    def index() -> str:
        return "ok"

    gathered = []
    build = app_module._Hooks.build

    def counting(*args):
        gathered.append(args[1:])
        return build(*args)

    monkeypatch.setattr(app_module._Hooks, "build", counting)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/").data == b"ok"
    assert len(gathered) == 1
    app.before_request_funcs[None].append(lambda: None)  # changed in place
    client.get("/")
    assert len(gathered) == 2


def test_a_teardown_appcontext_function_appended_while_serving_runs() -> None:
    """An extension may add to app.teardown_appcontext_funcs in place after
    the app served its first request without one: the next request's lean
    pop sees it and runs it, as Flask does."""
    app = Flask(__name__)

    @app.route("/")
    def index() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/").data == b"ok"
    torn: list[BaseException | None] = []
    app.teardown_appcontext_funcs.append(torn.append)
    assert client.get("/").data == b"ok"
    assert torn == [None]


def test_a_str_body_is_sent_with_its_length_as_werkzeug_sends_it() -> None:
    # (kolba keeps the Content-Length headers of the first 1,000 lengths)
    app = Flask(__name__)
    app.add_url_rule("/<int:n>", "n", lambda n: "é" * n)
    sent: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        sent.append((status, headers))

    for n in [*range(1100), 1_000_000]:
        env = EnvironBuilder(f"/{n}").get_environ()
        sent.clear()
        body = b"".join(app(env, start_response))
        expected = WerkzeugResponse("é" * n, content_type="text/html; charset=utf-8")
        assert sent == [("200 OK", expected.get_wsgi_headers(env).to_wsgi_list())]
        assert body == expected.get_data()
