"""``Response`` and how a view's return value becomes one."""

from __future__ import annotations

import typing as t
from collections.abc import Iterator

import pytest
from markupsafe import Markup
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, create_environ, run_wsgi_app
from werkzeug.wrappers import Response as WerkzeugResponse

from kolba import Flask, Request, Response, make_response, render_template_string
from kolba.testing import KolbaClient

pytestmark = pytest.mark.usefixtures("driver")

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def send(response: Response, method: str = "GET") -> tuple[str, Headers, bytes]:
    """Call the response as a WSGI app: status line, headers, body."""
    body, status, headers = run_wsgi_app(response, create_environ(method=method))
    return status, headers, b"".join(body)


# the Response object ---------------------------------------------------------


def test_defaults() -> None:
    rv = Response()
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert rv.mimetype == "text/html"
    assert rv.content_type == "text/html; charset=utf-8"
    assert rv.get_data() == b""
    assert rv.direct_passthrough is False
    assert not rv.is_json


def test_text_body_is_utf8() -> None:
    rv = Response("héllo")
    assert rv.data == "héllo".encode()
    assert rv.get_data(as_text=True) == "héllo"
    assert rv.content_length == 6


def test_status_as_int_or_string() -> None:
    assert Response("x", 201).status == "201 CREATED"
    assert Response("x", "418 I'm a teapot").status_code == 418
    assert Response("x", status="299").status == "299 UNKNOWN"
    rv = Response("x")
    rv.status_code = 404
    assert rv.status == "404 NOT FOUND"
    rv.status = 201  # type: ignore[assignment]
    assert rv.status == "201 CREATED"


def test_mimetype_content_type_and_headers() -> None:
    assert (
        Response("x", mimetype="text/plain").content_type == "text/plain; charset=utf-8"
    )
    assert Response("x", content_type="text/csv").content_type == "text/csv"
    rv = Response("x", headers={"X-A": "1"})
    assert rv.headers["X-A"] == "1"
    assert rv.mimetype == "text/html"
    rv = Response("x", headers=[("Content-Type", "application/xml")])
    assert rv.mimetype == "application/xml"
    headers = Headers({"X-B": "2"})
    assert Response("x", headers=headers).headers is headers


def test_set_data_updates_the_length() -> None:
    rv = Response("abc")
    rv.set_data("abcdef")
    assert rv.content_length == 6
    rv.data = b"ab"
    assert rv.headers["Content-Length"] == "2"


def test_json_response() -> None:
    rv = Response('{"a": 1}', mimetype="application/json")
    assert rv.is_json
    assert rv.json == {"a": 1}


def test_set_and_delete_cookie() -> None:
    rv = Response("x")
    rv.set_cookie("k", "v", max_age=10, httponly=True, samesite="Lax")
    rv.delete_cookie("old")
    cookies = rv.headers.getlist("Set-Cookie")
    assert cookies[0].startswith("k=v; Expires=")
    assert "Max-Age=10; HttpOnly; Path=/; SameSite=Lax" in cookies[0]
    assert cookies[1].startswith(
        "old=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"
    )


def test_direct_passthrough() -> None:
    assert Response([b"x"], direct_passthrough=True).direct_passthrough is True


# the lazy headers fast path ------------------------------------------------------


def test_untouched_headers_are_still_sent() -> None:
    status, headers, body = send(Response("héllo"))
    assert status == "200 OK"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == "6"
    assert body == "héllo".encode()


def test_headers_touched_after_set_data() -> None:
    rv = Response("abc")
    rv.set_data("abcdef")
    rv.headers["X-A"] = "1"
    status, headers, body = send(rv)
    assert headers["Content-Length"] == "6"
    assert headers["X-A"] == "1"
    assert body == b"abcdef"


def test_set_data_after_headers_touched() -> None:
    rv = Response("abc")
    assert rv.headers["Content-Length"] == "3"
    rv.set_data("abcdef")
    assert send(rv)[1]["Content-Length"] == "6"


def test_status_change_on_an_untouched_response() -> None:
    rv = Response("gone")
    rv.status_code = 404
    assert send(rv)[0] == "404 NOT FOUND"


def test_empty_response_has_zero_length() -> None:
    assert send(Response())[1]["Content-Length"] == "0"


@pytest.mark.parametrize("status", [204, 304])
def test_bodyless_statuses_send_no_body(status: int) -> None:
    """A 204 or 304 never carries a body, whatever the view set."""
    status_line, headers, body = send(Response("abc", status))
    assert status_line.startswith(str(status))
    assert body == b""
    assert "Content-Length" not in headers


def test_subclass_with_another_default_mimetype() -> None:
    class TextResponse(Response):
        default_mimetype = "text/plain"

    assert TextResponse("x").mimetype == "text/plain"
    assert send(TextResponse("x"))[1]["Content-Type"] == "text/plain; charset=utf-8"


def test_subclass_without_automatic_content_length() -> None:
    class NoLength(Response):
        automatically_set_content_length = False

    headers = send(NoLength("abc"))[1]
    assert "Content-Length" not in headers
    assert "Content-Length" not in NoLength("abc").headers


def test_list_of_text_is_encoded() -> None:
    status, headers, body = send(Response(["a", "é"]))
    assert body == "aé".encode()
    assert headers["Content-Length"] == "3"


def test_head_sends_the_get_headers_and_no_body() -> None:
    get = send(Response("hello"))
    head = send(Response("hello"), method="HEAD")
    assert head[:2] == get[:2]
    assert head[2] == b""


def test_head_through_a_view(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> str:
        return "hello"

    rv = client.head("/")
    assert rv.headers["Content-Length"] == "5"
    assert rv.data == b""


def test_a_list_of_text_through_a_view(app: Flask, client: KolbaClient) -> None:
    """A CSV built as a list of lines goes out whole, encoded, with its length."""

    @app.route("/export.csv")
    def export() -> Response:
        return Response(["id,name\n", "1,é\n"], mimetype="text/csv")

    rv = client.get("/export.csv")
    assert rv.status_code == 200
    assert rv.data == "id,name\n1,é\n".encode()
    assert rv.headers["Content-Length"] == str(len(rv.data))


def test_a_412_keeps_its_body(app: Flask, client: KolbaClient) -> None:
    """werkzeug strips the body of 1xx, 204 and 304 only: a 412 says why."""

    @app.route("/doc", methods=["PUT"])
    def doc() -> tuple[dict[str, str], int]:
        return {"error": "version mismatch"}, 412

    rv = client.put("/doc")
    assert rv.status_code == 412
    assert rv.get_json() == {"error": "version mismatch"}
    assert rv.headers["Content-Length"] == str(len(rv.data))


# conditional responses ---------------------------------------------------------


@pytest.fixture
def conditional(app: Flask) -> Flask:
    from kolba import request

    @app.route("/doc")
    def doc() -> Response:
        rv = Response("0123456789", mimetype="text/plain")
        rv.set_etag("v1")
        return rv.make_conditional(request, accept_ranges=True, complete_length=10)

    return app


def test_etag_match_is_304(conditional: Flask, client: KolbaClient) -> None:
    assert client.get("/doc").headers["ETag"] == '"v1"'
    rv = client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert rv.status_code == 304
    assert rv.data == b""
    assert client.get("/doc", headers={"If-None-Match": '"v0"'}).status_code == 200


def test_range_is_206(conditional: Flask, client: KolbaClient) -> None:
    rv = client.get("/doc", headers={"Range": "bytes=2-4"})
    assert rv.status_code == 206
    assert rv.data == b"234"
    assert rv.headers["Content-Range"] == "bytes 2-4/10"
    assert rv.headers["Accept-Ranges"] == "bytes"


def test_unsatisfiable_range_is_416(conditional: Flask, client: KolbaClient) -> None:
    rv = client.get("/doc", headers={"Range": "bytes=20-30"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == "bytes */10"


def test_stale_if_range_sends_everything(
    conditional: Flask, client: KolbaClient
) -> None:
    rv = client.get("/doc", headers={"Range": "bytes=2-4", "If-Range": '"v0"'})
    assert rv.status_code == 200
    assert rv.data == b"0123456789"


# streaming -------------------------------------------------------------------


def test_generator_view_is_streamed(app: Flask) -> None:
    progress: list[str] = []

    @app.route("/stream")
    def stream() -> Iterator[str]:
        def generate() -> Iterator[str]:
            progress.append("first")
            yield "a"
            progress.append("second")
            yield "b"

        return generate()

    started: list[list[str]] = []
    body = app(
        create_environ("/stream"), lambda status, headers: started.append(progress[:])
    )
    assert started == [[]]
    chunks = iter(body)
    assert next(chunks) == b"a"
    assert progress == ["first"]
    assert list(chunks) == [b"b"]
    assert progress == ["first", "second"]


def test_iterable_body_has_no_length() -> None:
    status, headers, body = send(Response(iter([b"a", "b"])))
    assert body == b"ab"
    assert "Content-Length" not in headers


# replaceable classes ---------------------------------------------------------


def test_request_and_response_classes_are_replaceable(
    app: Flask, client: KolbaClient
) -> None:
    class MyRequest(Request):
        greeting = "hi"

    class MyResponse(Response):
        default_mimetype = "text/plain"

    app.request_class = MyRequest
    app.response_class = MyResponse

    @app.route("/")
    def index() -> str:
        from kolba import request

        assert isinstance(request._get_current_object(), MyRequest)  # type: ignore[attr-defined]
        return request.greeting  # type: ignore[attr-defined,no-any-return]

    rv = client.get("/")
    assert rv.text == "hi"
    assert rv.mimetype == "text/plain"
    with app.test_request_context():
        assert isinstance(make_response("x"), MyResponse)


# view return values (the seed's "Об ответах Response") ---------------------------


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    start_response("202 Accepted", [("X-Wsgi", "yes"), ("Content-Type", "text/plain")])
    return [b"from wsgi"]


RETURN_VALUES: dict[str, tuple[t.Any, int, dict[str, str], bytes]] = {
    "str": ("text", 200, {"Content-Type": "text/html; charset=utf-8"}, b"text"),
    "bytes": (b"raw", 200, {"Content-Type": "text/html; charset=utf-8"}, b"raw"),
    "dict": (
        {"b": 1, "a": 2},
        200,
        {"Content-Type": "application/json"},
        b'{"a":2,"b":1}\n',
    ),
    "list": ([1, "x"], 200, {"Content-Type": "application/json"}, b'[1,"x"]\n'),
    "body-status": (("made", 201), 201, {}, b"made"),
    "body-status-text": (("ok", "299 Fine"), 299, {}, b"ok"),
    "body-headers": (("h", {"X-A": "1"}), 200, {"X-A": "1"}, b"h"),
    "body-header-list": (("h", [("X-A", "1")]), 200, {"X-A": "1"}, b"h"),
    "body-status-headers": (("bsh", 203, {"X-A": "1"}), 203, {"X-A": "1"}, b"bsh"),
    "dict-status": (
        ({"a": 1}, 201),
        201,
        {"Content-Type": "application/json"},
        b'{"a":1}\n',
    ),
    "response": (Response("r", 206), 206, {}, b"r"),
    "response-status": ((Response("r"), 207), 207, {}, b"r"),
    "wsgi": (
        wsgi_app,
        202,
        {"X-Wsgi": "yes", "Content-Type": "text/plain"},
        b"from wsgi",
    ),
    "werkzeug": (WerkzeugResponse("wz", 203, {"X-Wz": "1"}), 203, {"X-Wz": "1"}, b"wz"),
}


@pytest.mark.parametrize("name", RETURN_VALUES)
def test_view_return_values(app: Flask, client: KolbaClient, name: str) -> None:
    value, status, headers, body = RETURN_VALUES[name]
    app.add_url_rule("/", "index", lambda: value)
    rv = client.get("/")
    assert rv.status_code == status
    assert rv.data == body
    for key, expected in headers.items():
        assert rv.headers[key] == expected


def test_tuple_headers_add_to_a_response(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> tuple[Response, dict[str, str]]:
        return Response("x", headers={"X-A": "1"}), {"X-B": "2"}

    rv = client.get("/")
    assert (rv.headers["X-A"], rv.headers["X-B"]) == ("1", "2")


def test_generator_view_return(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def index() -> Iterator[str]:
        return (part for part in ["a", "b"])

    assert client.get("/").data == b"ab"


def test_none_is_a_type_error_naming_the_view(app: Flask, client: KolbaClient) -> None:
    @app.route("/")
    def forgot_to_return() -> None:
        pass

    # (Flask's words, which ported tests match)
    with pytest.raises(
        TypeError,
        match="^The view function for 'forgot_to_return' did not return a valid"
        " response. The function either returned None or ended without a return"
        " statement.$",
    ):
        client.get("/")


@pytest.mark.parametrize("value", [("x",), ("x", 200, {}, 4), 42, 1.5])
def test_bad_return_value_is_a_type_error(
    app: Flask, client: KolbaClient, value: object
) -> None:
    app.add_url_rule("/", "index", lambda: value)
    with pytest.raises(TypeError, match="The view function for 'index' returned"):
        client.get("/")


def test_bad_return_value_is_500_when_not_testing(app: Flask) -> None:
    app.testing = False
    app.add_url_rule("/", "index", lambda: None)
    assert app.test_client().get("/").status_code == 500


def test_make_response_arguments(app: Flask) -> None:
    with app.test_request_context():
        assert make_response().data == b""
        assert make_response("x").data == b"x"
        rv = make_response("x", 404, {"X-A": "1"})
        assert (rv.status_code, rv.headers["X-A"]) == (404, "1")
        assert make_response({"a": 1}).json == {"a": 1}
        existing = Response("r")
        assert make_response(existing) is existing


def test_seed_make_response_in_an_error_handler(
    app: Flask, client: KolbaClient
) -> None:
    """The seed's error-handler sample, with the template as a string."""

    @app.errorhandler(404)
    def not_found(error: Exception) -> Response:
        resp = make_response(render_template_string("<h1>not here</h1>"), 404)
        resp.headers["X-Something"] = "A value"
        return resp

    rv = client.get("/missing")
    assert rv.status_code == 404
    assert rv.headers["X-Something"] == "A value"
    assert rv.text == "<h1>not here</h1>"


# -- response.headers[name] = value: kolba's fast path keeps werkzeug's set() ----


@pytest.mark.parametrize(
    ("start", "key", "value"),
    [
        ([], "X-New", "1"),
        ([("A", "1"), ("B", "2")], "X-New", "3"),
        # an existing differently-cased name is replaced where it stands
        ([("A", "1"), ("x-tag", "old"), ("B", "2")], "X-Tag", "new"),
        # ... and its later duplicates go, whatever their case
        ([("X-Tag", "1"), ("A", "2"), ("x-TAG", "3"), ("B", "4")], "x-tag", "5"),
        # a value that is not a str is converted as werkzeug converts it
        ([("A", "1")], "X-Count", 3),
        ([("X-Count", "1")], "x-count", 4),
    ],
)
def test_setting_a_header_is_werkzeug_set(
    start: list[tuple[str, str]], key: str, value: object
) -> None:
    expected = Headers(start)
    expected[key] = value
    headers = Response("x").headers
    headers.clear()
    headers.extend(start)
    headers[key] = value
    assert headers.to_wsgi_list() == expected.to_wsgi_list()


# Each step changes headers by werkzeug's API (or by a plain name set), then
# a name is set: kolba's lookup of the names already set must see the change,
# also when the headers are as many as before.
_CHANGES = [
    lambda h: h.remove("X-A"),
    lambda h: h.add("X-B", "added"),
    lambda h: h.set("x-a", "set"),
    lambda h: h.setlist("X-A", ["1", "2"]),
    lambda h: h.setdefault("X-C", "default"),
    lambda h: h.extend({"X-D": "extended"}),
    lambda h: h.update({"x-d": "updated"}),
    lambda h: h.pop("X-B", None),
    lambda h: h.pop(),
    lambda h: h.popitem(),
    lambda h: h.clear(),
    lambda h: h.__delitem__("content-type"),
    lambda h: h.__delitem__(0),
    lambda h: h.__setitem__(0, ("X-New", "by index")),
    lambda h: h.__setitem__(slice(0, 1), [("X-New", "by slice")]),
    lambda h: (h.remove("X-A"), h.add("X-New", "as many as before")),
    lambda h: h.__delitem__("X-Absent"),  # the list refilled with the same pairs
    lambda h: (h.pop(0), h.add("Content-Type", "back, last")),
    lambda h: h.__setitem__("X-Other", "named"),
]


@pytest.mark.parametrize("change", range(len(_CHANGES)))
@pytest.mark.parametrize("then", ["X-A", "x-b", "X-D", "X-New", "Content-Type"])
def test_setting_a_header_after_any_change_is_werkzeug_set(
    change: int, then: str
) -> None:
    ours = Response("body").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers["X-A"] = "first"  # kolba: the names are now kept lowered
        headers["X-B"] = "second"
        _CHANGES[change](headers)
        headers[then] = "then"
        headers["x-other"] = "last"
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


@pytest.mark.parametrize(
    "given",
    [
        {"X-A": "1", "Content-Type": "text/plain"},
        [("X-A", "1"), ("x-a", "2"), ("Content-Type", "text/plain")],
        Headers([("X-A", "1"), ("Content-Type", "text/plain")]),
    ],
)
def test_headers_assigned_to_a_response_take_sets_as_werkzeug(given: t.Any) -> None:
    response = Response("body")
    response.headers = given
    theirs = Headers(given)
    for headers in (response.headers, theirs):
        headers["x-a"] = "replaced"
        headers["CONTENT-TYPE"] = "text/csv"
        headers["X-New"] = "new"
    assert response.headers.to_wsgi_list() == theirs.to_wsgi_list()
    assert isinstance(response.headers, Headers)
    assert response.mimetype == "text/csv"


@pytest.mark.parametrize("body", ["lazy", None])
def test_headers_read_then_assigned_are_the_assigned_ones_everywhere(
    body: str | None,
) -> None:
    response = Response(body, headers=None if body else {"X-Made": "1"})
    first = response.headers
    first["X-Old"] = "old"
    assert response.headers is first  # (a second read: the same object)
    response.headers = {"X-New": "new", "Content-Type": "text/plain"}
    assert "X-Old" not in response.headers
    assert response.headers["X-New"] == "new"
    response.headers["X-Later"] = "later"
    status, sent, _ = send(response)
    assert sent["X-New"] == "new" and sent["X-Later"] == "later"
    assert "X-Old" not in sent and sent["Content-Type"] == "text/plain"


def test_a_copied_or_pickled_response_keeps_one_headers_object() -> None:
    import copy
    import pickle

    response = Response("body")
    response.headers["X-A"] = "1"
    for other in (copy.copy(response), pickle.loads(pickle.dumps(response))):
        other.headers["X-B"] = "2"
        _, sent, _ = send(other)
        assert (sent["X-A"], sent["X-B"]) == ("1", "2")
    unread = pickle.loads(pickle.dumps(Response("lazy")))
    unread.headers["X-C"] = "3"
    assert send(unread)[1]["X-C"] == "3"


def test_a_header_name_inside_another_is_a_name_of_its_own() -> None:
    ours = Response("body").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers["X-After-10"] = "10"
        headers["X-After-1"] = "1"  # lowered, inside "x-after-10"
        headers["Type"] = "t"  # inside "content-type"
        headers["Length-X"] = "?"  # across "content-type" and "content-length"
        headers["typecontent"] = "across"
        headers["x-after-1"] = "one"  # replaces X-After-1 only
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    assert ours["X-After-10"] == "10" and ours["X-After-1"] == "one"


@pytest.mark.parametrize("value", ["a\tb", "del\x7f", "nbsp\u00a0", "caf\u00e9", ""])
def test_a_header_value_that_is_not_all_printable_is_set_as_werkzeug_sets_it(
    value: str,
) -> None:
    ours = Response("body").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers["X-Value"] = value
        headers["X-Other"] = "other"
        headers["x-value"] = value + "!"  # replaces X-Value
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    for bad in ("a\nb", "a\rb", "\u00e9\r\n"):
        with pytest.raises(ValueError):
            ours["X-Value"] = bad
        with pytest.raises(ValueError):
            ours["X-New"] = bad


def test_headers_made_with_a_name_that_is_not_a_str_take_a_set() -> None:
    # werkzeug's own add() keeps a bytes name as it is; a set then still
    # works as werkzeug's set()
    ours = Response("body").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        Headers.add(headers, b"X-Raw", "raw")  # type: ignore[arg-type]
        headers["X-New"] = "1"
        headers["x-new"] = "2"
    assert list(ours.items()) == list(theirs.items())


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\r\nSet-Cookie: x=y"])
def test_a_header_value_with_a_line_break_is_refused_as_werkzeug_does(
    value: str,
) -> None:
    with pytest.raises(ValueError) as werkzeug_error:
        Headers()["X-A"] = value
    headers = Response("x").headers
    with pytest.raises(ValueError) as kolba_error:
        headers["X-A"] = value
    assert str(kolba_error.value) == str(werkzeug_error.value)
    assert "X-A" not in headers


@pytest.mark.parametrize("name", ["X-A\nB", "X-A\r", "X\r\nSet-Cookie"])
def test_a_header_name_with_a_line_break_is_refused(name: str) -> None:
    headers = Response("x").headers
    with pytest.raises(ValueError, match="line break") as error:
        headers[name] = "v"
    assert repr(name) in str(error.value)
    assert len(headers) == 2  # Content-Type and Content-Length only


@pytest.mark.parametrize("value", ["text/html\r\nSet-Cookie: admin=1", "a\nb", "a\rb"])
@pytest.mark.parametrize("argument", ["mimetype", "content_type"])
@pytest.mark.parametrize("headers", [None, {"X-A": "1"}])
def test_a_content_type_with_a_line_break_is_refused(
    value: str, argument: str, headers: t.Any
) -> None:
    # (the Content-Type of a response without headers is sent as it is given)
    for _ in range(2):  # (refused again: not remembered as a good one)
        with pytest.raises(ValueError, match="line break") as error:
            Response("x", headers=headers, **{argument: value})
        assert "Content-Type" in str(error.value)


def test_a_content_type_from_input_with_a_line_break_is_a_500(
    app: Flask, client: KolbaClient
) -> None:
    from kolba import request

    @app.route("/<argument>")
    def typed(argument: str) -> Response:
        return Response("x", **{argument: request.args["type"]})

    app.testing = False
    for argument in ["mimetype", "content_type"]:
        response = client.get(
            f"/{argument}", query_string={"type": "text/html\r\nSet-Cookie: a=1"}
        )
        assert response.status_code == 500
        assert "Set-Cookie" not in response.headers
        assert response.content_type == "text/html; charset=utf-8"


def test_mimetypes_made_from_input_do_not_grow_memory_without_end() -> None:
    from kolba import wrappers

    for i in range(3000):
        assert Response("x", mimetype=f"text/x-{i}").mimetype == f"text/x-{i}"
    assert len(wrappers._CONTENT_TYPES) <= 1000


def test_header_names_made_from_input_do_not_grow_memory_without_end() -> None:
    # kolba keeps the lowered form of the names set before, up to a bound
    from kolba import wrappers

    headers = Response("x").headers
    for i in range(3000):
        headers[f"X-Echo-{i}"] = "v"
    assert len(wrappers._KNOWN_NAMES) <= 1000
    assert headers["x-echo-2999"] == "v" and len(headers) == 3002


@pytest.mark.parametrize("given", [None, {"X-Given": "1"}, [("X-Given", "1")]])
def test_a_name_set_before_takes_the_same_checks_and_set(given: t.Any) -> None:
    # kolba appends a name it has seen before without werkzeug's set(): the
    # same value checks and the same result, on lazy and on given headers
    for name in ("X-Seen", "X-Other"):
        Response("x").headers[name] = "learned"
    ours = Response("x", headers=given).headers
    theirs = Headers(ours.to_wsgi_list())
    for bad in ("a\rb", "a\nb", "a\r\nSet-Cookie: x=y"):
        with pytest.raises(ValueError, match="newline"):
            ours["X-Seen"] = bad
    assert "X-Seen" not in ours
    for headers in (ours, theirs):
        headers["X-Seen"] = "1"
        headers["x-seen"] = "2"  # the same name: replaced
        headers["X-Other"] = 3  # not a str: converted
        headers["X-Other"] = "4"
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


def test_a_str_subclass_name_is_set_as_werkzeug_sets_it() -> None:
    class Name(str):
        pass

    Response("x").headers["X-Sub"] = "learned"  # its str equal is known
    ours = Response("x").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers[Name("X-Sub")] = "1"
        headers[Name("x-sub")] = "2"
        headers[Name("X-Unseen-Sub")] = "3"
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


def test_a_str_subclass_value_is_kept_and_checked_by_its_characters() -> None:
    class Value(str):
        def isprintable(self) -> bool:  # a lie: the characters are checked
            return True

    Response("x").headers["X-Sub-Value"] = "learned"  # a name seen before
    ours = Response("x").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers["X-Sub-Value"] = Value("1")
        headers["X-Sub-Value"] = Value("2")  # replaced
        headers["X-Sub-Tab"] = Value("a\tb")
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()
    assert type(ours["X-Sub-Value"]) is Value  # kept as werkzeug keeps it
    for bad in ("a\nb", "a\rb"):
        for name in ("X-Sub-Value", "X-Sub-New"):
            with pytest.raises(ValueError, match="newline"):
                ours[name] = Value(bad)
    assert "X-Sub-New" not in ours and ours["X-Sub-Value"] == "2"


@pytest.mark.parametrize("value", [3, 2.5, b"raw", None])
def test_a_header_value_that_is_not_a_str_is_converted_as_werkzeug_does(
    value: t.Any,
) -> None:
    Response("x").headers["X-Converted"] = "learned"  # a name seen before
    ours = Response("x").headers
    theirs = Headers(ours.to_wsgi_list())
    for headers in (ours, theirs):
        headers["X-Converted"] = value
        headers["X-Converted-New"] = value
    assert ours.to_wsgi_list() == theirs.to_wsgi_list()


def test_responses_of_one_length_keep_their_own_length_header() -> None:
    # kolba makes the Content-Length header of a length once; a response
    # that changes its own leaves the others of that length as they are
    first, second, third = Response("same"), Response("same"), Response("same")
    assert first.headers["Content-Length"] == "4"
    second.headers["Content-Length"] = "99"
    second.headers.add("X-A", "1")
    del first.headers["Content-Length"]
    third.headers["X-B"] = "2"
    third.set_data("longer")
    assert "Content-Length" not in first.headers
    assert second.headers["Content-Length"] == "99"
    assert send(third)[1]["Content-Length"] == "6"
    status, headers, body = send(Response("same"))
    assert (headers["Content-Length"], body) == ("4", b"same")
    status, headers, body = send(Response("same", headers={"X-C": "3"}))
    assert (headers["Content-Length"], headers["X-C"]) == ("4", "3")


def test_lengths_sent_do_not_grow_memory_without_end() -> None:
    from kolba import wrappers

    for size in range(3000):
        response = Response("x" * size)
        assert send(response)[1]["Content-Length"] == str(size)
        assert response.headers["Content-Length"] == str(size)
    assert len(wrappers._LENGTHS) <= 1000


def _wsgi_answer(response: t.Any, method: str = "GET") -> tuple[t.Any, ...]:
    """Status, headers and body of a response sent over WSGI, its body closed."""
    seen: list[t.Any] = []
    environ = EnvironBuilder(method=method).get_environ()
    body = response(environ, lambda status, headers: seen.extend((status, headers)))
    try:
        chunks = list(body)
    finally:
        body.close()
    return (*seen, chunks)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(
    "make",
    [
        lambda body: Response(body),
        lambda body: Response(body, mimetype="text/csv", headers={"X-A": "1"}),
        lambda body: Response(body, 201, {"Location": "/made"}),
    ],
)
def test_a_generators_chunks_go_out_as_werkzeug_sends_them(
    make: t.Callable[[t.Any], Response], method: str
) -> None:
    # (kolba sends a generator's chunks through one generator of its own)
    def chunks() -> t.Iterator[t.Any]:
        yield "tëxt,"
        yield b"bytes,"
        yield Markup("<m>,")
        yield bytearray(b"array")

    expected = _wsgi_answer_general(make(chunks()), method)
    assert _wsgi_answer(make(chunks()), method) == expected


def _wsgi_answer_general(response: Response, method: str) -> tuple[t.Any, ...]:
    return _wsgi_answer(
        lambda environ, start: WerkzeugResponse.__call__(response, environ, start),
        method,
    )


def test_a_streamed_generator_closed_early_or_failing_ends() -> None:
    # The server closes the body after one chunk (the client left): the
    # view's generator is closed; one that raises ends the body with it.
    ended: list[str] = []

    def chunks(fail: bool) -> t.Iterator[str]:
        try:
            yield "a"
            if fail:
                raise ValueError("in the stream")
            yield "b"
        finally:
            ended.append("fail" if fail else "closed")

    body = Response(chunks(False))(EnvironBuilder().get_environ(), lambda *a: None)
    assert next(iter(body)) == b"a"
    body.close()  # type: ignore[attr-defined]
    body = Response(chunks(True))(EnvironBuilder().get_environ(), lambda *a: None)
    with pytest.raises(ValueError, match="in the stream"):
        list(body)
    assert ended == ["closed", "fail"]
