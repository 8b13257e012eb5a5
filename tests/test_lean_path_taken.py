"""kolba's shortcuts are taken through a whole app, and answer as Flask does.

test_lean_path.py compares each shortcut with werkzeug's own result; these
tests serve real kolba and Flask apps over WSGI and check, by which code ran
(werkzeug's general code made to fail), that the shortcut was the one taken
while the answer stays Flask's byte for byte.
"""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
import time
import typing as t
import urllib.parse
from pathlib import Path

import flask
import pytest
import werkzeug.formparser
import werkzeug.sansio.request
import werkzeug.utils
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

import kolba
import kolba.globals
import kolba.wrappers

KEY = "a secret key for the lean path tests"
Answer = tuple[str, list[tuple[str, str]], bytes]


def serve(
    app: t.Any, path: str = "/", without: tuple[str, ...] = (), **kwargs: t.Any
) -> Answer:
    """Status, headers and body of one WSGI call of ``app`` (the environ's
    keys ``without`` left out)."""
    environ = EnvironBuilder(path, **kwargs).get_environ()
    for key in without:
        del environ[key]
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: t.Any, exc_info: t.Any = None) -> None:
        started.append((status, list(headers)))

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


def build(fw: t.Any) -> t.Any:
    """The same app on kolba or Flask: responses whose headers were built."""
    app = fw.Flask(__name__)
    app.secret_key = KEY
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # kolba's default (README)
    bp = fw.Blueprint("bp", __name__, url_prefix="/bp")

    @app.after_request
    def app_header(response: t.Any) -> t.Any:
        response.headers["X-App"] = "1"
        return response

    @bp.after_request
    def bp_header(response: t.Any) -> t.Any:
        response.headers["X-Blueprint"] = "2"
        response.headers.add("X-Twice", "a")
        response.headers.add("X-Twice", "b")
        return response

    @bp.route("/hooked")
    def hooked() -> str:
        return "hooked"

    @app.route("/cookie")
    def cookie() -> t.Any:
        response = fw.make_response("with a cookie")
        response.set_cookie("name", "value", httponly=True, expires=2_000_000_000)
        return response

    @app.route("/mimetype")
    def mimetype() -> t.Any:
        return fw.Response("plain", mimetype="text/plain")

    @app.route("/vary")
    def vary() -> t.Any:
        return "varies", 201, {"Vary": "Accept", "X-Extra": "é".encode().decode()}

    @app.route("/session")
    def count() -> str:
        fw.session["n"] = fw.session.get("n", 0) + 1
        return str(fw.session["n"])

    @app.route("/json")
    def json() -> t.Any:
        return {"a": 1, "b": [1, 2]}

    @app.route("/jsonify")
    def jsonified() -> t.Any:
        return fw.jsonify(a=1)

    app.register_blueprint(bp)
    return app


BUILT = [
    ("/bp/hooked", {}),
    ("/cookie", {}),
    ("/mimetype", {}),
    ("/vary", {}),
    ("/session", {"headers": {"Cookie": "session=eyJuIjo0MX0.ZWdXAA.bad"}}),
    ("/json", {}),
    ("/jsonify", {}),
    ("/cookie", {"method": "HEAD"}),
    ("/bp/hooked", {"method": "HEAD"}),
]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """One clock for both frameworks: session signatures hold a timestamp."""
    monkeypatch.setattr(time, "time", lambda: 1_764_300_000.25)


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(("path", "kwargs"), BUILT, ids=repr)
def test_responses_with_built_headers_skip_werkzeugs_send(
    path: str, kwargs: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = serve(build(flask), path, **kwargs)
    assert expected[0].startswith(("200", "201"))
    for name in ("get_wsgi_response", "get_wsgi_headers", "get_app_iter"):
        monkeypatch.setattr(WerkzeugResponse, name, _fail(name))
    assert serve(build(kolba), path, **kwargs) == expected


def streams(fw: t.Any) -> t.Any:
    """Generator bodies: as returned, in a Response with headers, with context."""
    app = fw.Flask(__name__)

    def rows() -> t.Iterator[str]:
        yield from ("a,", "b,", "c")

    app.add_url_rule("/rows", "rows", lambda: rows())
    app.add_url_rule(
        "/csv",
        "csv",
        lambda: fw.Response(rows(), 201, {"X-A": "1"}, mimetype="text/csv"),
    )

    @app.route("/context")
    def context() -> t.Any:
        def path() -> t.Iterator[str]:
            yield fw.request.path

        return fw.stream_with_context(path())

    return app


@pytest.mark.parametrize("path", ["/rows", "/csv", "/context"])
def test_a_generators_chunks_skip_werkzeugs_send(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a 1,000-chunk stream 233 -> 115 us in process, a 3-chunk one 19.6 -> 5.1)
    expected = serve(streams(flask), path)
    for name in ("get_wsgi_response", "get_app_iter", "iter_encoded"):
        monkeypatch.setattr(WerkzeugResponse, name, _fail(name))
    assert serve(streams(kolba), path) == expected


def test_a_dict_returned_keeps_its_headers_lazy() -> None:
    app = build(kolba)
    with app.test_request_context():
        response = app.make_response({"a": 1})
        assert response._headers is None
        assert response.mimetype == "application/json"
        assert app.make_response(kolba.jsonify([1]))._headers is None


# -- default error pages -------------------------------------------------------


def error_app(fw: t.Any) -> t.Any:
    app = fw.Flask(__name__)
    for code in (400, 403, 410, 418):
        app.add_url_rule(f"/{code}", str(code), lambda code=code: fw.abort(code))
    return app


ERRORS = ["/missing", "/400", "/403", "/410", "/418"]


def test_default_error_pages_are_built_once_per_class_and_are_flasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from werkzeug.exceptions import HTTPException

    from kolba import app as app_module

    expected = [serve(error_app(flask), path) for path in ERRORS]
    rendered: list[type[HTTPException]] = []
    get_body = HTTPException.get_body

    def counting(self: HTTPException, *args: t.Any, **kwargs: t.Any) -> str:
        rendered.append(type(self))
        return get_body(self, *args, **kwargs)

    monkeypatch.setattr(HTTPException, "get_body", counting)
    # (werkzeug's own as kolba kept it: another one patched on HTTPException
    # answers every time, as in Flask)
    monkeypatch.setattr(app_module, "_GET_BODY", counting)
    monkeypatch.setattr(app_module, "_ERROR_PAGES", {})
    app = error_app(kolba)
    for _ in range(3):
        assert [serve(app, path) for path in ERRORS] == expected
    assert len(rendered) == len(ERRORS) == len(set(rendered)), " ".join(
        c.__name__ for c in rendered
    )


# -- static files --------------------------------------------------------------


def test_a_static_file_sent_again_is_not_werkzeugs_send_and_is_flasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frozen: None
) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "f.css").write_bytes(b"p {}\n" * 2048)
    flask_app = flask.Flask(__name__, root_path=str(tmp_path))
    app = kolba.Flask(__name__, root_path=str(tmp_path))
    expected = serve(flask_app, "/static/f.css")
    assert serve(app, "/static/f.css") == expected  # werkzeug's, remembered
    for name in ("send_file", "send_from_directory"):
        monkeypatch.setattr(werkzeug.utils, name, _fail(name))
    monkeypatch.setattr(WerkzeugResponse, "get_wsgi_response", _fail("send"))
    for _ in range(2):
        assert serve(app, "/static/f.css") == expected


# -- parsing -------------------------------------------------------------------


def form_app(fw: t.Any, **config: t.Any) -> t.Any:
    app = fw.Flask(__name__)
    app.config.update(config)

    @app.post("/")
    def form() -> str:
        return repr(list(fw.request.form.items(multi=True)))

    return app


def post(body: bytes, length: int | None = None, **extra: t.Any) -> dict[str, t.Any]:
    environ = {
        "method": "POST",
        "input_stream": io.BytesIO(body),
        "content_type": "application/x-www-form-urlencoded",
        **extra,
    }
    if length is not None:
        environ["content_length"] = length
    return environ


def test_an_urlencoded_body_with_a_length_skips_werkzeugs_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str | None] = []
    parse = werkzeug.formparser.FormDataParser.parse

    def counting(self: t.Any, stream: t.Any, mimetype: str, *args: t.Any) -> t.Any:
        parsed.append(mimetype)
        return parse(self, stream, mimetype, *args)

    body = b"name=Alice+Smith&email=alice%40example.com&age=42&age=43"
    expected = serve(form_app(flask), **post(body, len(body)))
    assert b"Alice Smith" in expected[2]
    monkeypatch.setattr(werkzeug.formparser.FormDataParser, "parse", counting)
    monkeypatch.setattr(urllib.parse, "parse_qsl", _fail("parse_qsl"))
    assert serve(form_app(kolba), **post(body, len(body))) == expected
    assert parsed == []
    # without a Content-Length (a chunked body the server ended): werkzeug's
    chunked = post(body, environ_overrides={"wsgi.input_terminated": True})
    monkeypatch.undo()
    monkeypatch.setattr(werkzeug.formparser.FormDataParser, "parse", counting)
    answer = serve(form_app(kolba), without=("CONTENT_LENGTH",), **chunked)
    assert answer[2] == expected[2]
    assert parsed == ["application/x-www-form-urlencoded"]


@pytest.mark.parametrize(
    ("config", "body", "length"),
    [
        # (past MAX_FORM_MEMORY_SIZE kolba answers 413 where Flask parses the
        # body: a difference the README lists; test_lean_path.py tests it)
        ({"MAX_FORM_MEMORY_SIZE": 10}, b"a=" + b"x" * 8, None),
        ({"MAX_CONTENT_LENGTH": 10}, b"a=" + b"x" * 20, None),
        ({"MAX_CONTENT_LENGTH": 10, "MAX_FORM_MEMORY_SIZE": None}, b"a=1", None),
        ({}, b"a=1&b=2", 100),  # shorter than its Content-Length
        ({}, b"a=\xff\xfe&b=2", None),  # not UTF-8
        ({}, b"a=%ff&b=%C3%BC+x", None),
    ],
    ids=repr,
)
def test_form_limits_and_errors_answer_as_flask(
    config: dict[str, t.Any], body: bytes, length: int | None
) -> None:
    length = len(body) if length is None else length
    answers = [
        serve(form_app(fw, **config), **post(body, length)) for fw in (flask, kolba)
    ]
    assert answers[0] == answers[1]


@pytest.mark.parametrize("query", ["a=1&b=2&a=3&c=&d", "x=y=z&&=v", ""])
def test_a_query_without_escapes_is_split_directly(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = list(
        MultiDict(urllib.parse.parse_qsl(query, keep_blank_values=True)).items(
            multi=True
        )
    )
    for module, name in [
        (urllib.parse, "parse_qsl"),
        (urllib.parse, "unquote"),
        (kolba.wrappers, "_unquote"),
    ]:
        monkeypatch.setattr(module, name, _fail(name))
    args = kolba.Request({"QUERY_STRING": query}).args
    assert list(args.items(multi=True)) == expected
    with pytest.raises(AssertionError, match="_unquote ran"):
        kolba.Request({"QUERY_STRING": query + "&e=%41"}).args  # noqa: B018


# -- the context proxies -------------------------------------------------------


def test_a_proxy_read_is_one_context_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    app = kolba.Flask(__name__)
    app.secret_key = KEY
    lookups: list[None] = []
    get = kolba.globals._get_ctx

    def counting() -> t.Any:
        lookups.append(None)
        return get()

    def count(read: t.Callable[[], object]) -> int:
        lookups.clear()
        read()
        return len(lookups)

    with app.test_request_context("/path?q=1"):
        kolba.g.x = 1  # the namespace made
        monkeypatch.setattr(kolba.globals, "_get_ctx", counting)
        assert count(lambda: kolba.request.path) == 1
        assert count(lambda: kolba.request.args) == 1
        assert count(lambda: kolba.g.x) == 1
        assert count(lambda: setattr(kolba.g, "y", 2)) == 1
        assert count(lambda: kolba.current_app.name) == 1
        assert count(lambda: kolba.session.get) == 1
        assert kolba.g.y == 2 and kolba.request.path == "/path"


# -- sessions ------------------------------------------------------------------


def session_app(fw: t.Any, value: t.Any) -> t.Any:
    app = fw.Flask(__name__)
    app.secret_key = KEY
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # kolba's default (README)

    @app.route("/set")
    def set_() -> str:
        fw.session.update(value)
        return "set"

    @app.route("/bump")
    def bump() -> str:
        fw.session["n"] = fw.session.get("n", 0) + 1
        return str(fw.session["n"])

    return app


def _values() -> list[dict[str, t.Any]]:
    from datetime import datetime, timezone
    from uuid import UUID

    from markupsafe import Markup

    return [
        {"user": "alice", "count": 1},
        {"z": 1, "a": 2, "m": {"y": 1, "b": 2}},  # the order of the keys
        {"ü": "ünïcode", "t": (1, b"\x00\xff"), "h": Markup("<b>")},
        {"u": UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")},
        {"d": datetime(2024, 2, 29, 13, 37, 5, tzinfo=timezone.utc)},
        {" t": "a key that looks like a tag", "l": [None, 1.5, True]},
        {"big": "x" * 2000},  # compressed, with a leading "."
    ]


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("index", range(len(_values())))
def test_the_session_cookie_is_flasks_byte_for_byte(index: int) -> None:
    value = _values()[index]
    cookies = []
    for fw in (flask, kolba):
        app = session_app(fw, value)
        status, headers, _ = serve(app, "/set")
        (cookie,) = [v for k, v in headers if k == "Set-Cookie"]
        # read back and re-signed, as the bench's session row does
        again, headers, body = serve(
            app, "/bump", headers={"Cookie": cookie.split(";")[0]}
        )
        cookies.append((status, cookie, again, headers, body))
    assert cookies[0] == cookies[1]
    assert cookies[1][4] == b"1"


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("cookie", [None, "", "other=1"], ids=repr)
def test_a_session_read_without_its_cookie_parses_no_cookies(
    cookie: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs: dict[str, t.Any] = {} if cookie is None else {"headers": {"Cookie": cookie}}
    expected = serve(session_app(flask, {}), "/bump", **kwargs)
    assert expected[0] == "200 OK" and expected[2] == b"1"
    monkeypatch.setattr(werkzeug.sansio.request, "parse_cookie", _fail("parse_cookie"))
    assert serve(session_app(kolba, {}), "/bump", **kwargs) == expected


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "value",
    [{}, {"n": 1}, {"u": 42}, {"a": ""}, {"ab": 1}, {"x": "aaaaaaaa"}],
    ids=repr,
)
def test_a_tiny_session_cookie_is_flasks_without_compressing(
    value: dict[str, t.Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = serve(session_app(flask, value), "/set")
    import zlib

    compress = zlib.compress
    calls: list[int] = []

    def counting(data: bytes, *args: t.Any) -> bytes:
        calls.append(len(data))
        return compress(data, *args)

    monkeypatch.setattr(zlib, "compress", counting)
    assert serve(session_app(kolba, value), "/set") == expected
    assert all(n > 10 for n in calls), calls


def test_zlib_never_shrinks_ten_bytes_or_fewer_by_two() -> None:
    # why the tiny payloads above skip zlib: a zlib stream of n > 0 bytes has
    # a 2-byte header, a 4-byte checksum and >= 3 bytes of deflate (a literal
    # and the end of the block), and the payload is kept compressed only when
    # it is shorter than n - 1
    import random
    import zlib

    rng = random.Random(5)
    samples = [bytes([b]) * n for b in (0, 97, 255) for n in range(11)]
    samples += [rng.randbytes(n) for n in range(11) for _ in range(200)]
    samples += [
        bytes(rng.choice(b'{}":,ab1 ') for _ in range(n))
        for n in range(11)
        for _ in range(500)
    ]
    assert all(len(zlib.compress(d)) >= len(d) - 1 for d in samples)


# -- imports -------------------------------------------------------------------


def test_import_kolba_and_serving_a_request_load_nothing_heavy() -> None:
    code = """
import sys
import kolba
from werkzeug.datastructures import MultiDict
from werkzeug.test import EnvironBuilder
app = kolba.Flask("lazy")
app.secret_key = "k"
app.get("/")(lambda: {"n": kolba.session.get("n", 0)})
started = []
body = app(EnvironBuilder("/").get_environ(), lambda s, h: started.append(s))
assert b"".join(body) == b'{"n":0}\\n' and started == ["200 OK"], started
heavy = ["jinja2", "click", "asyncio", "kolba.cli", "kolba.testing",
         "kolba.templating", "kolba.asgi", "kolba.session_stores",
         "werkzeug.debug", "flask"]
print(" ".join(sorted(m for m in heavy if m in sys.modules)) or "none")
"""
    src = os.path.dirname(os.path.dirname(kolba.__file__))
    env = dict(os.environ, PYTHONPATH=src)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "none\n"


# -- routing -------------------------------------------------------------------


def routed_app(extra: int) -> kolba.Flask:
    app = kolba.Flask(__name__)
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    app.add_url_rule("/user/<int:id>", "user", lambda id: f"User {id}")

    def other(x: int | None = None) -> str:
        return "other"

    for i in range(extra):
        if i % 2:
            app.add_url_rule(f"/static{i}", f"static{i}", other)
        else:
            app.add_url_rule(f"/r{i}/<int:x>", f"r{i}", other)
    return app


def calls_of_a_request(app: kolba.Flask, path: str) -> list[str]:
    """The Python and C functions one request calls, in order (no timing)."""
    environ = EnvironBuilder(path).get_environ()
    serve(app, path)  # the first request builds what later ones reuse
    calls: list[str] = []

    def profile(frame: t.Any, event: str, arg: t.Any) -> None:
        if event == "call":
            code = frame.f_code
            # (co_qualname: Python 3.11+)
            calls.append(getattr(code, "co_qualname", code.co_name))
        elif event == "c_call":
            calls.append(getattr(arg, "__qualname__", repr(arg)))

    gc.collect()  # (a collection's callbacks, hypothesis's, are no call of ours)
    gc.disable()
    sys.setprofile(profile)
    try:
        body = app(environ, lambda status, headers: None)
    finally:
        sys.setprofile(None)
        gc.enable()
    b"".join(body)
    return calls


@pytest.mark.parametrize("path", ["/", "/user/42", "/r4/7", "/static5", "/nowhere"])
def test_a_match_among_10000_routes_makes_the_same_calls_as_among_10(
    path: str,
) -> None:
    few, many = routed_app(10), routed_app(10_000)
    assert serve(few, path)[2] == serve(many, path)[2]
    assert calls_of_a_request(many, path) == calls_of_a_request(few, path)
