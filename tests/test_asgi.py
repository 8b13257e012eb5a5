"""The ASGI driver in process: async bodies, streaming, WebSockets, lifespan,
background tasks. (Behaviour shared with WSGI runs through both drivers by
the ``driver`` fixture; real servers are in test_servers.py.)"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from test_sessions import SeeingCookieInterface, SeeingInterface
from werkzeug.routing import BaseConverter
from werkzeug.test import EnvironBuilder, encode_multipart

import kolba.asgi
from kolba import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    g,
    request,
    session,
    url_for,
    websocket,
)
from kolba.ctx import RequestContext
from kolba.globals import request_ctx
from kolba.signals import appcontext_pushed
from kolba.testing import ASGIClient, KolbaClient, WebSocketClosed, WebSocketRefused


@pytest.fixture
def asgi(app: Flask) -> KolbaClient:
    return ASGIClient(app, app.response_class)


def run_asgi(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> list:
    """Serve one connection: ``messages`` are what the server receives."""
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        inbox = list(messages)

        async def receive() -> dict[str, Any]:
            if inbox:
                return inbox.pop(0)
            await asyncio.sleep(3600)
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(scope, receive, send), 5)

    asyncio.run(main())
    return sent


def http_scope(path: str = "/", method: str = "GET", headers: Any = ()) -> dict:
    headers = list(headers)
    if method != "GET" and not any(name == b"content-length" for name, _ in headers):
        # (an HTTP/1.1 body without a Content-Length comes chunked)
        headers.append((b"transfer-encoding", b"chunked"))
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("testserver", 80),
    }


def test_three_arguments_are_asgi_two_are_wsgi(app: Flask) -> None:
    @app.route("/")
    def index() -> str:
        return f"{request.environ['wsgi.url_scheme']} {request.host}"

    sent = run_asgi(app, http_scope(headers=[(b"host", b"h.test")]), [])
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"http h.test"
    assert app.test_client().get("/").text == "http localhost"


def test_servers_that_detect_the_interface_see_asgi(app: Flask) -> None:
    """hypercorn and uvicorn ask whether ``app.__call__`` is a coroutine
    function (hypercorn through inspect, which Python < 3.12 cannot be told
    so by a marker); it still serves WSGI when called with two arguments."""
    from hypercorn.utils import is_asgi
    from uvicorn.config import Config

    assert is_asgi(app)
    config = Config(app)
    config.load()
    assert config.interface == "asgi3"
    app.add_url_rule("/", "index", lambda: "hi")
    statuses: list[str] = []
    body = app.__call__(  # as a WSGI middleware may call it
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "h"},
        lambda status, headers, exc_info=None: statuses.append(status),
    )
    assert (statuses, list(body)) == (["200 OK"], [b"hi"])


def test_asgi_app_can_be_wrapped_by_middleware(app: Flask) -> None:
    seen: list[str] = []
    inner = app.asgi_app

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await inner(scope, receive, send)

    app.add_url_rule("/x", "x", lambda: "x")
    client = ASGIClient(app, app.response_class)
    assert client.get("/x").text == "x"  # serving: set afterwards, still called
    app.asgi_app = middleware  # type: ignore[method-assign]
    assert client.get("/x").text == "x"
    assert seen == ["/x"]


def test_async_view_awaits_the_body(app: Flask, asgi: KolbaClient) -> None:
    @app.post("/json")
    async def json_view() -> Any:
        return {
            "got": await request.get_json(),
            "raw": (await request.get_data()).decode(),
        }

    @app.post("/form")
    async def form_view() -> Any:
        form = await request.form
        files = await request.files
        return {"a": form["a"], "file": files["f"].read().decode()}

    import io

    for client in (asgi, app.test_client()):
        assert client.post("/json", json={"x": 1}).json == {
            "got": {"x": 1},
            "raw": '{"x": 1}',
        }
        rv = client.post("/form", data={"a": "1", "f": (io.BytesIO(b"hi"), "f.txt")})
        assert rv.json == {"a": "1", "file": "hi"}


def test_the_asgi_driver_makes_its_context_as_the_class_does(
    app: Flask, asgi: KolbaClient
) -> None:
    """The driver makes the request context of an async view without calling
    RequestContext: it has the attributes that RequestContext(app, None,
    request) gives it, with the same values (and others only with the
    class's values, besides the push's token)."""
    seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    @app.route("/")
    async def index() -> str:
        made = request_ctx._get_current_object()
        by_class = RequestContext(app, None, made.request)  # type: ignore[arg-type]
        pushed = {"_request_tokens", "_lean_token", "_scope_args"}
        fields = {k: v for k, v in vars(made).items() if k not in pushed}
        seen.append((fields, vars(by_class)))
        return "ok"

    assert asgi.get("/").text == "ok"
    [(fields, by_class)] = seen
    assert {k: fields.get(k, "missing") for k in by_class} == by_class
    defaults = {k: getattr(RequestContext, k) for k in fields.keys() - by_class.keys()}
    assert defaults == {"_after_request_functions": ()}
    assert {k: fields[k] for k in defaults} == defaults


@pytest.mark.parametrize("teardown", [False, True])
def test_an_async_view_that_pushes_its_context_again_ends_as_usual(
    app: Flask, teardown: bool
) -> None:
    """The driver's own push of the context is recorded for ctx.pop() when
    the view pushes the context again (as stream_with_context does)."""
    torn: list[str] = []
    if teardown:
        app.teardown_request(lambda exc: torn.append(request.path))

    kept: list[Any] = []

    @app.route("/")
    async def index() -> str:
        ctx = request_ctx._get_current_object()
        with ctx:
            assert request_ctx._get_current_object() is ctx
        kept.append(ctx)
        return "hi"

    for _ in range(2):
        sent = run_asgi(app, http_scope(), [])
        assert sent[1]["body"] == b"hi"
    assert torn == (["/", "/"] if teardown else [])
    assert [ctx._request_tokens for ctx in kept] == [[], []]  # all popped
    assert [ctx._lean_token for ctx in kept] == [None, None]


def test_an_async_view_that_reads_no_request_makes_none(
    app: Flask, asgi: KolbaClient
) -> None:
    """The usual context's Request is made from the scope when first read,
    with what matching found: a view that reads none makes none (until its
    rule is known to be read)."""
    made: list[tuple[bool, Any]] = []

    @app.route("/user/<int:id>")
    async def user(id: int) -> str:
        ctx = request_ctx._get_current_object()
        made.append(("request" in vars(ctx), None))
        made.append((True, (request.url_rule.rule, request.view_args)))  # type: ignore[union-attr]
        return f"user {id}"

    for _ in range(2):
        assert asgi.get("/user/7").text == "user 7"
    assert made[:2] == [(False, None), (True, ("/user/<int:id>", {"id": 7}))]
    # a rule whose requests read it makes it at once from then on
    assert made[2:] == [(True, None), (True, ("/user/<int:id>", {"id": 7}))]


def test_uploads_of_an_async_view_are_closed_after_the_request(
    app: Flask, asgi: KolbaClient
) -> None:
    """The driver's lean end of a request still closes the uploads (and lets
    go of the environ that reading the body made), as ctx.pop() does."""
    seen: list[Any] = []

    @app.post("/upload")
    async def upload() -> str:
        files = await request.files
        seen.append((files["f"].stream, request.environ))
        return "ok"

    assert asgi.post("/upload", data={"f": (io.BytesIO(b"hi"), "f.txt")}).text == "ok"
    [(stream, environ)] = seen
    assert stream.closed
    assert environ["werkzeug.request"] is None


def test_async_view_reads_the_body_as_flask_code_does(
    app: Flask, asgi: KolbaClient
) -> None:
    """Flask code in an async view reads the body without ``await``; the same
    values can still be awaited, and later reads give the same object."""

    @app.post("/json")
    async def json_view() -> Any:
        data = request.get_json()
        data["seen"] = True
        again = await request.get_json()
        raw = request.get_data()
        return {
            "data": data,
            "same": again is data and request.get_json() is data,
            "raw": raw.decode(),
            "awaited": (await request.get_data(as_text=True)),
            "silent": request.get_json(silent=True) is data,
        }

    @app.post("/bad")
    async def bad_json() -> Any:
        return {"none": request.get_json(silent=True) is None}

    for client in (asgi, app.test_client()):
        assert client.post("/json", json={"x": 1}).json == {
            "data": {"x": 1, "seen": True},
            "same": True,
            "raw": '{"x": 1}',
            "awaited": '{"x": 1}',
            "silent": True,
        }
        bad = client.post("/bad", data="{", content_type="application/json")
        assert bad.json == {"none": True}


@pytest.mark.parametrize(
    "body",
    ["null", "true", "false", "0", "1", "2.5", '"text"', "[1, 2]", '{"a": 1}'],
)
def test_every_json_value_can_be_awaited_or_read(
    app: Flask, driver: str, body: str
) -> None:
    """In an async view ``await request.get_json()`` gives any JSON value,
    None and the bools too (which no type can make awaitable as well), while
    Flask code reads the value itself (``is None``, ``is True``); a sync view
    reads the plain value."""
    value = json.loads(body)
    kind = type(value)
    itself = value is None or kind is bool  # read as the value itself

    @app.post("/async")
    async def in_async() -> Any:
        awaited = await request.get_json()
        silent = await request.get_json(silent=True)
        read = request.get_json()
        return {
            "awaited": [awaited, isinstance(awaited, kind)],
            "silent": [silent, isinstance(silent, kind)],
            "read": [read, read is value if itself else isinstance(read, kind)],
            "data": (await request.get_data(as_text=True)),
        }

    @app.post("/sync")
    def in_sync() -> Any:
        read = request.get_json()
        return {"read": [read, type(read) is kind]}

    client = app.test_client()
    sent = {"data": body, "content_type": "application/json"}
    assert client.post("/async", **sent).json == {
        "awaited": [value, True],
        "silent": [value, True],
        "read": [value, True],
        "data": body,
    }
    assert client.post("/sync", **sent).json == {"read": [value, True]}


def test_an_async_views_body_values_pickle_and_copy_as_plain_values(
    app: Flask, driver: str
) -> None:
    """What get_json() and get_data() give an async view (awaitable too)
    pickles and deep-copies as the plain value (a cache, a task queue)."""

    @app.post("/")
    async def view() -> Any:
        values = [request.get_json(), request.get_data(), request.get_data(True, True)]
        values.append(request.get_json()["a"])
        for value in values:
            for again in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
                assert again == value
                assert type(again) in (dict, bytes, str, list)
        return "ok"

    sent = app.test_client().post("/", json={"a": [1, "x"]})
    assert sent.text == "ok"


def test_bad_json_awaited_is_400_unless_silent(app: Flask, driver: str) -> None:
    @app.post("/")
    async def index() -> Any:
        if request.args.get("silent"):
            return {"got": await request.get_json(silent=True)}
        return {"got": await request.get_json()}

    client = app.test_client()
    bad = {"data": "{", "content_type": "application/json"}
    assert client.post("/", **bad).status_code == 400
    assert client.post("/?silent=1", **bad).json == {"got": None}
    not_json = {"data": "{}", "content_type": "text/plain"}
    assert client.post("/", **not_json).status_code == 415
    assert client.post("/?silent=1", **not_json).json == {"got": None}


def test_json_awaited_as_it_arrives(app: Flask) -> None:
    """A body still arriving is awaited: any JSON value, None included."""

    @app.post("/")
    async def index() -> Any:
        return {"got": await request.get_json(silent=True)}

    for parts, got in (([b"nu", b"ll"], None), ([b"tr", b"ue"], True), ([b"{"], None)):
        messages = [
            {"type": "http.request", "body": part, "more_body": True}
            for part in parts
        ]
        messages.append({"type": "http.request", "body": b""})
        scope = http_scope(
            "/", "POST", [(b"content-type", b"application/json")]
        )
        sent = run_asgi(app, scope, messages)
        assert (sent[0]["status"], json.loads(sent[1]["body"])) == (200, {"got": got})


def test_async_view_consumes_the_body_incrementally(app: Flask) -> None:
    # (a chunked body: read as it arrives, not received before the view)
    app.config["MAX_CONTENT_LENGTH"] = 10
    seen: list[bytes] = []

    @app.post("/")
    async def upload() -> str:
        async for chunk in request.iter_body():
            seen.append(chunk)
        return str(len(seen))

    chunks = [{"type": "http.request", "body": b"abc", "more_body": True}] * 3
    last = {"type": "http.request", "body": b"d", "more_body": False}
    sent = run_asgi(app, http_scope("/", "POST"), [*chunks, last])
    assert sent[1]["body"] == b"4"
    assert seen == [b"abc", b"abc", b"abc", b"d"]
    seen.clear()
    too_long = [{"type": "http.request", "body": b"abcdef", "more_body": True}] * 2
    sent = run_asgi(app, http_scope("/", "POST"), [*too_long, last])
    assert sent[0]["status"] == 413


def test_body_limits_hold_for_async_views(app: Flask, asgi: KolbaClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/")
    async def echo() -> bytes:
        return await request.get_data()  # type: ignore[no-any-return]

    assert asgi.post("/", data="x" * 10).data == b"x" * 10
    assert asgi.post("/", data="x" * 11).status_code == 413
    big_chunked = [{"type": "http.request", "body": b"x" * 8, "more_body": True}] * 3
    headers = [(b"transfer-encoding", b"chunked")]
    sent = run_asgi(app, http_scope("/", "POST", headers), big_chunked)
    assert sent[0]["status"] == 413


@pytest.mark.parametrize("view_kind", ["def", "async def"])
def test_a_length_beside_a_transfer_encoding_is_not_the_bodys(
    app: Flask, view_kind: str
) -> None:
    # hypercorn hands both headers on and the body chunked: the view got the
    # first Content-Length bytes of it (werkzeug: no length, the whole body).
    def echo() -> str:
        return f"{request.content_length} {request.get_data()!r}"

    async def aecho() -> str:
        return f"{request.content_length} {(await request.get_data())!r}"

    app.post("/")(echo if view_kind == "def" else aecho)
    headers = [(b"content-length", b"5"), (b"transfer-encoding", b"chunked")]
    parts = [
        {"type": "http.request", "body": b"hello", "more_body": True},
        {"type": "http.request", "body": b" world", "more_body": False},
    ]
    sent = run_asgi(app, http_scope("/", "POST", headers), parts)
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"None b'hello world'")


URLENCODED = "application/x-www-form-urlencoded"


def _multipart(**fields: str | bytes) -> tuple[str, bytes]:
    """A multipart/form-data body: str values are fields, bytes are files."""
    boundary, body = encode_multipart(
        {
            k: (io.BytesIO(v), f"{k}.bin") if isinstance(v, bytes) else v
            for k, v in fields.items()
        }
    )
    return f"multipart/form-data; boundary={boundary}", body


@pytest.mark.parametrize("part", ["form", "files"])
@pytest.mark.parametrize("arrival", ["whole", "in chunks"])
@pytest.mark.parametrize(
    "limit, content_type, body",
    [
        ({"MAX_FORM_MEMORY_SIZE": 10}, *_multipart(a="x" * 20)),
        ({"MAX_FORM_MEMORY_SIZE": 10}, URLENCODED, b"a=" + b"x" * 20),
        ({"MAX_FORM_PARTS": 3}, *_multipart(a="1", b="2", c="3", d=b"4")),
        ({"MAX_CONTENT_LENGTH": 100}, *_multipart(a="1", f=b"x" * 200)),
    ],
    ids=["memory-multipart", "memory-urlencoded", "parts", "content-length"],
)
def test_form_limits_answer_413_to_await_in_an_async_view(
    app: Flask,
    part: str,
    arrival: str,
    limit: dict[str, int],
    content_type: str,
    body: bytes,
) -> None:
    """``await request.form`` / ``await request.files`` hold the limits as the
    sync attributes do, for a body that came whole or still arrives (no
    Content-Length: the limit is checked as it is read)."""

    @app.post("/")
    async def view() -> str:
        return str(len(await getattr(request, part)))

    headers = [(b"content-type", content_type.encode())]
    if arrival == "whole":
        headers.append((b"content-length", str(len(body)).encode()))
        messages = [{"type": "http.request", "body": body, "more_body": False}]
    else:
        messages = [
            {"type": "http.request", "body": body[i : i + 16], "more_body": True}
            for i in range(0, len(body), 16)
        ]
        messages.append({"type": "http.request", "body": b"", "more_body": False})
    scope = http_scope("/", "POST", headers)
    assert run_asgi(app, scope, messages)[0]["status"] == 200  # default limits
    app.config.update(limit)
    assert run_asgi(app, scope, messages)[0]["status"] == 413


@pytest.mark.parametrize(
    ("read", "content_type", "expected"),
    [
        ("json", "application/octet-stream", (200, b"None")),
        ("form", "application/octet-stream", (200, b"0")),
        ("files", "text/plain", (200, b"0")),
        # the limits still hold for the bodies they read
        ("json", "application/json", (413, None)),
        ("form", "application/x-www-form-urlencoded", (413, None)),
        ("files", "multipart/form-data; boundary=b", (413, None)),
    ],
)
@pytest.mark.parametrize("kind", ["async", "sync"])
def test_a_body_of_another_type_past_the_limit_is_not_received(
    app: Flask, kind: str, read: str, content_type: str, expected: tuple[int, Any]
) -> None:
    """``await request.get_json(silent=True)``, ``await request.form`` and
    ``.files`` of a chunked body past ``MAX_CONTENT_LENGTH`` that is no JSON
    or form read nothing (None, empty), as a sync view and werkzeug do."""
    app.config["MAX_CONTENT_LENGTH"] = 100

    if kind == "async":

        @app.post("/")
        async def async_view() -> str:
            if read == "json":
                return repr(await request.get_json(silent=True))
            return repr(len(await getattr(request, read)))

    else:

        @app.post("/")
        def sync_view() -> str:
            if read == "json":
                return repr(request.get_json(silent=True))
            return repr(len(getattr(request, read)))

    messages = [
        {"type": "http.request", "body": b"x" * 64, "more_body": True}
    ] * 4 + [{"type": "http.request", "body": b"", "more_body": False}]
    headers = [(b"content-type", content_type.encode())]
    sent = run_asgi(app, http_scope("/", "POST", headers), messages)
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert sent[0]["status"] == expected[0]
    if expected[1] is not None:
        assert body == expected[1]


@pytest.mark.parametrize(
    ("read", "content_type"),
    [("json", "text/plain"), ("form", "application/json"), ("files", "text/plain")],
)
def test_a_body_not_parsed_by_an_await_is_still_read_after_it(
    app: Flask, read: str, content_type: str
) -> None:
    """Try the form or the JSON, else take the raw body: the body within the
    limit is received by the await, for request.data after it."""

    @app.post("/")
    async def view() -> str:
        if read == "json":
            got = await request.get_json(silent=True)
        else:
            got = len(await getattr(request, read))
        return repr((got, request.data))

    messages = [
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    ]
    headers = [(b"content-type", content_type.encode())]
    sent = run_asgi(app, http_scope("/", "POST", headers), messages)
    assert sent[0]["status"] == 200
    expected = (None if read == "json" else 0, b'{"a":1}')
    assert b"".join(m.get("body", b"") for m in sent[1:]) == repr(expected).encode()


def test_async_view_reads_a_big_body_only_with_await(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kolba.asgi, "_AHEAD_ON_LOOP", 1)  # (what "big" is)

    @app.post("/")
    async def view() -> str:
        return request.data.decode()

    parts = [{"type": "http.request", "body": b"ab", "more_body": True}]
    parts.append({"type": "http.request", "body": b"cd", "more_body": False})
    scope = http_scope("/", "POST", [(b"content-length", b"4")])
    with pytest.raises(RuntimeError, match=r"await request\.get_data\(\)"):
        run_asgi(app, scope, parts)


@pytest.mark.parametrize("read", ["get_data", "get_json"])
def test_get_data_before_the_body_arrived_says_to_await_it(
    app: Flask, read: str
) -> None:
    """Used without await on a body still arriving (chunked), get_data()
    and get_json() raise the clear error, not a coroutine's TypeError (and
    no coroutine is left unawaited); awaited, they give the value."""

    @app.post("/")
    async def view() -> str:
        pending = getattr(request, read)()
        for use in (len, bool):  # (`if request.get_json():` is not always true)
            with pytest.raises(RuntimeError, match=r"await request\.get_data\(\)"):
                use(pending)
        if request.args.get("task"):  # a task of its own, as a coroutine's
            task = asyncio.create_task(pending)
            # (Python 3.12+'s Task repr tests `if task._coro:`: true, as a
            # coroutine's, for asyncio, while the view's bool() raised above)
            assert "PendingCall" in repr(task) and "PendingCall" in str(task)
            await asyncio.sleep(0)
            assert task.get_stack() == []  # (asyncio's reads of it work)
            return str(len(await task))
        return str(len(await pending))

    parts = [{"type": "http.request", "body": b'{"a":', "more_body": True}]
    parts.append({"type": "http.request", "body": b" 1}", "more_body": False})
    headers = [(b"content-type", b"application/json")]
    headers.append((b"transfer-encoding", b"chunked"))
    expected = b"8" if read == "get_data" else b"1"
    for query in (b"", b"task=1"):
        scope = http_scope("/", "POST", headers) | {"query_string": query}
        sent = run_asgi(app, scope, [dict(part) for part in parts])
        assert sent[1]["body"] == expected


def test_form_before_the_body_arrived_says_to_await_it(app: Flask) -> None:
    """``len()``, ``bool()`` and iteration of the unread form or files of an
    async view raise the same clear error as a key read (``if request.form:``
    is not silently true)."""
    seen: list[str] = []

    @app.post("/")
    async def view() -> str:
        for use in (len, bool, list, lambda part: part["x"]):
            for part in (request.form, request.files):
                try:
                    use(part)
                except RuntimeError as error:
                    seen.append(str(error))
        seen.append(repr(request.form))
        return (await request.form)["x"]

    parts = [{"type": "http.request", "body": b"x=", "more_body": True}]
    parts.append({"type": "http.request", "body": b"1", "more_body": False})
    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    sent = run_asgi(app, http_scope("/", "POST", headers), parts)
    assert sent[1]["body"] == b"1"
    assert len(seen) == 9
    assert all("await request.form" in message for message in seen[:8])
    assert "await" in seen[8]


def test_sync_view_reads_the_body_from_its_thread(app: Flask) -> None:
    threads: list[str] = []

    @app.post("/")
    def view() -> bytes:
        threads.append(threading.current_thread().name)
        return request.get_data()

    parts = [{"type": "http.request", "body": b"ab", "more_body": True}]
    parts.append({"type": "http.request", "body": b"cd", "more_body": False})
    sent = run_asgi(app, http_scope("/", "POST"), parts)
    assert sent[1]["body"] == b"abcd"
    assert threads != [threading.current_thread().name]


def test_sync_view_reads_the_input_stream_as_a_wsgi_one(app: Flask) -> None:
    @app.post("/")
    def view() -> Any:
        stream = request.environ["wsgi.input"]
        first = stream.readline()
        return {"first": first.decode(), "rest": [line.decode() for line in stream]}

    parts = [{"type": "http.request", "body": b"a\nb", "more_body": True}]
    parts.append({"type": "http.request", "body": b"c\nd", "more_body": False})
    sent = run_asgi(app, http_scope("/", "POST"), parts)
    assert json.loads(sent[1]["body"]) == {"first": "a\n", "rest": ["bc\n", "d"]}


def test_async_generator_streams(app: Flask, driver: str) -> None:
    @app.route("/")
    async def stream() -> Any:
        async def gen() -> Any:
            for i in range(3):
                await asyncio.sleep(0)
                yield f"{i}-{request.path};"

        return gen(), {"Content-Type": "text/plain"}

    rv = app.test_client().get("/")
    assert rv.text == "0-/;1-/;2-/;"


def test_a_sync_views_async_generator_streams_in_its_request(
    app: Flask, driver: str
) -> None:
    """A plain ``def`` view's async generator reads its request (and g) as
    it streams, under each driver (under ASGI the view ran in a thread)."""

    @app.post("/")
    def stream() -> Any:
        g.who = "view"

        async def gen() -> Any:
            yield f"{request.path} {g.who} "
            async for chunk in request.iter_body():
                yield chunk

        return gen()

    assert app.test_client().post("/", data=b"hello").text == "/ view hello"


def test_a_response_made_of_an_async_generator_streams(app: Flask, driver: str) -> None:
    """``Response(agen(), mimetype=...)``, the usual event-stream view, streams
    under WSGI servers as under ASGI ones."""

    @app.route("/events")
    async def events() -> Response:
        async def gen() -> Any:
            for i in range(3):
                await asyncio.sleep(0)
                yield f"data: {i}\n\n"

        return Response(gen(), mimetype="text/event-stream")

    rv = app.test_client().get("/events")
    assert rv.status_code == 200
    assert rv.mimetype == "text/event-stream"
    assert rv.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"


def test_client_disconnect_cancels_the_stream_and_teardown_runs_once(
    app: Flask,
) -> None:
    events: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append("teardown")

    @app.route("/")
    async def stream() -> Any:
        async def gen() -> Any:
            try:
                while True:
                    yield "tick"
                    await asyncio.sleep(0.01)
            finally:
                events.append("closed")

        return gen()

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.1)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(app(http_scope(), receive, send), 5)

    asyncio.run(main())
    assert events == ["closed", "teardown"]
    assert 2 < len(sent) < 30


def test_a_stream_that_never_awaits_stops_when_the_client_goes(app: Flask) -> None:
    """Servers drop the sends to a gone client without waiting (uvicorn,
    granian, hypercorn): a body that never awaits is still stopped."""
    made: list[int] = []

    @app.route("/")
    async def stream() -> Any:
        async def gen() -> Any:
            n = 0
            try:
                while n < 1_000_000:
                    n += 1
                    yield b"x"
            finally:
                made.append(n)

        return gen()

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            pass  # gone: dropped at once

        await asyncio.wait_for(app(http_scope(), receive, send), 5)

    asyncio.run(main())
    assert len(made) == 1 and made[0] < 1_000_000


class _FailingConverter(BaseConverter):
    def to_python(self, value: str) -> Any:
        raise LookupError("db down")


class _UnfusedApp(Flask):
    """Its cycle is not fused: the ASGI driver runs it in a thread."""

    def dispatch_request(self) -> Any:
        return super().dispatch_request()


class _OwnInitRequest(Request):
    """A request class with its own __init__: made from an environ at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


@pytest.mark.parametrize("kind", ["usual", "unfused", "own request", "signal"])
def test_a_converter_that_fails_is_the_requests_error(driver: str, kind: str) -> None:
    """A URL converter's own error (not an HTTP one) is raised where Flask's
    context push matches: the 500 handler answers (not the error's own
    handler, and no before_request has run), teardown sees it, and under
    TESTING it propagates; the same over both drivers, on every path."""
    app = (_UnfusedApp if kind == "unfused" else Flask)(__name__)
    if kind == "own request":
        app.request_class = _OwnInitRequest
    app.url_map.converters["user"] = _FailingConverter
    app.route("/u/<user:u>")(lambda u: "u")
    ran: list[str] = []
    torn: list[BaseException | None] = []
    app.before_request(lambda: ran.append("before"))
    app.teardown_request(torn.append)
    app.errorhandler(LookupError)(lambda e: ("its own handler", 500))
    app.errorhandler(500)(lambda e: (f"500: {e.original_exception!r}", 500))

    def pushed(sender: Any, **kwargs: Any) -> None:
        ran.append("pushed")

    signal = appcontext_pushed.connected_to(pushed, app)
    with signal if kind == "signal" else nullcontext():
        client = app.test_client()
        for _ in range(2):
            response = client.get("/u/1")
            assert (response.status_code, response.text) == (
                500,
                "500: LookupError('db down')",
            )
        app.testing = True
        with pytest.raises(LookupError, match="db down"):
            client.get("/u/1")
    assert [type(e) for e in torn] == [LookupError] * 3
    assert ran == (["pushed"] * 3 if kind == "signal" else [])


def test_sync_and_async_views_see_their_context(app: Flask, asgi: KolbaClient) -> None:
    @app.before_request
    async def before() -> None:
        g.who = "ann"

    @app.route("/sync")
    def sync_view() -> str:
        session["n"] = session.get("n", 0) + 1
        return f"{g.who} {request.path} {session['n']}"

    @app.route("/async")
    async def async_view() -> str:
        session["n"] = session.get("n", 0) + 1
        return f"{g.who} {request.path} {session['n']}"

    assert asgi.get("/sync").text == "ann /sync 1"
    assert asgi.get("/async").text == "ann /async 2"


def test_current_app_in_async_views_of_two_apps_on_one_loop() -> None:
    """Under ASGI ``current_app`` is the app serving the request, across
    awaits, while another app's request runs on the same loop."""
    both_inside = asyncio.Event()
    inside: list[str] = []
    apps = [Flask(f"app_{n}") for n in range(2)]
    for n, one in enumerate(apps):
        one.config["WHO"] = f"app {n}"

        @one.route("/")
        async def view() -> str:
            first = current_app._get_current_object()  # type: ignore[attr-defined]
            inside.append(current_app.name)
            if len(inside) == 2:  # the other app's view waits inside: it
                both_inside.set()  # ends while this one is not finished
                await asyncio.sleep(0)
            await both_inside.wait()
            assert current_app._get_current_object() is first  # type: ignore[attr-defined]
            return f"{current_app.name} {current_app.config['WHO']}"

    async def get(one: Flask) -> bytes:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await one(http_scope(), receive, send)
        return b"".join(m.get("body", b"") for m in sent[1:])

    async def main() -> list[bytes]:
        return await asyncio.wait_for(asyncio.gather(*map(get, apps)), 5)

    assert asyncio.run(main()) == [b"app_0 app 0", b"app_1 app 1"]
    assert sorted(inside) == ["app_0", "app_1"]


def test_a_thread_of_an_async_view_hands_coroutines_to_the_servers_loop(
    app: Flask,
) -> None:
    """A sync function that an async view runs in a thread (asyncio.to_thread
    copies the request's context) runs coroutines on the server's loop, and
    its background tasks start there, as the view's own."""
    loops: list[asyncio.AbstractEventLoop] = []

    async def where() -> str:
        loops.append(asyncio.get_running_loop())
        return request.path

    def in_thread() -> str:
        app.add_background_task(where)
        return str(app.ensure_sync(where)())

    @app.route("/<name>")
    async def view(name: str) -> str:
        loops.append(asyncio.get_running_loop())
        return await asyncio.to_thread(in_thread)

    async def main() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(http_scope("/x"), _no_body, send)
        while app._background_tasks:
            await asyncio.sleep(0.01)
        return sent

    sent = asyncio.run(main())
    assert sent[1]["body"] == b"/x"
    assert len(loops) == 3 and loops[0] is loops[1] is loops[2]


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request"}


def test_websocket_echo_with_converters_args_headers_session(
    app: Flask, client: KolbaClient
) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return "ok"

    @app.websocket("/ws/<int:room>")
    async def chat(room: int) -> None:
        await websocket.accept()
        hello = f"{room} {websocket.args['x']} {websocket.headers['X-Tag']}"
        await websocket.send(f"{hello} {session.get('user')} {websocket.path}")
        while True:
            message = await websocket.receive()
            await websocket.send(message)

    client.get("/login")
    with client.websocket("/ws/7?x=1", headers={"X-Tag": "t"}) as ws:
        assert ws.receive() == "7 1 t ann /ws/7"
        ws.send("hi")
        assert ws.receive() == "hi"
        ws.send(b"\x00\x01")
        assert ws.receive() == b"\x00\x01"


@pytest.mark.parametrize("interface", [SeeingInterface, SeeingCookieInterface])
def test_a_websocket_opens_a_session_not_kolbas_before_matching(
    app: Flask, client: KolbaClient, interface: type
) -> None:
    """As an HTTP request's (see test_sessions): an interface of the app's
    own is opened at push, before the match is on the request."""
    log: list[tuple[Any, ...]] = []
    app.session_interface = interface(log)

    @app.websocket("/ws/<int:room>")
    async def chat(room: int) -> None:
        await websocket.send(f"{websocket.endpoint} {websocket.view_args}")

    with client.websocket("/ws/7") as ws:
        assert ws.receive() == "chat {'room': 7}"
    assert log == [("open", None, None, None, None)]


def test_websocket_close_code_and_hooks(app: Flask, client: KolbaClient) -> None:
    events: list[str] = []
    bp = Blueprint("rooms", __name__)

    @bp.before_websocket
    def before() -> None:
        events.append("before")

    @bp.after_websocket
    async def after() -> None:
        events.append("after")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        events.append(f"teardown {exc!r}")

    @bp.websocket("/bye")
    async def bye() -> None:
        await websocket.receive()
        await websocket.close(4000)

    app.register_blueprint(bp, url_prefix="/rooms")
    with client.websocket("/rooms/bye") as ws:
        ws.send("x")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 4000
    assert events == ["before", "after", "teardown None"]


def test_websocket_error_closes_1011_and_is_logged(
    app: Flask, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/boom")
    async def boom() -> None:
        await websocket.receive()
        raise ValueError("broken")

    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)
    with caplog.at_level(logging.ERROR), client.websocket("/boom") as ws:
        ws.send("x")
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert "broken" in caplog.text


def test_websocket_after_hook_error_closes_1011_and_is_logged(
    app: Flask, client: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An after_websocket function's error is the connection's, as the
    view's is (not the server's): closed with 1011, logged, torn down with."""
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)

    @app.after_websocket
    def after() -> None:
        raise ValueError("after broke")

    @app.websocket("/ws")
    async def greet() -> None:
        await websocket.send("hi")

    with caplog.at_level(logging.ERROR), client.websocket("/ws") as ws:
        assert ws.receive() == "hi"
        with pytest.raises(WebSocketClosed) as closed:
            ws.receive()
    assert closed.value.code == 1011
    assert "after broke" in caplog.text
    assert [type(e) for e in torn] == [ValueError]


def test_a_close_before_the_accept_is_a_refusal_in_the_test_client(
    app: Flask, asgi: KolbaClient
) -> None:
    """As a browser sees it: servers answer a close before the accept with
    a 403; the app's close code is kept for the test."""

    @app.websocket("/ws")
    async def close() -> None:
        await websocket.close(4001)

    with pytest.raises(WebSocketRefused) as refused:
        with asgi.websocket("/ws"):
            pass
    assert (refused.value.code, refused.value.response.status_code) == (4001, 403)
    assert "closed with code 4001 before the accept" in str(refused.value)


def test_websocket_converter_error_is_a_500_and_is_logged(
    app: Flask, asgi: KolbaClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A URL converter's own error is the connection's, as a view's is: before
    the accept, the handshake's answer is a 500."""
    torn: list[BaseException | None] = []
    app.teardown_request(torn.append)
    app.url_map.converters["user"] = _FailingConverter
    app.config["PROPAGATE_EXCEPTIONS"] = False  # (as under a server)

    @app.websocket("/ws/<user:u>")
    async def ws(u: str) -> None:
        await websocket.send("unreachable")

    with caplog.at_level(logging.ERROR), pytest.raises(WebSocketRefused) as refused:
        with asgi.websocket("/ws/1") as ws:
            ws.receive()
    assert refused.value.response.status_code == 500
    assert "db down" in caplog.text
    assert [type(e) for e in torn] == [LookupError]


def test_websocket_client_disconnect_runs_teardown(
    app: Flask, client: KolbaClient
) -> None:
    done = threading.Event()

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        done.set()

    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    with client.websocket("/ws") as ws:
        ws.send("a")
        assert ws.receive() == "a"
    assert done.wait(5)


def test_unknown_websocket_path_is_refused(app: Flask, client: KolbaClient) -> None:
    """With a 404, the HTTP answer where the server takes one."""
    with pytest.raises(WebSocketRefused) as refused, client.websocket("/nowhere"):
        pass
    assert refused.value.response.status_code == 404


def test_websocket_route_over_http_is_426(
    app: Flask, client: KolbaClient, driver: str
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("x")

    rv = client.get("/ws")
    assert rv.status_code == 426
    # (a WSGI server may not send that hop-by-hop header: see below)
    assert rv.headers.get("Upgrade") == ("websocket" if driver == "asgi" else None)
    assert "WebSocket endpoint" in rv.text


def test_websocket_route_under_wsgi_is_426_a_wsgi_server_may_send(app: Flask) -> None:
    # PEP 3333 forbids hop-by-hop headers (Upgrade): waitress and wsgiref
    # answered 500 for a 426 that had one; ASGI servers send it.
    from wsgiref.validate import validator

    @app.websocket("/ws")
    async def ws() -> None:
        await websocket.send("x")

    sent: list[tuple[str, list[tuple[str, str]]]] = []
    environ = EnvironBuilder("/ws").get_environ()
    body = validator(app.wsgi_app)(environ, lambda *a: sent.append(a[:2]))
    assert b"WebSocket endpoint" in b"".join(body)
    body.close()  # type: ignore[attr-defined]
    assert sent[0][0] == "426 UPGRADE REQUIRED"
    assert "upgrade" not in {name.lower() for name, _ in sent[0][1]}


def test_websocket_url_for_uses_ws_scheme(app: Flask) -> None:
    @app.websocket("/ws")
    async def ws() -> None:
        pass

    with app.test_request_context(base_url="https://h.test"):
        assert url_for("ws") == "/ws"
        assert url_for("ws", _external=True) == "wss://h.test/ws"
    with app.test_request_context():
        assert url_for("ws", _external=True) == "ws://localhost/ws"


def test_websocket_proxy_outside_a_websocket(app: Flask) -> None:
    with app.test_request_context(), pytest.raises(RuntimeError, match="WebSocket"):
        websocket.send  # noqa: B018


def test_websocket_view_must_be_async(app: Flask) -> None:
    with pytest.raises(TypeError, match="async def"):

        @app.websocket("/ws")
        def ws() -> None:
            pass


def test_lifespan_hooks_and_background_tasks(app: Flask) -> None:
    events: list[str] = []

    @app.before_serving
    async def startup() -> None:
        events.append(f"startup {app.name}")

    @app.after_serving
    def shutdown() -> None:
        events.append("shutdown")

    async def later(n: int) -> None:
        await asyncio.sleep(0.05)
        events.append(f"task {n}")

    def later_sync() -> None:
        events.append("sync task")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(later, 1)
        app.add_background_task(later_sync)
        events.append("view")
        return "ok"

    async def main() -> None:
        lifespan_in: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        lifespan_out: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            lifespan_out.append(message)

        server = asyncio.ensure_future(app({"type": "lifespan"}, lifespan_in.get, send))
        await lifespan_in.put({"type": "lifespan.startup"})
        await asyncio.sleep(0.01)
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def http_send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(http_scope(), receive, http_send)
        assert sent[1]["body"] == b"ok"
        await lifespan_in.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(server, 5)
        assert [m["type"] for m in lifespan_out] == [
            "lifespan.startup.complete",
            "lifespan.shutdown.complete",
        ]

    asyncio.run(main())
    assert events[:2] == [f"startup {app.name}", "view"]
    assert sorted(events[2:4]) == ["sync task", "task 1"]
    assert events[4:] == ["shutdown"]


def test_failing_startup_is_reported(app: Flask) -> None:
    @app.before_serving
    def startup() -> None:
        raise RuntimeError("no database")

    sent = run_asgi(app, {"type": "lifespan"}, [{"type": "lifespan.startup"}])
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "no database" in sent[0]["message"]


def _serve_then_shut_down(app: Flask, path: str = "/") -> list[str]:
    """Start the lifespan, serve ``path`` once, shut down: the lifespan's
    messages."""
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        server = asyncio.ensure_future(app({"type": "lifespan"}, lifespan.get, send))
        await lifespan.put({"type": "lifespan.startup"})
        await asyncio.sleep(0.01)
        if sent == [{"type": "lifespan.startup.complete"}]:
            await app(http_scope(path), _no_body, _drop)
            await lifespan.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(server, 10)

    asyncio.run(main())
    return [m["type"] + m.get("message", "") for m in sent]


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request"}


async def _drop(message: dict[str, Any]) -> None:
    pass


def test_no_shutdown_timeout_waits_for_every_background_task(app: Flask) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = None  # (Quart's: no limit)
    events: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.3)
        events.append("task")

    @app.route("/")
    async def index() -> str:
        app.add_background_task(slow)
        return "ok"

    app.after_serving(lambda: events.append("after_serving"))
    assert _serve_then_shut_down(app) == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert events == ["task", "after_serving"]


@pytest.mark.parametrize(
    "timeout", ["soon", -1, float("nan"), float("inf"), "inf", True, 10**400]
)
def test_a_shutdown_timeout_that_is_no_number_of_seconds_stops_the_start(
    app: Flask, timeout: Any
) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = timeout
    (failed,) = _serve_then_shut_down(app)
    assert failed.startswith("lifespan.startup.failed")
    assert f"BACKGROUND_TASK_SHUTDOWN_TIMEOUT is {timeout!r}: give it seconds" in failed


def test_sync_tasks_that_never_got_a_thread_are_cancelled_at_shutdown(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # Past the timeout the tasks on threads are left running; those still
    # waiting for a thread are cancelled, and said so, not lost in silence.
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0.3
    limit = kolba.asgi._DAEMON_THREADS
    started: list[int] = []

    def work(n: int) -> None:
        started.append(n)
        threading.Event().wait(1)

    @app.route("/")
    async def index() -> str:
        for n in range(2 * limit):
            app.add_background_task(work, n)
        return "ok"

    with caplog.at_level(logging.WARNING):
        assert _serve_then_shut_down(app)[-1] == "lifespan.shutdown.complete"
    assert sorted(started) == list(range(limit))
    (cancelled,) = [m for m in caplog.messages if "cancelled after 0.3 s" in m]
    (left,) = [m for m in caplog.messages if "are left running" in m]
    assert cancelled.count("work") == limit and left.count("work") == limit


def test_sync_background_tasks_run_on_a_bounded_number_of_threads(
    app: Flask,
) -> None:
    limit = kolba.asgi._DAEMON_THREADS
    lock = threading.Lock()
    running = [0]
    most = [0]
    done: list[int] = []

    def work(n: int) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        threading.Event().wait(0.05)
        with lock:
            running[0] -= 1
            done.append(n)

    @app.route("/")
    async def index() -> str:
        for n in range(3 * limit):
            app.add_background_task(work, n)
        return "ok"

    _serve_then_shut_down(app)
    assert sorted(done) == list(range(3 * limit))
    assert most[0] == limit


def test_a_sync_task_that_outlives_its_loop_logs_its_own_error(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    ended = threading.Event()

    def late() -> None:
        try:
            threading.Event().wait(0.2)
            raise ValueError("boom")
        finally:
            ended.set()

    @app.route("/")
    async def index() -> str:
        app.add_background_task(late)
        return "ok"

    with caplog.at_level(logging.ERROR):
        run_asgi(app, http_scope(), [{"type": "http.request"}])  # the loop ends
        assert ended.wait(5)
        threading.Event().wait(0.1)  # (its error reported)
    assert [r.getMessage() for r in caplog.records] == [
        "Background task " + repr(late) + " failed"
    ]
    assert "boom" in caplog.text and "InvalidStateError" not in caplog.text


def test_background_task_under_wsgi_runs_after_the_response(app: Flask) -> None:
    done = threading.Event()
    seen: list[str] = []

    def task() -> None:
        seen.append(app.name)
        done.set()

    @app.route("/")
    def index() -> str:
        app.add_background_task(task)
        return "ok"

    app.test_client().get("/").close()
    assert done.wait(5)
    assert seen == [app.name]


def test_sync_background_tasks_under_wsgi_run_on_a_bounded_number_of_threads(
    app: Flask,
) -> None:
    # (a thread each, without bound: 1000 requests left 1001 threads)
    limit = kolba.asgi._DAEMON_THREADS
    lock = threading.Lock()
    running = [0]
    most = [0]
    done = threading.Semaphore(0)

    def work() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        threading.Event().wait(0.05)
        with lock:
            running[0] -= 1
        done.release()

    @app.route("/")
    def index() -> str:
        for _ in range(3 * limit):
            app.add_background_task(work)
        return "ok"

    KolbaClient(app, app.response_class).get("/").close()  # (WSGI)
    for _ in range(3 * limit):
        assert done.acquire(timeout=5)
    assert most[0] == limit


CHAINED_TASKS = """
import time
from kolba import Flask, current_app
app = Flask("chained")
def inner(n):
    time.sleep(0.2)
    print("inner", n, flush=True)
    if n < 3:
        current_app.add_background_task(inner, n + 1)
@app.route("/")
def index():
    app.add_background_task(inner, 1)
    return "ok"
app.test_client().get("/").close()
"""


def test_background_tasks_under_wsgi_that_add_more_run_while_python_exits() -> None:
    # (the pool takes no new work once the interpreter exits: a task's own
    # task was lost, logged as its failure)
    done = subprocess.run(
        [sys.executable, "-c", CHAINED_TASKS],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (done.stdout, done.stderr) == ("inner 1\ninner 2\ninner 3\n", "")


def test_sync_streams_waiting_between_chunks_leave_threads_to_others(
    app: Flask,
) -> None:
    # Sync event streams each hold a thread while they wait: with a pool of
    # cpu + 4 threads, a few of them held back every other sync stream.
    release = threading.Event()

    @app.route("/events")
    def events() -> Response:
        def source() -> Iterator[str]:
            yield "open\n"
            release.wait(5)
            yield "end\n"

        return Response(source())

    @app.route("/report")
    def report() -> Response:
        return Response(iter(["a\n", "b\n"]))

    async def main() -> float:
        async def get(path: str) -> None:
            messages = [{"type": "http.request"}]

            async def receive() -> dict[str, Any]:
                if messages:
                    return messages.pop()
                await asyncio.sleep(3600)  # (the client stays)
                raise AssertionError("unreachable")

            await app(http_scope(path), receive, _drop)

        streams = [asyncio.ensure_future(get("/events")) for _ in range(12)]
        await asyncio.sleep(0.2)  # (all of them waiting for their next event)
        start = time.monotonic()
        await asyncio.wait_for(get("/report"), 10)
        took = time.monotonic() - start
        release.set()
        await asyncio.gather(*streams)
        return took

    assert asyncio.run(main()) < 2


def test_long_header_names_are_not_remembered() -> None:
    # (1000 distinct names of 1 MB pinned 2 GB in a worker)
    name = b"x-" + b"a" * 200
    assert kolba.asgi._header_key(name) == "HTTP_X_" + "A" * 200
    assert name not in kolba.asgi._HEADER_KEYS
    assert kolba.asgi._header_key(b"x-short") == "HTTP_X_SHORT"
    assert b"x-short" in kolba.asgi._HEADER_KEYS


def test_server_sent_events(app: Flask, driver: str) -> None:
    from kolba.sse import event_stream

    @app.route("/events")
    async def events() -> Any:
        async def source() -> Any:
            yield "hello"
            await asyncio.sleep(0.12)  # quiet: keep-alive comments go out
            yield {"event": "tick", "id": "2", "data": "two\nlines"}

        return event_stream(source(), keep_alive=0.05)

    rv = app.test_client().get("/events")
    assert rv.mimetype == "text/event-stream"
    assert rv.headers["Cache-Control"] == "no-cache"
    text = rv.text
    assert text.startswith(":\n\ndata: hello\n\n: keep-alive\n\n")
    assert text.endswith("event: tick\nid: 2\ndata: two\ndata: lines\n\n")


@pytest.mark.parametrize("kind", ["event_stream", "sync", "async"])
def test_an_event_stream_starts_before_its_first_event(
    app: Flask, kind: str
) -> None:
    # (an EventSource is open before the first event, which may be minutes
    # away: event_stream sends a comment first; as any stream that sends a
    # chunk that is not empty, as servers start a response with one)
    from kolba.sse import event_stream

    released = threading.Event()
    waited: list[bool] = []  # (True: the headers went out while it waited)

    def later() -> Iterator[str]:
        yield ":"
        waited.append(released.wait(2))
        yield "data"

    async def wait() -> None:
        loop = asyncio.get_running_loop()
        waited.append(await loop.run_in_executor(None, released.wait, 2))

    async def alater() -> Any:
        yield ":"
        await wait()
        yield "data"

    async def events() -> Any:
        await wait()
        yield "data"

    views = {
        "event_stream": lambda: event_stream(events()),
        "sync": lambda: app.response_class(later()),
        "async": lambda: alater(),
    }
    app.add_url_rule("/stream", "stream", views[kind])
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.start":
            released.set()  # (the headers went before the first data)

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "GET", "path": "/stream", "headers": []}
    asyncio.run(app(scope, receive, send))
    assert waited == [True]
    assert sent[0]["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body.endswith(b"data: data\n\n" if kind == "event_stream" else b"data")


def test_server_sent_events_status_and_headers(app: Flask) -> None:
    from kolba.sse import event_stream

    @app.route("/events")
    async def events() -> Any:
        async def source() -> Any:
            yield "x"

        return event_stream(source(), status=201, headers={"X-Stream": "1"})

    rv = app.test_client().get("/events")
    assert (rv.status_code, rv.headers["X-Stream"]) == (201, "1")
    assert (rv.mimetype, rv.text) == ("text/event-stream", ":\n\ndata: x\n\n")


def test_server_sent_event_text_cannot_start_a_field() -> None:
    """A browser ends an event-stream line at CR LF, LF or a lone CR: every
    one of them in the data starts another ``data:`` line, and a line break
    in ``event``, ``id`` or ``retry`` is refused."""
    from kolba.sse import format_event

    text = "hi\revent: admin\r\nid: 999\nend"
    assert format_event(text) == (
        "data: hi\ndata: event: admin\ndata: id: 999\ndata: end\n\n"
    )
    for field in ("event", "id", "retry"):
        with pytest.raises(ValueError, match=field):
            format_event({field: "1\rdata: x", "data": "y"})


def test_server_sent_events_stop_when_the_client_goes(app: Flask) -> None:
    from kolba.sse import event_stream

    closed = threading.Event()

    @app.route("/events")
    async def events() -> Any:
        async def source() -> Any:
            try:
                while True:
                    yield "x"
                    await asyncio.sleep(0.01)
            finally:
                closed.set()

        return event_stream(source())

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.1)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            pass

        await asyncio.wait_for(app(http_scope("/events"), receive, send), 5)

    asyncio.run(main())
    assert closed.is_set()


@pytest.mark.parametrize(
    ("path", "data", "content_type"),
    [
        ("/data", b"x" * 100, "text/plain"),
        ("/form", b"a=" + b"x" * 100, "application/x-www-form-urlencoded"),
        ("/json", b'"' + b"x" * 100 + b'"', "application/json"),
    ],
)
def test_a_body_announced_too_large_read_without_await_is_a_413(
    driver: str, path: str, data: bytes, content_type: str
) -> None:
    """Flask code in an async view (no await) gets the 413 a WSGI request
    gets, not a pending value or a 500."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 50

    @app.post("/data")
    async def read_data() -> str:
        return str(len(request.get_data()))

    @app.post("/form")
    async def read_form() -> str:
        return str(request.form.to_dict())

    @app.post("/json")
    async def read_json() -> str:
        return str(request.get_json())

    response = app.test_client().post(path, data=data, content_type=content_type)
    assert response.status_code == 413


def test_hooks_added_while_an_app_without_hooks_serves_run(
    app: Flask, client: KolbaClient
) -> None:
    # An app with no hooks serves its async views without looking hooks up;
    # hooks added in place once it serves (as extensions do), or by the view
    # during its own request, run all the same, as in Flask.
    seen: list[str] = []

    def mark(response: Response) -> Response:
        response.headers["X-Marked"] = "yes"
        return response

    @app.route("/<name>")
    async def index(name: str) -> str:
        if name == "adds" and mark not in app.after_request_funcs[None]:
            app.after_request_funcs[None].append(mark)
        return name

    assert client.get("/x").text == "x"
    assert "X-Marked" not in client.get("/x").headers
    assert client.get("/adds").headers["X-Marked"] == "yes"  # (its own request)
    assert client.get("/x").headers["X-Marked"] == "yes"
    app.url_value_preprocessors[None] = [lambda e, args: seen.append(args["name"])]
    app.before_request_funcs[None] = [lambda: seen.append("before")]
    assert client.get("/y").text == "y"
    assert seen == ["y", "before"]
    app.before_request_funcs[None].append(lambda: "early")
    assert client.get("/z").text == "early"


@pytest.mark.parametrize("big", [False, True])
def test_async_view_reads_a_body_split_in_messages_without_await(
    app: Flask, big: bool
) -> None:
    """A body of a known length up to _AHEAD_ON_LOOP is received before an
    async view runs, however the client or server split it (a slow link,
    HTTP/2 frames, a proxy): the view reads it as in Flask, without await."""

    @app.post("/json")
    async def read_json() -> dict[str, int]:
        return {"a": len(request.get_json()["a"])}

    @app.post("/form")
    async def read_form() -> str:
        return str(len(request.form["a"]))

    @app.post("/data")
    async def read_data() -> str:
        return str(len(request.get_data()))

    size = kolba.asgi._AHEAD_ON_LOOP - 100 if big else 8
    form_size = min(size, app.config["MAX_FORM_MEMORY_SIZE"] - 100)
    cases = {
        "/json": (b'{"a": "' + b"x" * size + b'"}', b"application/json", size),
        "/form": (
            b"a=" + b"x" * form_size,
            b"application/x-www-form-urlencoded",
            form_size,
        ),
        "/data": (b"x" * size, b"application/octet-stream", size),
    }
    for path, (body, content_type, length) in cases.items():
        cut = [0, 3, len(body) // 2, len(body)]
        parts = [
            {"type": "http.request", "body": body[a:b], "more_body": b < len(body)}
            for a, b in zip(cut, cut[1:], strict=False)
        ]
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
        ]
        sent = run_asgi(app, http_scope(path, "POST", headers), parts)
        assert sent[0]["status"] == 200, (path, sent[1]["body"][:300])
        assert str(length).encode() in sent[1]["body"]


def test_a_chunked_body_reaches_an_async_view_as_it_arrives(app: Flask) -> None:
    """Only a body of a known length is received before the view: a chunked
    one is read as it comes (an NDJSON ingest, a duplex stream)."""
    seen: list[tuple[int, bytes]] = []

    @app.post("/")
    async def ingest() -> str:
        async for chunk in request.iter_body():
            seen.append((len(sent), chunk))  # what the client had sent by then
        return str(len(seen))

    sent: list[bytes] = []
    parts = [b"a", b"b", b"c"]

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(0.01)
        chunk = parts.pop(0)
        sent.append(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(parts)}

    out: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    scope = http_scope("/", "POST", [(b"transfer-encoding", b"chunked")])
    asyncio.run(app(scope, receive, send))
    assert out[1]["body"] == b"3"
    assert seen == [(1, b"a"), (2, b"b"), (3, b"c")]


def post_a_big_form(app: Flask) -> list[dict[str, Any]]:
    """POST a 2,000-byte urlencoded form (a=xxx...) in two messages."""
    body = b"a=" + b"x" * 1998
    parts = [
        {"type": "http.request", "body": body[:700], "more_body": True},
        {"type": "http.request", "body": body[700:], "more_body": False},
    ]
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", b"2000"),
    ]
    return run_asgi(app, http_scope("/", "POST", headers), parts)


@pytest.mark.parametrize("awaited", [False, True])
def test_a_form_announced_past_the_form_limit_is_a_413_in_an_async_view(
    app: Flask, awaited: bool
) -> None:
    """As under WSGI: read with or without await, in however many messages
    it comes (received ahead only up to the limit)."""
    app.config["MAX_FORM_MEMORY_SIZE"] = 500

    @app.post("/")
    async def view() -> str:
        form = (await request.form) if awaited else request.form
        return str(len(form["a"]))

    sent = post_a_big_form(app)
    assert sent[0]["status"] == 413
    client = app.test_client()  # and the same under both drivers, whole
    assert client.post("/", data={"a": "x" * 1998}).status_code == 413


def test_a_form_past_the_form_limit_is_read_as_data_by_an_async_view(
    app: Flask,
) -> None:
    """MAX_FORM_MEMORY_SIZE limits the form's parse, not the body: an async
    view reads an urlencoded body past it as data, without await, however
    it is split (it is received ahead as any other), as under WSGI."""
    app.config["MAX_FORM_MEMORY_SIZE"] = 500

    @app.post("/")
    async def view() -> str:
        return str(len(request.get_data()))

    sent = post_a_big_form(app)
    assert (sent[0]["status"], sent[1]["body"]) == (200, b"2000")
    client = app.test_client()
    assert client.post("/", data={"a": "x" * 1998}).text == "2000"


def test_an_async_view_moves_a_blocking_call_off_the_loop_with_its_context() -> None:
    """As the README says: ``await asyncio.to_thread(func)``, the request, g
    and the session readable in the thread."""
    app = Flask(__name__)
    app.secret_key = "a-secret-key-for-to-thread"

    def blocking() -> str:
        g.seen = threading.current_thread() is not threading.main_thread()
        return f"{request.path} {session.get('user')} {current_app.name}"

    @app.get("/login")
    def login() -> str:
        session["user"] = "ann"
        return "in"

    @app.get("/report")
    async def report() -> str:
        text = await asyncio.to_thread(blocking)
        return f"{text} {g.seen}"

    client = ASGIClient(app, app.response_class)
    client.get("/login")
    assert client.get("/report").text == f"/report ann {app.name} True"
