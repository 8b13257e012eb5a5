"""Robustness: a hostile client never gets a 500, a hang, a leak or lost data.

Requests are raw WSGI calls (``run_wsgi`` fails a request that hangs) to an
app in production mode, where an unhandled exception would be a 500. Bad input
is a clear 4xx: 400 malformed, 404 no such URL, 405 wrong method, 413 too
large, 415 not JSON, 416 bad range. An error in a streamed body after the
headers went out is the one exception the server sees: by design, so that it
drops the connection instead of passing a cut body off as complete.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import typing as t
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from werkzeug.test import EnvironBuilder

from kolba import (
    Flask,
    g,
    has_request_context,
    request,
    send_file,
    session,
    stream_with_context,
)
from kolba.routing import BaseConverter

RunWSGI = t.Callable[..., tuple[int, list[tuple[str, str]], bytes]]


class _GoneClient(io.RawIOBase):
    """A ``wsgi.input`` whose client disconnected: every read fails."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        raise OSError("connection reset by peer")


class _BrokenChunks(io.RawIOBase):
    """A ``wsgi.input`` whose server cannot parse the chunked body: gunicorn
    raises its own error (InvalidChunkSize), no OSError."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        from gunicorn.http.errors import InvalidChunkSize

        raise InvalidChunkSize("zz")


def raw(
    path: str = "/",
    method: str = "GET",
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | t.IO[bytes] = b"",
    content_length: str | None = None,
    terminated: bool = False,
) -> dict[str, t.Any]:
    """An environ as a server passes it on, with no cleaning: ``path`` and
    ``query`` are latin-1 strings of the bytes on the wire, header values
    arrive unchecked."""
    environ = EnvironBuilder().get_environ()
    environ.update(REQUEST_METHOD=method, PATH_INFO=path, QUERY_STRING=query)
    environ["wsgi.input"] = io.BytesIO(body) if isinstance(body, bytes) else body
    if isinstance(body, bytes) and body:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    if terminated:
        environ["wsgi.input_terminated"] = True
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key.startswith("CONTENT_") else f"HTTP_{key}"] = value
    return environ


def _headers() -> dict[str, t.Any]:
    return {
        "host": request.host,
        "url": request.url,
        "accept": request.accept_mimetypes.best_match(["text/html"]),
        "auth": request.authorization is not None,
        "range": str(request.range),
        "since": str(request.if_modified_since),
        "route": request.access_route,
    }


#: (rule, methods, view) of the app every hostile request goes to.
ROUTES: list[tuple[str, list[str], t.Callable[..., t.Any]]] = [
    ("/", ["GET"], lambda: "home"),
    ("/user/<int:id>", ["GET"], lambda id: f"user {id}"),
    ("/price/<float:x>", ["GET"], lambda x: f"price {x}"),
    ("/item/<uuid:key>", ["GET"], lambda key: str(key)),
    ("/files/<path:name>", ["GET"], lambda name: name),
    ("/dir/", ["GET"], lambda: "dir"),
    ("/dav", ["GET", "PROPFIND"], lambda: request.method),
    ("/json", ["POST"], lambda: {"got": request.get_json()}),
    ("/form", ["POST"], lambda: {"form": request.form.to_dict(), "files": 0}),
    ("/field", ["POST"], lambda: request.form["a"]),
    ("/data", ["POST"], lambda: str(len(request.get_data()))),
    ("/args", ["GET"], lambda: request.args.to_dict()),
    ("/session", ["GET"], lambda: dict(session)),
    ("/headers", ["GET"], _headers),
]


@pytest.fixture
def site(tmp_path: Path) -> Flask:
    """An app in production mode with a route of every kind."""
    (tmp_path / "hello.txt").write_text("hello, static file\n")
    app = Flask("robust", static_folder=str(tmp_path), static_url_path="/static")
    app.config.update(SECRET_KEY="robust-secret-key-tests", MAX_CONTENT_LENGTH=100_000)
    for rule, methods, view in ROUTES:
        app.add_url_rule(rule, rule, view, methods=methods)
    return app


# --- findings: each of these failed before its fix -------------------------------


def test_raw_non_utf8_query_bytes_stay_percent_encoded(
    site: Flask, run_wsgi: RunWSGI
) -> None:
    """Raw bytes in the query (latin-1 in the environ) are read like escaped
    ones: valid UTF-8 decodes, the rest stays percent-encoded (was a 500)."""
    site.add_url_rule("/full", "full", lambda: request.full_path)
    status, _, body = run_wsgi(site, raw("/args", query="a=\xff&b=\xc3\xa9&c=%ff"))
    assert status == 200
    assert json.loads(body) == {"a": "%FF", "b": "é", "c": "%FF"}
    status, _, body = run_wsgi(site, raw("/full", query="a=\xff&b=\xc3\xa9"))
    assert (status, body.decode()) == (200, "/full?a=%FF&b=é")


def test_int_with_more_digits_than_python_converts_is_a_404(
    site: Flask, run_wsgi: RunWSGI
) -> None:
    """int() refuses over 4300 digits; that is no match, not a ValueError
    escaping the app."""
    status, _, _ = run_wsgi(site, raw("/user/" + "9" * 5000))
    assert status == 404


def test_converter_refusing_with_a_value_error_is_a_404(
    app: Flask, run_wsgi: RunWSGI
) -> None:
    class Even(BaseConverter):
        def to_python(self, value: str) -> int:
            number = int(value)  # "x" raises ValueError: a 404 too
            if number % 2:
                raise ValueError(f"{number} is odd")
            return number

    app.url_map.converters["even"] = Even
    app.add_url_rule("/n/<even:n>", "even", lambda n: f"even {n}")
    app.add_url_rule("/n/<name>", "name", lambda name: f"name {name}")
    assert run_wsgi(app, raw("/n/4"))[::2] == (200, b"even 4")
    # Flask answers 500 (werkzeug lets the ValueError through); the rule that
    # matched refused, and as with a ValidationError no other rule is tried.
    assert run_wsgi(app, raw("/n/3"))[0] == 404
    assert run_wsgi(app, raw("/n/x"))[0] == 404


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/data", ""),
        ("/json", "application/json"),
        ("/form", "application/x-www-form-urlencoded"),
        ("/form", "multipart/form-data; boundary=b"),
    ],
)
def test_client_gone_during_a_chunked_body_is_400(
    site: Flask, run_wsgi: RunWSGI, path: str, content_type: str
) -> None:
    """Without MAX_CONTENT_LENGTH a chunked body (``wsgi.input_terminated``)
    was read raw, so the server's OSError became a 500; a body the server
    cannot parse (a bad chunk size) was a 500 with a limit or without."""
    for body, limit in [
        (_GoneClient, None),
        (_BrokenChunks, None),
        (_BrokenChunks, 1000),
    ]:
        site.config["MAX_CONTENT_LENGTH"] = limit
        environ = raw(
            path,
            "POST",
            headers={"Content-Type": content_type},
            body=body(),
            terminated=True,
        )
        assert run_wsgi(site, environ)[0] == 400, (body, limit)


def test_client_gone_right_at_max_content_length_is_400(
    site: Flask, run_wsgi: RunWSGI
) -> None:
    site.config["MAX_CONTENT_LENGTH"] = 3
    body = io.BufferedReader(_ThenGone(b"abc"))
    environ = raw("/data", "POST", body=body, terminated=True)
    status, _, _ = run_wsgi(site, environ)
    assert status == 400


class _ThenGone(io.RawIOBase):
    """Sends ``data``, then the client disconnects."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if not self.data:
            raise OSError("connection reset by peer")
        size = min(len(buffer), len(self.data))
        buffer[:size], self.data = self.data[:size], self.data[size:]
        return size


def _refusing_start_response(
    status: str, headers: t.Any, exc_info: t.Any = None
) -> t.Any:
    raise OSError("the client went away before the headers")


def test_start_response_that_raises_leaves_no_request_behind(site: Flask) -> None:
    """A streamed view's context must not outlive the request, even while the
    server holds the error: the next request on the thread saw the old ``g``."""
    torn_down: list[BaseException | None] = []
    site.teardown_request(torn_down.append)

    @site.get("/stream")
    def stream() -> t.Any:
        g.user = request.args["user"]
        return stream_with_context(iter(["secret of ", g.user]))

    site.add_url_rule("/who", "who", lambda: repr(g.get("user")))
    with pytest.raises(OSError) as held:
        site(raw("/stream", query="user=alice"), _refusing_start_response)
    assert held.value is not None
    assert not has_request_context()
    assert torn_down == [None]
    body = b"".join(site(raw("/who"), lambda status, headers: None))
    assert body == b"None"


def test_start_response_that_raises_closes_the_body(site: Flask) -> None:
    """A file being sent is closed at once, not when garbage is collected."""
    data = io.BytesIO(b"file contents")
    site.add_url_rule("/file", "file", lambda: send_file(data, mimetype="text/plain"))
    with pytest.raises(OSError) as held:
        site(raw("/file"), _refusing_start_response)
    assert held.value is not None
    assert data.closed


def test_head_of_a_streamed_view_is_no_error_for_teardown(
    site: Flask, run_wsgi: RunWSGI
) -> None:
    """HEAD closes the unread body; teardown saw that as GeneratorExit."""
    torn_down: list[BaseException | None] = []
    site.teardown_request(torn_down.append)
    site.add_url_rule("/stream", "stream", lambda: stream_with_context(iter("ab")))
    assert run_wsgi(site, raw("/stream", "HEAD"))[::2] == (200, b"")
    assert torn_down == [None]


# --- hostile requests: what each one gets ------------------------------------------


def _signed_session(payload: bytes) -> str:
    """A session cookie with a valid signature around an arbitrary payload."""
    signer = URLSafeTimedSerializer(
        "robust-secret",
        salt="cookie-session",
        serializer=_RawPayload,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return "session=" + signer.dumps(payload).decode()


class _RawPayload:
    @staticmethod
    def dumps(value: t.Any) -> bytes:
        return value if isinstance(value, bytes) else b"{}"

    @staticmethod
    def loads(value: bytes) -> t.Any:
        return value


def _multipart(*parts: bytes, boundary: bytes = b"b") -> bytes:
    out = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return out + b"--" + boundary + b"--\r\n"


_FIELD = b'Content-Disposition: form-data; name="a"\r\n\r\nx'
_MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}
_JSON = {"Content-Type": "application/json"}
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}

HOSTILE: dict[str, tuple[dict[str, t.Any], int]] = {
    # paths: PATH_INFO is the latin-1 reading of the bytes on the wire
    "invalid UTF-8 path": (raw("/files/\xff\xfe"), 200),
    "NUL in a path": (raw("/files/a\x00b"), 200),
    "100,000-character path": (raw("/files/" + "a" * 100_000), 200),
    "20,000 segments": (raw("/" + "a/" * 20_000), 404),
    "only slashes": (raw("/////"), 200),
    "empty path": (raw(""), 308),  # to "/", as Flask
    "dot-dot above the root": (raw("/.."), 404),
    "non-ASCII segment": (raw("/files/" + "é".encode().decode("latin-1")), 200),
    "missing slash before a redirect": (raw("/dir", query="q=\xff"), 308),
    # methods
    "lower-case method": (raw("/", "get"), 200),
    "unknown method on a GET route": (raw("/", "PROPFIND"), 405),
    "unknown method the route allows": (raw("/dav", "PROPFIND"), 200),
    "empty method": (raw("/", ""), 405),
    "HEAD of a POST-only route": (raw("/json", "HEAD"), 405),
    "OPTIONS of a POST-only route": (raw("/json", "OPTIONS"), 200),
    "OPTIONS *": (raw("*", "OPTIONS"), 404),
    "OPTIONS of a static file": (raw("/static/hello.txt", "OPTIONS"), 200),
    # headers
    "Host with a bad port": (raw("/headers", headers={"Host": "example:port"}), 200),
    "Host with spaces and NUL": (raw("/headers", headers={"Host": "a b\x00"}), 200),
    "IPv6 Host": (raw("/headers", headers={"Host": "[::1]:8080"}), 200),
    "unclosed IPv6 Host": (raw("/headers", headers={"Host": "[::1"}), 200),
    "empty Host": (raw("/headers", headers={"Host": ""}), 200),
    # werkzeug reads it as no host, as Flask does (Docker Compose names)
    "Host with an underscore": (raw("/headers", headers={"Host": "my_svc:8000"}), 200),
    "garbage in parsed headers": (
        raw(
            "/headers",
            headers={
                "Accept": "\x00;q=nan,,,",
                "Authorization": "Basic !!!",
                "Range": "bytes=9-1",
                "If-Modified-Since": "Sat, 01 Jan 99999 00:00:00 GMT",
                "X-Forwarded-For": ",,\x00",
            },
        ),
        200,
    ),
    # Content-Length
    "negative Content-Length": (raw("/data", "POST", content_length="-5"), 200),
    "garbage Content-Length": (raw("/data", "POST", content_length="abc"), 200),
    "40-digit Content-Length": (raw("/data", "POST", content_length="9" * 40), 413),
    "Content-Length past the body": (
        raw("/data", "POST", body=io.BytesIO(b"abc"), content_length="100"),
        400,
    ),
    "endless chunked body": (
        raw("/data", "POST", body=io.BytesIO(b"a" * 200_000), terminated=True),
        413,
    ),
    # query strings
    "invalid percent-escapes": (raw("/args", query="a=%zz%&%%%=%"), 200),
    "20,000 parameters": (raw("/args", query="&".join(["k=v"] * 20_000)), 200),
    # JSON bodies
    "invalid JSON": (raw("/json", "POST", headers=_JSON, body=b"{nope"), 400),
    "JSON nested 40,000 deep": (
        raw("/json", "POST", headers=_JSON, body=b"[" * 40_000 + b"]" * 40_000),
        400,
    ),
    "a 5,000-digit JSON number": (
        raw("/json", "POST", headers=_JSON, body=b"9" * 5000),
        400,
    ),
    "JSON that is not UTF-8": (
        raw("/json", "POST", headers=_JSON, body=b'"\xff"'),
        400,
    ),
    "JSON with a BOM": (
        raw("/json", "POST", headers=_JSON, body=b"\xef\xbb\xbf{}"),
        200,
    ),
    "empty JSON body": (raw("/json", "POST", headers=_JSON), 400),
    "JSON sent as text/plain": (
        raw("/json", "POST", headers={"Content-Type": "text/plain"}, body=b"{}"),
        415,
    ),
    # forms and multipart
    "form that is not UTF-8": (
        raw("/form", "POST", headers=_FORM, body=b"a=%ff&\xff=\xfe"),
        200,
    ),
    "garbage Content-Type on a form": (
        raw("/form", "POST", headers={"Content-Type": ";;=\x00"}, body=b"a=1"),
        200,
    ),
    "missing form field": (raw("/field", "POST", headers=_FORM, body=b"b=1"), 400),
    "multipart without a boundary": (
        raw(
            "/form",
            "POST",
            headers={"Content-Type": "multipart/form-data"},
            body=b"xx",
        ),
        200,
    ),
    "multipart boundary mismatch": (
        raw(
            "/form", "POST", headers=_MULTIPART, body=_multipart(_FIELD, boundary=b"z")
        ),
        200,
    ),
    "truncated multipart": (
        raw("/form", "POST", headers=_MULTIPART, body=_multipart(_FIELD)[:-8]),
        200,
    ),
    "multipart part with a 500 kB header": (
        raw(
            "/form",
            "POST",
            headers=_MULTIPART,
            body=_multipart(b"X-Big: " + b"h" * 500_000 + b"\r\n" + _FIELD),
        ),
        413,
    ),
    "10,000 multipart parts": (
        raw("/form", "POST", headers=_MULTIPART, body=_multipart(*[_FIELD] * 10_000)),
        413,
    ),
    # url converters
    "int in Arabic-Indic digits": (
        raw("/user/" + "١٢".encode().decode("latin-1")),
        200,
    ),
    "float past the largest double": (raw("/price/" + "9" * 400 + ".0"), 200),
    "float in exponent form": (raw("/price/1e400"), 404),
    "malformed uuid": (raw("/item/" + "ABCDEF01-" * 4 + "ABCD"), 404),
    "canonical upper-case uuid": (
        raw("/item/ABCDEF01-ABCD-ABCD-ABCD-ABCDEF012345"),
        200,
    ),
    # cookies and sessions
    "garbage Cookie header": (
        raw("/session", headers={"Cookie": '\x00;;==;a="b'}),
        200,
    ),
    "bad session signature": (
        raw("/session", headers={"Cookie": "session=eyJ4IjoxfQ.abc.def"}),
        200,
    ),
    "signed session that is not JSON": (
        raw("/session", headers={"Cookie": _signed_session(b"not json")}),
        200,
    ),
    "signed session that is a list": (
        raw("/session", headers={"Cookie": _signed_session(b"[1, 2]")}),
        200,
    ),
    "signed session with a bad tag": (
        raw("/session", headers={"Cookie": _signed_session(b'{"x": {" u": "no"}}')}),
        200,
    ),
    # static files
    "Range garbage": (raw("/static/hello.txt", headers={"Range": "bytes=zz"}), 416),
    "Range past the end": (
        raw("/static/hello.txt", headers={"Range": "bytes=1000-2000"}),
        416,
    ),
    "If-Modified-Since garbage": (
        raw("/static/hello.txt", headers={"If-Modified-Since": "garbage"}),
        200,
    ),
    "If-None-Match garbage": (
        raw("/static/hello.txt", headers={"If-None-Match": '"\x00,,W/,*'}),
        200,
    ),
    "If-Range garbage": (
        raw("/static/hello.txt", headers={"Range": "bytes=0-1", "If-Range": "\x00"}),
        200,
    ),
    "static path escaping the folder": (raw("/static/%2e%2e/secret"), 404),
    "static path with NUL": (raw("/static/hello.txt\x00"), 404),
    # the client goes away while the body is read
    "client gone, Content-Length": (
        raw("/data", "POST", body=_GoneClient(), content_length="10"),
        400,
    ),
    "client gone, chunked": (
        raw("/data", "POST", body=_GoneClient(), terminated=True),
        400,
    ),
}


@pytest.mark.parametrize(("environ", "status"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_request(
    site: Flask, run_wsgi: RunWSGI, environ: dict[str, t.Any], status: int
) -> None:
    assert run_wsgi(site, environ)[0] == status


def test_error_mid_stream_reaches_the_server(site: Flask) -> None:
    """After the first chunk the status is sent: the server must see the error
    to drop the connection, so the client cannot take a cut body as whole."""

    def chunks() -> t.Iterator[str]:
        yield "first"
        raise RuntimeError("the data source failed")

    site.add_url_rule("/stream", "stream", chunks)
    body = site(raw("/stream"), lambda status, headers: None)
    iterator = iter(body)
    assert next(iterator) == b"first"
    with pytest.raises(RuntimeError, match="data source failed"):
        next(iterator)
    body.close()
    assert not has_request_context()


# --- any request: never a 500, never an exception -----------------------------------

_LATIN1 = st.text(st.characters(max_codepoint=255), max_size=40)
_HEADER_NAMES = st.sampled_from(
    [
        "Host",
        "Cookie",
        "Content-Type",
        "Content-Length",
        "Accept",
        "Range",
        "If-Modified-Since",
        "If-None-Match",
        "Authorization",
        "X-Forwarded-For",
    ]
)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "PROPFIND"]) | _LATIN1,
    route=st.sampled_from(
        ["/", "/user/", "/price/", "/item/", "/files/", "/json", "/form", "/data"]
        + ["/args", "/session", "/headers", "/static/", "/dav"]
    ),
    path=_LATIN1,
    query=_LATIN1,
    headers=st.dictionaries(_HEADER_NAMES, _LATIN1, max_size=5),
    body=st.binary(max_size=100),
)
def test_no_request_is_a_server_error(
    site: Flask,
    run_wsgi: RunWSGI,
    method: str,
    route: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    environ = raw(route + path, method, query, headers, body)
    assert run_wsgi(site, environ)[0] < 500


def host_app() -> Flask:
    """An app in production mode whose views turn the request's Host into URLs."""
    from kolba import redirect, url_for

    app = Flask("hosts")

    @app.route("/slash/")
    def slash() -> str:
        return "slash"

    @app.route("/external")
    def external() -> t.Any:
        return redirect(url_for("slash", _external=True))

    @app.route("/prop/<name>")
    def prop(name: str) -> str:
        return str(getattr(request, name))

    return app


def raw_both(
    app: Flask,
    driver: str,
    path: str,
    headers: dict[str, str],
    method: str = "GET",
    body: bytes = b"",
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a request as a server hands it on, header
    values unchecked, over WSGI or ASGI (a test client would check or use
    them itself)."""
    if driver == "wsgi":
        statuses: list[str] = []
        sent_headers: list[tuple[str, str]] = []
        environ = raw(path, method=method, headers=headers, body=body)

        def start_response(status: str, response_headers: t.Any, *_: t.Any) -> None:
            statuses.append(status)
            sent_headers.extend(response_headers)

        data = b"".join(app(environ, start_response))
        return int(statuses[0][:3]), dict(sent_headers), data
    sent: list[dict[str, t.Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()
        ],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 5000),
    }

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": body}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[call-arg, arg-type]
    start = sent[0]
    data = b"".join(m.get("body", b"") for m in sent[1:])
    return (
        start["status"],
        {k.decode(): v.decode("latin-1") for k, v in start["headers"]},
        data,
    )


def host_request(app: Flask, driver: str, path: str, host: str) -> tuple[int, str]:
    """The status and Location of a GET with that raw Host header."""
    status, headers, _ = raw_both(app, driver, path, {"Host": host})
    location = {k.lower(): v for k, v in headers.items()}.get("location", "")
    return status, location


HOST_PATHS = [
    "/slash",
    "/external",
    "/prop/url",
    "/prop/base_url",
    "/prop/host_url",
    "/prop/url_root",
    "/prop/host",
]


@pytest.mark.parametrize(
    "host",
    [
        "a..b",
        "x." + "a" * 64,
        "xn--zz.com",
        "XN--ZZ.com",
        "xn--.com",
        ".a.com",
        "a..b:81",
    ],
)
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_host_that_is_no_host_name_is_a_400(driver: str, host: str) -> None:
    # No URL of it can be written (IDNA): werkzeug raised UnicodeError, out of
    # the app for a redirect's Location (encoded after error handling).
    app = host_app()
    for path in HOST_PATHS:
        assert host_request(app, driver, path, host) == (400, ""), path


@pytest.mark.parametrize("host", ["a..b", "xn--zz.com", ".a.com"])
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_the_400_of_a_host_that_is_no_host_name_reaches_no_500(
    driver: str, host: str
) -> None:
    # As Flask's router answers 400 first: a 404/405 handler reading a URL of
    # the request (a 500 before) is not called; hooks read the host as sent.
    app = host_app()
    seen: list[str] = []
    app.register_error_handler(404, lambda e: (f"missing {request.url}", 404))
    app.register_error_handler(405, lambda e: (f"not allowed {request.url}", 405))

    @app.after_request
    def note_host(response: t.Any) -> t.Any:
        seen.append(request.host)
        return response

    for path in ("/prop/url", "/nope", "/prop/host_url"):
        assert raw_both(app, driver, path, {"Host": host})[0] == 400, path
    assert raw_both(app, driver, "/slash/", {"Host": host}, "POST")[0] == 400
    assert seen == [host] * 4
    assert raw_both(app, driver, "/nope", {"Host": "example.com"})[::2] == (
        404,
        b"missing http://example.com/nope",
    )


@pytest.mark.parametrize("host", ["a..b", ".a.com", "x." + "a" * 64])
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_host_first_read_after_the_view_is_the_400(
    driver: str, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A view that never reads the host, an after_request that reads the URL:
    # the 400 (Flask's router answers it before the view; a 500 before), its
    # hooks given the URL as sent, as Flask's; nothing logged.
    app = Flask("late_host")
    app.get("/")(lambda: "hello")
    urls: list[str] = []

    @app.after_request
    def note_url(response: t.Any) -> t.Any:
        urls.append(request.url)
        return response

    assert raw_both(app, driver, "/", {"Host": host})[0] == 400
    assert urls == [f"http://{host}/"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "host",
    ["xn--bcher-kva.de", "my--app.test", "a.test.", "a" * 63 + ".test", "[::1]:81"],
)
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_unusual_host_names_make_urls(driver: str, host: str) -> None:
    app = host_app()
    location = f"http://{host}/slash/"
    assert host_request(app, driver, "/slash", host) == (308, location)
    assert host_request(app, driver, "/external", host) == (302, location)
    assert host_request(app, driver, "/prop/host", host) == (200, "")
    assert host_request(app, driver, "/prop/url_root", host) == (200, "")


@pytest.mark.parametrize("length", ["\xb2", "1" * 4301])
@pytest.mark.parametrize("driver", ["wsgi", "asgi"])
def test_a_content_length_of_digits_int_refuses_reads_no_form(
    driver: str, length: str
) -> None:
    # str.isdigit() takes "²" and any number of digits, int() does not: as
    # werkzeug reads such a length (none: 0), the form is empty (a 500 before).
    app = Flask("lengths")
    app.post("/form")(lambda: request.form.to_dict())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    headers["Content-Length"] = length
    assert raw_both(app, driver, "/form", headers, "POST", b"a=1")[::2] == (
        200,
        b"{}\n",
    )


def test_an_input_wrappers_own_error_reaches_its_error_handler(
    site: Flask, run_wsgi: RunWSGI
) -> None:
    """Only gunicorn's parse errors become a 400: a middleware's own error
    while the body is read is the app's, as in Flask."""

    class QuotaExceeded(Exception):
        pass

    class Quota(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: t.Any) -> int:
            raise QuotaExceeded()

    site.register_error_handler(QuotaExceeded, lambda e: ("over quota", 507))
    for limit in (None, 1000):
        site.config["MAX_CONTENT_LENGTH"] = limit
        environ = raw("/data", "POST", body=Quota(), terminated=True)
        assert run_wsgi(site, environ)[0] == 507
